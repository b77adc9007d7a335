//! `pipec plan`: decide CREATE or UPDATE from the stack's state, create a change set with the
//! manifest's capabilities, wait for it, read every page with property values, and build the
//! diff model (grouped by `.pipe` block, IAM first, data loss flagged). Rendering is in
//! `render.rs`; this module only computes.

use std::collections::BTreeMap;

use pipec_diagnostics::{Code, Diagnostic};
use serde::Serialize;
use serde_json::Value;

use crate::api::{
    ChangeSetPage, CloudFormationApi, CreateChangeSetInput, RawChangeDetail, RawResourceChange,
    StackInfo,
};
use crate::errors::api_diagnostics;
use crate::manifest::{parse_source, Manifest};
use crate::options::{DeployRequest, ProgressSink};
use crate::progress::{follow, is_in_progress, seen_event_ids, sleep, ProgressEvent};
use crate::tokens;

/// CloudFormation's limit for an inline `TemplateBody`.
pub const MAX_INLINE_TEMPLATE_BYTES: usize = 51_200;

/// What happens to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// `+` created.
    Add,
    /// `~` changed in place.
    Modify,
    /// `-/+` deleted and created again (a new physical resource).
    Replace,
    /// `-` deleted.
    Remove,
    /// Imported into the stack.
    Import,
    /// Decided only at execution time.
    Dynamic,
}

impl ChangeAction {
    /// The marker shown before the resource.
    #[must_use]
    pub fn marker(self) -> &'static str {
        match self {
            ChangeAction::Add => "+",
            ChangeAction::Modify => "~",
            ChangeAction::Replace => "-/+",
            ChangeAction::Remove => "-",
            ChangeAction::Import => "<=",
            ChangeAction::Dynamic => "?",
        }
    }
}

/// One changed property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PropertyChange {
    /// The property (or `Tags`, `Metadata`, …).
    pub name: String,
    /// The value before, rendered short, when known.
    pub before: Option<String>,
    /// The value after, rendered short, when known.
    pub after: Option<String>,
    /// `never`, `conditionally` or `always`: whether this change replaces the resource.
    pub recreation: String,
    /// The resource or parameter whose change causes this one, when it is not a direct edit.
    pub caused_by: Option<String>,
}

/// One resource in the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceChange {
    /// What happens.
    pub action: ChangeAction,
    /// For `Replace`: true when CloudFormation says "Conditional" (decided during execution).
    pub conditional: bool,
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// The physical id of an existing resource.
    pub physical_id: Option<String>,
    /// The `.pipe` block (`repo.app`); empty for shared resources.
    pub block: String,
    /// `file:line` of the block.
    pub source: Option<String>,
    /// True when the resource holds data (manifest `data: true`).
    pub data: bool,
    /// True for `AWS::IAM::*` resources.
    pub iam: bool,
    /// Why it is replaced.
    pub replacement_reasons: Vec<String>,
    /// The properties that change.
    pub properties: Vec<PropertyChange>,
    /// True for a replaced EC2 instance that a deployment group selects: the new instance
    /// starts without the application, because CodeDeploy deploys on its own only to Auto
    /// Scaling groups (aws-facts §9), until the pipeline runs again.
    pub needs_redeploy: bool,
}

impl ResourceChange {
    /// True when applying would delete or replace data.
    #[must_use]
    pub fn loses_data(&self) -> bool {
        self.data && matches!(self.action, ChangeAction::Remove | ChangeAction::Replace)
    }

    fn order_key(&self) -> (bool, String, u32, String, String) {
        let (file, line) = self
            .source
            .as_deref()
            .and_then(parse_source)
            .unwrap_or_default();
        (
            !self.iam,
            file,
            line,
            self.block.clone(),
            self.logical_id.clone(),
        )
    }
}

/// How the stack will be changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// The stack does not exist (or only as an unexecuted change set's `REVIEW_IN_PROGRESS`).
    Create,
    /// The stack exists and is updated.
    Update,
    /// The stack is in `ROLLBACK_COMPLETE`: apply deletes it and creates it again.
    Recreate,
}

