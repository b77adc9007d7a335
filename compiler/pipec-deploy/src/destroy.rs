//! `pipec destroy` (confirm, delete the stack, follow, list what CloudFormation retained) and
//! `pipec outputs` (the stack's outputs with their `.pipe` names).

use std::time::Instant;

use pipec_diagnostics::{Code, Diagnostic};
use serde::Serialize;
use serde_json::Value;

use crate::api::CloudFormationApi;
use crate::apply::{confirmation_required, failures, ResourceFailure};
use crate::errors::api_diagnostics;
use crate::events::ProgressEvent;
use crate::manifest::Manifest;
use crate::options::{ConfirmSubject, Confirmer, DeployRequest, ProgressSink, EXIT_INTERRUPTED};
use crate::progress::{follow, seen_event_ids};
use crate::stack::settled_stack;
use crate::tokens;

/// How a destroy ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DestroyOutcome {
    /// The stack is gone (retained resources stay).
    Deleted,
    /// The person answered no.
    Declined,
    /// Some resources could not be deleted (`DELETE_FAILED`).
    Failed,
    /// The CLI stopped following; the deletion continues.
    Detached,
}

/// A resource CloudFormation keeps when the stack is deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetainedResource {
    /// The logical id.
    pub logical_id: String,
    /// The type.
    pub resource_type: String,
    /// The physical id: what to look for in the console.
    pub physical_id: Option<String>,
    /// `file:line` of the `.pipe` block.
    pub source: Option<String>,
}

/// What destroy did. Serializes to the destroy JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DestroyReport {
    /// The stack.
    pub stack_name: String,
    /// How it ended.
    pub outcome: DestroyOutcome,
    /// Resources kept (`DeletionPolicy: Retain`, or `data: true` in the manifest).
    pub retained: Vec<RetainedResource>,
    /// Resources that could not be deleted.
    pub failures: Vec<ResourceFailure>,
    /// Wall time in seconds.
    pub elapsed_secs: f64,
    /// Errors for `Failed`.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

impl DestroyReport {
    /// 0 deleted, 1 failed or declined, 130 detached.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        match self.outcome {
            DestroyOutcome::Deleted => 0,
            DestroyOutcome::Declined | DestroyOutcome::Failed => 1,
            DestroyOutcome::Detached => i32::from(EXIT_INTERRUPTED),
        }
    }

    /// The report as pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Deletes the stack after confirmation and follows the deletion.
