//! The CodePipeline, CodeBuild, CodeDeploy and CloudWatch Logs calls of `pipec release`,
//! `status` and `logs`, behind one object-safe trait with plain data types of our own (no SDK
//! type leaves the crate). `sdk.rs` implements it with the AWS SDK, `fake.rs` with scripted
//! answers for what moto does not model (GetPipelineState, lifecycle-event diagnostics, failures).

use serde::Serialize;

use crate::api::{ApiResult, BoxFuture};

/// One pipeline execution (`ListPipelineExecutions` / `GetPipelineExecution`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExecutionSummary {
    /// The execution id.
    pub id: String,
    /// `InProgress`, `Succeeded`, `Failed`, `Stopped`, `Superseded`, …
    pub status: String,
    /// AWS's summary, when it gives one.
    pub status_summary: Option<String>,
    /// Seconds since the Unix epoch.
    pub start: Option<f64>,
    /// Seconds since the Unix epoch.
    pub last_update: Option<f64>,
    /// The source revisions (commit id and message) the execution runs.
    pub revisions: Vec<SourceRevision>,
}

/// A source revision of an execution.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SourceRevision {
    /// The source action.
    pub action: String,
    /// The commit id.
    pub revision_id: String,
    /// The commit message (CodeCommit puts it in the revision summary).
    pub summary: Option<String>,
}

/// One stage of `GetPipelineState`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StageState {
    /// The stage name.
    pub name: String,
    /// The execution the stage state belongs to.
    pub execution_id: Option<String>,
    /// The stage's status.
    pub status: Option<String>,
    /// Its actions.
    pub actions: Vec<ActionState>,
}

/// One action of a stage (`GetPipelineState` or `ListActionExecutions`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ActionState {
    /// The stage it belongs to (filled by `ListActionExecutions`).
    pub stage: String,
    /// The action name.
    pub name: String,
    /// `InProgress`, `Succeeded`, `Failed`, …
    pub status: Option<String>,
    /// AWS's summary.
    pub summary: Option<String>,
    /// The error code of a failed action (`JobFailed`, …).
    pub error_code: Option<String>,
    /// The error message of a failed action.
    pub error_message: Option<String>,
    /// The CodeBuild build id or CodeDeploy deployment id the action ran.
    pub external_execution_id: Option<String>,
    /// The pipeline execution this state belongs to.
    pub execution_id: Option<String>,
    /// Seconds since the Unix epoch.
    pub last_change: Option<f64>,
}

/// One CodeBuild build (`BatchGetBuilds`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BuildInfo {
    /// `project:uuid`.
    pub id: String,
    /// `SUCCEEDED`, `FAILED`, `IN_PROGRESS`, …
    pub status: String,
    /// Seconds since the Unix epoch.
    pub start: Option<f64>,
    /// Seconds since the Unix epoch.
    pub end: Option<f64>,
    /// The phases with their status and messages.
    pub phases: Vec<BuildPhase>,
    /// The CloudWatch Logs group, when AWS reports it.
    pub log_group: Option<String>,
    /// The CloudWatch Logs stream, when AWS reports it.
    pub log_stream: Option<String>,
}

/// One build phase.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BuildPhase {
    /// `INSTALL`, `PRE_BUILD`, `BUILD`, …
    pub phase: String,
    /// `SUCCEEDED`, `FAILED`, …
    pub status: Option<String>,
    /// The phase contexts: status code and message (`COMMAND_EXECUTION_ERROR: Error while …`).
    pub messages: Vec<String>,
}

/// One CloudWatch Logs event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogEvent {
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The line.
    pub message: String,
}

/// One page of `GetLogEvents` (oldest first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogPage {
    /// The events.
    pub events: Vec<LogEvent>,
    /// The forward token; the same token as sent means the end for now.
    pub next_token: Option<String>,
}

