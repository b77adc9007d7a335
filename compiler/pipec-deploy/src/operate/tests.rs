//! `release`, `status` and `logs` through the fakes: the failure states moto cannot produce
//! (failed actions, an empty repository, a failed hook with its log tail, a failed build
//! command) and every not-found case, each with its code at its `.pipe` line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write;

use crate::api::ApiError;
use crate::fake::FakeCloudFormation;
use crate::manifest::Manifest;
use crate::operate::api::{
    ActionState, BuildInfo, BuildPhase, DeploymentInfo, ExecutionSummary, InstanceTarget,
    LifecycleEvent, LogEvent, SourceRevision, StageState,
};
use crate::operate::fake::{FakeOperate, FakeOperateData};
use crate::operate::{
    find_run_line, logs, pipelines_to_redeploy, release, render_logs, render_status, status,
    ActionProgress, Located, LogTarget, LogsRequest, OperateTarget, ReleaseSink,
};
use crate::options::{CancelFlag, NoProgress, PollPolicy};
use crate::render::RenderOptions;

const STACK: &str = "fe-server-dev";
const PIPELINE: &str = "fe-server-dev-pipelinemain";
const PROJECT: &str = "fe-server-dev-buildappproject";
const SEED: &str = include_str!("../../../../examples/seed-ec2/pipeline.pipe");

fn manifest() -> Manifest {
    Manifest::from_json(include_str!("testdata/manifest.json")).unwrap()
}

fn stack(fake: &FakeCloudFormation) {
    let manifest = manifest();
    let resources: Vec<(&str, &str)> = manifest
        .resources
        .iter()
        .map(|(logical, r)| (logical.as_str(), r.resource_type.as_str()))
        .collect();
    fake.add_stack(STACK, "CREATE_COMPLETE", &resources, "{}");
}

fn target(manifest: &Manifest) -> OperateTarget<'_> {
    OperateTarget {
        stack_name: STACK,
        manifest,
        pipeline: None,
    }
}

/// Each diagnostic as the CLI shows it, preceded by its `.pipe` location and that line's text.
fn located_text(located: &[Located]) -> String {
    let mut out = String::new();
    for item in located {
        if let Some((file, line)) = &item.location {
            let text = SEED.lines().nth(*line as usize - 1).unwrap_or_default();
            let _ = writeln!(out, "at {file}:{line}: {}", text.trim());
        }
        out.push_str(&diagnostics_text(std::slice::from_ref(&item.diagnostic)));
    }
    out
}

fn diagnostics_text(diagnostics: &[pipec_diagnostics::Diagnostic]) -> String {
    let db = pipec_span::SourceDb::default();
    let mut out = termcolor::NoColor::new(Vec::new());
    pipec_diagnostics::render_human(&db, diagnostics, &mut out).unwrap();
    String::from_utf8(out.into_inner()).unwrap()
}

fn action(stage: &str, name: &str, status: &str) -> ActionState {
    ActionState {
        stage: stage.to_string(),
        name: name.to_string(),
        status: Some(status.to_string()),
        execution_id: Some("exec-1".to_string()),
        ..ActionState::default()
    }
}

fn stage(name: &str, status: &str, actions: Vec<ActionState>) -> StageState {
    StageState {
        name: name.to_string(),
        execution_id: Some("exec-1".to_string()),
        status: Some(status.to_string()),
        actions,
    }
}

fn execution(id: &str, status: &str) -> ExecutionSummary {
    ExecutionSummary {
        id: id.to_string(),
        status: status.to_string(),
        status_summary: None,
        start: Some(1_764_620_000.0),
        last_update: Some(1_764_620_095.0),
        revisions: vec![SourceRevision {
            action: "app".to_string(),
            revision_id: "8d1f0c2a9b7e".to_string(),
            summary: Some("Add health check\n\nlonger text".to_string()),
        }],
    }
}

