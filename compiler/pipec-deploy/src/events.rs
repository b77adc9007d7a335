//! The structured progress events deploy reports while it works (change sets, stack events,
//! waiting), and what a stack status means for them. Plain data: following the stack is in
//! `progress.rs`, rendering in `render.rs` and the CLI.

use serde::Serialize;

use crate::api::StackEvent;
use crate::manifest::Manifest;

/// One thing the CLI may show while deploy works.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// Another operation runs on the stack; deploy waits for it to settle.
    WaitingForStack {
        /// The stack.
        stack_name: String,
        /// Its current status.
        status: String,
    },
    /// A template over 51,200 bytes is being staged in S3.
    UploadingTemplate {
        /// Its size.
        bytes: usize,
    },
    /// A change set is being created.
    CreatingChangeSet {
        /// The stack.
        stack_name: String,
        /// The change set.
        change_set_name: String,
        /// True for a new stack.
        create: bool,
    },
    /// A stack left in `ROLLBACK_COMPLETE` is deleted before it is created again.
    DeletingFailedStack {
        /// The stack.
        stack_name: String,
    },
    /// The change set is being executed.
    Executing {
        /// The stack.
        stack_name: String,
    },
    /// The stack is being deleted.
    Deleting {
        /// The stack.
        stack_name: String,
    },
    /// A stack event, with the `.pipe` block that declared the resource.
    Resource {
        /// The logical id (the stack name for the stack itself).
        logical_id: String,
        /// Its type.
        resource_type: String,
        /// `CREATE_IN_PROGRESS`, `CREATE_FAILED`, …
        status: String,
        /// CloudFormation's reason.
        reason: Option<String>,
        /// The `.pipe` block, when the manifest knows the resource.
        block: Option<String>,
        /// `file:line` of that block.
        source: Option<String>,
    },
    /// The stack operation ended.
    Settled {
        /// The stack.
        stack_name: String,
        /// The final status.
        status: String,
    },
}

impl ProgressEvent {
    /// The event for a stack event, with its manifest entry.
    #[must_use]
    pub fn from_stack_event(event: &StackEvent, manifest: &Manifest) -> Self {
        let entry = manifest.resource(&event.logical_id);
        ProgressEvent::Resource {
            logical_id: event.logical_id.clone(),
            resource_type: event.resource_type.clone(),
            status: event.status.clone(),
            reason: event.reason.clone(),
            block: entry
                .map(|entry| entry.block.clone())
                .filter(|block| !block.is_empty()),
            source: entry
                .map(|entry| entry.source.clone())
                .filter(|source| !source.is_empty()),
        }
    }
}

/// True while an operation runs on the stack (`REVIEW_IN_PROGRESS` is not an operation).
#[must_use]
pub fn is_in_progress(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS"
}
