//! The plan model: what a change set would do to each resource ([`ResourceChange`], grouped by
//! `.pipe` block, IAM first, data loss flagged), the plan as a whole ([`Plan`]) and its JSON.
//! Building it from CloudFormation's changes is in `diff.rs`, the change-set lifecycle in
//! `change_set.rs`, rendering in `render.rs`; this module is plain data.

use pipec_diagnostics::Diagnostic;
use serde::Serialize;

use crate::manifest::parse_source;

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

    pub(crate) fn order_key(&self) -> (bool, String, u32, String, String) {
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
