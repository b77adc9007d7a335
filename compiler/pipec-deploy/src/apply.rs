//! `pipec apply`: plan (keeping the change set), refuse data loss unless allowed, confirm through
//! the CLI's [`Confirmer`], execute with a client token, follow the stack to the end, and report
//! outputs, elapsed time, or each failed resource at the `.pipe` line that declared it.

use std::time::Instant;

use pipec_diagnostics::{Code, Diagnostic};
use serde::Serialize;

use crate::api::StackInfo;
use crate::api::{CloudFormationApi, StackEvent, StackOutput};
use crate::change_set::{discard, plan_change_set};
use crate::errors::api_diagnostics;
use crate::events::ProgressEvent;
use crate::manifest::{parse_source, Manifest};
use crate::options::{ConfirmSubject, Confirmer, DeployRequest, ProgressSink, EXIT_INTERRUPTED};
use crate::plan::{ChangeAction, Plan, PlanKind, ResourceChange};
use crate::progress::{follow, seen_event_ids};
use crate::stack::update_rollback_failed_diagnostic;
use crate::tokens;

/// How an apply ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyOutcome {
    /// The stack already matched the build.
    NoChanges,
    /// The person answered no; nothing was changed.
    Declined,
    /// The change set was executed and the stack settled in a `*_COMPLETE` state.
    Succeeded,
    /// The operation failed (and CloudFormation rolled back).
    Failed,
    /// The CLI stopped following (Ctrl-C); the operation continues in CloudFormation.
    Detached,
}

/// One resource that failed, with the `.pipe` place that declared it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceFailure {
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// `CREATE_FAILED`, `UPDATE_FAILED`, `DELETE_FAILED`.
    pub status: String,
    /// CloudFormation's `ResourceStatusReason`.
    pub reason: String,
    /// The `.pipe` block.
    pub block: Option<String>,
    /// `file:line` of the block.
    pub source: Option<String>,
}

impl ResourceFailure {
    /// The failing resource's `.pipe` file and 1-based line, for the CLI to turn into a span.
    #[must_use]
    pub fn location(&self) -> Option<(String, u32)> {
        self.source.as_deref().and_then(parse_source)
    }

    /// True when an instance's bootstrap signalled failure or never signalled.
    #[must_use]
    pub fn is_bootstrap_failure(&self) -> bool {
        self.resource_type == "AWS::EC2::Instance"
            && (self.reason.contains("resource signal") || self.reason.contains("FAILURE signal"))
    }

    /// True for the "cancelled because another resource failed" follow-up failures.
    #[must_use]
    pub fn is_consequence(&self) -> bool {
        self.reason.contains("Resource creation cancelled")
            || self.reason.contains("Resource update cancelled")
    }

    /// The `P6017` diagnostic. It has no label (deploy has no source text); the CLI adds a
    /// primary label at [`ResourceFailure::location`]. The note says the same in words.
    #[must_use]
    pub fn diagnostic(&self) -> Diagnostic {
        let verb = match self.status.split('_').next() {
            Some("CREATE") => "could not create",
            Some("UPDATE") => "could not update",
            Some("DELETE") => "could not delete",
            _ => "failed on",
        };
        let mut diag = Diagnostic::new(
            Code::RESOURCE_FAILED,
            format!("{verb} `{}` ({})", self.logical_id, self.resource_type),
        )
        .note(format!("CloudFormation says: {}", self.reason));
        if let Some((file, line)) = self.location() {
            let block = self
                .block
                .as_deref()
                .map(|block| format!(" by `{block}`"))
                .unwrap_or_default();
            diag = diag.note(format!("declared at {file}:{line}{block}"));
        }
        let target = self.block.as_deref().map_or_else(
            || "the declaration".to_string(),
            |block| format!("`{block}`"),
        );
        if self.is_bootstrap_failure() {
            // The instance's UserData signals its own outcome (CreationPolicy + cfn-signal).
            return diag
                .note("The instance's first-boot script (packages, software, the CodeDeploy agent) failed or did not finish in time.")
                .help("Read /var/log/cloud-init-output.log on the instance (EC2 console: Actions → Monitor and troubleshoot → Get system log), fix the cause, then run `pipec apply` again.");
        }
        diag.help(format!(
            "Fix {target} as the reason says, then run `pipec apply` again."
        ))
    }

