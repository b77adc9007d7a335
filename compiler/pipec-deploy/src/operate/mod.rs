//! `pipec release`, `status` and `logs`: operating the deployed pipeline. The pipeline's AWS
//! name and every block's `.pipe` line come from the build manifest; the stack (through
//! [`CloudFormationApi`]) says whether it is deployed and gives the physical names. The calls to
//! CodePipeline, CodeBuild, CodeDeploy and CloudWatch Logs go through [`OperateApi`]. Nothing
//! here prints: reports carry data and [`Located`] diagnostics, which the CLI places at their
//! `.pipe` lines.

pub mod api;
pub mod aws_codes;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
mod logs;
mod render;
mod sdk;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use pipec_diagnostics::{Code, Diagnostic};
use serde::Serialize;

use crate::api::{ApiError, CloudFormationApi};
use crate::diff::groups_selecting;
use crate::errors::api_diagnostics;
use crate::manifest::{parse_source, Manifest, ManifestPipeline};
use crate::options::{CancelFlag, PollPolicy};
use crate::plan::Plan;
use api::{ActionState, ExecutionSummary, OperateApi, StageState};

pub use crate::located::Located;
pub use logs::{
    find_run_line, follow_build, logs, BuildLogs, DeployLogs, LogGroup, LogTarget, LogsReport,
    LogsRequest,
};
pub use render::{render_logs, render_release_line, render_status};
pub use sdk::{operate_client_from_options, SdkOperate};

/// Which stack and pipeline the operate verbs work on.
#[derive(Clone, Debug)]
pub struct OperateTarget<'a> {
    /// The stack (`--stack-name`, else the manifest's).
    pub stack_name: &'a str,
    /// The build's manifest.
    pub manifest: &'a Manifest,
    /// `--pipeline NAME`: the label of a `pipeline` block; `None` when the file has one.
    pub pipeline: Option<&'a str>,
}

/// The deployed pipeline the verbs work on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedPipeline {
    /// The `.pipe` label.
    pub label: String,
    /// The name in AWS.
    pub name: String,
    /// The `.pipe` file and line of the block.
    pub source: Option<(String, u32)>,
    /// Physical ids of the stack's resources by logical id.
    #[serde(skip)]
    pub physical: Vec<(String, String)>,
    /// The stack's region, from its id (`arn:aws:cloudformation:REGION:…`).
    #[serde(skip)]
    pub region: Option<String>,
}

impl ResolvedPipeline {
    /// The physical id of a logical id of the stack.
    #[must_use]
    pub fn physical_id(&self, logical_id: &str) -> Option<&str> {
        self.physical
            .iter()
            .find(|(logical, _)| logical == logical_id)
            .map(|(_, physical)| physical.as_str())
    }
}

/// Finds the pipeline: the stack exists (`P6009`), the file declares the pipeline and the stack
/// holds it (`P6022`).
///
/// # Errors
/// `P6009`, `P6022`, or the diagnostic of a failed call.
pub async fn resolve_pipeline(
    cfn: &dyn CloudFormationApi,
    target: &OperateTarget<'_>,
) -> Result<ResolvedPipeline, Vec<Diagnostic>> {
    let manifest = target.manifest;
    let (label, entry) = pick_pipeline(manifest, target.pipeline)?;
    let stack = cfn
        .describe_stack(target.stack_name)
        .await
        .map_err(|e| api_diagnostics(&e))?;
    let Some(stack) = stack else {
        return Err(vec![Diagnostic::new(
            Code::STACK_NOT_FOUND,
            format!("stack `{}` is not deployed", target.stack_name),
        )
        .help(
            "Run `pipec apply FILE` first, or check `--stack-name`, `--region` and `--profile`.",
        )]);
    };
    let resources = cfn
        .describe_stack_resources(target.stack_name)
        .await
        .map_err(|e| api_diagnostics(&e))?;
    let physical: Vec<(String, String)> = resources
        .iter()
        .filter_map(|r| Some((r.logical_id.clone(), r.physical_id.clone()?)))
        .collect();
    let Some((_, name)) = physical.iter().find(|(l, _)| *l == entry.logical_id) else {
        return Err(vec![Diagnostic::new(
            Code::PIPELINE_NOT_DEPLOYED,
            format!(
                "stack `{}` has no pipeline `{label}` (logical id `{}`)",
                target.stack_name, entry.logical_id
            ),
        )
        .note("The file declares it, but the deployed stack does not contain it yet.")
        .help("Run `pipec apply FILE` to deploy the pipeline.")]);
    };
    Ok(ResolvedPipeline {
        label: label.to_string(),
        name: if name.is_empty() {
            entry.name.clone()
        } else {
            name.clone()
        },
        source: parse_source(&entry.source),
        physical: physical.clone(),
        region: region_of_arn(&stack.stack_id),
    })
}