fn failed_deploy_state() -> Vec<StageState> {
    let mut deploy = action("deploy", "web", "Failed");
    deploy.error_code = Some("JobFailed".to_string());
    deploy.error_message = Some("Deployment d-ABC123 failed: HEALTH_CONSTRAINTS".to_string());
    deploy.external_execution_id = Some("d-ABC123".to_string());
    let mut build = action("build", "app", "Succeeded");
    build.external_execution_id = Some(format!("{PROJECT}:b1"));
    vec![
        stage(
            "source",
            "Succeeded",
            vec![action("source", "app", "Succeeded")],
        ),
        stage("build", "Succeeded", vec![build]),
        stage("deploy", "Failed", vec![deploy]),
    ]
}

fn data() -> FakeOperateData {
    let mut data = FakeOperateData::default();
    data.executions
        .insert(PIPELINE.to_string(), vec![execution("exec-1", "Failed")]);
    data.states
        .insert(PIPELINE.to_string(), failed_deploy_state());
    data
}

#[tokio::test]
async fn status_shows_the_execution_and_a_failed_action_at_its_block() {
    let cfn = FakeCloudFormation::new();
    stack(&cfn);
    let ops = FakeOperate::new(data());
    let manifest = manifest();
    let report = status(&cfn, &ops, &target(&manifest)).await.unwrap();
    assert_eq!(report.exit_code(), 1);
    let text = format!(
        "{}\n{}",
        render_status(&report, RenderOptions::default()),
        located_text(&report.failures)
    );
    insta::assert_snapshot!("operate_status_failed_deploy", text);
}

#[tokio::test]
async fn an_empty_repository_says_how_to_push() {
    let cfn = FakeCloudFormation::new();
    stack(&cfn);
    let mut data = data();
    let mut source = action("source", "app", "Failed");
    source.error_code = Some("JobFailed".to_string());
    source.error_message = Some(
        "The action failed because no branch named main was found in the selected AWS CodeCommit repository fe-server-dev-repoapp."
            .to_string(),
    );
    data.states.insert(
        PIPELINE.to_string(),
        vec![stage("source", "Failed", vec![source])],
    );
    let ops = FakeOperate::new(data);
    let manifest = manifest();
    let report = status(&cfn, &ops, &target(&manifest)).await.unwrap();
    insta::assert_snapshot!(
        "operate_status_empty_repository",
        located_text(&report.failures)
    );
}

#[tokio::test]
async fn a_failed_hook_is_shown_at_its_hook_line_with_code_and_log_tail() {
    let cfn = FakeCloudFormation::new();
    stack(&cfn);
    let mut data = data();
    data.group_deployments.insert(
        "fe-server-dev-deploywebapplication/fe-server-dev-deploywebgroup".to_string(),
        vec!["d-ABC123".to_string()],
    );
    data.deployments.insert(
        "d-ABC123".to_string(),
        DeploymentInfo {
            id: "d-ABC123".to_string(),
            status: "Failed".to_string(),
            error_code: Some("HEALTH_CONSTRAINTS".to_string()),
            error_message: Some("The overall deployment failed because too many individual instances failed deployment".to_string()),
            start: Some(1_764_620_000.0),
            end: Some(1_764_620_060.0),
        },
    );
    let ok = |name: &str| LifecycleEvent {
        name: name.to_string(),
        status: "Succeeded".to_string(),
        start: Some(1_764_620_000.0),
        end: Some(1_764_620_002.0),
        ..LifecycleEvent::default()
    };
    data.instances.insert(
        "d-ABC123".to_string(),
        vec![InstanceTarget {
            id: "i-0abc".to_string(),
            status: "Failed".to_string(),
            events: vec![
                ok("ApplicationStop"),
                ok("DownloadBundle"),
                ok("BeforeInstall"),
                ok("Install"),
                ok("AfterInstall"),
                ok("ApplicationStart"),
                LifecycleEvent {
                    name: "ValidateService".to_string(),
                    status: "Failed".to_string(),
                    error_code: Some("ScriptFailed".to_string()),
                    script_name: Some("scripts/ValidateService-health.sh".to_string()),
                    message: Some("Script at specified location: scripts/ValidateService-health.sh run as user root failed with exit code 7".to_string()),
                    log_tail: Some("[stderr]curl: (7) Failed to connect to localhost port 3000: Connection refused\n".to_string()),
                    start: Some(1_764_620_010.0),
                    end: Some(1_764_620_041.0),
                },
            ],
        }],
    );
    let ops = FakeOperate::new(data);
    let manifest = manifest();
    let request = LogsRequest {
        target: Some(LogTarget::parse("deploy.web", &manifest).unwrap()),
        execution: None,
    };
    let report = logs(&cfn, &ops, &target(&manifest), &request)
        .await
        .unwrap();
    assert_eq!(report.exit_code(), 1);
    let failures = report.failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].location,
        Some(("pipeline.pipe".to_string(), 78))
    );
    let text = format!(
        "{}\n{}",
        render_logs(&report, RenderOptions::default()),
        located_text(failures)
    );
    assert!(text.contains("ScriptFailed") && text.contains("Connection refused"));
    insta::assert_snapshot!("operate_logs_failed_hook", text);
}

