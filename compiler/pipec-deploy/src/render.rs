//! Text for people: the plan diff (`+`, `~`, `-`, `-/+`), one line per progress event, and the
//! end-of-command summaries of apply, destroy and outputs. Everything returns a `String`; the CLI
//! decides where it goes. Colour is ANSI and only when asked for.

use std::fmt::Write;

use crate::apply::{ApplyOutcome, ApplyReport};
use crate::destroy::{DestroyOutcome, DestroyReport, OutputsReport};
use crate::events::ProgressEvent;
use crate::plan::{ChangeAction, Plan, PlanKind, ResourceChange};

/// Rendering switches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours.
    pub color: bool,
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn action(&self, action: ChangeAction) -> String {
        let code = match action {
            ChangeAction::Add | ChangeAction::Import => "32",
            ChangeAction::Modify | ChangeAction::Dynamic => "33",
            ChangeAction::Remove => "31",
            ChangeAction::Replace => "35",
        };
        self.wrap(code, action.marker())
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn red(&self, text: &str) -> String {
        self.wrap("1;31", text)
    }
    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
    fn yellow(&self, text: &str) -> String {
        self.wrap("1;33", text)
    }
}

/// The plan as a person reviews it: a summary line, data-loss warnings, then IAM changes, then
/// the other changes grouped by `.pipe` block in source order.
#[must_use]
pub fn render_plan(plan: &Plan, options: RenderOptions) -> String {
    let paint = Paint(options.color);
    let mut out = String::new();
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "No changes: stack `{}` already matches the build.",
            plan.stack_name
        );
        return out;
    }
    let (add, modify, replace, remove) = plan.counts();
    let how = match plan.kind {
        PlanKind::Create => "will be created".to_string(),
        PlanKind::Update => "will be updated".to_string(),
        PlanKind::Recreate => format!(
            "is in `{}` and will be deleted and created again",
            plan.stack_status.as_deref().unwrap_or("ROLLBACK_COMPLETE")
        ),
    };
    let _ = writeln!(
        out,
        "{}: {add} to add, {modify} to change, {replace} to replace, {remove} to remove",
        paint.bold(&format!("Stack `{}` {how}", plan.stack_name))
    );
    let losses = plan.data_loss();
    if !losses.is_empty() {
        let _ = writeln!(out);
        for change in &losses {
            let verb = if change.action == ChangeAction::Remove {
                "DELETES"
            } else {
                "REPLACES"
            };
            let _ = writeln!(
                out,
                "{}",
                paint.red(&format!(
                    "!! DATA LOSS: this plan {verb} `{}` ({}), which holds data",
                    change.logical_id, change.resource_type
                ))
            );
        }
        let _ = writeln!(out, "   apply refuses unless run with --allow-data-loss");
    }
    let emptied: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|change| change.needs_redeploy)
        .collect();
    if !emptied.is_empty() {
        let _ = writeln!(out);
        for change in &emptied {
            let block = if change.block.is_empty() {
                String::new()
            } else {
                format!(" ({})", change.block)
            };
            let _ = writeln!(
                out,
                "{}",
                paint.yellow(&format!(
                    "!! NO APPLICATION: this plan REPLACES instance `{}`{block}; the new instance starts without the application",
                    change.logical_id
                ))
            );
        }
        let _ = writeln!(
            out,
            "   CodeDeploy deploys on its own only to Auto Scaling groups: after apply, run the pipeline again\n   (`pipec release FILE --wait`, or push a commit)"
        );
    }
    let (iam, rest): (Vec<&ResourceChange>, Vec<&ResourceChange>) =
        plan.changes.iter().partition(|change| change.iam);
    if !iam.is_empty() {
        let _ = writeln!(out, "\n{}", paint.bold("IAM"));
        for change in iam {
            render_change(&mut out, change, true, &paint);
        }
    }
    let mut groups: Vec<(String, Option<String>, Vec<&ResourceChange>)> = Vec::new();
    for change in rest {
        match groups.last_mut() {
            Some((block, _, members)) if *block == change.block => members.push(change),
            _ => groups.push((change.block.clone(), change.source.clone(), vec![change])),
        }
    }
    for (block, source, members) in groups {
        let title = if block.is_empty() {
            "(shared)".to_string()
        } else {
            block
        };
        let place = source
            .map(|source| format!("  {}", paint.dim(&source)))
            .unwrap_or_default();
        let _ = writeln!(out, "\n{}{place}", paint.bold(&title));
        for change in members {
            render_change(&mut out, change, false, &paint);
        }
    }
    if plan.change_set_kept {
        if let Some(id) = &plan.change_set_id {
            let _ = writeln!(out, "\nChange set kept for review: {id}");
            let _ = writeln!(
                out,
                "Execute exactly this change set with: pipec apply FILE --change-set {id}"
            );
        }
    }
    out
}

