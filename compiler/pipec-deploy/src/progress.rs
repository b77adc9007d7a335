//! Following a stack operation: polling with backoff, showing each stack event once (as
//! [`ProgressEvent`]s, `events.rs`), and stopping early when the CLI's cancel flag is set. The
//! stack operation itself is never cancelled from here.

use std::collections::HashSet;
use std::time::Duration;

use crate::api::{ApiResult, CloudFormationApi, StackEvent};
use crate::events::{is_in_progress, ProgressEvent};
use crate::manifest::Manifest;
use crate::options::{CancelFlag, DeployOptions, ProgressSink};

/// How following ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FollowResult {
    /// The settled status (`DELETE_COMPLETE` when the stack is gone).
    pub status: String,
    /// Every new event, oldest first.
    pub events: Vec<StackEvent>,
    /// True when the CLI's cancel flag stopped the following.
    pub cancelled: bool,
}

/// The ids of the events already on the stack, so that following shows only new ones.
pub(crate) async fn seen_event_ids(
    api: &dyn CloudFormationApi,
    stack: &str,
) -> ApiResult<HashSet<String>> {
    let page = api.describe_stack_events(stack, None).await?;
    Ok(page
        .events
        .into_iter()
        .map(|event| event.event_id)
        .collect())
}

/// New events since the last call (newest-first pages, read until a seen one), oldest first.
async fn new_events(
    api: &dyn CloudFormationApi,
    stack: &str,
    seen: &mut HashSet<String>,
) -> ApiResult<Vec<StackEvent>> {
    let mut fresh = Vec::new();
    let mut next_token: Option<String> = None;
    'pages: for _ in 0..20 {
        let page = api
            .describe_stack_events(stack, next_token.as_deref())
            .await?;
        for event in page.events {
            if seen.contains(&event.event_id) {
                break 'pages;
            }
            fresh.push(event);
        }
        match page.next_token {
            Some(token) => next_token = Some(token),
            None => break,
        }
    }
    for event in &fresh {
        seen.insert(event.event_id.clone());
    }
    fresh.reverse();
    Ok(fresh)
}

/// Sleeps for `delay`, waking early when cancelled.
pub(crate) async fn sleep(delay: Duration, cancel: &CancelFlag) {
    let slice = Duration::from_millis(100);
    let mut left = delay;
    while !left.is_zero() && !cancel.is_cancelled() {
        let step = left.min(slice);
        tokio::time::sleep(step).await;
        left = left.saturating_sub(step);
    }
}

/// Polls the stack (by id, so a deleted stack can still be read) until no operation runs.
pub(crate) async fn follow(
    api: &dyn CloudFormationApi,
    stack_id: &str,
    stack_name: &str,
    mut seen: HashSet<String>,
    manifest: &Manifest,
    options: &DeployOptions,
    sink: &dyn ProgressSink,
) -> ApiResult<FollowResult> {
    let mut result = FollowResult::default();
    let mut delay = options.poll.initial;
    loop {
        let fresh = new_events(api, stack_id, &mut seen).await?;
        for event in &fresh {
            sink.event(&ProgressEvent::from_stack_event(event, manifest));
        }
        let quiet = fresh.is_empty();
        result.events.extend(fresh);
        let status = api
            .describe_stack(stack_id)
            .await?
            .map_or_else(|| "DELETE_COMPLETE".to_string(), |stack| stack.status);
        if !is_in_progress(&status) {
            if let Ok(last) = new_events(api, stack_id, &mut seen).await {
                for event in &last {
                    sink.event(&ProgressEvent::from_stack_event(event, manifest));
                }
                result.events.extend(last);
            }
            sink.event(&ProgressEvent::Settled {
                stack_name: stack_name.to_string(),
                status: status.clone(),
            });
            result.status = status;
            return Ok(result);
        }
        if options.cancel.is_cancelled() {
            result.status = status;
            result.cancelled = true;
            return Ok(result);
        }
        delay = if quiet {
            options.poll.next(delay)
        } else {
            options.poll.initial
        };
        sleep(delay, &options.cancel).await;
        if options.cancel.is_cancelled() {
            result.status = status;
            result.cancelled = true;
            return Ok(result);
        }
    }
}