#[tokio::test]
async fn a_deployment_without_instances_is_explained() {
    let cfn = FakeCloudFormation::new();
    stack(&cfn);
    let mut data = data();
    data.action_executions.insert(
        "exec-1".to_string(),
        failed_deploy_state()
            .into_iter()
            .flat_map(|s| s.actions)
            .collect(),
    );
    data.deployments.insert(
        "d-ABC123".to_string(),
        DeploymentInfo {
            id: "d-ABC123".to_string(),
            status: "Failed".to_string(),
            error_code: Some("NO_INSTANCES".to_string()),
            error_message: Some(
                "The deployment failed because no instances were found for your deployment group."
                    .to_string(),
            ),
            ..DeploymentInfo::default()
        },
    );
    let ops = FakeOperate::new(data);
    let manifest = manifest();
    // No target: the failed action of the execution (the deploy) is shown.
    let request = LogsRequest {
        target: None,
        execution: Some("exec-1".to_string()),
    };
    let report = logs(&cfn, &ops, &target(&manifest), &request)
        .await
        .unwrap();
    insta::assert_snapshot!("operate_logs_no_instances", located_text(report.failures()));
}

fn log(ms: i64, message: &str) -> LogEvent {
    LogEvent {
        timestamp: 1_764_620_000_000 + ms,
        message: message.to_string(),
    }
}