    fn from_event(event: &StackEvent, manifest: &Manifest) -> Self {
        let entry = manifest.resource(&event.logical_id);
        ResourceFailure {
            logical_id: event.logical_id.clone(),
            resource_type: event.resource_type.clone(),
            status: event.status.clone(),
            reason: event
                .reason
                .clone()
                .unwrap_or_else(|| "no reason given".to_string()),
            block: entry
                .map(|entry| entry.block.clone())
                .filter(|block| !block.is_empty()),
            source: entry
                .map(|entry| entry.source.clone())
                .filter(|source| !source.is_empty()),
        }
    }
}

/// The failed resources among the events of one operation (stack-level events excluded).
pub(crate) fn failures(
    events: &[StackEvent],
    stack_name: &str,
    manifest: &Manifest,
) -> Vec<ResourceFailure> {
    let mut found: Vec<ResourceFailure> = events
        .iter()
        .filter(|event| event.status.ends_with("_FAILED"))
        .filter(|event| {
            !(event.resource_type == "AWS::CloudFormation::Stack" && event.logical_id == stack_name)
        })
        .map(|event| ResourceFailure::from_event(event, manifest))
        .collect();
    found.sort_by_key(ResourceFailure::is_consequence);
    found
}

/// Everything `apply` found out. Serializes to the apply JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApplyReport {
    /// How it ended.
    pub outcome: ApplyOutcome,
    /// The plan that was (or would have been) executed.
    pub plan: Plan,
    /// The stack's status at the end.
    pub final_status: Option<String>,
    /// The stack's outputs after a successful apply.
    pub outputs: Vec<StackOutput>,
    /// The resources that failed.
    pub failures: Vec<ResourceFailure>,
    /// Wall time of the whole apply, in seconds.
    pub elapsed_secs: f64,
    /// Errors to show for `Failed` (one per root-cause resource, then a summary).
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

impl ApplyReport {
    /// The process exit code: 0 applied or nothing to do, 1 failed or declined, 130 detached.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        match self.outcome {
            ApplyOutcome::NoChanges | ApplyOutcome::Succeeded => 0,
            ApplyOutcome::Declined | ApplyOutcome::Failed => 1,
            ApplyOutcome::Detached => i32::from(EXIT_INTERRUPTED),
        }
    }

    /// The report as pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Applies the build: plan, data-loss check, confirmation, execution, following.
///
/// # Errors
/// Diagnostics for everything that stops apply before the stack changes (AWS errors, unusable
/// states, `P6015` data loss, `P6016` no confirmation possible). Once the change set runs,
/// failures come back as an [`ApplyReport`] with [`ApplyOutcome::Failed`].
pub async fn apply(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    confirmer: &dyn Confirmer,
    sink: &dyn ProgressSink,
) -> Result<ApplyReport, Vec<Diagnostic>> {
    let started = Instant::now();
    let mut plan = plan_change_set(api, request, sink, true).await?;
    let report = |outcome, plan: Plan| ApplyReport {
        outcome,
        plan,
        final_status: None,
        outputs: Vec::new(),
        failures: Vec::new(),
        elapsed_secs: started.elapsed().as_secs_f64(),
        diagnostics: Vec::new(),
    };
    if plan.is_empty() {
        let stack = api
            .describe_stack(&request.stack_name)
            .await
            .map_err(|e| api_diagnostics(&e))?;
        let mut done = report(ApplyOutcome::NoChanges, plan);
        done.final_status = stack.as_ref().map(|stack| stack.status.clone());
        done.outputs = stack.map(|stack| stack.outputs).unwrap_or_default();
        return Ok(done);
    }
    if !approve(api, request, &mut plan, confirmer, Ownership::Ours).await? {
        return Ok(report(ApplyOutcome::Declined, plan));
    }
    if plan.kind == PlanKind::Recreate {
        let stack_id = plan
            .stack_id
            .clone()
            .unwrap_or_else(|| request.stack_name.clone());
        sink.event(&ProgressEvent::DeletingFailedStack {
            stack_name: request.stack_name.clone(),
        });
        let seen = seen_event_ids(api, &stack_id)
            .await
            .map_err(|e| api_diagnostics(&e))?;
        api.delete_stack(
            &stack_id,
            &tokens::client_token("replace", &request.stack_name),
        )
        .await
        .map_err(|e| api_diagnostics(&e))?;
        let deleted = follow(
            api,
            &stack_id,
            &request.stack_name,
            seen,
            &request.manifest,
            &request.options,
            sink,
        )
        .await
        .map_err(|e| api_diagnostics(&e))?;
        if deleted.cancelled {
            let mut done = report(ApplyOutcome::Detached, plan);
            done.final_status = Some(deleted.status);
            return Ok(done);
        }
        if deleted.status != "DELETE_COMPLETE" {
            let mut done = report(ApplyOutcome::Failed, plan);
            done.failures = failures(&deleted.events, &request.stack_name, &request.manifest);
            done.diagnostics = done
                .failures
                .iter()
                .map(ResourceFailure::diagnostic)
                .collect();
            done.diagnostics
                .push(failed_summary(&request.stack_name, &deleted.status));
            done.final_status = Some(deleted.status);
            return Ok(done);
        }
        let fresh = plan_change_set(api, request, sink, true).await?;
        plan.change_set_id = fresh.change_set_id.clone();
        plan.change_set_kept = true;
        plan.stack_id = fresh.stack_id.clone();
        plan.created_review_stack = fresh.created_review_stack;
        plan.warnings.extend(fresh.warnings);
    }
    execute_plan(api, request, plan, started, sink, Ownership::Ours).await
}