/// The exit status `--detailed-exitcode` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanExit {
    /// 0: nothing would change.
    NoChanges,
    /// 1: the plan failed.
    Error,
    /// 2: something would change.
    Changes,
}

impl PlanExit {
    /// The process exit code.
    #[must_use]
    pub fn code(self) -> i32 {
        match self {
            PlanExit::NoChanges => 0,
            PlanExit::Error => 1,
            PlanExit::Changes => 2,
        }
    }
}

/// The result of `plan`, also the first half of `apply`. Serializes to the plan JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    /// The stack.
    pub stack_name: String,
    /// The stack's status before the plan (`None`: no stack).
    pub stack_status: Option<String>,
    /// Create, update, or recreate.
    pub kind: PlanKind,
    /// The changes, IAM first, then by `.pipe` source position.
    pub changes: Vec<ResourceChange>,
    /// The change set, while it exists (kept by `plan --keep` and by `apply`).
    pub change_set_id: Option<String>,
    /// True when the change set was left in place.
    pub change_set_kept: bool,
    /// Warnings met while planning (e.g. `P6013`); rendered by the CLI.
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
    #[serde(skip)]
    pub(crate) stack_id: Option<String>,
    #[serde(skip)]
    pub(crate) created_review_stack: bool,
}

impl Plan {
    /// True when nothing would change.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.kind != PlanKind::Recreate
    }

    /// `--detailed-exitcode` status.
    #[must_use]
    pub fn exit(&self) -> PlanExit {
        if self.is_empty() {
            PlanExit::NoChanges
        } else {
            PlanExit::Changes
        }
    }

    /// The changes that delete or replace a data resource.
    #[must_use]
    pub fn data_loss(&self) -> Vec<&ResourceChange> {
        self.changes
            .iter()
            .filter(|change| change.loses_data())
            .collect()
    }

    /// Counts of (add, modify, replace, remove).
    #[must_use]
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let count = |action| {
            self.changes
                .iter()
                .filter(|change| change.action == action)
                .count()
        };
        (
            count(ChangeAction::Add) + count(ChangeAction::Import),
            count(ChangeAction::Modify) + count(ChangeAction::Dynamic),
            count(ChangeAction::Replace),
            count(ChangeAction::Remove),
        )
    }

    /// The plan as pretty JSON: the plan's fields plus `exit_code` (the `--detailed-exitcode`
    /// value) and `summary` (counts by action).
    #[must_use]
    pub fn to_json(&self) -> String {
        let (add, change, replace, remove) = self.counts();
        let json = PlanJson {
            plan: self,
            exit_code: self.exit().code(),
            summary: PlanSummary {
                add,
                change,
                replace,
                remove,
                data_loss: self.data_loss().len(),
            },
        };
        serde_json::to_string_pretty(&json).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct PlanJson<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    exit_code: i32,
    summary: PlanSummary,
}

#[derive(Serialize)]
struct PlanSummary {
    add: usize,
    change: usize,
    replace: usize,
    remove: usize,
    data_loss: usize,
}

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
    let deployed =
        if !create && (needs_deployed_template(&raw) || removes_unknown(&raw, &request.manifest)) {
            api.get_template(&request.stack_name)
                .await
                .ok()
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        } else {
            None
        };
    let proposed = serde_json::from_str::<Value>(&request.template_body).ok();
    plan.changes = build_changes(
        &raw,
        &request.manifest,
        deployed.as_ref(),
        proposed.as_ref(),
    );
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

pub(crate) fn new_change(
    action: ChangeAction,
    logical_id: &str,
    resource_type: &str,
    physical_id: Option<String>,
    manifest: &Manifest,
) -> ResourceChange {
    let entry = manifest.resource(logical_id);
    ResourceChange {
        action,
        conditional: false,
        logical_id: logical_id.to_string(),
        resource_type: resource_type.to_string(),
        physical_id,
        block: entry.map(|entry| entry.block.clone()).unwrap_or_default(),
        source: entry
            .map(|entry| entry.source.clone())
            .filter(|source| !source.is_empty()),
        data: entry.is_some_and(|entry| entry.data),
        iam: resource_type.starts_with("AWS::IAM::"),
        replacement_reasons: Vec::new(),
        properties: Vec::new(),
        needs_redeploy: false,
    }
}