/// The region field of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`), when it has one.
fn region_of_arn(arn: &str) -> Option<String> {
    let mut fields = arn.split(':');
    (fields.next() == Some("arn"))
        .then(|| fields.nth(2))
        .flatten()
        .filter(|region| !region.is_empty())
        .map(str::to_string)
}

fn pick_pipeline<'m>(
    manifest: &'m Manifest,
    wanted: Option<&str>,
) -> Result<(&'m str, &'m ManifestPipeline), Vec<Diagnostic>> {
    let labels: Vec<&str> = manifest.pipelines.keys().map(String::as_str).collect();
    match wanted {
        None if labels.len() == 1 => {
            let (label, entry) = manifest.pipelines.iter().next().ok_or_else(Vec::new)?;
            Ok((label.as_str(), entry))
        }
        None if labels.is_empty() => Err(vec![Diagnostic::new(
            Code::PIPELINE_NOT_DEPLOYED,
            "the file declares no pipeline",
        )
        .help("Add a `pipeline NAME { … }` block and run `pipec apply FILE`.")]),
        None => Err(vec![Diagnostic::new(
            Code::PIPELINE_NOT_DEPLOYED,
            "the file declares several pipelines",
        )
        .help(format!(
            "Pass `--pipeline NAME`, one of: {}.",
            labels.join(", ")
        ))]),
        Some(wanted) => {
            let wanted = wanted.strip_prefix("pipeline.").unwrap_or(wanted);
            match manifest.pipelines.get_key_value(wanted) {
                Some((label, entry)) => Ok((label.as_str(), entry)),
                None => Err(vec![Diagnostic::new(
                    Code::PIPELINE_NOT_DEPLOYED,
                    format!("the file declares no pipeline `{wanted}`"),
                )
                .help(if labels.is_empty() {
                    "Add a `pipeline NAME { … }` block and run `pipec apply FILE`.".to_string()
                } else {
                    format!("Use one of: {}.", labels.join(", "))
                })]),
            }
        }
    }
}

/// The diagnostic of a failed operate call; a missing pipeline is `P6022`, not an AWS error.
pub(crate) fn operate_error(error: &ApiError, pipeline: &str) -> Vec<Diagnostic> {
    if error.code == "PipelineNotFoundException" {
        return vec![Diagnostic::new(
            Code::PIPELINE_NOT_DEPLOYED,
            format!("CodePipeline has no pipeline `{pipeline}`"),
        )
        .note("The stack lists it, but CodePipeline does not know it (deleted outside CloudFormation?).")
        .help("Run `pipec apply FILE` to create it again.")];
    }
    api_diagnostics(error)
}

/// What `pipec status` shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StatusReport {
    /// The pipeline.
    pub pipeline: String,
    /// Its `.pipe` label.
    pub label: String,
    /// The latest executions, newest first.
    pub executions: Vec<ExecutionSummary>,
    /// The stages of the latest execution, each action with its state (empty when AWS does not
    /// answer `GetPipelineState`; see `warnings`).
    pub stages: Vec<StageState>,
    /// Failed actions at their blocks' `.pipe` lines.
    pub failures: Vec<Located>,
    /// Things that could not be read.
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

impl StatusReport {
    /// 1 when the latest execution failed, else 0.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        i32::from(
            self.executions
                .first()
                .is_some_and(|e| matches!(e.status.as_str(), "Failed" | "Stopped")),
        )
    }
    /// The report as one JSON document.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// How many executions `status` lists.
pub const STATUS_EXECUTIONS: i32 = 5;

