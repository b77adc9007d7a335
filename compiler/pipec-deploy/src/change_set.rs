//! The change-set lifecycle of `pipec plan` (and the first half of apply): decide CREATE or
//! UPDATE from the stack's state (`stack.rs`), stage a large template, create the change set
//! with the manifest's capabilities, wait for it, read every page, turn it into a [`Plan`]
//! (`diff.rs`), and delete it (and a new stack's placeholder) unless it is kept.

use pipec_diagnostics::{Code, Diagnostic};
use serde_json::Value;

use crate::api::{ChangeSetPage, CloudFormationApi, CreateChangeSetInput, StackInfo};
use crate::diff::{changes_of, new_change};
use crate::errors::api_diagnostics;
use crate::events::ProgressEvent;
use crate::options::{DeployRequest, ProgressSink};
use crate::plan::{ChangeAction, Plan, PlanKind, ResourceChange, MAX_INLINE_TEMPLATE_BYTES};
use crate::progress::sleep;
use crate::stack::{stack_state, StackState};
use crate::tokens;

/// Plans the request: creates a change set, reads it, and deletes it unless
/// `options.keep_change_set`. A new stack's `REVIEW_IN_PROGRESS` placeholder is deleted with it.
///
/// # Errors
/// `P6xxx` diagnostics: AWS errors, unusable stack states, a failed change set.
pub async fn plan(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    sink: &dyn ProgressSink,
) -> Result<Plan, Vec<Diagnostic>> {
    let plan = plan_change_set(api, request, sink, request.options.keep_change_set).await?;
    Ok(plan)
}

/// The plan, with the change set kept when `keep`.
pub(crate) async fn plan_change_set(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    sink: &dyn ProgressSink,
    keep: bool,
) -> Result<Plan, Vec<Diagnostic>> {
    let mut warnings = Vec::new();
    let state = stack_state(api, request, sink, &mut warnings).await?;
    let (create, stack) = match state {
        StackState::Missing => (true, None),
        StackState::Review(stack) => (true, Some(stack)),
        StackState::Ready(stack) => (false, Some(stack)),
        StackState::FailedCreate(stack) => return Ok(recreate_plan(request, &stack, warnings)),
    };
    let template_url = stage_template(api, request, sink).await?;
    let change_set_name = tokens::change_set_name();
    sink.event(&ProgressEvent::CreatingChangeSet {
        stack_name: request.stack_name.clone(),
        change_set_name: change_set_name.clone(),
        create,
    });
    let input = CreateChangeSetInput {
        stack_name: request.stack_name.clone(),
        change_set_name,
        create,
        template_body: if template_url.is_some() {
            None
        } else {
            Some(request.template_body.clone())
        },
        template_url,
        capabilities: request.manifest.capabilities.clone(),
        client_token: tokens::client_token("plan", &request.stack_name),
        description: description(request),
    };
    let created = api
        .create_change_set(&input)
        .await
        .map_err(|e| api_diagnostics(&e))?;
    let mut plan = Plan {
        stack_name: request.stack_name.clone(),
        stack_status: stack.as_ref().map(|stack| stack.status.clone()),
        kind: if create {
            PlanKind::Create
        } else {
            PlanKind::Update
        },
        changes: Vec::new(),
        change_set_id: Some(created.change_set_id.clone()),
        change_set_kept: false,
        warnings,
        stack_id: Some(created.stack_id.clone()).filter(|id| !id.is_empty()),
        created_review_stack: create,
    };
    let first = match wait_for_change_set(api, request, &created.change_set_id).await {
        Ok(first) => first,
        Err(diagnostics) => {
            discard(api, &mut plan).await;
            return Err(diagnostics);
        }
    };
    if first.status == "FAILED" {
        let reason = first.status_reason.clone().unwrap_or_default();
        discard(api, &mut plan).await;
        if is_no_changes(&reason) {
            return Ok(plan);
        }
        return Err(vec![Diagnostic::new(
            Code::CHANGE_SET_FAILED,
            format!("change set for stack `{}` failed", request.stack_name),
        )
        .note(format!("CloudFormation says: {reason}"))
        .help("Fix what CloudFormation names; template errors usually come from a value in the `.pipe` file.")]);
    }
    let mut raw = first.changes;
    let mut next_token = first.next_token;
    while let Some(token) = next_token {
        match api
            .describe_change_set(&request.stack_name, &created.change_set_id, Some(&token))
            .await
        {
            Ok(page) => {
                raw.extend(page.changes);
                next_token = page.next_token;
            }
            Err(error) => {
                discard(api, &mut plan).await;
                return Err(api_diagnostics(&error));
            }
        }
    }
    plan.changes = changes_of(
        api,
        &request.stack_name,
        create,
        &raw,
        &request.manifest,
        &request.template_body,
    )
    .await;
    if keep {
        plan.change_set_kept = true;
    } else {
        discard(api, &mut plan).await;
    }
    Ok(plan)
}