pub(crate) fn needs_deployed_template(raw: &[RawResourceChange]) -> bool {
    raw.iter().any(|change| {
        change.action == "Modify"
            && change.before_context.is_none()
            && change
                .details
                .iter()
                .all(|detail| detail.before_value.is_none() && detail.after_value.is_none())
    })
}

/// True when a removed resource is not in the (new) manifest: its block, source and data flag
/// then come from the deployed template.
pub(crate) fn removes_unknown(raw: &[RawResourceChange], manifest: &Manifest) -> bool {
    raw.iter()
        .any(|change| change.action == "Remove" && manifest.resource(&change.logical_id).is_none())
}

/// Fills a removed resource's block, source and data flag from the deployed template: the
/// `Metadata.pipec` that emit writes, and `DeletionPolicy: Retain` (emit's mark of data).
fn from_deployed(resource: &mut ResourceChange, deployed: Option<&Value>) {
    let Some(body) = deployed
        .and_then(|template| template.get("Resources"))
        .and_then(|resources| resources.get(&resource.logical_id))
    else {
        return;
    };
    let meta = body.pointer("/Metadata/pipec");
    let field = |name: &str| {
        meta.and_then(|meta| meta.get(name))
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(ToString::to_string)
    };
    if let Some(block) = field("block") {
        resource.block = block;
    }
    if resource.source.is_none() {
        resource.source = field("source");
    }
    let policy = body.get("DeletionPolicy").and_then(Value::as_str);
    resource.data |= matches!(policy, Some("Retain" | "RetainExceptOnCreate" | "Snapshot"));
}

/// Builds the diff model from CloudFormation's changes.
pub(crate) fn build_changes(
    raw: &[RawResourceChange],
    manifest: &Manifest,
    deployed: Option<&Value>,
    proposed: Option<&Value>,
) -> Vec<ResourceChange> {
    let mut changes: Vec<ResourceChange> = raw
        .iter()
        .map(|change| {
            let action = match (change.action.as_str(), change.replacement.as_str()) {
                ("Add", _) => ChangeAction::Add,
                ("Remove", _) => ChangeAction::Remove,
                ("Modify", "True" | "Conditional") => ChangeAction::Replace,
                ("Modify", _) => ChangeAction::Modify,
                ("Import", _) => ChangeAction::Import,
                _ => ChangeAction::Dynamic,
            };
            let mut resource = new_change(
                action,
                &change.logical_id,
                &change.resource_type,
                change.physical_id.clone(),
                manifest,
            );
            resource.conditional = change.replacement == "Conditional";
            if action == ChangeAction::Remove && manifest.resource(&change.logical_id).is_none() {
                from_deployed(&mut resource, deployed);
            }
            if matches!(
                action,
                ChangeAction::Modify | ChangeAction::Replace | ChangeAction::Dynamic
            ) {
                resource.properties = property_changes(change, deployed, proposed);
                resource.replacement_reasons = replacement_reasons(&change.details);
                if action == ChangeAction::Replace && resource.replacement_reasons.is_empty() {
                    resource
                        .replacement_reasons
                        .push("CloudFormation replaces it".to_string());
                }
            }
            resource.needs_redeploy = action == ChangeAction::Replace
                && change.resource_type == "AWS::EC2::Instance"
                && proposed.is_some_and(|template| deployed_to(template, &change.logical_id));
            resource
        })
        .collect();
    changes.sort_by_key(ResourceChange::order_key);
    changes
}

