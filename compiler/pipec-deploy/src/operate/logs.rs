//! `pipec logs`: a build's CloudWatch Logs stream grouped by phase with the failing command, or
//! an EC2 deploy's lifecycle events per instance with each failed hook's error code and log tail,
//! each at its `.pipe` line.

use pipec_diagnostics::{Code, Diagnostic};
use serde::Serialize;

use crate::api::CloudFormationApi;
use crate::errors::api_diagnostics;
use crate::manifest::{parse_source, Manifest};
use crate::operate::api::{
    ActionState, BuildInfo, DeploymentInfo, InstanceTarget, LogEvent, OperateApi,
};
use crate::operate::{
    block_source, operate_error, resolve_pipeline, Located, OperateTarget, ResolvedPipeline,
};
use crate::options::{CancelFlag, PollPolicy};

/// What to show logs of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// `build.NAME`.
    Build(String),
    /// `deploy.NAME`.
    Deploy(String),
}

impl LogTarget {
    /// Parses `build.NAME` / `deploy.NAME` against the manifest.
    ///
    /// # Errors
    /// `P6031` when it is neither, or names no block of the file.
    pub fn parse(text: &str, manifest: &Manifest) -> Result<LogTarget, Vec<Diagnostic>> {
        let known: Vec<String> = manifest
            .builds
            .keys()
            .map(|k| format!("build.{k}"))
            .chain(
                manifest
                    .deploys
                    .iter()
                    .filter(|(_, d)| d.kind == "ec2" || d.kind.is_empty())
                    .map(|(k, _)| format!("deploy.{k}")),
            )
            .collect();
        let target = match text.split_once('.') {
            Some(("build", label)) if manifest.builds.contains_key(label) => {
                Some(LogTarget::Build(label.to_string()))
            }
            Some(("deploy", label)) if manifest.deploys.contains_key(label) => {
                Some(LogTarget::Deploy(label.to_string()))
            }
            _ => None,
        };
        target.ok_or_else(|| {
            let best = pipec_diagnostics::did_you_mean(text, known.iter().map(String::as_str));
            let mut diagnostic = Diagnostic::new(
                Code::UNKNOWN_LOG_TARGET,
                format!("`{text}` is not a build or deploy of this file"),
            );
            if let Some(best) = best {
                diagnostic = diagnostic.note(format!("did you mean `{best}`?"));
            }
            vec![diagnostic.help(if known.is_empty() {
                "The file declares no build or EC2 deploy.".to_string()
            } else {
                format!("Use one of: {}.", known.join(", "))
            })]
        })
    }
}

/// `pipec logs` arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogsRequest {
    /// `build.NAME` or `deploy.NAME`; `None`: the failed action of the latest execution, else
    /// the file's first build.
    pub target: Option<LogTarget>,
    /// `--execution ID`.
    pub execution: Option<String>,
}

/// The log events of one build phase.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogGroup {
    /// `INSTALL`, `BUILD`, …, or empty for the lines before the first phase.
    pub phase: String,
    /// The phase's status from `BatchGetBuilds`.
    pub status: Option<String>,
    /// The lines.
    pub events: Vec<LogEvent>,
}

/// A build's logs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BuildLogs {
    /// The `.pipe` label.
    pub label: String,
    /// The build.
    pub build: BuildInfo,
    /// The CloudWatch Logs group.
    pub log_group: String,
    /// The stream.
    pub log_stream: String,
    /// The events grouped by phase.
    pub phases: Vec<LogGroup>,
    /// The command CodeBuild reports as failed.
    pub failed_command: Option<String>,
    /// The forward token to continue from (`--follow`).
    #[serde(skip)]
    pub next_token: Option<String>,
}

/// An EC2 deploy's lifecycle events.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DeployLogs {
    /// The `.pipe` label.
    pub label: String,
    /// The deployment.
    pub deployment: DeploymentInfo,
    /// Every instance with its events.
    pub instances: Vec<InstanceTarget>,
    /// What could not be read (the instances, when AWS does not answer for them).
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

/// What `pipec logs` shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LogsReport {
    /// A build.
    Build {
        /// The logs.
        #[serde(flatten)]
        logs: BuildLogs,
        /// The failure at its `run` line.
        failures: Vec<Located>,
    },
    /// A deploy.
    Deploy {
        /// The events.
        #[serde(flatten)]
        logs: DeployLogs,
        /// Failed hooks at their `hook` lines, a failed deployment at its block.
        failures: Vec<Located>,
    },
}

