//! An in-memory, scriptable [`CloudFormationApi`] for the faults moto cannot produce: resource
//! failures, rollbacks, replacements, throttling, 5xx, stacks stuck in an operation. Tests (here
//! and in the CLI) script what each call answers; the fake records every call it receives.
//! It is deterministic: ids are counters and timestamps are call numbers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use serde_json::Value;

use crate::api::{
    ApiError, ApiResult, BoxFuture, ChangeSetPage, CloudFormationApi, CreateChangeSetInput,
    CreatedChangeSet, Ec2Api, EventsPage, RawResourceChange, StackEvent, StackInfo, StackOutput,
    StackResource,
};

/// One step of a scripted stack operation: on the next `DescribeStacks`, the stack takes
/// `status` and these events are added.
#[derive(Clone, Debug, Default)]
pub struct FakeStep {
    /// The stack's status after this step.
    pub status: String,
    /// `(logical id, type, status, reason)` events added at this step.
    pub events: Vec<(String, String, String, Option<String>)>,
}

impl FakeStep {
    /// A step to `status` with no events.
    #[must_use]
    pub fn status(status: &str) -> Self {
        FakeStep {
            status: status.to_string(),
            events: Vec::new(),
        }
    }

    /// Adds a resource event.
    #[must_use]
    pub fn event(
        mut self,
        logical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<&str>,
    ) -> Self {
        self.events.push((
            logical_id.to_string(),
            resource_type.to_string(),
            status.to_string(),
            reason.map(ToString::to_string),
        ));
        self
    }
}

#[derive(Clone, Debug, Default)]
struct FakeStack {
    id: String,
    name: String,
    status: String,
    reason: Option<String>,
    template: String,
    outputs: Vec<StackOutput>,
    resources: Vec<StackResource>,
    events: Vec<StackEvent>,
    steps: VecDeque<FakeStep>,
    on_execute: Option<Vec<FakeStep>>,
    on_delete: Option<Vec<FakeStep>>,
}

#[derive(Clone, Debug)]
struct FakeChangeSet {
    name: String,
    stack_id: String,
    stack_name: String,
    description: String,
    execution_status: Option<String>,
    status: String,
    reason: Option<String>,
    changes: Vec<RawResourceChange>,
    template: String,
    create: bool,
}

#[derive(Debug, Default)]
struct State {
    counter: u64,
    stacks: BTreeMap<String, FakeStack>,
    deleted: BTreeMap<String, FakeStack>,
    change_sets: BTreeMap<String, FakeChangeSet>,
    next_changes: Option<Vec<RawResourceChange>>,
    next_change_set_failure: Option<String>,
    faults: VecDeque<(String, ApiError)>,
    calls: Vec<String>,
    page_size: usize,
}

/// The fake. Shared freely between tasks (all state is behind a mutex).
#[derive(Debug, Default)]
pub struct FakeCloudFormation {
    state: Mutex<State>,
}