/// True when a deployment group of `template` selects the instance `logical_id` by its tags:
/// `Ec2TagFilters` are OR-ed, the groups of `Ec2TagSet` AND-ed (aws-facts §9).
fn deployed_to(template: &Value, logical_id: &str) -> bool {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return false;
    };
    let tags: Vec<(&str, &str)> = resources
        .get(logical_id)
        .and_then(|instance| instance.pointer("/Properties/Tags"))
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|tag| {
                    (
                        tag.get("Key").and_then(Value::as_str).unwrap_or_default(),
                        tag.get("Value").and_then(Value::as_str).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let matches = |filter: &Value| {
        let key = filter
            .get("Key")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let value = filter
            .get("Value")
            .and_then(Value::as_str)
            .unwrap_or_default();
        tags.iter()
            .any(|(k, v)| match filter.get("Type").and_then(Value::as_str) {
                Some("KEY_ONLY") => *k == key,
                Some("VALUE_ONLY") => *v == value,
                _ => *k == key && *v == value,
            })
    };
    resources.values().any(|resource| {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::CodeDeploy::DeploymentGroup")
        {
            return false;
        }
        if let Some(filters) = resource
            .pointer("/Properties/Ec2TagFilters")
            .and_then(Value::as_array)
        {
            return filters.iter().any(matches);
        }
        resource
            .pointer("/Properties/Ec2TagSet/Ec2TagSetList")
            .and_then(Value::as_array)
            .is_some_and(|groups| {
                !groups.is_empty()
                    && groups.iter().all(|group| {
                        group
                            .get("Ec2TagGroup")
                            .and_then(Value::as_array)
                            .is_some_and(|filters| filters.iter().any(matches))
                    })
            })
    })
}

fn detail_name(detail: &RawChangeDetail) -> String {
    match (&detail.name, &detail.path) {
        (Some(name), _) => name.clone(),
        (None, Some(path)) => path
            .trim_start_matches("/Properties/")
            .trim_start_matches('/')
            .to_string(),
        (None, None) => detail.attribute.clone(),
    }
}

fn replacement_reasons(details: &[RawChangeDetail]) -> Vec<String> {
    let mut reasons: Vec<String> = Vec::new();
    for detail in details {
        let reason = match detail.requires_recreation.as_str() {
            "Always" => format!("`{}` requires replacement", detail_name(detail)),
            "Conditionally" => format!("`{}` may require replacement", detail_name(detail)),
            _ => continue,
        };
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    reasons
}

/// The changed properties: CloudFormation's own values first, then its before/after contexts,
/// then a comparison of the deployed and the new template (for emulators that give neither).
fn property_changes(
    change: &RawResourceChange,
    deployed: Option<&Value>,
    proposed: Option<&Value>,
) -> Vec<PropertyChange> {
    let mut by_name: BTreeMap<String, PropertyChange> = BTreeMap::new();
    for detail in &change.details {
        let name = detail_name(detail);
        let entry = by_name
            .entry(name.clone())
            .or_insert_with(|| PropertyChange {
                name,
                before: None,
                after: None,
                recreation: String::new(),
                caused_by: None,
            });
        if entry.before.is_none() {
            entry.before = detail.before_value.as_deref().map(short_text);
        }
        if entry.after.is_none() {
            entry.after = detail.after_value.as_deref().map(short_text);
        }
        let recreation = detail.requires_recreation.to_lowercase();
        if rank(&recreation) > rank(&entry.recreation) {
            entry.recreation = recreation;
        }
        if detail.change_source.as_deref() != Some("DirectModification") {
            if let Some(cause) = &detail.causing_entity {
                entry.caused_by = Some(cause.clone());
            }
        }
    }
    let contexts = change
        .before_context
        .as_deref()
        .zip(change.after_context.as_deref())
        .and_then(|(before, after)| {
            Some((
                properties_of(&serde_json::from_str(before).ok()?),
                properties_of(&serde_json::from_str(after).ok()?),
            ))
        });
    let templates = || {
        let resource =
            |template: &Value| template.get("Resources")?.get(&change.logical_id).cloned();
        Some((
            resource(deployed?)
                .map(|r| properties_of(&r))
                .unwrap_or_default(),
            resource(proposed?)
                .map(|r| properties_of(&r))
                .unwrap_or_default(),
        ))
    };
    if let Some((before, after)) = contexts.or_else(templates) {
        let names: std::collections::BTreeSet<&String> =
            before.keys().chain(after.keys()).collect();
        for name in names {
            let (old, new) = (before.get(name), after.get(name));
            if old == new {
                continue;
            }
            let entry = by_name
                .entry(name.clone())
                .or_insert_with(|| PropertyChange {
                    name: name.clone(),
                    before: None,
                    after: None,
                    recreation: "never".to_string(),
                    caused_by: None,
                });
            if entry.before.is_none() {
                entry.before = old.map(short_value);
            }
            if entry.after.is_none() {
                entry.after = new.map(short_value);
            }
        }
    }
    by_name.into_values().collect()
}

fn rank(recreation: &str) -> u8 {
    match recreation {
        "always" => 3,
        "conditionally" => 2,
        "never" => 1,
        _ => 0,
    }
}

/// The `Properties` object of a resource (or the value itself when it has none).
fn properties_of(value: &Value) -> serde_json::Map<String, Value> {
    value
        .get("Properties")
        .unwrap_or(value)
        .as_object()
        .cloned()
        .unwrap_or_default()
}

const SHORT: usize = 80;

fn short_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ (Value::Array(_) | Value::Object(_))) => short_value(&value),
        _ => cut(text),
    }
}

