//! `pipec apply --change-set ID`: execute exactly the change set a person reviewed (kept by
//! `pipec plan --keep`). It must belong to the stack, be executable (`CREATE_COMPLETE` and
//! `AVAILABLE`), and have been made from the template compiled now; then the same data-loss
//! refusal, confirmation, execution and following as [`crate::apply`]. A refused or declined
//! change set is left in place: it is the reviewer's, not apply's.

use std::time::Instant;

use pipec_diagnostics::{Code, Diagnostic};
use serde_json::Value;

use crate::api::{ApiError, ChangeSetPage, CloudFormationApi};
use crate::apply::{approve, execute_plan, ApplyOutcome, ApplyReport, Ownership};
use crate::change_set::{is_no_changes, wait_for_change_set, TEMPLATE_HASH_MARK};
use crate::diff::changes_of;
use crate::errors::api_diagnostics;
use crate::options::{Confirmer, DeployRequest, ProgressSink};
use crate::plan::{Plan, PlanKind};
use crate::stack::{failed_create_diagnostic, stack_state, StackState};
use crate::tokens;

/// Applies the reviewed change set `change_set` (its ARN, or its name within the stack).
///
/// # Errors
/// As [`crate::apply`], and `P6020` when the change set is missing, belongs to another stack or
/// cannot be executed (failed, already executed, obsolete), `P6021` when the build no longer
/// matches the template the change set was made from.
pub async fn apply_change_set(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    change_set: &str,
    confirmer: &dyn Confirmer,
    sink: &dyn ProgressSink,
) -> Result<ApplyReport, Vec<Diagnostic>> {
    let started = Instant::now();
    // The `REVIEW_IN_PROGRESS` warning is about stray change sets; a reviewed CREATE set
    // leaves its stack in that state on purpose.
    let mut ignored = Vec::new();
    let (stack, create) = match stack_state(api, request, sink, &mut ignored).await? {
        StackState::Missing => return Err(vec![missing(request, change_set)]),
        StackState::FailedCreate(stack) => return Err(vec![failed_create_diagnostic(&stack)]),
        StackState::Review(stack) => (stack, true),
        StackState::Ready(stack) => (stack, false),
    };
    let mut first = describe(api, request, change_set, None).await?;
    let name = if first.change_set_name.is_empty() {
        change_set.to_string()
    } else {
        first.change_set_name.clone()
    };
    let same_stack = first.stack_name == request.stack_name
        || (!first.stack_id.is_empty() && first.stack_id == stack.stack_id);
    if !same_stack {
        return Err(vec![unusable(
            format!(
                "change set `{name}` belongs to stack `{}`, not `{}`",
                first.stack_name, request.stack_name
            ),
            None,
        )
        .help(format!(
            "Apply a change set of stack `{}` (`pipec plan --keep` prints one), or pass `--stack-name {}` if that stack is meant.",
            request.stack_name, first.stack_name
        ))]);
    }
    if matches!(
        first.status.as_str(),
        "CREATE_PENDING" | "CREATE_IN_PROGRESS"
    ) {
        first = wait_for_change_set(api, request, change_set).await?;
    }
    check_executable(&first, &name)?;
    check_template(api, request, &first, change_set, &name).await?;
    let mut raw = std::mem::take(&mut first.changes);
    let mut next_token = first.next_token.take();
    while let Some(token) = next_token {
        let page = describe(api, request, change_set, Some(&token)).await?;
        raw.extend(page.changes);
        next_token = page.next_token;
    }
    let changes = changes_of(
        api,
        &stack.stack_id,
        create,
        &raw,
        &request.manifest,
        &request.template_body,
    )
    .await;
    let mut plan = Plan {
        stack_name: request.stack_name.clone(),
        stack_status: Some(stack.status.clone()),
        kind: if create {
            PlanKind::Create
        } else {
            PlanKind::Update
        },
        changes,
        change_set_id: Some(if first.change_set_id.is_empty() {
            change_set.to_string()
        } else {
            first.change_set_id.clone()
        }),
        change_set_kept: true,
        warnings: Vec::new(),
        stack_id: Some(stack.stack_id.clone()).filter(|id| !id.is_empty()),
        created_review_stack: false,
    };
    if !approve(api, request, &mut plan, confirmer, Ownership::Reviewed).await? {
        return Ok(ApplyReport {
            outcome: ApplyOutcome::Declined,
            plan,
            final_status: None,
            outputs: Vec::new(),
            failures: Vec::new(),
            elapsed_secs: started.elapsed().as_secs_f64(),
            diagnostics: Vec::new(),
        });
    }
    execute_plan(api, request, plan, started, sink, Ownership::Reviewed).await
}

/// One page of the change set; "does not exist" becomes `P6020`.
async fn describe(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    change_set: &str,
    next_token: Option<&str>,
) -> Result<ChangeSetPage, Vec<Diagnostic>> {
    api.describe_change_set(&request.stack_name, change_set, next_token)
        .await
        .map_err(|error| {
            if is_change_set_missing(&error) {
                vec![not_found(request, change_set)]
            } else {
                api_diagnostics(&error)
            }
        })
}

fn is_change_set_missing(error: &ApiError) -> bool {
    error.code.starts_with("ChangeSetNotFound")
        || (error.code == "ValidationError" && error.message.contains("does not exist"))
}

fn unusable(message: String, reason: Option<&str>) -> Diagnostic {
    let diag = Diagnostic::new(Code::CHANGE_SET_UNUSABLE, message);
    match reason.filter(|reason| !reason.is_empty()) {
        Some(reason) => diag.note(format!("CloudFormation says: {reason}")),
        None => diag,
    }
}

