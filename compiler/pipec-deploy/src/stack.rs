//! The stack's state machine as deploy sees it: read the stack, wait out (or with `no_wait`
//! refuse) a running operation, and sort the settled states into what planning can use
//! ([`StackState`]) and the ones it refuses, each with its diagnostic.

use pipec_diagnostics::{Code, Diagnostic};

use crate::api::{CloudFormationApi, StackInfo};
use crate::errors::api_diagnostics;
use crate::events::{is_in_progress, ProgressEvent};
use crate::options::{DeployRequest, ProgressSink};
use crate::progress::{follow, seen_event_ids};

/// The stack's state as far as planning cares.
pub(crate) enum StackState {
    Missing,
    Review(StackInfo),
    FailedCreate(StackInfo),
    Ready(StackInfo),
}

/// Reads the stack and waits out (or, with `no_wait`, refuses) a running operation. `None`: no
/// stack of that name.
pub(crate) async fn settled_stack(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    sink: &dyn ProgressSink,
) -> Result<Option<StackInfo>, Vec<Diagnostic>> {
    let stack_name = request.stack_name.as_str();
    for _ in 0..5 {
        let Some(stack) = api
            .describe_stack(stack_name)
            .await
            .map_err(|e| api_diagnostics(&e))?
        else {
            return Ok(None);
        };
        if !is_in_progress(&stack.status) {
            return Ok(Some(stack));
        }
        if request.options.no_wait {
            return Err(vec![busy_diagnostic(&stack)]);
        }
        sink.event(&ProgressEvent::WaitingForStack {
            stack_name: stack_name.to_string(),
            status: stack.status.clone(),
        });
        let seen = seen_event_ids(api, &stack.stack_id)
            .await
            .map_err(|e| api_diagnostics(&e))?;
        let result = follow(
            api,
            &stack.stack_id,
            stack_name,
            seen,
            &request.manifest,
            &request.options,
            sink,
        )
        .await
        .map_err(|e| api_diagnostics(&e))?;
        if result.cancelled {
            return Err(vec![busy_diagnostic(&stack)]);
        }
    }
    Err(vec![Diagnostic::new(
        Code::STACK_BUSY,
        format!("stack `{stack_name}` kept starting new operations while pipec waited"),
    )
    .help(
        "Find out who else deploys this stack, then run the command again.",
    )])
}

/// Reads the stack, waits out a running operation, and rejects unusable states.
pub(crate) async fn stack_state(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    sink: &dyn ProgressSink,
    warnings: &mut Vec<Diagnostic>,
) -> Result<StackState, Vec<Diagnostic>> {
    let stack_name = request.stack_name.as_str();
    let Some(stack) = settled_stack(api, request, sink).await? else {
        return Ok(StackState::Missing);
    };
    match stack.status.as_str() {
        "REVIEW_IN_PROGRESS" => {
            warnings.push(
                Diagnostic::new(
                    Code::STACK_REVIEW_IN_PROGRESS,
                    format!("stack `{stack_name}` was left in `REVIEW_IN_PROGRESS` by an earlier change set"),
                )
                .note("An earlier change set created the stack but was never executed; the stack has no resources.")
                .help("Nothing to do: it is planned as a new stack. `pipec destroy` removes the empty stack."),
            );
            Ok(StackState::Review(stack))
        }
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" if request.options.replace_failed => {
            Ok(StackState::FailedCreate(stack))
        }
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => Err(vec![failed_create_diagnostic(&stack)]),
        "UPDATE_ROLLBACK_FAILED" => Err(vec![update_rollback_failed_diagnostic(&stack)]),
        "DELETE_FAILED" => Err(vec![delete_failed_diagnostic(&stack)]),
        _ => Ok(StackState::Ready(stack)),
    }
}

fn with_reason(diag: Diagnostic, stack: &StackInfo) -> Diagnostic {
    match &stack.status_reason {
        Some(reason) => diag.note(format!("CloudFormation says: {reason}")),
        None => diag,
    }
}

pub(crate) fn busy_diagnostic(stack: &StackInfo) -> Diagnostic {
    Diagnostic::new(
        Code::STACK_BUSY,
        format!("stack `{}` is busy: `{}`", stack.stack_name, stack.status),
    )
    .note("CloudFormation runs one operation per stack at a time.")
    .help(format!(
        "Run again without `--no-wait` to wait for it, or watch it with `aws cloudformation describe-stack-events --stack-name {}`.",
        stack.stack_name
    ))
}

pub(crate) fn failed_create_diagnostic(stack: &StackInfo) -> Diagnostic {
    with_reason(
        Diagnostic::new(
            Code::STACK_CREATE_FAILED,
            format!("stack `{}` is in `{}` after a failed create", stack.stack_name, stack.status),
        )
        .note("A stack whose first creation failed cannot be updated; it can only be deleted."),
        stack,
    )
    .help("Fix the cause of the failed create, then run `pipec apply --replace-failed` to delete the empty stack and create it again.")
}

pub(crate) fn update_rollback_failed_diagnostic(stack: &StackInfo) -> Diagnostic {
    with_reason(
        Diagnostic::new(
            Code::STACK_UPDATE_ROLLBACK_FAILED,
            format!("stack `{}` is in `UPDATE_ROLLBACK_FAILED`", stack.stack_name),
        )
        .note("An update failed and so did the rollback to the previous state; CloudFormation accepts no update until the rollback is finished."),
        stack,
    )
    .help(format!(
        "Fix the cause in the stack's events, run `aws cloudformation continue-update-rollback --stack-name {}` (add `--resources-to-skip LOGICAL_ID` for a resource that cannot roll back), then run `pipec apply` again.",
        stack.stack_name
    ))
}

fn delete_failed_diagnostic(stack: &StackInfo) -> Diagnostic {
    with_reason(
        Diagnostic::new(
            Code::STACK_DELETE_FAILED,
            format!("stack `{}` is in `DELETE_FAILED`", stack.stack_name),
        )
        .note("Some resources could not be deleted; the stack accepts no update."),
        stack,
    )
    .help("Remove what blocked the deletion (a non-empty bucket, a role in use), then run `pipec destroy` again.")
}
