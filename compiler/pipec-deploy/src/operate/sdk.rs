//! The real [`OperateApi`]: the AWS SDKs for CodePipeline, CodeBuild, CodeDeploy and CloudWatch
//! Logs. Every SDK type stays here; results become the plain types of `api.rs`, errors a
//! classified [`ApiError`](crate::api::ApiError) through the same conversion as CloudFormation's.

use aws_sdk_codepipeline::primitives::DateTime;
use pipec_diagnostics::Diagnostic;

use crate::api::{ApiResult, BoxFuture};
use crate::operate::api::{
    ActionState, BuildInfo, BuildPhase, DeploymentInfo, ExecutionSummary, InstanceTarget,
    LifecycleEvent, LogEvent, LogPage, OperateApi, SourceRevision, StageState,
};
use crate::sdk::{load_config, AwsOptions, Sent};

/// The AWS SDK implementation of [`OperateApi`].
#[derive(Clone, Debug)]
pub struct SdkOperate {
    codepipeline: aws_sdk_codepipeline::Client,
    codebuild: aws_sdk_codebuild::Client,
    codedeploy: aws_sdk_codedeploy::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

/// Builds the real client from the standard credential chain and the common flags.
///
/// # Errors
/// `P6004` when no region is configured.
pub async fn operate_client_from_options(
    options: &AwsOptions,
) -> Result<SdkOperate, Vec<Diagnostic>> {
    let (config, _region) = load_config(options).await?;
    Ok(SdkOperate {
        codepipeline: aws_sdk_codepipeline::Client::new(&config),
        codebuild: aws_sdk_codebuild::Client::new(&config),
        codedeploy: aws_sdk_codedeploy::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
    })
}

fn secs(time: Option<&DateTime>) -> Option<f64> {
    time.map(DateTime::as_secs_f64)
}

fn opt(text: Option<&str>) -> Option<String> {
    text.filter(|text| !text.is_empty())
        .map(ToString::to_string)
}

impl OperateApi for SdkOperate {
    fn start_pipeline_execution<'a>(
        &'a self,
        pipeline: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>> {
        Box::pin(async move {
            let output = self
                .codepipeline
                .start_pipeline_execution()
                .name(pipeline)
                .client_request_token(client_token)
                .send()
                .await
                .or_api("StartPipelineExecution")?;
            Ok(output
                .pipeline_execution_id()
                .unwrap_or_default()
                .to_string())
        })
    }