fn lock(fake: &FakeCloudFormation) -> std::sync::MutexGuard<'_, State> {
    match fake.state.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl FakeCloudFormation {
    /// An empty account.
    #[must_use]
    pub fn new() -> Self {
        let fake = FakeCloudFormation::default();
        lock(&fake).page_size = 100;
        fake
    }

    /// Adds an existing stack in `status` with these `(logical id, type)` resources and template.
    pub fn add_stack(&self, name: &str, status: &str, resources: &[(&str, &str)], template: &str) {
        let mut state = lock(self);
        state.counter += 1;
        let id = format!(
            "arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/{}",
            state.counter
        );
        let resources = resources
            .iter()
            .map(|(logical_id, resource_type)| StackResource {
                logical_id: (*logical_id).to_string(),
                physical_id: Some(format!("{name}-{}", logical_id.to_lowercase())),
                resource_type: (*resource_type).to_string(),
                status: "CREATE_COMPLETE".to_string(),
                reason: None,
            })
            .collect();
        let stack = FakeStack {
            id,
            name: name.to_string(),
            status: status.to_string(),
            template: template.to_string(),
            resources,
            ..FakeStack::default()
        };
        state.stacks.insert(name.to_string(), stack);
    }

    /// Sets the stack's status reason.
    pub fn set_status_reason(&self, name: &str, reason: &str) {
        if let Some(stack) = lock(self).stacks.get_mut(name) {
            stack.reason = Some(reason.to_string());
        }
    }

    /// Sets the stack's outputs.
    pub fn set_outputs(&self, name: &str, outputs: &[(&str, &str)]) {
        if let Some(stack) = lock(self).stacks.get_mut(name) {
            stack.outputs = outputs
                .iter()
                .map(|(key, value)| StackOutput {
                    key: (*key).to_string(),
                    value: (*value).to_string(),
                    description: None,
                })
                .collect();
        }
    }

    /// Steps the stack goes through on the next `DescribeStacks` calls (an operation already
    /// running when pipec starts).
    pub fn queue_steps(&self, name: &str, steps: Vec<FakeStep>) {
        if let Some(stack) = lock(self).stacks.get_mut(name) {
            stack.steps.extend(steps);
        }
    }

    /// Steps the stack goes through after `ExecuteChangeSet` (default: straight to
    /// `CREATE_COMPLETE` / `UPDATE_COMPLETE`).
    pub fn on_execute(&self, name: &str, steps: Vec<FakeStep>) {
        let mut state = lock(self);
        let stack = state.stacks.entry(name.to_string()).or_default();
        stack.on_execute = Some(steps);
    }

    /// Steps after `DeleteStack` (default: `DELETE_COMPLETE` at once).
    pub fn on_delete(&self, name: &str, steps: Vec<FakeStep>) {
        let mut state = lock(self);
        let stack = state.stacks.entry(name.to_string()).or_default();
        stack.on_delete = Some(steps);
    }

    /// The changes the next change set reports (default: every template resource as `Add` for
    /// a new stack, "no changes" for an update).
    pub fn next_changes(&self, changes: Vec<RawResourceChange>) {
        lock(self).next_changes = Some(changes);
    }

    /// Makes the next change set end `FAILED` with this reason.
    pub fn fail_next_change_set(&self, reason: &str) {
        lock(self).next_change_set_failure = Some(reason.to_string());
    }

    /// Makes the next call of `operation` (e.g. `CreateChangeSet`) fail with `error`.
    pub fn fail_next(&self, operation: &str, error: ApiError) {
        lock(self).faults.push_back((operation.to_string(), error));
    }

    /// Sets a change set's status and execution status (a change set that failed, was
    /// executed, or became obsolete).
    pub fn set_change_set_status(&self, change_set_id: &str, status: &str, execution_status: &str) {
        if let Some(change_set) = lock(self).change_sets.get_mut(change_set_id) {
            change_set.status = status.to_string();
            change_set.execution_status = Some(execution_status.to_string());
        }
    }

    /// Change set pages hold at most this many changes (to test paging).
    pub fn set_page_size(&self, size: usize) {
        lock(self).page_size = size.max(1);
    }

    /// Every call so far, e.g. `CreateChangeSet s token=…`.
    #[must_use]
    pub fn calls(&self) -> Vec<String> {
        lock(self).calls.clone()
    }

    /// The stack's current status (`None` when it does not exist).
    #[must_use]
    pub fn status(&self, name: &str) -> Option<String> {
        lock(self)
            .stacks
            .get(name)
            .filter(|stack| !stack.id.is_empty())
            .map(|stack| stack.status.clone())
    }

    /// Names of the change sets that still exist.
    #[must_use]
    pub fn change_set_count(&self) -> usize {
        lock(self).change_sets.len()
    }
}

impl State {
    fn call(&mut self, operation: &str, detail: &str) -> ApiResult<()> {
        self.calls
            .push(format!("{operation} {detail}").trim_end().to_string());
        if let Some(index) = self.faults.iter().position(|(op, _)| op == operation) {
            if let Some((_, error)) = self.faults.remove(index) {
                return Err(error);
            }
        }
        Ok(())
    }

    fn find(&mut self, name_or_id: &str) -> Option<&mut FakeStack> {
        if self
            .stacks
            .get(name_or_id)
            .is_some_and(|stack| !stack.id.is_empty())
        {
            return self.stacks.get_mut(name_or_id);
        }
        self.stacks
            .values_mut()
            .find(|stack| stack.id == name_or_id)
    }

    fn push_event(
        &mut self,
        name: &str,
        logical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<String>,
    ) {
        self.counter += 1;
        let counter = self.counter;
        if let Some(stack) = self.find(name) {
            stack.events.push(StackEvent {
                event_id: format!("event-{counter}"),
                logical_id: logical_id.to_string(),
                resource_type: resource_type.to_string(),
                status: status.to_string(),
                reason,
                timestamp: counter as f64,
                client_token: None,
            });
        }
    }