/// One CodeDeploy deployment (`GetDeployment`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DeploymentInfo {
    /// The deployment id.
    pub id: String,
    /// `Created`, `InProgress`, `Succeeded`, `Failed`, `Stopped`, …
    pub status: String,
    /// `HEALTH_CONSTRAINTS`, `NO_INSTANCES`, `AGENT_ISSUE`, …
    pub error_code: Option<String>,
    /// AWS's message.
    pub error_message: Option<String>,
    /// Seconds since the Unix epoch.
    pub start: Option<f64>,
    /// Seconds since the Unix epoch.
    pub end: Option<f64>,
}

/// One instance of a deployment (`ListDeploymentTargets` + `BatchGetDeploymentTargets`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InstanceTarget {
    /// The instance id.
    pub id: String,
    /// `Succeeded`, `Failed`, `Skipped`, …
    pub status: String,
    /// The lifecycle events in order.
    pub events: Vec<LifecycleEvent>,
}

/// One lifecycle event of an instance.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LifecycleEvent {
    /// `ApplicationStop`, `BeforeInstall`, …
    pub name: String,
    /// `Pending`, `InProgress`, `Succeeded`, `Failed`, `Skipped`, `Unknown`.
    pub status: String,
    /// `ScriptFailed`, `ScriptTimedOut`, `ScriptMissing`, `ScriptNotExecutable`, …
    pub error_code: Option<String>,
    /// The script that failed.
    pub script_name: Option<String>,
    /// AWS's message.
    pub message: Option<String>,
    /// The last lines of the script's output, as AWS returns them.
    pub log_tail: Option<String>,
    /// Seconds since the Unix epoch.
    pub start: Option<f64>,
    /// Seconds since the Unix epoch.
    pub end: Option<f64>,
}

/// The calls `pipec release`, `status` and `logs` make. Every method is one logical call (paging
/// inside the SDK implementation is allowed for lists that are read whole).
pub trait OperateApi: Send + Sync {
    /// `StartPipelineExecution` with an idempotency token; the execution id.
    fn start_pipeline_execution<'a>(
        &'a self,
        pipeline: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>>;
    /// `ListPipelineExecutions`, newest first, at most `max` entries.
    fn list_pipeline_executions<'a>(
        &'a self,
        pipeline: &'a str,
        max: i32,
    ) -> BoxFuture<'a, ApiResult<Vec<ExecutionSummary>>>;
    /// `GetPipelineExecution`; `Ok(None)` when AWS says there is no such execution.
    fn get_pipeline_execution<'a>(
        &'a self,
        pipeline: &'a str,
        execution_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<ExecutionSummary>>>;
    /// `GetPipelineState`: every stage's latest state.
    fn get_pipeline_state<'a>(
        &'a self,
        pipeline: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<StageState>>>;
    /// `ListActionExecutions` of one execution.
    fn list_action_executions<'a>(
        &'a self,
        pipeline: &'a str,
        execution_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<ActionState>>>;
    /// `ListBuildsForProject`, newest first.
    fn list_builds_for_project<'a>(
        &'a self,
        project: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<String>>>;
    /// `BatchGetBuilds`.
    fn batch_get_builds<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, ApiResult<Vec<BuildInfo>>>;
    /// `GetLogEvents` from the head of the stream, one page.
    fn get_log_events<'a>(
        &'a self,
        group: &'a str,
        stream: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<LogPage>>;
    /// `ListDeployments` of a deployment group, newest first (sorted by `BatchGetDeployments`'
    /// creation times: AWS promises no order).
    fn list_deployments<'a>(
        &'a self,
        application: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<String>>>;
    /// `GetDeployment`; `Ok(None)` when it does not exist.
    fn get_deployment<'a>(
        &'a self,
        deployment_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<DeploymentInfo>>>;
    /// `ListDeploymentTargets` + `BatchGetDeploymentTargets`: each instance's lifecycle events.
    fn deployment_instances<'a>(
        &'a self,
        deployment_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<InstanceTarget>>>;
}