/// `pipec status`: the latest executions and the stages of the latest one.
///
/// # Errors
/// `P6009`, `P6022`, `P6023` (never ran), `P6024` (`execution` unknown), or a failed call.
pub async fn status(
    cfn: &dyn CloudFormationApi,
    ops: &dyn OperateApi,
    target: &OperateTarget<'_>,
) -> Result<StatusReport, Vec<Diagnostic>> {
    let pipeline = resolve_pipeline(cfn, target).await?;
    let executions = ops
        .list_pipeline_executions(&pipeline.name, STATUS_EXECUTIONS)
        .await
        .map_err(|e| operate_error(&e, &pipeline.name))?;
    if executions.is_empty() {
        return Err(vec![never_ran(&pipeline)]);
    }
    let mut warnings = Vec::new();
    let stages = match ops.get_pipeline_state(&pipeline.name).await {
        Ok(stages) => stages,
        Err(error) => {
            warnings.push(unavailable("the stage states", &error));
            Vec::new()
        }
    };
    let failures = action_failures(target.manifest, &pipeline, &stages);
    Ok(StatusReport {
        pipeline: pipeline.name.clone(),
        label: pipeline.label.clone(),
        executions,
        stages,
        failures,
        warnings,
    })
}

fn never_ran(pipeline: &ResolvedPipeline) -> Diagnostic {
    Diagnostic::new(
        Code::PIPELINE_NEVER_RAN,
        format!("pipeline `{}` has never run", pipeline.name),
    )
    .help("Push a first commit (`pipec push FILE`) and start it with `pipec release FILE`.")
}

pub(crate) fn unavailable(what: &str, error: &ApiError) -> Diagnostic {
    let said = if error.code.is_empty() {
        crate::errors::one_line(&error.message)
    } else {
        format!(
            "{}: {}",
            error.code,
            crate::errors::one_line(&error.message)
        )
    };
    Diagnostic::warning(
        Code::AWS_REQUEST_FAILED,
        format!("{what} could not be read (`{}`)", error.operation),
    )
    .note(format!("AWS says: {said}"))
    .help("The rest of the report is complete; an emulator may not implement this call.")
}

/// The `.pipe` block (`build.app`) and its line for an action of a stage.
#[must_use]
pub fn action_block(
    manifest: &Manifest,
    pipeline: &str,
    stage: &str,
    action: &str,
) -> Option<(String, Option<(String, u32)>)> {
    let entry = manifest.pipelines.get(pipeline)?;
    let block = entry
        .stages
        .iter()
        .filter(|s| s.name == stage)
        .flat_map(|s| s.actions.iter())
        .find(|a| {
            a.block
                .split_once('.')
                .is_some_and(|(_, label)| label == action)
        })?
        .block
        .clone();
    Some((block.clone(), block_source(manifest, &block)))
}

/// The `.pipe` line of a block (`build.app`, `deploy.web`, `repo.app`).
#[must_use]
pub fn block_source(manifest: &Manifest, block: &str) -> Option<(String, u32)> {
    let (kind, label) = block.split_once('.')?;
    let source = match kind {
        "build" => manifest.builds.get(label).map(|b| b.source.clone()),
        "deploy" => manifest.deploys.get(label).map(|d| d.source.clone()),
        "pipeline" => manifest.pipelines.get(label).map(|p| p.source.clone()),
        _ => None,
    }
    .or_else(|| {
        manifest
            .resources
            .values()
            .find(|r| r.block == block)
            .map(|r| r.source.clone())
    })?;
    parse_source(&source)
}

fn action_failures(
    manifest: &Manifest,
    pipeline: &ResolvedPipeline,
    stages: &[StageState],
) -> Vec<Located> {
    stages
        .iter()
        .flat_map(|stage| stage.actions.iter().map(move |a| (stage, a)))
        .filter(|(_, action)| action.status.as_deref() == Some("Failed"))
        .map(|(stage, action)| failed_action(manifest, pipeline, &stage.name, action))
        .collect()
}