    fn advance(&mut self, name_or_id: &str) {
        let Some(stack) = self.find(name_or_id) else {
            return;
        };
        let Some(step) = stack.steps.pop_front() else {
            return;
        };
        stack.status.clone_from(&step.status);
        let name = stack.name.clone();
        for (logical_id, resource_type, status, reason) in step.events {
            self.push_event(&name, &logical_id, &resource_type, &status, reason);
        }
        let (stack_type, status) = ("AWS::CloudFormation::Stack", step.status);
        self.push_event(&name, &name, stack_type, &status, None);
        if status == "DELETE_COMPLETE" {
            if let Some(stack) = self.stacks.remove(&name) {
                self.deleted.insert(stack.id.clone(), stack);
            }
        }
    }
}

fn template_resources(template: &str) -> Vec<(String, String)> {
    serde_json::from_str::<Value>(template)
        .ok()
        .and_then(|value| value.get("Resources").and_then(Value::as_object).cloned())
        .map(|resources| {
            resources
                .iter()
                .map(|(id, body)| {
                    (
                        id.clone(),
                        body.get("Type")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn ready<T: Send + 'static>(value: T) -> BoxFuture<'static, T> {
    Box::pin(std::future::ready(value))
}

impl CloudFormationApi for FakeCloudFormation {
    fn describe_stack<'a>(
        &'a self,
        stack_name: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<StackInfo>>> {
        let mut state = lock(self);
        let result = state.call("DescribeStacks", stack_name).map(|()| {
            state.advance(stack_name);
            if let Some(stack) = state.find(stack_name) {
                return Some(StackInfo {
                    stack_id: stack.id.clone(),
                    stack_name: stack.name.clone(),
                    status: stack.status.clone(),
                    status_reason: stack.reason.clone(),
                    outputs: stack.outputs.clone(),
                });
            }
            state.deleted.get(stack_name).map(|stack| StackInfo {
                stack_id: stack.id.clone(),
                stack_name: stack.name.clone(),
                status: "DELETE_COMPLETE".to_string(),
                status_reason: None,
                outputs: Vec::new(),
            })
        });
        ready(result)
    }

    fn get_template<'a>(&'a self, stack_name: &'a str) -> BoxFuture<'a, ApiResult<String>> {
        let mut state = lock(self);
        let result = state.call("GetTemplate", stack_name).and_then(|()| {
            state
                .find(stack_name)
                .map(|stack| stack.template.clone())
                .ok_or_else(|| {
                    ApiError::service("GetTemplate", "ValidationError", "Stack does not exist")
                })
        });
        ready(result)
    }

    fn get_change_set_template<'a>(
        &'a self,
        _stack_name: &'a str,
        change_set_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>> {
        let mut state = lock(self);
        let result = state.call("GetTemplate", change_set_id).and_then(|()| {
            state
                .change_sets
                .get(change_set_id)
                .map(|change_set| change_set.template.clone())
                .ok_or_else(|| {
                    ApiError::service(
                        "GetTemplate",
                        "ChangeSetNotFound",
                        "ChangeSet does not exist",
                    )
                })
        });
        ready(result)
    }

    fn create_change_set<'a>(
        &'a self,
        input: &'a CreateChangeSetInput,
    ) -> BoxFuture<'a, ApiResult<CreatedChangeSet>> {
        let mut state = lock(self);
        let detail = format!(
            "{} create={} token={}",
            input.stack_name, input.create, input.client_token
        );
        if let Err(error) = state.call("CreateChangeSet", &detail) {
            return ready(Err(error));
        }
        state.counter += 1;
        let counter = state.counter;
        let template = input
            .template_body
            .clone()
            .or_else(|| input.template_url.clone())
            .unwrap_or_default();
        if state.find(&input.stack_name).is_none() {
            if !input.create {
                return ready(Err(ApiError::service(
                    "CreateChangeSet",
                    "ValidationError",
                    "Stack does not exist",
                )));
            }
            let pending = state.stacks.remove(&input.stack_name).unwrap_or_default();
            state.stacks.insert(
                input.stack_name.clone(),
                FakeStack {
                    id: format!(
                        "arn:aws:cloudformation:us-east-1:123456789012:stack/{}/{counter}",
                        input.stack_name
                    ),
                    name: input.stack_name.clone(),
                    status: "REVIEW_IN_PROGRESS".to_string(),
                    on_execute: pending.on_execute,
                    on_delete: pending.on_delete,
                    ..FakeStack::default()
                },
            );
        }
        let stack_id = state
            .find(&input.stack_name)
            .map(|stack| stack.id.clone())
            .unwrap_or_default();
        let changes = state.next_changes.take().unwrap_or_else(|| {
            if input.create {
                template_resources(&template)
                    .into_iter()
                    .map(|(logical_id, resource_type)| RawResourceChange {
                        action: "Add".to_string(),
                        logical_id,
                        resource_type,
                        ..RawResourceChange::default()
                    })
                    .collect()
            } else {
                Vec::new()
            }
        });
        let (status, reason) = match state.next_change_set_failure.take() {
            Some(reason) => ("FAILED".to_string(), Some(reason)),
            None if changes.is_empty() => (
                "FAILED".to_string(),
                Some("The submitted information didn't contain changes. Submit different information to create a change set.".to_string()),
            ),
            None => ("CREATE_COMPLETE".to_string(), None),
        };
        let id = format!(
            "arn:aws:cloudformation:us-east-1:123456789012:changeSet/{}/{counter}",
            input.change_set_name
        );
        state.change_sets.insert(
            id.clone(),
            FakeChangeSet {
                name: input.change_set_name.clone(),
                stack_id: stack_id.clone(),
                stack_name: input.stack_name.clone(),
                description: input.description.clone(),
                execution_status: None,
                status,
                reason,
                changes,
                template,
                create: input.create,
            },
        );
        ready(Ok(CreatedChangeSet {
            change_set_id: id,
            stack_id,
        }))
    }

    fn describe_change_set<'a>(
        &'a self,
        _stack_name: &'a str,
        change_set_id: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<ChangeSetPage>> {
        let mut state = lock(self);
        if let Err(error) = state.call("DescribeChangeSet", next_token.unwrap_or_default()) {
            return ready(Err(error));
        }
        let page_size = state.page_size;
        let Some(change_set) = state.change_sets.get(change_set_id) else {
            return ready(Err(ApiError::service(
                "DescribeChangeSet",
                "ChangeSetNotFound",
                "ChangeSet does not exist",
            )));
        };
        let start: usize = next_token.and_then(|token| token.parse().ok()).unwrap_or(0);
        let end = (start + page_size).min(change_set.changes.len());
        let page = ChangeSetPage {
            change_set_id: change_set_id.to_string(),
            change_set_name: change_set.name.clone(),
            stack_id: change_set.stack_id.clone(),
            stack_name: change_set.stack_name.clone(),
            description: Some(change_set.description.clone()).filter(|text| !text.is_empty()),
            status: change_set.status.clone(),
            status_reason: change_set.reason.clone(),
            execution_status: change_set.execution_status.clone().unwrap_or_else(|| {
                if change_set.status == "CREATE_COMPLETE" {
                    "AVAILABLE"
                } else {
                    "UNAVAILABLE"
                }
                .to_string()
            }),
            changes: change_set
                .changes
                .get(start..end)
                .map(<[RawResourceChange]>::to_vec)
                .unwrap_or_default(),
            next_token: (end < change_set.changes.len()).then(|| end.to_string()),
        };
        ready(Ok(page))
    }

    fn delete_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>> {
        let mut state = lock(self);
        let result = state.call("DeleteChangeSet", stack_name).map(|()| {
            state.change_sets.remove(change_set_id);
        });
        ready(result)
    }

    fn execute_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>> {
        let mut state = lock(self);
        if let Err(error) = state.call(
            "ExecuteChangeSet",
            &format!("{stack_name} token={client_token}"),
        ) {
            return ready(Err(error));
        }
        let Some(change_set) = state.change_sets.remove(change_set_id) else {
            return ready(Err(ApiError::service(
                "ExecuteChangeSet",
                "ChangeSetNotFound",
                "ChangeSet does not exist",
            )));
        };
        let stack_id = change_set.stack_id.clone();
        let Some(stack) = state.find(&stack_id) else {
            return ready(Err(ApiError::service(
                "ExecuteChangeSet",
                "ValidationError",
                "Stack does not exist",
            )));
        };
        let verb = if change_set.create {
            "CREATE"
        } else {
            "UPDATE"
        };
        stack.status = format!("{verb}_IN_PROGRESS");
        stack.template = change_set.template.clone();
        stack.resources = template_resources(&change_set.template)
            .into_iter()
            .map(|(logical_id, resource_type)| StackResource {
                physical_id: Some(format!("{}-{}", stack.name, logical_id.to_lowercase())),
                logical_id,
                resource_type,
                status: format!("{verb}_COMPLETE"),
                reason: None,
            })
            .collect();
        let steps = stack
            .on_execute
            .take()
            .unwrap_or_else(|| vec![FakeStep::status(&format!("{verb}_COMPLETE"))]);
        stack.steps.extend(steps);
        let name = stack.name.clone();
        state.push_event(
            &name,
            &name,
            "AWS::CloudFormation::Stack",
            &format!("{verb}_IN_PROGRESS"),
            Some("User Initiated".to_string()),
        );
        ready(Ok(()))
    }

    fn describe_stack_events<'a>(
        &'a self,
        stack_name: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<EventsPage>> {
        let mut state = lock(self);
        if let Err(error) = state.call("DescribeStackEvents", stack_name) {
            return ready(Err(error));
        }
        let events = match state.find(stack_name) {
            Some(stack) => stack.events.clone(),
            None => match state.deleted.get(stack_name) {
                Some(stack) => stack.events.clone(),
                None => {
                    return ready(Err(ApiError::service(
                        "DescribeStackEvents",
                        "ValidationError",
                        &format!("Stack [{stack_name}] does not exist"),
                    )))
                }
            },
        };
        let newest_first: Vec<StackEvent> = events.into_iter().rev().collect();
        let start: usize = next_token.and_then(|token| token.parse().ok()).unwrap_or(0);
        let end = (start + 10).min(newest_first.len());
        ready(Ok(EventsPage {
            events: newest_first
                .get(start..end)
                .map(<[StackEvent]>::to_vec)
                .unwrap_or_default(),
            next_token: (end < newest_first.len()).then(|| end.to_string()),
        }))
    }

    fn describe_stack_resources<'a>(
        &'a self,
        stack_name: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<StackResource>>> {
        let mut state = lock(self);
        let result = state
            .call("DescribeStackResources", stack_name)
            .and_then(|()| {
                state
                    .find(stack_name)
                    .map(|stack| stack.resources.clone())
                    .ok_or_else(|| {
                        ApiError::service(
                            "DescribeStackResources",
                            "ValidationError",
                            "Stack does not exist",
                        )
                    })
            });
        ready(result)
    }

    fn delete_stack<'a>(
        &'a self,
        stack_name: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>> {
        let mut state = lock(self);
        if let Err(error) = state.call("DeleteStack", &format!("{stack_name} token={client_token}"))
        {
            return ready(Err(error));
        }
        let Some(stack) = state.find(stack_name) else {
            return ready(Ok(()));
        };
        if stack.status == "REVIEW_IN_PROGRESS" && stack.on_delete.is_none() {
            // A stack without resources is gone at once, as in CloudFormation and moto.
            let name = stack.name.clone();
            if let Some(stack) = state.stacks.remove(&name) {
                state.deleted.insert(stack.id.clone(), stack);
            }
            return ready(Ok(()));
        }
        stack.status = "DELETE_IN_PROGRESS".to_string();
        let steps = stack
            .on_delete
            .take()
            .unwrap_or_else(|| vec![FakeStep::status("DELETE_COMPLETE")]);
        stack.steps.extend(steps);
        let name = stack.name.clone();
        state.push_event(
            &name,
            &name,
            "AWS::CloudFormation::Stack",
            "DELETE_IN_PROGRESS",
            Some("User Initiated".to_string()),
        );
        ready(Ok(()))
    }

    fn upload_template<'a>(
        &'a self,
        bucket: Option<&'a str>,
        key: &'a str,
        _body: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>> {
        let mut state = lock(self);
        let bucket = bucket.unwrap_or("pipec-templates-us-east-1-fake");
        let result = state
            .call("PutObject", &format!("{bucket}/{key}"))
            .map(|()| format!("https://{bucket}.s3.us-east-1.amazonaws.com/{key}"));
        ready(result)
    }
}

/// A scripted [`Ec2Api`]: the region's default VPC (or none), or an error for every call; it
/// counts the calls.
#[derive(Debug)]
pub struct FakeEc2 {
    answer: ApiResult<Option<String>>,
    calls: Mutex<usize>,
}

impl FakeEc2 {
    /// A region whose default VPC is `vpc_id` (`None`: no default VPC).
    #[must_use]
    pub fn default_vpc(vpc_id: Option<&str>) -> Self {
        FakeEc2 {
            answer: Ok(vpc_id.map(ToString::to_string)),
            calls: Mutex::new(0),
        }
    }

    /// Every call fails with `error` (e.g. `ec2:DescribeVpcs` denied).
    #[must_use]
    pub fn failing(error: ApiError) -> Self {
        FakeEc2 {
            answer: Err(error),
            calls: Mutex::new(0),
        }
    }

    /// How many times EC2 was asked.
    #[must_use]
    pub fn calls(&self) -> usize {
        self.calls.lock().map(|calls| *calls).unwrap_or_default()
    }
}

impl Ec2Api for FakeEc2 {
    fn default_vpc(&self) -> BoxFuture<'_, ApiResult<Option<String>>> {
        if let Ok(mut calls) = self.calls.lock() {
            *calls += 1;
        }
        ready(self.answer.clone())
    }
}