    fn list_pipeline_executions<'a>(
        &'a self,
        pipeline: &'a str,
        max: i32,
    ) -> BoxFuture<'a, ApiResult<Vec<ExecutionSummary>>> {
        Box::pin(async move {
            let output = self
                .codepipeline
                .list_pipeline_executions()
                .pipeline_name(pipeline)
                .max_results(max)
                .send()
                .await
                .or_api("ListPipelineExecutions")?;
            Ok(output
                .pipeline_execution_summaries()
                .iter()
                .map(|summary| ExecutionSummary {
                    id: summary
                        .pipeline_execution_id()
                        .unwrap_or_default()
                        .to_string(),
                    status: summary
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    status_summary: opt(summary.status_summary()),
                    start: secs(summary.start_time()),
                    last_update: secs(summary.last_update_time()),
                    revisions: summary
                        .source_revisions()
                        .iter()
                        .map(|revision| SourceRevision {
                            action: revision.action_name().to_string(),
                            revision_id: revision.revision_id().unwrap_or_default().to_string(),
                            summary: opt(revision.revision_summary()),
                        })
                        .collect(),
                })
                .collect())
        })
    }

    fn get_pipeline_execution<'a>(
        &'a self,
        pipeline: &'a str,
        execution_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<ExecutionSummary>>> {
        Box::pin(async move {
            let Some(output) = self
                .codepipeline
                .get_pipeline_execution()
                .pipeline_name(pipeline)
                .pipeline_execution_id(execution_id)
                .send()
                .await
                .or_missing("GetPipelineExecution", |code, _| {
                    code == "PipelineExecutionNotFoundException"
                })?
            else {
                return Ok(None);
            };
            Ok(output
                .pipeline_execution()
                .map(|execution| ExecutionSummary {
                    id: execution
                        .pipeline_execution_id()
                        .unwrap_or_default()
                        .to_string(),
                    status: execution
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    status_summary: opt(execution.status_summary()),
                    start: None,
                    last_update: None,
                    revisions: execution
                        .artifact_revisions()
                        .iter()
                        .map(|revision| SourceRevision {
                            action: revision.name().unwrap_or_default().to_string(),
                            revision_id: revision.revision_id().unwrap_or_default().to_string(),
                            summary: opt(revision.revision_summary()),
                        })
                        .collect(),
                }))
        })
    }

    fn get_pipeline_state<'a>(
        &'a self,
        pipeline: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<StageState>>> {
        Box::pin(async move {
            let output = self
                .codepipeline
                .get_pipeline_state()
                .name(pipeline)
                .send()
                .await
                .or_api("GetPipelineState")?;
            Ok(output
                .stage_states()
                .iter()
                .map(|stage| {
                    let name = stage.stage_name().unwrap_or_default().to_string();
                    StageState {
                        name: name.clone(),
                        execution_id: stage
                            .latest_execution()
                            .map(|e| e.pipeline_execution_id().to_string()),
                        status: stage
                            .latest_execution()
                            .map(|e| e.status().as_str().to_string()),
                        actions: stage
                            .action_states()
                            .iter()
                            .map(|action| {
                                let latest = action.latest_execution();
                                let error = latest.and_then(|l| l.error_details());
                                ActionState {
                                    stage: name.clone(),
                                    name: action.action_name().unwrap_or_default().to_string(),
                                    status: latest
                                        .and_then(|l| l.status())
                                        .map(|s| s.as_str().to_string()),
                                    summary: latest.and_then(|l| opt(l.summary())),
                                    error_code: error.and_then(|e| opt(e.code())),
                                    error_message: error.and_then(|e| opt(e.message())),
                                    external_execution_id: latest
                                        .and_then(|l| opt(l.external_execution_id())),
                                    execution_id: stage
                                        .latest_execution()
                                        .map(|e| e.pipeline_execution_id().to_string()),
                                    last_change: latest.and_then(|l| secs(l.last_status_change())),
                                }
                            })
                            .collect(),
                    }
                })
                .collect())
        })
    }

    fn list_action_executions<'a>(
        &'a self,
        pipeline: &'a str,
        execution_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<ActionState>>> {
        Box::pin(async move {
            let filter = aws_sdk_codepipeline::types::ActionExecutionFilter::builder()
                .pipeline_execution_id(execution_id)
                .build();
            let output = self
                .codepipeline
                .list_action_executions()
                .pipeline_name(pipeline)
                .filter(filter)
                .send()
                .await
                .or_api("ListActionExecutions")?;
            Ok(output
                .action_execution_details()
                .iter()
                .map(|detail| {
                    let result = detail.output().and_then(|o| o.execution_result());
                    ActionState {
                        stage: detail.stage_name().unwrap_or_default().to_string(),
                        name: detail.action_name().unwrap_or_default().to_string(),
                        status: detail.status().map(|s| s.as_str().to_string()),
                        summary: result.and_then(|r| opt(r.external_execution_summary())),
                        error_code: None,
                        error_message: None,
                        external_execution_id: result.and_then(|r| opt(r.external_execution_id())),
                        execution_id: opt(detail.pipeline_execution_id()),
                        last_change: secs(detail.last_update_time()),
                    }
                })
                .collect())
        })
    }

    fn list_builds_for_project<'a>(
        &'a self,
        project: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<String>>> {
        Box::pin(async move {
            let output = self
                .codebuild
                .list_builds_for_project()
                .project_name(project)
                .sort_order(aws_sdk_codebuild::types::SortOrderType::Descending)
                .send()
                .await
                .or_api("ListBuildsForProject")?;
            Ok(output.ids().to_vec())
        })
    }

    fn batch_get_builds<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, ApiResult<Vec<BuildInfo>>> {
        Box::pin(async move {
            let output = self
                .codebuild
                .batch_get_builds()
                .set_ids(Some(ids.to_vec()))
                .send()
                .await
                .or_api("BatchGetBuilds")?;
            Ok(output
                .builds()
                .iter()
                .map(|build| BuildInfo {
                    id: build.id().unwrap_or_default().to_string(),
                    status: build
                        .build_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    start: secs(build.start_time()),
                    end: secs(build.end_time()),
                    phases: build
                        .phases()
                        .iter()
                        .map(|phase| BuildPhase {
                            phase: phase
                                .phase_type()
                                .map(|p| p.as_str().to_string())
                                .unwrap_or_default(),
                            status: phase.phase_status().map(|s| s.as_str().to_string()),
                            messages: phase
                                .contexts()
                                .iter()
                                .map(|context| {
                                    format!(
                                        "{}: {}",
                                        context.status_code().unwrap_or_default(),
                                        context.message().unwrap_or_default()
                                    )
                                })
                                .filter(|m| m != ": ")
                                .collect(),
                        })
                        .collect(),
                    log_group: build.logs().and_then(|l| opt(l.group_name())),
                    log_stream: build.logs().and_then(|l| opt(l.stream_name())),
                })
                .collect())
        })
    }

    fn get_log_events<'a>(
        &'a self,
        group: &'a str,
        stream: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<LogPage>> {
        Box::pin(async move {
            let output = self
                .logs
                .get_log_events()
                .log_group_name(group)
                .log_stream_name(stream)
                .start_from_head(true)
                .set_next_token(next_token.map(ToString::to_string))
                .send()
                .await
                .or_api("GetLogEvents")?;
            Ok(LogPage {
                events: output
                    .events()
                    .iter()
                    .map(|event| LogEvent {
                        timestamp: event.timestamp().unwrap_or_default(),
                        message: event.message().unwrap_or_default().to_string(),
                    })
                    .collect(),
                next_token: opt(output.next_forward_token()),
            })
        })
    }

    fn list_deployments<'a>(
        &'a self,
        application: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<String>>> {
        Box::pin(async move {
            let output = self
                .codedeploy
                .list_deployments()
                .application_name(application)
                .deployment_group_name(group)
                .send()
                .await
                .or_api("ListDeployments")?;
            let ids = output.deployments().to_vec();
            if ids.len() < 2 {
                return Ok(ids);
            }
            // ListDeployments promises no order: newest first by creation time.
            let batch: Vec<String> = ids.iter().take(25).cloned().collect();
            let infos = self
                .codedeploy
                .batch_get_deployments()
                .set_deployment_ids(Some(batch))
                .send()
                .await
                .or_api("BatchGetDeployments")?;
            let mut dated: Vec<(f64, String)> = infos
                .deployments_info()
                .iter()
                .map(|info| {
                    (
                        secs(info.create_time()).unwrap_or_default(),
                        info.deployment_id().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            dated.sort_by(|a, b| b.0.total_cmp(&a.0));
            Ok(dated.into_iter().map(|(_, id)| id).collect())
        })
    }

    fn get_deployment<'a>(
        &'a self,
        deployment_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<DeploymentInfo>>> {
        Box::pin(async move {
            let Some(output) = self
                .codedeploy
                .get_deployment()
                .deployment_id(deployment_id)
                .send()
                .await
                .or_missing("GetDeployment", |code, _| {
                    code == "DeploymentDoesNotExistException"
                })?
            else {
                return Ok(None);
            };
            Ok(output.deployment_info().map(|info| DeploymentInfo {
                id: info.deployment_id().unwrap_or_default().to_string(),
                status: info
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                error_code: info
                    .error_information()
                    .and_then(|e| e.code())
                    .map(|c| c.as_str().to_string()),
                error_message: info.error_information().and_then(|e| opt(e.message())),
                start: secs(info.create_time()),
                end: secs(info.complete_time()),
            }))
        })
    }

    fn deployment_instances<'a>(
        &'a self,
        deployment_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<InstanceTarget>>> {
        Box::pin(async move {
            let ids = self
                .codedeploy
                .list_deployment_targets()
                .deployment_id(deployment_id)
                .send()
                .await
                .or_api("ListDeploymentTargets")?
                .target_ids()
                .to_vec();
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let output = self
                .codedeploy
                .batch_get_deployment_targets()
                .deployment_id(deployment_id)
                .set_target_ids(Some(ids))
                .send()
                .await
                .or_api("BatchGetDeploymentTargets")?;
            Ok(output
                .deployment_targets()
                .iter()
                .filter_map(|target| target.instance_target())
                .map(|instance| InstanceTarget {
                    id: instance.target_id().unwrap_or_default().to_string(),
                    status: instance
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    events: instance
                        .lifecycle_events()
                        .iter()
                        .map(|event| {
                            let diagnostics = event.diagnostics();
                            LifecycleEvent {
                                name: event.lifecycle_event_name().unwrap_or_default().to_string(),
                                status: event
                                    .status()
                                    .map(|s| s.as_str().to_string())
                                    .unwrap_or_default(),
                                error_code: diagnostics
                                    .and_then(|d| d.error_code())
                                    .map(|c| c.as_str().to_string()),
                                script_name: diagnostics.and_then(|d| opt(d.script_name())),
                                message: diagnostics.and_then(|d| opt(d.message())),
                                log_tail: diagnostics.and_then(|d| opt(d.log_tail())),
                                start: secs(event.start_time()),
                                end: secs(event.end_time()),
                            }
                        })
                        .collect(),
                })
                .collect())
        })
    }
}
