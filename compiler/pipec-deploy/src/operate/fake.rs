//! A scripted [`OperateApi`] for what moto does not model: pipeline state, action executions,
//! lifecycle-event diagnostics and every failure state. Tests fill it with data; calls read it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::api::{ApiError, ApiResult, BoxFuture};
use crate::operate::api::{
    ActionState, BuildInfo, DeploymentInfo, ExecutionSummary, InstanceTarget, LogEvent, LogPage,
    OperateApi, StageState,
};

/// What the fake answers.
#[derive(Clone, Debug, Default)]
pub struct FakeOperateData {
    /// Executions per pipeline, newest first.
    pub executions: BTreeMap<String, Vec<ExecutionSummary>>,
    /// `GetPipelineState` per pipeline; absent: `PipelineNotFoundException`.
    pub states: BTreeMap<String, Vec<StageState>>,
    /// States returned one after the other while following (`release --wait`); the last stays.
    pub state_sequence: Vec<Vec<StageState>>,
    /// Statuses `GetPipelineExecution` answers one after the other (the last stays); empty:
    /// the stored execution's status.
    pub execution_statuses: Vec<String>,
    /// `ListActionExecutions` per execution id.
    pub action_executions: BTreeMap<String, Vec<ActionState>>,
    /// Build ids per project, newest first.
    pub project_builds: BTreeMap<String, Vec<String>>,
    /// Builds by id.
    pub builds: BTreeMap<String, BuildInfo>,
    /// Log events per `group/stream`.
    pub logs: BTreeMap<String, Vec<LogEvent>>,
    /// Deployment ids per `application/group`, newest first.
    pub group_deployments: BTreeMap<String, Vec<String>>,
    /// Deployments by id.
    pub deployments: BTreeMap<String, DeploymentInfo>,
    /// Instances per deployment id.
    pub instances: BTreeMap<String, Vec<InstanceTarget>>,
    /// Errors to answer, by operation name (`StartPipelineExecution`, …).
    pub errors: BTreeMap<String, ApiError>,
    /// The id `StartPipelineExecution` returns.
    pub next_execution_id: String,
}

/// The scripted client; records the operations called.
#[derive(Debug, Default)]
pub struct FakeOperate {
    data: Mutex<FakeOperateData>,
    calls: Mutex<Vec<String>>,
}

impl FakeOperate {
    /// A fake answering `data`.
    #[must_use]
    pub fn new(data: FakeOperateData) -> Self {
        FakeOperate {
            data: Mutex::new(data),
            calls: Mutex::new(Vec::new()),
        }
    }

    /// The operations called so far, in order.
    #[must_use]
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn answer<T>(
        &self,
        operation: &str,
        read: impl FnOnce(&mut FakeOperateData) -> ApiResult<T>,
    ) -> ApiResult<T> {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(operation.to_string());
        }
        let mut data = match self.data.lock() {
            Ok(data) => data,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(error) = data.errors.get(operation) {
            return Err(error.clone());
        }
        read(&mut data)
    }
}

fn pipeline_missing(operation: &str, pipeline: &str) -> ApiError {
    ApiError::service(
        operation,
        "PipelineNotFoundException",
        &format!("Account '123456789012' does not have a pipeline with name '{pipeline}'"),
    )
}

impl OperateApi for FakeOperate {
    fn start_pipeline_execution<'a>(
        &'a self,
        pipeline: &'a str,
        _client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>> {
        Box::pin(async move {
            self.answer("StartPipelineExecution", |data| {
                if !data.executions.contains_key(pipeline) && !data.states.contains_key(pipeline) {
                    return Err(pipeline_missing("StartPipelineExecution", pipeline));
                }
                let id = data.next_execution_id.clone();
                data.executions
                    .entry(pipeline.to_string())
                    .or_default()
                    .insert(
                        0,
                        ExecutionSummary {
                            id: id.clone(),
                            status: "InProgress".to_string(),
                            ..ExecutionSummary::default()
                        },
                    );
                Ok(id)
            })
        })
    }