impl LogsReport {
    /// What could not be read.
    #[must_use]
    pub fn warnings(&self) -> &[Diagnostic] {
        match self {
            LogsReport::Build { .. } => &[],
            LogsReport::Deploy { logs, .. } => &logs.warnings,
        }
    }
    /// The failures.
    #[must_use]
    pub fn failures(&self) -> &[Located] {
        match self {
            LogsReport::Build { failures, .. } | LogsReport::Deploy { failures, .. } => failures,
        }
    }
    /// 1 when the build or deployment failed.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.failures().is_empty())
    }
    /// The report as one JSON document.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// `pipec logs`.
///
/// # Errors
/// `P6009`, `P6022`, `P6023`, `P6024`, `P6030`, `P6031`, or a failed call.
pub async fn logs(
    cfn: &dyn CloudFormationApi,
    ops: &dyn OperateApi,
    target: &OperateTarget<'_>,
    request: &LogsRequest,
) -> Result<LogsReport, Vec<Diagnostic>> {
    let manifest = target.manifest;
    let pipeline = resolve_pipeline(cfn, target).await?;
    let actions = match &request.execution {
        Some(id) => {
            let found = ops
                .get_pipeline_execution(&pipeline.name, id)
                .await
                .map_err(|e| operate_error(&e, &pipeline.name))?;
            if found.is_none() {
                return Err(vec![Diagnostic::new(
                    Code::EXECUTION_NOT_FOUND,
                    format!("pipeline `{}` has no execution `{id}`", pipeline.name),
                )
                .help("Copy an id from `pipec status FILE`, or leave `--execution` out for the latest.")]);
            }
            Some(
                ops.list_action_executions(&pipeline.name, id)
                    .await
                    .map_err(|e| operate_error(&e, &pipeline.name))?,
            )
        }
        None => None,
    };
    let chosen = match &request.target {
        Some(chosen) => chosen.clone(),
        None => default_target(manifest, actions.as_deref())?,
    };
    match chosen {
        LogTarget::Build(label) => {
            build_logs(ops, manifest, &pipeline, &label, actions.as_deref()).await
        }
        LogTarget::Deploy(label) => {
            deploy_logs(ops, manifest, &pipeline, &label, actions.as_deref()).await
        }
    }
}

fn default_target(
    manifest: &Manifest,
    actions: Option<&[ActionState]>,
) -> Result<LogTarget, Vec<Diagnostic>> {
    let failed = actions
        .unwrap_or_default()
        .iter()
        .find(|a| a.status.as_deref() == Some("Failed"));
    if let Some(failed) = failed {
        if manifest.deploys.contains_key(&failed.name) && failed.stage.contains("deploy") {
            return Ok(LogTarget::Deploy(failed.name.clone()));
        }
        if manifest.builds.contains_key(&failed.name) {
            return Ok(LogTarget::Build(failed.name.clone()));
        }
    }
    match manifest.builds.keys().next() {
        Some(label) => Ok(LogTarget::Build(label.clone())),
        None => Err(LogTarget::parse("", manifest).err().unwrap_or_default()),
    }
}

fn physical_of(
    manifest: &Manifest,
    pipeline: &ResolvedPipeline,
    block: &str,
    resource_type: &str,
) -> Option<String> {
    manifest
        .resources
        .iter()
        .find(|(_, r)| r.block == block && r.resource_type == resource_type)
        .and_then(|(logical, _)| pipeline.physical_id(logical))
        .map(ToString::to_string)
}

fn no_logs(message: String, help: &str) -> Vec<Diagnostic> {
    vec![Diagnostic::new(Code::NO_LOGS, message).help(help.to_string())]
}

fn external_id(actions: Option<&[ActionState]>, label: &str) -> Option<Option<String>> {
    let actions = actions?;
    Some(
        actions
            .iter()
            .find(|a| a.name == label && a.external_execution_id.is_some())
            .and_then(|a| a.external_execution_id.clone()),
    )
}