#[tokio::test]
async fn a_failed_build_is_grouped_by_phase_and_names_its_command() {
    let cfn = FakeCloudFormation::new();
    stack(&cfn);
    let mut data = data();
    let id = format!("{PROJECT}:0d6e");
    data.project_builds
        .insert(PROJECT.to_string(), vec![id.clone()]);
    data.builds.insert(
        id.clone(),
        BuildInfo {
            id: id.clone(),
            status: "FAILED".to_string(),
            phases: vec![
                BuildPhase { phase: "INSTALL".to_string(), status: Some("SUCCEEDED".to_string()), messages: vec![] },
                BuildPhase {
                    phase: "BUILD".to_string(),
                    status: Some("FAILED".to_string()),
                    messages: vec!["COMMAND_EXECUTION_ERROR: Error while executing command: npm test. Reason: exit status 1".to_string()],
                },
            ],
            ..BuildInfo::default()
        },
    );
    data.logs.insert(
        format!("/aws/codebuild/{PROJECT}/0d6e"),
        vec![
            log(0, "[Container] 2025/12/01 20:13:20.100 Running on CodeBuild On-demand"),
            log(10, "[Container] 2025/12/01 20:13:20.200 Entering phase INSTALL"),
            log(20, "[Container] 2025/12/01 20:13:21.000 Running command npm ci"),
            log(30, "added 120 packages in 3s"),
            log(40, "[Container] 2025/12/01 20:13:25.000 Entering phase BUILD"),
            log(50, "[Container] 2025/12/01 20:13:25.100 Running command npm test"),
            log(60, "FAIL test/health.test.js"),
            log(70, "[Container] 2025/12/01 20:13:30.000 Command did not exit successfully npm test exit status 1"),
        ],
    );
    let ops = FakeOperate::new(data);
    let manifest = manifest();
    let request = LogsRequest {
        target: Some(LogTarget::Build("app".to_string())),
        execution: None,
    };
    let report = logs(&cfn, &ops, &target(&manifest), &request)
        .await
        .unwrap();
    let crate::operate::LogsReport::Build {
        logs: build,
        failures,
    } = &report
    else {
        panic!("a build report");
    };
    assert_eq!(build.failed_command.as_deref(), Some("npm test"));
    assert_eq!(
        build
            .phases
            .iter()
            .map(|p| p.phase.as_str())
            .collect::<Vec<_>>(),
        ["", "INSTALL", "BUILD"]
    );
    let (_, block_line) = failures[0].location.clone().unwrap();
    let run_line = find_run_line(SEED, block_line, "npm test").unwrap();
    assert_eq!(
        SEED.lines().nth(run_line as usize - 1).unwrap().trim(),
        "run \"npm test\""
    );
    assert_eq!(find_run_line(SEED, block_line, "make deploy"), None);
    let text = format!(
        "{}\nrun line {run_line}\n{}",
        render_logs(&report, RenderOptions::default()),
        located_text(failures)
    );
    insta::assert_snapshot!("operate_logs_failed_build", text);
}

#[derive(Default)]
struct Lines(std::sync::Mutex<Vec<String>>);

impl ReleaseSink for Lines {
    fn action(&self, progress: &ActionProgress) {
        self.0
            .lock()
            .unwrap()
            .push(crate::operate::render_release_line(
                progress,
                RenderOptions::default(),
            ));
    }
}

#[tokio::test]
async fn release_wait_follows_each_action_and_fails_with_the_execution() {
    let cfn = FakeCloudFormation::new();
    stack(&cfn);
    let mut data = data();
    data.next_execution_id = "exec-2".to_string();
    let relabel = |stages: Vec<StageState>| -> Vec<StageState> {
        stages
            .into_iter()
            .map(|mut s| {
                s.execution_id = Some("exec-2".to_string());
                for a in &mut s.actions {
                    a.execution_id = Some("exec-2".to_string());
                }
                s
            })
            .collect()
    };
    data.state_sequence = vec![
        relabel(vec![stage(
            "source",
            "InProgress",
            vec![action("source", "app", "InProgress")],
        )]),
        relabel(failed_deploy_state()),
    ];
    // The execution is still running at the first look, failed at the second.
    data.execution_statuses = vec!["InProgress".to_string(), "Failed".to_string()];
    let ops = FakeOperate::new(data);
    let manifest = manifest();
    let lines = Lines::default();
    let report = release(
        &cfn,
        &ops,
        &target(&manifest),
        true,
        PollPolicy::immediate(),
        &CancelFlag::new(),
        &lines,
    )
    .await;
    let report = match report {
        Ok(report) => report,
        Err(d) => panic!("{}", diagnostics_text(&d)),
    };
    let text = format!(
        "{}\nstatus: {:?}\n{}",
        lines.0.lock().unwrap().join("\n"),
        report.status,
        located_text(&report.failures)
    );
    assert_eq!(report.exit_code(), 1);
    insta::assert_snapshot!("operate_release_wait_failed", text);
}