fn render_change(out: &mut String, change: &ResourceChange, with_block: bool, paint: &Paint) {
    let mut line = format!(
        "  {} {}  {}",
        paint.action(change.action),
        change.logical_id,
        paint.dim(&change.resource_type)
    );
    if with_block && !change.block.is_empty() {
        let source = change
            .source
            .as_deref()
            .map(|source| format!(", {source}"))
            .unwrap_or_default();
        let _ = write!(
            line,
            "  {}",
            paint.dim(&format!("({}{source})", change.block))
        );
    }
    if change.action == ChangeAction::Replace {
        let why = change.replacement_reasons.join("; ");
        let maybe = if change.conditional {
            "may be replaced: "
        } else {
            ""
        };
        let _ = write!(line, "  ({maybe}{why})");
    }
    let _ = writeln!(out, "{line}");
    for property in &change.properties {
        let values = match (&property.before, &property.after) {
            (Some(before), Some(after)) => format!(": {before} → {after}"),
            (None, Some(after)) => format!(": (none) → {after}"),
            (Some(before), None) => format!(": {before} → (none)"),
            (None, None) => String::new(),
        };
        let cause = property
            .caused_by
            .as_deref()
            .map(|cause| format!("  (because `{cause}` changes)"))
            .unwrap_or_default();
        let _ = writeln!(out, "      ~ {}{values}{cause}", property.name);
    }
    if change.loses_data() {
        let _ = writeln!(
            out,
            "      {}",
            paint.red("!! holds data: its contents would be lost")
        );
    }
}

/// One line for a progress event.
#[must_use]
pub fn render_event(event: &ProgressEvent, options: RenderOptions) -> String {
    let paint = Paint(options.color);
    match event {
        ProgressEvent::WaitingForStack { stack_name, status } => {
            format!("Waiting: stack `{stack_name}` is busy ({status})")
        }
        ProgressEvent::UploadingTemplate { bytes } => {
            format!("Uploading the template ({bytes} bytes) to the staging bucket")
        }
        ProgressEvent::CreatingChangeSet {
            stack_name,
            change_set_name,
            create,
        } => format!(
            "Creating change set `{change_set_name}` ({}) for stack `{stack_name}`",
            if *create { "create" } else { "update" }
        ),
        ProgressEvent::DeletingFailedStack { stack_name } => {
            format!("Deleting stack `{stack_name}`, left by a failed create, to create it again")
        }
        ProgressEvent::Executing { stack_name } => {
            format!("Executing the change set on stack `{stack_name}`")
        }
        ProgressEvent::Deleting { stack_name } => format!("Deleting stack `{stack_name}`"),
        ProgressEvent::Resource {
            logical_id,
            resource_type,
            status,
            reason,
            block,
            source,
        } => {
            let status_text = if status.ends_with("_FAILED") {
                paint.red(status)
            } else if status.ends_with("_COMPLETE") {
                paint.wrap("32", status)
            } else {
                status.clone()
            };
            let mut line = format!(
                "  {status_text:<width$} {logical_id}  {}",
                paint.dim(resource_type),
                width = 28
            );
            if let Some(block) = block {
                let place = source
                    .as_deref()
                    .map(|source| format!(", {source}"))
                    .unwrap_or_default();
                let _ = write!(line, "  {}", paint.dim(&format!("({block}{place})")));
            }
            if let Some(reason) = reason {
                let _ = write!(line, "  {reason}");
            }
            line
        }
        ProgressEvent::Settled { stack_name, status } => {
            format!("Stack `{stack_name}` is {status}")
        }
    }
}