    fn list_pipeline_executions<'a>(
        &'a self,
        pipeline: &'a str,
        max: i32,
    ) -> BoxFuture<'a, ApiResult<Vec<ExecutionSummary>>> {
        Box::pin(async move {
            self.answer("ListPipelineExecutions", |data| {
                match data.executions.get(pipeline) {
                    Some(list) => Ok(list
                        .iter()
                        .take(usize::try_from(max).unwrap_or(0))
                        .cloned()
                        .collect()),
                    None if data.states.contains_key(pipeline) => Ok(Vec::new()),
                    None => Err(pipeline_missing("ListPipelineExecutions", pipeline)),
                }
            })
        })
    }

    fn get_pipeline_execution<'a>(
        &'a self,
        pipeline: &'a str,
        execution_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<ExecutionSummary>>> {
        Box::pin(async move {
            self.answer("GetPipelineExecution", |data| {
                if !data.executions.contains_key(pipeline) && !data.states.contains_key(pipeline) {
                    return Err(pipeline_missing("GetPipelineExecution", pipeline));
                }
                let next = match data.execution_statuses.len() {
                    0 => None,
                    1 => data.execution_statuses.first().cloned(),
                    _ => Some(data.execution_statuses.remove(0)),
                };
                Ok(data
                    .executions
                    .get(pipeline)
                    .and_then(|list| list.iter().find(|e| e.id == execution_id).cloned())
                    .map(|mut e| {
                        if let Some(status) = next {
                            e.status = status;
                        }
                        e
                    }))
            })
        })
    }

    fn get_pipeline_state<'a>(
        &'a self,
        pipeline: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<StageState>>> {
        Box::pin(async move {
            self.answer("GetPipelineState", |data| {
                if !data.state_sequence.is_empty() {
                    let next = if data.state_sequence.len() > 1 {
                        data.state_sequence.remove(0)
                    } else {
                        data.state_sequence[0].clone()
                    };
                    return Ok(next);
                }
                data.states
                    .get(pipeline)
                    .cloned()
                    .ok_or_else(|| pipeline_missing("GetPipelineState", pipeline))
            })
        })
    }

    fn list_action_executions<'a>(
        &'a self,
        _pipeline: &'a str,
        execution_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<ActionState>>> {
        Box::pin(async move {
            self.answer("ListActionExecutions", |data| {
                Ok(data
                    .action_executions
                    .get(execution_id)
                    .cloned()
                    .unwrap_or_default())
            })
        })
    }

    fn list_builds_for_project<'a>(
        &'a self,
        project: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<String>>> {
        Box::pin(async move {
            self.answer("ListBuildsForProject", |data| {
                Ok(data
                    .project_builds
                    .get(project)
                    .cloned()
                    .unwrap_or_default())
            })
        })
    }

    fn batch_get_builds<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, ApiResult<Vec<BuildInfo>>> {
        Box::pin(async move {
            self.answer("BatchGetBuilds", |data| {
                Ok(ids
                    .iter()
                    .filter_map(|id| data.builds.get(id).cloned())
                    .collect())
            })
        })
    }

    fn get_log_events<'a>(
        &'a self,
        group: &'a str,
        stream: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<LogPage>> {
        Box::pin(async move {
            self.answer("GetLogEvents", |data| {
                let Some(events) = data.logs.get(&format!("{group}/{stream}")) else {
                    return Err(ApiError::service(
                        "GetLogEvents",
                        "ResourceNotFoundException",
                        "The specified log stream does not exist.",
                    ));
                };
                let start: usize = next_token.and_then(|t| t.parse().ok()).unwrap_or(0);
                Ok(LogPage {
                    events: events.iter().skip(start).cloned().collect(),
                    next_token: Some(events.len().to_string()),
                })
            })
        })
    }

    fn list_deployments<'a>(
        &'a self,
        application: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<String>>> {
        Box::pin(async move {
            self.answer("ListDeployments", |data| {
                Ok(data
                    .group_deployments
                    .get(&format!("{application}/{group}"))
                    .cloned()
                    .unwrap_or_default())
            })
        })
    }

    fn get_deployment<'a>(
        &'a self,
        deployment_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<DeploymentInfo>>> {
        Box::pin(async move {
            self.answer("GetDeployment", |data| {
                Ok(data.deployments.get(deployment_id).cloned())
            })
        })
    }

    fn deployment_instances<'a>(
        &'a self,
        deployment_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<InstanceTarget>>> {
        Box::pin(async move {
            self.answer("ListDeploymentTargets", |data| {
                Ok(data
                    .instances
                    .get(deployment_id)
                    .cloned()
                    .unwrap_or_default())
            })
        })
    }
}