/// Who owns the change set: apply's own is deleted when apply stops before executing it; a
/// reviewed one (`apply --change-set`) is left for the person who made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ownership {
    Ours,
    Reviewed,
}

/// The data-loss refusal (`P6015` unless `allow_data_loss`) and the confirmation (`P6016`
/// without a terminal and without `yes`). `Ok(false)`: the person declined.
pub(crate) async fn approve(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    plan: &mut Plan,
    confirmer: &dyn Confirmer,
    ownership: Ownership,
) -> Result<bool, Vec<Diagnostic>> {
    let losses = plan.data_loss();
    if !losses.is_empty() && !request.options.allow_data_loss {
        let diagnostics = losses
            .iter()
            .map(|change| data_loss_diagnostic(change))
            .collect();
        give_up(api, plan, ownership).await;
        return Err(diagnostics);
    }
    if !request.options.yes {
        if !confirmer.is_interactive() {
            give_up(api, plan, ownership).await;
            return Err(vec![confirmation_required("apply")]);
        }
        if !confirmer.confirm(ConfirmSubject::Apply(plan)) {
            give_up(api, plan, ownership).await;
            return Ok(false);
        }
    }
    Ok(true)
}

async fn give_up(api: &dyn CloudFormationApi, plan: &mut Plan, ownership: Ownership) {
    if ownership == Ownership::Ours {
        discard(api, plan).await;
    }
}