async fn build_logs(
    ops: &dyn OperateApi,
    manifest: &Manifest,
    pipeline: &ResolvedPipeline,
    label: &str,
    actions: Option<&[ActionState]>,
) -> Result<LogsReport, Vec<Diagnostic>> {
    let block = format!("build.{label}");
    let project =
        physical_of(manifest, pipeline, &block, "AWS::CodeBuild::Project").ok_or_else(|| {
            no_logs(
                format!("the stack has no CodeBuild project for `{block}`"),
                "Run `pipec apply FILE` to deploy it.",
            )
        })?;
    let build_id = match external_id(actions, label) {
        Some(Some(id)) => id,
        Some(None) => {
            return Err(no_logs(
                format!("`{block}` did not run in this execution"),
                "Check `pipec status FILE`: a stage that did not run has no logs.",
            ))
        }
        None => {
            let ids = match ops.list_builds_for_project(&project).await {
                Ok(ids) => ids,
                Err(error) if error.code == "ResourceNotFoundException" => return Err(no_logs(
                    format!("CodeBuild has no project `{project}` (`{block}`)"),
                    "The stack lists it but CodeBuild does not know it; run `pipec apply FILE`.",
                )),
                Err(error) => return Err(api_diagnostics(&error)),
            };
            ids.into_iter().next().ok_or_else(|| {
                no_logs(
                    format!("project `{project}` (`{block}`) has never run a build"),
                    "Start the pipeline with `pipec release FILE`; the build runs after the source stage.",
                )
            })?
        }
    };
    let builds = ops
        .batch_get_builds(std::slice::from_ref(&build_id))
        .await
        .map_err(|e| api_diagnostics(&e))?;
    let build = builds.into_iter().next().ok_or_else(|| {
        no_logs(
            format!("CodeBuild has no build `{build_id}`"),
            "Builds expire after a year; run `pipec status FILE` for recent executions.",
        )
    })?;
    // CodeBuild's defaults when the build does not say: group /aws/codebuild/PROJECT, stream
    // the build id's part after the colon.
    let log_group = build
        .log_group
        .clone()
        .unwrap_or_else(|| format!("/aws/codebuild/{project}"));
    let log_stream = build.log_stream.clone().unwrap_or_else(|| {
        build
            .id
            .split_once(':')
            .map_or(build.id.clone(), |(_, uuid)| uuid.to_string())
    });
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = match ops
            .get_log_events(&log_group, &log_stream, token.as_deref())
            .await
        {
            Ok(page) => page,
            Err(error) if error.code == "ResourceNotFoundException" => {
                return Err(no_logs(
                    format!("build `{build_id}` has no log stream `{log_group}/{log_stream}` yet"),
                    "A build that just started writes its stream within seconds; `--follow` waits for it.",
                ))
            }
            Err(error) => return Err(api_diagnostics(&error)),
        };
        let done = page.events.is_empty() || page.next_token == token;
        events.extend(page.events);
        token = page.next_token;
        if done || token.is_none() {
            break;
        }
    }
    let phases = group_by_phase(&build, events);
    let failed_command = failed_command(&build, &phases);
    let mut logs = BuildLogs {
        label: label.to_string(),
        build,
        log_group,
        log_stream,
        phases,
        failed_command,
        next_token: token,
    };
    let failures = build_failures(manifest, &mut logs);
    Ok(LogsReport::Build { logs, failures })
}

/// Follows a build's stream: new events after `logs.next_token` until the build ends or the
/// flag is set. `on_event` sees each new event once.
///
/// # Errors
/// A failed call.
pub async fn follow_build(
    ops: &dyn OperateApi,
    logs: &mut BuildLogs,
    poll: PollPolicy,
    cancel: &CancelFlag,
    on_event: &(dyn Fn(&LogEvent) + Send + Sync),
) -> Result<(), Vec<Diagnostic>> {
    let mut delay = poll.initial;
    while !cancel.is_cancelled() {
        let page = ops
            .get_log_events(
                &logs.log_group,
                &logs.log_stream,
                logs.next_token.as_deref(),
            )
            .await;
        let mut changed = false;
        if let Ok(page) = page {
            changed = !page.events.is_empty();
            for event in &page.events {
                on_event(event);
            }
            if let Some(last) = logs.phases.last_mut() {
                last.events.extend(page.events);
            }
            logs.next_token = page.next_token.or(logs.next_token.take());
        }
        let build = ops
            .batch_get_builds(std::slice::from_ref(&logs.build.id))
            .await
            .map_err(|e| api_diagnostics(&e))?;
        if let Some(build) = build.into_iter().next() {
            let finished = build.status != "IN_PROGRESS";
            logs.build = build;
            if finished && !changed {
                return Ok(());
            }
        }
        delay = if changed {
            poll.initial
        } else {
            poll.next(delay)
        };
        tokio::time::sleep(delay).await;
    }
    Ok(())
}