const PLAN_AGAIN: &str =
    "Run `pipec plan FILE --keep` again and apply the change set it prints, or run `pipec apply FILE` without `--change-set`.";

fn not_found(request: &DeployRequest, change_set: &str) -> Diagnostic {
    unusable(
        format!(
            "change set `{change_set}` does not exist for stack `{}`",
            request.stack_name
        ),
        None,
    )
    .note("CloudFormation deletes a change set once it is executed, and the stack's other change sets with it.")
    .help(PLAN_AGAIN)
}

fn missing(request: &DeployRequest, change_set: &str) -> Diagnostic {
    Diagnostic::new(
        Code::STACK_NOT_FOUND,
        format!(
            "stack `{}` does not exist, so change set `{change_set}` cannot be applied",
            request.stack_name
        ),
    )
    .note("A change set lives in its stack; the stack (or the `REVIEW_IN_PROGRESS` placeholder of a new one) was deleted.")
    .help(PLAN_AGAIN)
}

/// `CREATE_COMPLETE` and `AVAILABLE`, else why not.
fn check_executable(page: &ChangeSetPage, name: &str) -> Result<(), Vec<Diagnostic>> {
    let reason = page.status_reason.as_deref();
    let diag = match (page.status.as_str(), page.execution_status.as_str()) {
        ("CREATE_COMPLETE", "AVAILABLE") => return Ok(()),
        ("FAILED", _) if reason.is_some_and(is_no_changes) => {
            unusable(format!("change set `{name}` has no changes to execute"), reason)
                .help("Nothing to apply: the stack already matched the build when it was planned.")
        }
        ("FAILED", _) => unusable(format!("change set `{name}` failed and cannot be executed"), reason)
            .help(PLAN_AGAIN),
        (_, "EXECUTE_COMPLETE") => unusable(format!("change set `{name}` was already executed"), reason)
            .help("Run `pipec plan FILE` to see whether anything is left to change."),
        (_, "EXECUTE_IN_PROGRESS") => unusable(format!("change set `{name}` is being executed"), reason)
            .help("Wait for the stack to settle, then run `pipec plan FILE` to see whether anything is left."),
        (_, "EXECUTE_FAILED") => unusable(format!("change set `{name}` was executed and failed"), reason)
            .help(PLAN_AGAIN),
        (_, "OBSOLETE") => unusable(
            format!("change set `{name}` is obsolete: the stack changed after it was made"),
            reason,
        )
        .help(PLAN_AGAIN),
        (status, execution) => unusable(
            format!("change set `{name}` cannot be executed (`{status}`, `{execution}`)"),
            reason,
        )
        .help(PLAN_AGAIN),
    };
    Err(vec![diag])
}

/// The template the change set was made from must be the one compiled now: the hash `pipec
/// plan` writes into the description, else the change set's template itself.
async fn check_template(
    api: &dyn CloudFormationApi,
    request: &DeployRequest,
    page: &ChangeSetPage,
    change_set: &str,
    name: &str,
) -> Result<(), Vec<Diagnostic>> {
    let recorded = page
        .description
        .as_deref()
        .and_then(|text| text.split_once(TEMPLATE_HASH_MARK))
        .map(|(_, rest)| rest.chars().take(64).collect::<String>())
        .filter(|hash| hash.len() == 64);
    let same = match recorded {
        Some(hash) => hash == tokens::sha256_hex(&request.template_body),
        None => {
            let stack = if page.stack_id.is_empty() {
                request.stack_name.as_str()
            } else {
                page.stack_id.as_str()
            };
            let text = api
                .get_change_set_template(stack, change_set)
                .await
                .map_err(|e| api_diagnostics(&e))?;
            same_template(&text, &request.template_body)
        }
    };
    if same {
        return Ok(());
    }
    Err(vec![Diagnostic::new(
        Code::CHANGE_SET_OUTDATED,
        format!("change set `{name}` was made from another build"),
    )
    .note("The template compiled now differs from the one the change set was created from: the `.pipe` file, a `--var` value or pipec changed since `pipec plan --keep`.")
    .help(PLAN_AGAIN)])
}

/// Equal as JSON (key order and spacing aside), else as text.
fn same_template(deployed: &str, compiled: &str) -> bool {
    match (
        serde_json::from_str::<Value>(deployed),
        serde_json::from_str::<Value>(compiled),
    ) {
        (Ok(left), Ok(right)) => left == right,
        _ => deployed.trim() == compiled.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compare_as_json() {
        assert!(same_template(
            "{\"a\": 1, \"b\": [2]}",
            "{\"b\":[2],\"a\":1}"
        ));
        assert!(!same_template("{\"a\": 1}", "{\"a\": 2}"));
        assert!(same_template("a: 1\n", "a: 1"));
    }

    #[test]
    fn missing_change_sets_are_recognised() {
        let aws = ApiError::service(
            "DescribeChangeSet",
            "ChangeSetNotFound",
            "ChangeSet [x] does not exist",
        );
        let moto = ApiError::service(
            "DescribeChangeSet",
            "ValidationError",
            "Stack with id x does not exist",
        );
        let other = ApiError::service("DescribeChangeSet", "ValidationError", "bad name");
        assert!(is_change_set_missing(&aws));
        assert!(is_change_set_missing(&moto));
        assert!(!is_change_set_missing(&other));
    }
}