/// The diagnostic of a failed action, at its block's line; an empty repository is `P6028`.
pub(crate) fn failed_action(
    manifest: &Manifest,
    pipeline: &ResolvedPipeline,
    stage: &str,
    action: &ActionState,
) -> Located {
    let found = action_block(manifest, &pipeline.label, stage, &action.name);
    let (block, location) = found.unwrap_or_default();
    let reason = action
        .error_message
        .clone()
        .or_else(|| action.summary.clone())
        .unwrap_or_else(|| "no reason given".to_string());
    let code = action.error_code.clone().unwrap_or_default();
    let empty_repo = block.starts_with("repo.")
        && (reason.contains("empty")
            || reason.contains("does not exist")
            || reason.contains("branch"));
    let diagnostic = if empty_repo {
        let repo = block.trim_start_matches("repo.");
        let repo_name = manifest
            .resources
            .iter()
            .find(|(_, r)| r.block == block && r.resource_type == "AWS::CodeCommit::Repository")
            .and_then(|(logical, _)| pipeline.physical_id(logical))
            .unwrap_or(repo)
            .to_string();
        Diagnostic::new(
            Code::REPOSITORY_EMPTY,
            format!("repository `{repo_name}` has no commit on the pipeline's branch"),
        )
        .note(format!("AWS says: {reason}"))
        .note(push_instructions(
            &repo_name,
            pipeline.region.as_deref().unwrap_or("REGION"),
            &source_branch(manifest, &block),
        ))
        .help("Run `pipec push FILE` from the project's git repository, then `pipec release FILE`.")
    } else {
        let mut diagnostic = Diagnostic::new(
            Code::PIPELINE_ACTION_FAILED,
            format!("action `{}` of stage `{stage}` failed", action.name),
        )
        .note(if code.is_empty() {
            format!("AWS says: {reason}")
        } else {
            format!("AWS says: {code}: {reason}")
        });
        if let Some(id) = &action.external_execution_id {
            diagnostic = diagnostic.note(format!("it ran `{id}`"));
        }
        let help = match block.split_once('.') {
            Some(("build" | "deploy", _)) => {
                format!("Run `pipec logs FILE {block}` to see why.")
            }
            _ => "Fix the cause, then run `pipec release FILE` again.".to_string(),
        };
        diagnostic.help(help)
    };
    Located {
        diagnostic,
        location,
    }
}

/// How to push a first commit to a CodeCommit repository by hand.
#[must_use]
pub fn push_instructions(repo_name: &str, region: &str, branch: &str) -> String {
    format!(
        "To push by hand: `git push https://git-codecommit.{region}.amazonaws.com/v1/repos/{repo_name} HEAD:{branch}` \
         with `git config credential.helper '!aws codecommit credential-helper $@'` and \
         `git config credential.UseHttpPath true`, or with git-remote-codecommit: \
         `git push codecommit::{region}://{repo_name} HEAD:{branch}`."
    )
}

/// The branch the source action of `block` (`repo.app`) watches; `main` when none says.
#[must_use]
pub fn source_branch(manifest: &Manifest, block: &str) -> String {
    manifest
        .pipelines
        .values()
        .flat_map(|p| p.stages.iter())
        .flat_map(|s| s.actions.iter())
        .find(|a| a.block == block)
        .and_then(|a| a.branch.clone())
        .unwrap_or_else(|| "main".to_string())
}

/// One action's state while `release --wait` follows an execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionProgress {
    /// The stage.
    pub stage: String,
    /// The action.
    pub action: String,
    /// `InProgress`, `Succeeded`, `Failed`, …
    pub status: String,
}

/// Receives action updates while `release --wait` follows.
pub trait ReleaseSink: Send + Sync {
    /// An action changed state (each change once, in order).
    fn action(&self, progress: &ActionProgress);
}

impl ReleaseSink for crate::options::NoProgress {
    fn action(&self, _progress: &ActionProgress) {}
}

/// What `pipec release` reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReleaseReport {
    /// The pipeline.
    pub pipeline: String,
    /// The execution started.
    pub execution_id: String,
    /// The final status with `--wait` (`Succeeded`, `Failed`, …); `None` without it or when
    /// following stopped (Ctrl-C).
    pub status: Option<String>,
    /// Every action's last state seen.
    pub actions: Vec<ActionProgress>,
    /// Failed actions at their blocks' lines.
    pub failures: Vec<Located>,
    /// Things that could not be read while following.
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

impl ReleaseReport {
    /// 0 when started (or, with `--wait`, succeeded), 1 when the execution did not succeed.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        match self.status.as_deref() {
            None | Some("Succeeded") => 0,
            Some(_) => 1,
        }
    }
    /// The report as one JSON document.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Statuses after which an execution changes no more.
const FINAL: [&str; 5] = ["Succeeded", "Failed", "Stopped", "Superseded", "Cancelled"];