/// A value in one short line: tag lists as `k=v, …`, strings as they are, the rest as JSON.
fn short_value(value: &Value) -> String {
    if let Some(tags) = as_tags(value) {
        return cut(&tags);
    }
    match value {
        Value::String(text) => cut(text),
        other => cut(&other.to_string()),
    }
}

fn as_tags(value: &Value) -> Option<String> {
    let items = value.as_array()?;
    let pairs: Option<Vec<String>> = items
        .iter()
        .map(|item| {
            let object = item.as_object()?;
            if object.len() != 2 {
                return None;
            }
            let key = object.get("Key")?.as_str()?;
            let value = object.get("Value")?;
            Some(format!(
                "{key}={}",
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), ToString::to_string)
            ))
        })
        .collect();
    pairs
        .filter(|pairs| !pairs.is_empty())
        .map(|pairs| pairs.join(", "))
}

fn cut(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > SHORT {
        format!("{}…", line.chars().take(SHORT).collect::<String>())
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_short() {
        let value: Value =
            serde_json::json!([{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "fe"}]);
        assert_eq!(short_value(&value), "env=dev, team=fe");
        assert_eq!(short_text("plain"), "plain");
        assert!(short_value(&Value::String("x".repeat(200))).ends_with('…'));
    }

    #[test]
    fn a_removed_resource_is_described_by_the_deployed_template() {
        // The new manifest no longer knows `RepoApp`; the deployed template does.
        let deployed = serde_json::json!({"Resources": {"RepoApp": {
            "Type": "AWS::CodeCommit::Repository",
            "DeletionPolicy": "Retain",
            "Metadata": {"pipec": {"block": "repo.app", "source": "pipeline.pipe:16"}}
        }}});
        let raw = vec![RawResourceChange {
            action: "Remove".to_string(),
            logical_id: "RepoApp".to_string(),
            resource_type: "AWS::CodeCommit::Repository".to_string(),
            ..RawResourceChange::default()
        }];
        let manifest = Manifest::default();
        assert!(removes_unknown(&raw, &manifest));
        let changes = build_changes(&raw, &manifest, Some(&deployed), None);
        assert_eq!(changes[0].block, "repo.app");
        assert_eq!(changes[0].source.as_deref(), Some("pipeline.pipe:16"));
        assert!(changes[0].loses_data());
        let unknown = build_changes(&raw, &manifest, None, None);
        assert!(!unknown[0].loses_data());
    }

    #[test]
    fn no_change_reasons_are_recognised() {
        assert!(is_no_changes("The submitted information didn't contain changes. Submit different information to create a change set."));
        assert!(!is_no_changes("Template format error"));
    }
}