fn group_by_phase(build: &BuildInfo, events: Vec<LogEvent>) -> Vec<LogGroup> {
    let mut groups: Vec<LogGroup> = vec![LogGroup::default()];
    for event in events {
        if let Some(phase) = event
            .message
            .split("Entering phase ")
            .nth(1)
            .map(|rest| rest.trim().to_string())
        {
            groups.push(LogGroup {
                status: build
                    .phases
                    .iter()
                    .find(|p| p.phase == phase)
                    .and_then(|p| p.status.clone()),
                phase,
                events: Vec::new(),
            });
        }
        if let Some(group) = groups.last_mut() {
            group.events.push(event);
        }
    }
    groups.retain(|g| !(g.phase.is_empty() && g.events.is_empty()));
    groups
}

/// The command CodeBuild names in a failed phase's context (`Error while executing command: X.
/// Reason: …`), else in the log (`Command did not exit successfully X exit status N`).
fn failed_command(build: &BuildInfo, phases: &[LogGroup]) -> Option<String> {
    let from_context = build
        .phases
        .iter()
        .flat_map(|p| p.messages.iter())
        .find_map(|m| {
            let rest = m.split("Error while executing command: ").nth(1)?;
            let command = rest.rsplit_once(". Reason:").map_or(rest, |(c, _)| c);
            Some(command.trim().to_string())
        });
    from_context.or_else(|| {
        phases.iter().flat_map(|p| p.events.iter()).find_map(|e| {
            let rest = e
                .message
                .split("Command did not exit successfully ")
                .nth(1)?;
            let command = rest.rsplit_once(" exit status").map_or(rest, |(c, _)| c);
            Some(command.trim().to_string())
        })
    })
}

fn build_failures(manifest: &Manifest, logs: &mut BuildLogs) -> Vec<Located> {
    if !matches!(
        logs.build.status.as_str(),
        "FAILED" | "FAULT" | "TIMED_OUT" | "STOPPED"
    ) {
        return Vec::new();
    }
    let block = format!("build.{}", logs.label);
    let failed_phase = logs
        .build
        .phases
        .iter()
        .find(|p| matches!(p.status.as_deref(), Some("FAILED" | "FAULT" | "TIMED_OUT")));
    let message = match &logs.failed_command {
        Some(command) => format!("`{block}`: command `{command}` failed"),
        None => format!("`{block}`: the build {}", logs.build.status.to_lowercase()),
    };
    let mut diagnostic = Diagnostic::new(Code::BUILD_COMMAND_FAILED, message);
    if let Some(phase) = failed_phase {
        for m in &phase.messages {
            diagnostic = diagnostic.note(format!("AWS says ({} phase): {m}", phase.phase));
        }
    }
    let aws_code = failed_phase
        .and_then(|p| p.messages.first())
        .and_then(|m| m.split_once(':'))
        .map(|(code, _)| code.trim().to_string())
        .filter(|code| !code.is_empty());
    let help = match aws_code {
        Some(code) => format!("`pipec explain {code}` says what to check; `pipec run --local FILE` runs the build on this machine."),
        None => "`pipec run --local FILE` runs the build on this machine.".to_string(),
    };
    vec![Located {
        diagnostic: diagnostic.help(help),
        location: block_source(manifest, &block),
    }]
}

/// The 1-based line of the `run` of `command` inside the block that starts at `block_line` of
/// `text` (the `.pipe` source); `None` when no such line is found.
#[must_use]
pub fn find_run_line(text: &str, block_line: u32, command: &str) -> Option<u32> {
    let start = usize::try_from(block_line).ok()?.checked_sub(1)?;
    let mut depth = 0i32;
    for (index, line) in text.lines().enumerate().skip(start) {
        let trimmed = line.trim_start();
        if index > start
            && trimmed.starts_with("run")
            && (trimmed.contains(command) || trimmed.contains(&command.replace('"', "\\\"")))
        {
            return u32::try_from(index + 1).ok();
        }
        depth += i32::try_from(line.matches('{').count()).unwrap_or(0);
        depth -= i32::try_from(line.matches('}').count()).unwrap_or(0);
        if index > start && depth <= 0 {
            return None;
        }
    }
    None
}