/// The labels of the pipelines to run again after `plan` replaced instances that deploys target
/// (`needs_redeploy`): CodeDeploy deploys on its own only to Auto Scaling groups, so a new
/// instance has no application until a pipeline deploys to it again. A pipeline counts when one
/// of its actions runs a deploy whose deployment group (in `template_body`, the template now
/// applied) selects a replaced instance; when none can be told, every pipeline with an `ec2`
/// deploy. Empty when nothing was replaced.
#[must_use]
pub fn pipelines_to_redeploy(plan: &Plan, template_body: &str, manifest: &Manifest) -> Vec<String> {
    let replaced: Vec<&str> = plan
        .changes
        .iter()
        .filter(|change| change.needs_redeploy)
        .map(|change| change.logical_id.as_str())
        .collect();
    if replaced.is_empty() {
        return Vec::new();
    }
    let template = serde_json::from_str::<serde_json::Value>(template_body).unwrap_or_default();
    let deploy_blocks: BTreeSet<String> = replaced
        .iter()
        .flat_map(|instance| groups_selecting(&template, instance))
        .filter_map(|group| manifest.resource(&group).map(|entry| entry.block.clone()))
        .filter(|block| !block.is_empty())
        .collect();
    let runs = |entry: &ManifestPipeline, wanted: &dyn Fn(&str) -> bool| {
        entry
            .stages
            .iter()
            .flat_map(|stage| &stage.actions)
            .any(|action| wanted(&action.block))
    };
    let selected: Vec<String> = manifest
        .pipelines
        .iter()
        .filter(|(_, entry)| runs(entry, &|block| deploy_blocks.contains(block)))
        .map(|(label, _)| label.clone())
        .collect();
    if !selected.is_empty() {
        return selected;
    }
    let ec2_deploy = |block: &str| {
        block
            .strip_prefix("deploy.")
            .and_then(|label| manifest.deploys.get(label))
            .is_some_and(|deploy| deploy.kind == "ec2")
    };
    manifest
        .pipelines
        .iter()
        .filter(|(_, entry)| runs(entry, &ec2_deploy))
        .map(|(label, _)| label.clone())
        .collect()
}

/// `pipec release`: starts the pipeline; with `wait`, follows the execution until it ends.
///
/// # Errors
/// `P6009`, `P6022`, or a failed call.
#[allow(clippy::too_many_arguments)]
pub async fn release(
    cfn: &dyn CloudFormationApi,
    ops: &dyn OperateApi,
    target: &OperateTarget<'_>,
    wait: bool,
    poll: PollPolicy,
    cancel: &CancelFlag,
    sink: &dyn ReleaseSink,
) -> Result<ReleaseReport, Vec<Diagnostic>> {
    let pipeline = resolve_pipeline(cfn, target).await?;
    let token = crate::tokens::client_token("release", &pipeline.name);
    let execution_id = ops
        .start_pipeline_execution(&pipeline.name, &token)
        .await
        .map_err(|e| operate_error(&e, &pipeline.name))?;
    let mut report = ReleaseReport {
        pipeline: pipeline.name.clone(),
        execution_id: execution_id.clone(),
        ..ReleaseReport::default()
    };
    if !wait {
        return Ok(report);
    }
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut state_readable = true;
    let mut delay = poll.initial;
    loop {
        if cancel.is_cancelled() {
            return Ok(report);
        }
        let execution = ops
            .get_pipeline_execution(&pipeline.name, &execution_id)
            .await
            .map_err(|e| operate_error(&e, &pipeline.name))?;
        let status = execution.map(|e| e.status).unwrap_or_default();
        let mut changed = false;
        if state_readable {
            match ops.get_pipeline_state(&pipeline.name).await {
                Ok(stages) => {
                    for stage in &stages {
                        for action in &stage.actions {
                            let ours = action.execution_id.as_deref() == Some(&execution_id)
                                || stage.execution_id.as_deref() == Some(&execution_id);
                            let Some(state) = action.status.clone().filter(|_| ours) else {
                                continue;
                            };
                            let key = (stage.name.clone(), action.name.clone(), state.clone());
                            if seen.insert(key) {
                                changed = true;
                                let progress = ActionProgress {
                                    stage: stage.name.clone(),
                                    action: action.name.clone(),
                                    status: state.clone(),
                                };
                                sink.action(&progress);
                                report.actions.retain(|a| {
                                    !(a.stage == stage.name && a.action == action.name)
                                });
                                report.actions.push(progress);
                                if state == "Failed" {
                                    report.failures.push(failed_action(
                                        target.manifest,
                                        &pipeline,
                                        &stage.name,
                                        action,
                                    ));
                                }
                            }
                        }
                    }
                }
                Err(error) => {
                    report
                        .warnings
                        .push(unavailable("the stage states", &error));
                    state_readable = false;
                }
            }
        }
        if FINAL.contains(&status.as_str()) {
            report.status = Some(status);
            return Ok(report);
        }
        delay = if changed {
            poll.initial
        } else {
            poll.next(delay)
        };
        tokio::time::sleep(delay).await;
    }
}