/// Executes the plan's change set, follows the stack to the end and reports.
pub(crate) async fn execute_plan(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    mut plan: Plan,
    started: Instant,
    sink: &dyn ProgressSink,
    ownership: Ownership,
) -> Result<ApplyReport, Vec<Diagnostic>> {
    let report = |outcome, plan: Plan| ApplyReport {
        outcome,
        plan,
        final_status: None,
        outputs: Vec::new(),
        failures: Vec::new(),
        elapsed_secs: started.elapsed().as_secs_f64(),
        diagnostics: Vec::new(),
    };
    let change_set_id = plan.change_set_id.clone().unwrap_or_default();
    let stack_id = plan
        .stack_id
        .clone()
        .unwrap_or_else(|| request.stack_name.clone());
    let seen = match seen_event_ids(api, &stack_id).await {
        Ok(seen) => seen,
        Err(error) => {
            give_up(api, &mut plan, ownership).await;
            return Err(api_diagnostics(&error));
        }
    };
    sink.event(&ProgressEvent::Executing {
        stack_name: request.stack_name.clone(),
    });
    let token = tokens::client_token("apply", &request.stack_name);
    if let Err(error) = api
        .execute_change_set(&request.stack_name, &change_set_id, &token)
        .await
    {
        give_up(api, &mut plan, ownership).await;
        return Err(api_diagnostics(&error));
    }
    plan.change_set_kept = false;
    plan.created_review_stack = false;
    let followed = follow(
        api,
        &stack_id,
        &request.stack_name,
        seen,
        &request.manifest,
        &request.options,
        sink,
    )
    .await
    .map_err(|e| api_diagnostics(&e))?;
    let final_status = followed.status.clone();
    if followed.cancelled {
        let mut done = report(ApplyOutcome::Detached, plan);
        done.final_status = Some(final_status);
        return Ok(done);
    }
    let succeeded = matches!(
        final_status.as_str(),
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
    );
    let mut done = report(
        if succeeded {
            ApplyOutcome::Succeeded
        } else {
            ApplyOutcome::Failed
        },
        plan,
    );
    if succeeded {
        let stack: Option<StackInfo> = api
            .describe_stack(&stack_id)
            .await
            .map_err(|e| api_diagnostics(&e))?;
        done.outputs = stack.map(|stack| stack.outputs).unwrap_or_default();
    } else {
        done.failures = failures(&followed.events, &request.stack_name, &request.manifest);
        let roots: Vec<&ResourceFailure> = done
            .failures
            .iter()
            .filter(|failure| !failure.is_consequence())
            .collect();
        let shown = if roots.is_empty() {
            done.failures.iter().collect()
        } else {
            roots
        };
        done.diagnostics = shown.into_iter().map(ResourceFailure::diagnostic).collect();
        done.diagnostics
            .push(failed_summary(&request.stack_name, &final_status));
    }
    done.final_status = Some(final_status);
    done.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(done)
}

fn data_loss_diagnostic(change: &ResourceChange) -> Diagnostic {
    let what = if change.action == ChangeAction::Remove {
        "removed from the stack"
    } else {
        "replaced by a new, empty resource"
    };
    let mut diag = Diagnostic::new(
        Code::DATA_LOSS,
        format!(
            "`{}` ({}) holds data and would be {what}",
            change.logical_id, change.resource_type
        ),
    );
    for reason in &change.replacement_reasons {
        diag = diag.note(format!("Replaced because {reason}."));
    }
    if let Some((file, line)) = change.source.as_deref().and_then(parse_source) {
        diag = diag.note(format!("declared at {file}:{line} by `{}`", change.block));
    }
    diag.help("Undo the change that causes this, or back the data up and run `pipec apply --allow-data-loss`.")
}

pub(crate) fn confirmation_required(command: &str) -> Diagnostic {
    Diagnostic::new(
        Code::CONFIRMATION_REQUIRED,
        format!("`pipec {command}` needs confirmation, and there is no terminal to ask"),
    )
    .help(format!(
        "Review `pipec plan`, then run `pipec {command} --yes`."
    ))
}

pub(crate) fn failed_summary(stack_name: &str, status: &str) -> Diagnostic {
    let diag = Diagnostic::new(
        Code::DEPLOY_FAILED,
        format!("apply of stack `{stack_name}` failed; the stack is `{status}`"),
    );
    match status {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => diag
            .note("The first creation failed and was rolled back; such a stack cannot be updated.")
            .help("Fix the failures above, then run `pipec apply --replace-failed`."),
        "UPDATE_ROLLBACK_COMPLETE" => diag
            .note("The stack was rolled back to its previous state and can be updated again.")
            .help("Fix the failures above and run `pipec apply` again."),
        "UPDATE_ROLLBACK_FAILED" => {
            let explained = update_rollback_failed_diagnostic(&StackInfo {
                stack_name: stack_name.to_string(),
                ..StackInfo::default()
            });
            let mut diag = diag.note(
                "The rollback failed too; CloudFormation accepts no update until it is finished.",
            );
            diag.help = explained.help;
            diag
        }
        "DELETE_FAILED" => diag.note("Deleting the failed stack did not finish.").help(
            "Remove what blocked the deletion, then run `pipec destroy` and `pipec apply` again.",
        ),
        _ => diag.help("Fix the failures above and run `pipec apply` again."),
    }
}