#[tokio::test]
async fn release_without_wait_prints_the_execution_id() {
    let cfn = FakeCloudFormation::new();
    stack(&cfn);
    let mut data = data();
    data.next_execution_id = "exec-9".to_string();
    let ops = FakeOperate::new(data);
    let manifest = manifest();
    let report = release(
        &cfn,
        &ops,
        &target(&manifest),
        false,
        PollPolicy::immediate(),
        &CancelFlag::new(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.execution_id, "exec-9");
    assert_eq!(report.exit_code(), 0);
    assert_eq!(ops.calls(), ["StartPipelineExecution"]);
}

#[tokio::test]
async fn not_found_cases_have_their_own_codes() {
    let manifest = manifest();
    let mut out = String::new();
    // No stack.
    let cfn = FakeCloudFormation::new();
    let ops = FakeOperate::new(data());
    let error = status(&cfn, &ops, &target(&manifest)).await.unwrap_err();
    let _ = writeln!(out, "## no stack\n{}", diagnostics_text(&error));
    // A stack without the pipeline.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack(
        STACK,
        "CREATE_COMPLETE",
        &[("RepoApp", "AWS::CodeCommit::Repository")],
        "{}",
    );
    let error = status(&cfn, &ops, &target(&manifest)).await.unwrap_err();
    let _ = writeln!(
        out,
        "## stack without the pipeline\n{}",
        diagnostics_text(&error)
    );
    // An unknown --pipeline.
    let cfn = FakeCloudFormation::new();
    stack(&cfn);
    let wrong = OperateTarget {
        pipeline: Some("mian"),
        ..target(&manifest)
    };
    let error = status(&cfn, &ops, &wrong).await.unwrap_err();
    let _ = writeln!(out, "## unknown --pipeline\n{}", diagnostics_text(&error));
    // CodePipeline does not know it.
    let mut gone = FakeOperateData::default();
    gone.errors.insert(
        "ListPipelineExecutions".to_string(),
        ApiError::service(
            "ListPipelineExecutions",
            "PipelineNotFoundException",
            "no pipeline",
        ),
    );
    let error = status(&cfn, &FakeOperate::new(gone), &target(&manifest))
        .await
        .unwrap_err();
    let _ = writeln!(
        out,
        "## pipeline missing in CodePipeline\n{}",
        diagnostics_text(&error)
    );
    // Never ran.
    let mut never = FakeOperateData::default();
    never.states.insert(PIPELINE.to_string(), Vec::new());
    let never = FakeOperate::new(never);
    let error = status(&cfn, &never, &target(&manifest)).await.unwrap_err();
    let _ = writeln!(out, "## never ran\n{}", diagnostics_text(&error));
    // An unknown execution id.
    let request = LogsRequest {
        target: None,
        execution: Some("nope".to_string()),
    };
    let error = logs(&cfn, &ops, &target(&manifest), &request)
        .await
        .unwrap_err();
    let _ = writeln!(out, "## unknown execution\n{}", diagnostics_text(&error));
    // An unknown log target.
    let error = LogTarget::parse("build.ap", &manifest).unwrap_err();
    let _ = writeln!(out, "## unknown log target\n{}", diagnostics_text(&error));
    // A build that never ran.
    let request = LogsRequest {
        target: Some(LogTarget::Build("app".to_string())),
        execution: None,
    };
    let error = logs(&cfn, &ops, &target(&manifest), &request)
        .await
        .unwrap_err();
    let _ = writeln!(out, "## no build yet\n{}", diagnostics_text(&error));
    insta::assert_snapshot!("operate_not_found", out);
}

#[tokio::test]
async fn follow_prints_new_lines_until_the_build_ends() {
    let mut data = FakeOperateData::default();
    let id = format!("{PROJECT}:0d6e");
    data.builds.insert(
        id.clone(),
        BuildInfo {
            id: id.clone(),
            status: "SUCCEEDED".to_string(),
            ..BuildInfo::default()
        },
    );
    data.logs.insert(
        format!("/aws/codebuild/{PROJECT}/0d6e"),
        vec![log(0, "one"), log(1, "two"), log(2, "three")],
    );
    let ops = FakeOperate::new(data);
    let mut build = crate::operate::BuildLogs {
        label: "app".to_string(),
        build: BuildInfo {
            id,
            status: "IN_PROGRESS".to_string(),
            ..BuildInfo::default()
        },
        log_group: format!("/aws/codebuild/{PROJECT}"),
        log_stream: "0d6e".to_string(),
        phases: vec![crate::operate::LogGroup::default()],
        failed_command: None,
        next_token: Some("2".to_string()),
    };
    let seen = std::sync::Mutex::new(Vec::new());
    let on_event = |event: &LogEvent| seen.lock().unwrap().push(event.message.clone());
    crate::operate::follow_build(
        &ops,
        &mut build,
        PollPolicy::immediate(),
        &CancelFlag::new(),
        &on_event,
    )
    .await
    .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["three"]);
    assert_eq!(build.build.status, "SUCCEEDED");
}