async fn deploy_logs(
    ops: &dyn OperateApi,
    manifest: &Manifest,
    pipeline: &ResolvedPipeline,
    label: &str,
    actions: Option<&[ActionState]>,
) -> Result<LogsReport, Vec<Diagnostic>> {
    let block = format!("deploy.{label}");
    let entry = manifest.deploys.get(label).cloned().unwrap_or_default();
    let application = physical_of(manifest, pipeline, &block, "AWS::CodeDeploy::Application")
        .or(entry.application.clone())
        .unwrap_or_default();
    let group = physical_of(
        manifest,
        pipeline,
        &block,
        "AWS::CodeDeploy::DeploymentGroup",
    )
    .or(entry.deployment_group.clone())
    .unwrap_or_default();
    let deployment_id = match external_id(actions, label) {
        Some(Some(id)) => id,
        Some(None) => {
            return Err(no_logs(
                format!("`{block}` did not run in this execution"),
                "Check `pipec status FILE`: a stage that did not run has no logs.",
            ))
        }
        None => {
            let ids = ops
                .list_deployments(&application, &group)
                .await
                .map_err(|e| api_diagnostics(&e))?;
            ids.into_iter().next().ok_or_else(|| {
                no_logs(
                    format!("deployment group `{group}` (`{block}`) has no deployment"),
                    "The deploy runs after the build stage; start the pipeline with `pipec release FILE`.",
                )
            })?
        }
    };
    let deployment = ops
        .get_deployment(&deployment_id)
        .await
        .map_err(|e| api_diagnostics(&e))?
        .ok_or_else(|| {
            no_logs(
                format!("CodeDeploy has no deployment `{deployment_id}`"),
                "Run `pipec status FILE` for recent executions.",
            )
        })?;
    let mut warnings = Vec::new();
    let instances = match ops.deployment_instances(&deployment_id).await {
        Ok(instances) => instances,
        Err(error) => {
            warnings.push(crate::operate::unavailable(
                "the instances' lifecycle events",
                &error,
            ));
            Vec::new()
        }
    };
    let mut failures = Vec::new();
    for instance in &instances {
        for event in &instance.events {
            if event.status != "Failed" {
                continue;
            }
            let hook = entry.hooks.iter().find(|h| {
                h.event == event.name
                    || event
                        .script_name
                        .as_deref()
                        .is_some_and(|s| !h.script.is_empty() && s.ends_with(&h.script))
            });
            let code = event
                .error_code
                .clone()
                .unwrap_or_else(|| "Unknown".to_string());
            let name = hook.map_or(event.name.clone(), |h| {
                format!("{} \"{}\"", h.event, h.name)
            });
            let mut diagnostic = Diagnostic::new(
                Code::DEPLOY_HOOK_FAILED,
                format!("hook {name} failed on `{}`: {code}", instance.id),
            );
            if let Some(message) = &event.message {
                diagnostic =
                    diagnostic.note(format!("AWS says: {}", crate::errors::one_line(message)));
            }
            if let Some(tail) = event.log_tail.as_deref().filter(|t| !t.trim().is_empty()) {
                diagnostic = diagnostic.note(format!("log tail:\n{}", tail.trim_end()));
            }
            let explain = crate::operate::aws_codes::lookup(&code)
                .map(|info| format!("`pipec explain {}` says what to check; ", info.code))
                .unwrap_or_default();
            diagnostic = diagnostic.help(format!(
                "{explain}`pipec run --local FILE` runs the hooks in a sandbox on this machine."
            ));
            failures.push(Located {
                diagnostic,
                location: hook
                    .and_then(|h| parse_source(&h.source))
                    .or_else(|| block_source(manifest, &block)),
            });
        }
    }
    if failures.is_empty() && deployment.status == "Failed" {
        let code = deployment.error_code.clone().unwrap_or_default();
        let mut diagnostic = Diagnostic::new(
            Code::DEPLOYMENT_FAILED,
            format!(
                "deployment `{deployment_id}` of `{block}` failed{}",
                if code.is_empty() {
                    String::new()
                } else {
                    format!(": {code}")
                }
            ),
        );
        if let Some(message) = &deployment.error_message {
            diagnostic = diagnostic.note(format!("AWS says: {}", crate::errors::one_line(message)));
        }
        let help = if crate::operate::aws_codes::lookup(&code).is_some() {
            format!("`pipec explain {code}` says what to check.")
        } else {
            "Read AWS's message above and the instances' lifecycle events.".to_string()
        };
        failures.push(Located {
            diagnostic: diagnostic.help(help),
            location: block_source(manifest, &block),
        });
    }
    Ok(LogsReport::Deploy {
        logs: DeployLogs {
            label: label.to_string(),
            deployment,
            instances,
            warnings,
        },
        failures,
    })
}
