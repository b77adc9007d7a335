//! The CloudFormation (and S3 staging) calls deploy makes, behind one object-safe trait, with
//! plain data types of our own so that no SDK type leaves the crate. `sdk.rs` implements it with
//! the AWS SDK; `fake.rs` with scripted answers for the faults moto cannot produce. This module
//! only declares; it performs no calls.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

/// A boxed, sendable future: what the trait's methods return so that `&dyn CloudFormationApi`
/// works.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The result of one API call.
pub type ApiResult<T> = Result<T, ApiError>;

/// Why an API call failed, already classified; `errors.rs` turns it into a `P6xxx` diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The operation, e.g. `CreateChangeSet`.
    pub operation: String,
    /// The class of failure.
    pub kind: ApiErrorKind,
    /// The AWS error code (`ValidationError`, `AccessDenied`), empty when there was no response.
    pub code: String,
    /// The AWS error message, or the transport's description.
    pub message: String,
    /// The HTTP status, when a response came back.
    pub status: Option<u16>,
}

/// Classes of API failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// No credentials were found in the chain.
    NoCredentials,
    /// The credentials were rejected or have expired.
    ExpiredCredentials,
    /// The credentials lack a permission.
    AccessDenied,
    /// No region, or a region/endpoint that does not resolve.
    Region,
    /// The endpoint could not be reached, timed out, or answered with a non-AWS body.
    Unreachable,
    /// The request rate was exceeded (after the SDK's own retries).
    Throttled,
    /// Any other error answered by the service.
    Service,
}

impl ApiError {
    /// A service error with an AWS code and message.
    #[must_use]
    pub fn service(operation: &str, code: &str, message: &str) -> Self {
        ApiError {
            operation: operation.to_string(),
            kind: ApiErrorKind::Service,
            code: code.to_string(),
            message: message.to_string(),
            status: Some(400),
        }
    }

    /// An error of the given kind.
    #[must_use]
    pub fn of_kind(
        operation: &str,
        kind: ApiErrorKind,
        code: &str,
        message: &str,
        status: Option<u16>,
    ) -> Self {
        ApiError {
            operation: operation.to_string(),
            kind,
            code: code.to_string(),
            message: message.to_string(),
            status,
        }
    }

    /// True for CloudFormation's "stack does not exist" answer.
    #[must_use]
    pub fn is_stack_missing(&self) -> bool {
        self.kind == ApiErrorKind::Service
            && self.code == "ValidationError"
            && self.message.contains("does not exist")
    }
}

/// A stack as `DescribeStacks` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StackInfo {
    /// The stack's ARN.
    pub stack_id: String,
    /// Its name.
    pub stack_name: String,
    /// `CREATE_COMPLETE`, `UPDATE_ROLLBACK_FAILED`, …
    pub status: String,
    /// Why it is in that status, when CloudFormation says.
    pub status_reason: Option<String>,
    /// The stack's outputs.
    pub outputs: Vec<StackOutput>,
}

/// One stack output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StackOutput {
    /// The output's logical id.
    pub key: String,
    /// Its value.
    pub value: String,
    /// Its description, if any.
    pub description: Option<String>,
}

/// `CreateChangeSet` input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateChangeSetInput {
    /// The stack.
    pub stack_name: String,
    /// The change set's name.
    pub change_set_name: String,
    /// True for `CREATE` (new stack or one left in `REVIEW_IN_PROGRESS`), false for `UPDATE`.
    pub create: bool,
    /// Inline template body, when it fits.
    pub template_body: Option<String>,
    /// Staged template URL, for templates over 51,200 bytes.
    pub template_url: Option<String>,
    /// Capabilities from the manifest.
    pub capabilities: Vec<String>,
    /// Idempotency token: a retried call with the same token does not create a second set.
    pub client_token: String,
    /// Free text shown in the console.
    pub description: String,
}

/// What `CreateChangeSet` returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreatedChangeSet {
    /// The change set's ARN.
    pub change_set_id: String,
    /// The stack's ARN.
    pub stack_id: String,
}

/// One page of `DescribeChangeSet`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSetPage {
    /// The change set's ARN.
    pub change_set_id: String,
    /// The change set's name.
    pub change_set_name: String,
    /// The ARN of the stack it belongs to.
    pub stack_id: String,
    /// The name of the stack it belongs to.
    pub stack_name: String,
    /// Its description (`pipec plan` records the template's SHA-256 there).
    pub description: Option<String>,
    /// `CREATE_PENDING`, `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `FAILED`, …
    pub status: String,
    /// Why, for `FAILED`.
    pub status_reason: Option<String>,
    /// `AVAILABLE`, `UNAVAILABLE`, …
    pub execution_status: String,
    /// The resource changes on this page.
    pub changes: Vec<RawResourceChange>,
    /// The next page's token.
    pub next_token: Option<String>,
}