/// The end of an apply: outcome, outputs and time; failures are diagnostics the CLI renders.
#[must_use]
pub fn render_apply(report: &ApplyReport, options: RenderOptions) -> String {
    let paint = Paint(options.color);
    let stack = &report.plan.stack_name;
    let mut out = String::new();
    let secs = report.elapsed_secs;
    match report.outcome {
        ApplyOutcome::NoChanges => {
            let _ = writeln!(
                out,
                "No changes: stack `{stack}` already matches the build."
            );
        }
        ApplyOutcome::Declined => {
            let _ = writeln!(out, "Apply cancelled; nothing was changed.");
        }
        ApplyOutcome::Succeeded => {
            let _ = writeln!(
                out,
                "{}",
                paint.bold(&format!("Applied stack `{stack}` in {secs:.1} s."))
            );
        }
        ApplyOutcome::Failed => {
            let status = report.final_status.as_deref().unwrap_or("unknown");
            let _ = writeln!(
                out,
                "{}",
                paint.red(&format!(
                    "Apply of stack `{stack}` failed after {secs:.1} s; it is {status}."
                ))
            );
        }
        ApplyOutcome::Detached => {
            let _ = writeln!(
                out,
                "Stopped following; CloudFormation continues (stack `{stack}` is {}).\nWatch it with: aws cloudformation describe-stack-events --stack-name {stack}",
                report.final_status.as_deref().unwrap_or("in progress")
            );
        }
    }
    if !report.outputs.is_empty() {
        let _ = writeln!(out, "\nOutputs:");
        let width = report
            .outputs
            .iter()
            .map(|output| output.key.len())
            .max()
            .unwrap_or(0);
        for output in &report.outputs {
            let _ = writeln!(out, "  {:<width$}  {}", output.key, output.value);
        }
    }
    out
}

/// The end of a destroy: what was retained and where to find it.
#[must_use]
pub fn render_destroy(report: &DestroyReport, options: RenderOptions) -> String {
    let paint = Paint(options.color);
    let stack = &report.stack_name;
    let mut out = String::new();
    match report.outcome {
        DestroyOutcome::Deleted => {
            let _ = writeln!(
                out,
                "{}",
                paint.bold(&format!(
                    "Deleted stack `{stack}` in {:.1} s.",
                    report.elapsed_secs
                ))
            );
        }
        DestroyOutcome::Declined => {
            let _ = writeln!(out, "Destroy cancelled; nothing was deleted.");
        }
        DestroyOutcome::Failed => {
            let _ = writeln!(
                out,
                "{}",
                paint.red(&format!("Stack `{stack}` could not be deleted."))
            );
        }
        DestroyOutcome::Detached => {
            let _ = writeln!(
                out,
                "Stopped following; the deletion continues.\nWatch it with: aws cloudformation describe-stack-events --stack-name {stack}"
            );
        }
    }
    if !report.retained.is_empty() {
        let verb = if report.outcome == DestroyOutcome::Deleted {
            "Retained"
        } else {
            "Will be retained"
        };
        let _ = writeln!(
            out,
            "\n{verb} (not deleted, delete by hand when no longer needed):"
        );
        for resource in &report.retained {
            let physical = resource.physical_id.as_deref().unwrap_or("?");
            let place = resource
                .source
                .as_deref()
                .map(|source| format!("  ({source})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}  {}  {physical}{place}",
                resource.logical_id, resource.resource_type
            );
        }
    }
    out
}

/// The outputs as a two-column table.
#[must_use]
pub fn render_outputs(report: &OutputsReport, options: RenderOptions) -> String {
    let paint = Paint(options.color);
    let mut out = String::new();
    if report.outputs.is_empty() {
        let _ = writeln!(
            out,
            "Stack `{}` ({}) has no outputs.",
            report.stack_name, report.status
        );
        return out;
    }
    let width = report
        .outputs
        .iter()
        .map(|output| output.name.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = writeln!(out, "{}", paint.bold(&format!("{:<width$}  VALUE", "NAME")));
    for output in &report.outputs {
        let _ = writeln!(out, "{:<width$}  {}", output.name, output.value);
    }
    out
}