///
/// # Errors
/// `P6009` when there is no such stack, `P6016` without terminal and `--yes`, AWS errors.
pub async fn destroy(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    confirmer: &dyn Confirmer,
    sink: &dyn ProgressSink,
) -> Result<DestroyReport, Vec<Diagnostic>> {
    let started = Instant::now();
    let Some(stack) = settled_stack(api, request, sink).await? else {
        return Err(vec![not_found(&request.stack_name)]);
    };
    let resources = api
        .describe_stack_resources(&stack.stack_id)
        .await
        .map_err(|e| api_diagnostics(&e))?;
    let template = api
        .get_template(&stack.stack_id)
        .await
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .or_else(|| serde_json::from_str::<Value>(&request.template_body).ok())
        .unwrap_or(Value::Null);
    let retained: Vec<RetainedResource> = resources
        .iter()
        .filter(|resource| is_retained(&template, &request.manifest, &resource.logical_id))
        .map(|resource| RetainedResource {
            logical_id: resource.logical_id.clone(),
            resource_type: resource.resource_type.clone(),
            physical_id: resource.physical_id.clone(),
            source: request
                .manifest
                .resource(&resource.logical_id)
                .map(|entry| entry.source.clone())
                .filter(|s| !s.is_empty()),
        })
        .collect();
    let mut report = DestroyReport {
        stack_name: request.stack_name.clone(),
        outcome: DestroyOutcome::Deleted,
        retained,
        failures: Vec::new(),
        elapsed_secs: 0.0,
        diagnostics: Vec::new(),
    };
    if !request.options.yes {
        if !confirmer.is_interactive() {
            return Err(vec![confirmation_required("destroy")]);
        }
        let retained_ids: Vec<String> = report
            .retained
            .iter()
            .map(|r| r.logical_id.clone())
            .collect();
        if !confirmer.confirm(ConfirmSubject::Destroy {
            stack_name: &request.stack_name,
            retained: &retained_ids,
        }) {
            report.outcome = DestroyOutcome::Declined;
            report.elapsed_secs = started.elapsed().as_secs_f64();
            return Ok(report);
        }
    }
    sink.event(&ProgressEvent::Deleting {
        stack_name: request.stack_name.clone(),
    });
    let seen = seen_event_ids(api, &stack.stack_id)
        .await
        .map_err(|e| api_diagnostics(&e))?;
    api.delete_stack(
        &stack.stack_id,
        &tokens::client_token("destroy", &request.stack_name),
    )
    .await
    .map_err(|e| api_diagnostics(&e))?;
    let followed = follow(
        api,
        &stack.stack_id,
        &request.stack_name,
        seen,
        &request.manifest,
        &request.options,
        sink,
    )
    .await
    .map_err(|e| api_diagnostics(&e))?;
    if followed.cancelled {
        report.outcome = DestroyOutcome::Detached;
    } else if followed.status != "DELETE_COMPLETE" {
        report.outcome = DestroyOutcome::Failed;
        report.failures = failures(&followed.events, &request.stack_name, &request.manifest);
        report.diagnostics = report
            .failures
            .iter()
            .map(ResourceFailure::diagnostic)
            .collect();
        report.diagnostics.push(
            Diagnostic::new(Code::STACK_DELETE_FAILED, format!("stack `{}` could not be deleted", request.stack_name))
                .note(format!("The stack is `{}`.", followed.status))
                .help("Remove what blocked the deletion (a non-empty bucket, a role in use), then run `pipec destroy` again."),
        );
    }
    report.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

fn is_retained(template: &Value, manifest: &Manifest, logical_id: &str) -> bool {
    let policy = template
        .get("Resources")
        .and_then(|resources| resources.get(logical_id))
        .and_then(|resource| resource.get("DeletionPolicy"))
        .and_then(Value::as_str);
    matches!(policy, Some("Retain" | "RetainExceptOnCreate")) || manifest.is_data(logical_id)
}

fn not_found(stack_name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::STACK_NOT_FOUND,
        format!("there is no stack `{stack_name}`"),
    )
    .help("Check `--stack-name`, `--region` and `--profile`; `pipec apply` creates the stack.")
}

/// One stack output with its `.pipe` name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutputEntry {
    /// The `.pipe` output name (the logical id when the manifest does not know it).
    pub name: String,
    /// The template's output id.
    pub logical_id: String,
    /// The value.
    pub value: String,
    /// The description, if any.
    pub description: Option<String>,
}

/// The outputs of a stack. Serializes to the outputs JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutputsReport {
    /// The stack.
    pub stack_name: String,
    /// Its status.
    pub status: String,
    /// Its outputs, sorted by name.
    pub outputs: Vec<OutputEntry>,
}

impl OutputsReport {
    /// The report as pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Reads the stack's outputs.
///
/// # Errors
/// `P6009` when there is no such stack; AWS errors.
pub async fn outputs(
    api: &dyn CloudFormationApi,
    stack_name: &str,
    manifest: &Manifest,
) -> Result<OutputsReport, Vec<Diagnostic>> {
    let Some(stack) = api
        .describe_stack(stack_name)
        .await
        .map_err(|e| api_diagnostics(&e))?
    else {
        return Err(vec![not_found(stack_name)]);
    };
    let mut outputs: Vec<OutputEntry> = stack
        .outputs
        .into_iter()
        .map(|output| {
            let name = manifest
                .outputs
                .iter()
                .find(|(_, entry)| entry.logical_id == output.key)
                .map_or_else(|| output.key.clone(), |(name, _)| name.clone());
            OutputEntry {
                name,
                logical_id: output.key,
                value: output.value,
                description: output.description,
            }
        })
        .collect();
    outputs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(OutputsReport {
        stack_name: stack_name.to_string(),
        status: stack.status,
        outputs,
    })
}