/// A plan that replaced `InstanceWeb`, which `deploy.web`'s group selects by its tags.
fn replacing_plan(needs_redeploy: bool) -> crate::plan::Plan {
    crate::plan::Plan {
        stack_name: STACK.to_string(),
        stack_status: Some("UPDATE_COMPLETE".to_string()),
        kind: crate::plan::PlanKind::Update,
        changes: vec![crate::plan::ResourceChange {
            action: crate::plan::ChangeAction::Replace,
            conditional: false,
            logical_id: "InstanceWeb".to_string(),
            resource_type: "AWS::EC2::Instance".to_string(),
            physical_id: Some("i-1".to_string()),
            block: "instance.web".to_string(),
            source: Some("pipeline.pipe:29".to_string()),
            data: false,
            iam: false,
            replacement_reasons: vec!["ImageId".to_string()],
            properties: Vec::new(),
            needs_redeploy,
        }],
        change_set_id: None,
        change_set_kept: false,
        warnings: Vec::new(),
        stack_id: None,
        created_review_stack: false,
    }
}

const SELECTING_TEMPLATE: &str = r#"{"Resources": {
    "InstanceWeb": {"Type": "AWS::EC2::Instance", "Properties": {"Tags": [{"Key": "Deploy", "Value": "web"}]}},
    "DeployWebGroup": {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": {
        "Ec2TagFilters": [{"Key": "Deploy", "Value": "web", "Type": "KEY_AND_VALUE"}]}}
}}"#;

#[tokio::test]
async fn a_replaced_deploy_target_reruns_its_pipeline() {
    let manifest = manifest();
    // The group of `deploy.web` selects the replaced instance: `pipeline.main` runs it.
    let pipelines = pipelines_to_redeploy(&replacing_plan(true), SELECTING_TEMPLATE, &manifest);
    assert_eq!(pipelines, ["main"]);
    // Nothing was replaced that a deploy targets: nothing to run.
    assert!(
        pipelines_to_redeploy(&replacing_plan(false), SELECTING_TEMPLATE, &manifest).is_empty()
    );
    // No group can be told from the template: every pipeline with an `ec2` deploy.
    assert_eq!(
        pipelines_to_redeploy(&replacing_plan(true), "{}", &manifest),
        ["main"]
    );
    // Starting it is `pipec release` without `--wait`: one StartPipelineExecution.
    let cfn = FakeCloudFormation::new();
    stack(&cfn);
    let mut data = data();
    data.next_execution_id = "exec-after-apply".to_string();
    let ops = FakeOperate::new(data);
    let scoped = OperateTarget {
        pipeline: Some(pipelines[0].as_str()),
        ..target(&manifest)
    };
    let report = release(
        &cfn,
        &ops,
        &scoped,
        false,
        PollPolicy::immediate(),
        &CancelFlag::new(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.execution_id, "exec-after-apply");
    assert_eq!(report.pipeline, PIPELINE);
    assert_eq!(ops.calls(), ["StartPipelineExecution"]);
}

#[test]
fn the_region_comes_from_the_stack_id() {
    assert_eq!(
        super::region_of_arn("arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1"),
        Some("eu-west-1".to_string())
    );
    assert_eq!(super::region_of_arn("arn:aws:s3:::bucket"), None);
    assert_eq!(super::region_of_arn("shop"), None);
}