/// One `ResourceChange` as CloudFormation reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawResourceChange {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    /// The logical id.
    pub logical_id: String,
    /// The physical id, for existing resources.
    pub physical_id: Option<String>,
    /// The resource type.
    pub resource_type: String,
    /// `True`, `False`, `Conditional`, or empty.
    pub replacement: String,
    /// The property-level details.
    pub details: Vec<RawChangeDetail>,
    /// The resource's properties before, as JSON text (with `IncludePropertyValues`).
    pub before_context: Option<String>,
    /// The resource's properties after, as JSON text.
    pub after_context: Option<String>,
}

/// One `ResourceChangeDetail`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawChangeDetail {
    /// `Properties`, `Tags`, `Metadata`, …
    pub attribute: String,
    /// The property name, for `Properties`.
    pub name: Option<String>,
    /// The property path (`/Properties/Tags`), with `IncludePropertyValues`.
    pub path: Option<String>,
    /// `Never`, `Conditionally`, `Always`.
    pub requires_recreation: String,
    /// The value before, when known.
    pub before_value: Option<String>,
    /// The value after, when known.
    pub after_value: Option<String>,
    /// `Add`, `Remove`, `Modify`, `SyncWithActual`.
    pub attribute_change_type: Option<String>,
    /// `DirectModification`, `ResourceReference`, …
    pub change_source: Option<String>,
    /// The resource or parameter that causes the change.
    pub causing_entity: Option<String>,
}

/// One stack event.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StackEvent {
    /// Unique id; used to show each event once.
    pub event_id: String,
    /// The logical id (the stack's own name for stack-level events).
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// `CREATE_IN_PROGRESS`, `CREATE_FAILED`, …
    pub status: String,
    /// CloudFormation's reason text.
    pub reason: Option<String>,
    /// Seconds since the Unix epoch.
    pub timestamp: f64,
    /// The idempotency token of the operation that caused it.
    pub client_token: Option<String>,
}

/// One page of `DescribeStackEvents` (newest first).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventsPage {
    /// The events on this page, newest first.
    pub events: Vec<StackEvent>,
    /// The next (older) page.
    pub next_token: Option<String>,
}

/// One resource of a stack.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StackResource {
    /// The logical id.
    pub logical_id: String,
    /// The physical id.
    pub physical_id: Option<String>,
    /// The type.
    pub resource_type: String,
    /// Its status.
    pub status: String,
    /// Why, when failed.
    pub reason: Option<String>,
}

/// The one EC2 question deploy asks before planning: the region's default VPC, where an
/// instance without `subnet` is launched (and its security group without `vpc` is made).
pub trait Ec2Api: Send + Sync {
    /// `DescribeVpcs` filtered on `isDefault=true`: the default VPC's id, `Ok(None)` when the
    /// account has none in the region.
    fn default_vpc(&self) -> BoxFuture<'_, ApiResult<Option<String>>>;
}

/// The CloudFormation and S3 operations deploy uses. Every method is one API call (paging is
/// done by the caller) and must not retry a non-idempotent call without its client token.
pub trait CloudFormationApi: Send + Sync {
    /// `DescribeStacks` for one stack; `Ok(None)` when it does not exist.
    fn describe_stack<'a>(
        &'a self,
        stack_name: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<StackInfo>>>;
    /// `GetTemplate` (original stage) of the deployed stack, as JSON text.
    fn get_template<'a>(&'a self, stack_name: &'a str) -> BoxFuture<'a, ApiResult<String>>;
    /// `GetTemplate` (original stage) of a change set, as JSON text. `change_set_id` is a name
    /// (of a change set of `stack_name`) or an ARN.
    fn get_change_set_template<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>>;
    /// `CreateChangeSet`.
    fn create_change_set<'a>(
        &'a self,
        input: &'a CreateChangeSetInput,
    ) -> BoxFuture<'a, ApiResult<CreatedChangeSet>>;
    /// `DescribeChangeSet` with `IncludePropertyValues`, one page. For an ARN the stack name is
    /// not sent, so a change set of another stack is described rather than refused.
    fn describe_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<ChangeSetPage>>;
    /// `DeleteChangeSet`.
    fn delete_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>>;
    /// `ExecuteChangeSet` with an idempotency token.
    fn execute_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>>;
    /// `DescribeStackEvents`, one page, newest first.
    fn describe_stack_events<'a>(
        &'a self,
        stack_name: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<EventsPage>>;
    /// `DescribeStackResources`.
    fn describe_stack_resources<'a>(
        &'a self,
        stack_name: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<StackResource>>>;
    /// `DeleteStack` with an idempotency token.
    fn delete_stack<'a>(
        &'a self,
        stack_name: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>>;
    /// Puts a template into the staging bucket (`bucket`, or one pipec finds or creates) and
    /// returns its HTTPS URL for `TemplateURL`.
    fn upload_template<'a>(
        &'a self,
        bucket: Option<&'a str>,
        key: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>>;
}