/// Marks the template's SHA-256 in a change set's description, so that `apply --change-set`
/// can tell whether the build still matches without downloading the template.
pub(crate) const TEMPLATE_HASH_MARK: &str = "template sha256 ";

/// The change set's description: what was planned, and the template's hash.
fn description(request: &DeployRequest) -> String {
    let input: String = if request.manifest.input.is_empty() {
        "a build".to_string()
    } else {
        request.manifest.input.chars().take(800).collect()
    };
    format!(
        "pipec plan of {input}; {TEMPLATE_HASH_MARK}{}",
        tokens::sha256_hex(&request.template_body)
    )
}

/// True for CloudFormation's "nothing to do" reasons.
pub(crate) fn is_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Deletes the plan's change set, and the `REVIEW_IN_PROGRESS` stack a CREATE set made, so a
/// plan leaves nothing behind. Failures here are ignored: the plan result matters more.
pub(crate) async fn discard(api: &dyn CloudFormationApi, plan: &mut Plan) {
    if let Some(change_set_id) = plan.change_set_id.take() {
        let _ = api
            .delete_change_set(&plan.stack_name, &change_set_id)
            .await;
    }
    plan.change_set_kept = false;
    if plan.created_review_stack {
        plan.created_review_stack = false;
        let stack = plan
            .stack_id
            .clone()
            .unwrap_or_else(|| plan.stack_name.clone());
        if let Ok(Some(info)) = api.describe_stack(&stack).await {
            if info.status == "REVIEW_IN_PROGRESS" {
                let _ = api
                    .delete_stack(&stack, &tokens::client_token("discard", &plan.stack_name))
                    .await;
            }
        }
    }
}

async fn stage_template(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    sink: &dyn ProgressSink,
) -> Result<Option<String>, Vec<Diagnostic>> {
    if request.template_body.len() <= MAX_INLINE_TEMPLATE_BYTES {
        return Ok(None);
    }
    sink.event(&ProgressEvent::UploadingTemplate {
        bytes: request.template_body.len(),
    });
    let key = format!(
        "pipec/{}/{}.json",
        request.stack_name,
        tokens::sha256_hex(&request.template_body)
    );
    let url = api
        .upload_template(
            request.options.template_bucket.as_deref(),
            &key,
            &request.template_body,
        )
        .await
        .map_err(|e| api_diagnostics(&e))?;
    Ok(Some(url))
}

pub(crate) async fn wait_for_change_set(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    change_set_id: &str,
) -> Result<ChangeSetPage, Vec<Diagnostic>> {
    let mut delay = request.options.poll.initial;
    loop {
        let page = api
            .describe_change_set(&request.stack_name, change_set_id, None)
            .await
            .map_err(|e| api_diagnostics(&e))?;
        if !matches!(
            page.status.as_str(),
            "CREATE_PENDING" | "CREATE_IN_PROGRESS"
        ) {
            return Ok(page);
        }
        if request.options.cancel.is_cancelled() {
            return Err(vec![Diagnostic::new(Code::CHANGE_SET_FAILED, "planning was interrupted")
                .note("The change set was being created when pipec was asked to stop; it has been deleted.")]);
        }
        sleep(delay, &request.options.cancel).await;
        delay = request.options.poll.next(delay);
    }
}

/// A plan made without a change set for a stack that must be deleted and created again.
fn recreate_plan(request: &DeployRequest, stack: &StackInfo, warnings: Vec<Diagnostic>) -> Plan {
    let template = serde_json::from_str::<Value>(&request.template_body).unwrap_or(Value::Null);
    let mut changes: Vec<ResourceChange> = template
        .get("Resources")
        .and_then(Value::as_object)
        .map(|resources| {
            resources
                .iter()
                .map(|(logical_id, body)| {
                    let resource_type =
                        body.get("Type").and_then(Value::as_str).unwrap_or_default();
                    new_change(
                        ChangeAction::Add,
                        logical_id,
                        resource_type,
                        None,
                        &request.manifest,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    changes.sort_by_key(ResourceChange::order_key);
    Plan {
        stack_name: request.stack_name.clone(),
        stack_status: Some(stack.status.clone()),
        kind: PlanKind::Recreate,
        changes,
        change_set_id: None,
        change_set_kept: false,
        warnings,
        stack_id: Some(stack.stack_id.clone()),
        created_review_stack: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_change_reasons_are_recognised() {
        assert!(is_no_changes("The submitted information didn't contain changes. Submit different information to create a change set."));
        assert!(!is_no_changes("Template format error"));
    }
}
