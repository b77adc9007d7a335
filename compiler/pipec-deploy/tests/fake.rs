//! The stack states and faults moto cannot produce, through the scripted fake client. Each test
//! snapshots what the user sees: progress lines, the plan or report, and the diagnostics.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod common;

use pipec_deploy::api::{ApiError, ApiErrorKind, RawChangeDetail, RawResourceChange};
use pipec_deploy::fake::{FakeCloudFormation, FakeStep};
use pipec_deploy::{
    apply, apply_change_set, destroy, outputs, plan, render_apply, render_destroy, render_event,
    render_outputs, render_plan, Answer, ApplyOutcome, CancelFlag, CollectProgress, DeployRequest,
    DestroyOutcome, Diagnostic, NoProgress, NonInteractive, PlanExit, PlanKind, PollPolicy,
    ProgressEvent, ProgressSink, RenderOptions,
};

use common::{diagnostics_text, fixture};

const TEXT: RenderOptions = RenderOptions { color: false };
const STACK: &str = "pipec-fake";

fn request() -> DeployRequest {
    let (template, manifest) = fixture(STACK);
    let mut request = DeployRequest::new(template, manifest);
    request.options.poll = PollPolicy::immediate();
    request
}

fn yes() -> DeployRequest {
    let mut request = request();
    request.options.yes = true;
    request
}

/// Progress lines, then the body, then diagnostics: what a terminal would show.
fn transcript(progress: &CollectProgress, body: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for event in progress.events() {
        out.push_str(&untime(&render_event(&event, TEXT)));
        out.push('\n');
    }
    if !body.is_empty() {
        out.push_str("---\n");
        out.push_str(&normalize(body));
    }
    if !diagnostics.is_empty() {
        out.push_str("---\n");
        out.push_str(&diagnostics_text(diagnostics));
    }
    out
}

/// Change set names carry the time: `pipec-1795736310072` becomes `pipec-<time>`.
fn untime(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(index) = rest.find("pipec-") {
        let (head, tail) = rest.split_at(index + "pipec-".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits >= 10 {
            out.push_str("<time>");
            rest = &tail[digits..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Elapsed seconds and change set names vary between runs.
fn normalize(text: &str) -> String {
    untime(text)
        .lines()
        .map(|line| match (line.find(" in "), line.rfind(" s.")) {
            (Some(start), Some(end)) if end > start => format!("{} in <secs> s.", &line[..start]),
            _ => match (line.find(" after "), line.find(" s;")) {
                (Some(start), Some(end)) if end > start => {
                    format!("{} after <secs>{}", &line[..start], &line[end + 2..])
                }
                _ => line.to_string(),
            },
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

const RESOURCES: &[(&str, &str)] = &[
    ("BucketSite", "AWS::S3::Bucket"),
    ("ParamVersion", "AWS::SSM::Parameter"),
    ("RoleBuild", "AWS::IAM::Role"),
];

fn deployed(fake: &FakeCloudFormation, status: &str) {
    fake.add_stack(STACK, status, RESOURCES, &request().template_body);
}

fn modify(
    logical_id: &str,
    resource_type: &str,
    replacement: &str,
    details: Vec<RawChangeDetail>,
) -> RawResourceChange {
    RawResourceChange {
        action: "Modify".to_string(),
        logical_id: logical_id.to_string(),
        physical_id: Some(format!("{STACK}-{}", logical_id.to_lowercase())),
        resource_type: resource_type.to_string(),
        replacement: replacement.to_string(),
        details,
        ..RawResourceChange::default()
    }
}

fn detail(name: &str, recreation: &str, before: &str, after: &str) -> RawChangeDetail {
    RawChangeDetail {
        attribute: "Properties".to_string(),
        name: Some(name.to_string()),
        path: Some(format!("/Properties/{name}")),
        requires_recreation: recreation.to_string(),
        before_value: Some(before.to_string()),
        after_value: Some(after.to_string()),
        attribute_change_type: Some("Modify".to_string()),
        change_source: Some("DirectModification".to_string()),
        causing_entity: None,
    }
}

#[tokio::test]
async fn rollback_complete_is_refused_without_replace_failed() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "ROLLBACK_COMPLETE");
    fake.set_status_reason(
        STACK,
        "The following resource(s) failed to create: [RoleBuild].",
    );
    let progress = CollectProgress::default();
    let errors = plan(&fake, &request(), &progress).await.unwrap_err();
    insta::assert_snapshot!(transcript(&progress, "", &errors));
}

#[tokio::test]
async fn rollback_complete_is_replaced_with_replace_failed() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "ROLLBACK_COMPLETE");
    let mut request = yes();
    request.options.replace_failed = true;
    let planned = plan(&fake, &request, &NoProgress).await.unwrap();
    assert_eq!(planned.kind, PlanKind::Recreate);
    assert_eq!(planned.exit(), PlanExit::Changes);
    let progress = CollectProgress::default();
    let report = apply(&fake, &request, &NonInteractive, &progress)
        .await
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Succeeded);
    assert_eq!(fake.status(STACK).as_deref(), Some("CREATE_COMPLETE"));
    let calls = fake.calls();
    let delete = calls
        .iter()
        .position(|call| call.starts_with("DeleteStack"))
        .unwrap();
    let create = calls
        .iter()
        .position(|call| call.starts_with("CreateChangeSet"))
        .unwrap();
    assert!(delete < create, "{calls:#?}");
    let body = format!(
        "{}---\n{}",
        render_plan(&report.plan, TEXT),
        render_apply(&report, TEXT)
    );
    insta::assert_snapshot!(transcript(&progress, &body, &report.diagnostics));
}

#[tokio::test]
async fn update_rollback_failed_explains_continue_update_rollback() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_ROLLBACK_FAILED");
    fake.set_status_reason(
        STACK,
        "The following resource(s) failed to update: [RoleBuild].",
    );
    let errors = apply(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(errors[0].code.number(), "P6011");
    insta::assert_snapshot!(diagnostics_text(&errors));
}

#[tokio::test]
async fn operation_in_progress_is_waited_for() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_IN_PROGRESS");
    fake.queue_steps(
        STACK,
        vec![
            FakeStep::status("UPDATE_IN_PROGRESS").event(
                "ParamVersion",
                "AWS::SSM::Parameter",
                "UPDATE_IN_PROGRESS",
                None,
            ),
            FakeStep::status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS").event(
                "ParamVersion",
                "AWS::SSM::Parameter",
                "UPDATE_COMPLETE",
                None,
            ),
            FakeStep::status("UPDATE_COMPLETE"),
        ],
    );
    let progress = CollectProgress::default();
    let planned = plan(&fake, &request(), &progress).await.unwrap();
    assert_eq!(planned.exit(), PlanExit::NoChanges);
    insta::assert_snapshot!(transcript(&progress, &render_plan(&planned, TEXT), &[]));
}

#[tokio::test]
async fn operation_in_progress_is_refused_with_no_wait() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "CREATE_IN_PROGRESS");
    let mut request = yes();
    request.options.no_wait = true;
    let errors = apply(&fake, &request, &NonInteractive, &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(errors[0].code.number(), "P6012");
    assert!(!fake
        .calls()
        .iter()
        .any(|call| call.starts_with("CreateChangeSet")));
    insta::assert_snapshot!(diagnostics_text(&errors));
}

#[tokio::test]
async fn review_in_progress_is_planned_as_a_new_stack() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "REVIEW_IN_PROGRESS");
    let planned = plan(&fake, &request(), &NoProgress).await.unwrap();
    assert_eq!(planned.kind, PlanKind::Create);
    assert_eq!(planned.warnings[0].code.number(), "P6013");
    // The plan leaves nothing behind: the abandoned placeholder stack is removed too.
    assert_eq!(fake.change_set_count(), 0);
    assert_eq!(fake.status(STACK), None);
    insta::assert_snapshot!(format!(
        "{}---\n{}",
        render_plan(&planned, TEXT),
        diagnostics_text(&planned.warnings)
    ));
}

#[tokio::test]
async fn failed_create_shows_each_resource_at_its_pipe_line() {
    let fake = FakeCloudFormation::new();
    fake.on_execute(
        STACK,
        vec![
            FakeStep::status("CREATE_IN_PROGRESS")
                .event("RoleBuild", "AWS::IAM::Role", "CREATE_IN_PROGRESS", None)
                .event("BucketSite", "AWS::S3::Bucket", "CREATE_IN_PROGRESS", None),
            FakeStep::status("ROLLBACK_IN_PROGRESS")
                .event("RoleBuild", "AWS::IAM::Role", "CREATE_FAILED", Some("pipec-fake-build already exists in stack arn:aws:cloudformation:us-east-1:123456789012:stack/other/1"))
                .event("BucketSite", "AWS::S3::Bucket", "CREATE_FAILED", Some("Resource creation cancelled")),
            FakeStep::status("ROLLBACK_COMPLETE").event("BucketSite", "AWS::S3::Bucket", "DELETE_COMPLETE", None),
        ],
    );
    let progress = CollectProgress::default();
    let report = apply(&fake, &yes(), &NonInteractive, &progress)
        .await
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Failed);
    assert_eq!(report.exit_code(), 1);
    assert_eq!(
        report.failures[0].location(),
        Some(("small.pipe".to_string(), 14))
    );
    assert_eq!(
        report.diagnostics.len(),
        2,
        "the cancelled bucket is a consequence, not a cause"
    );
    insta::assert_snapshot!(transcript(
        &progress,
        &render_apply(&report, TEXT),
        &report.diagnostics
    ));
}

/// An instance whose first-boot script fails sends a FAILURE signal (or none before the
/// CreationPolicy's timeout): the stack fails at the instance, and the diagnostic says where
/// the bootstrap's log is.
#[tokio::test]
async fn failed_bootstrap_points_at_the_instance_log() {
    let fake = FakeCloudFormation::new();
    fake.on_execute(
        STACK,
        vec![
            FakeStep::status("CREATE_IN_PROGRESS")
                .event("InstanceWeb", "AWS::EC2::Instance", "CREATE_IN_PROGRESS", None),
            FakeStep::status("ROLLBACK_IN_PROGRESS")
                .event("InstanceWeb", "AWS::EC2::Instance", "CREATE_FAILED", Some("Received 1 FAILURE signal(s) out of 1. Unable to satisfy 100% MinSuccessfulInstancesPercent requirement")),
            FakeStep::status("ROLLBACK_COMPLETE"),
        ],
    );
    let report = apply(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Failed);
    assert!(report.failures[0].is_bootstrap_failure());
    let text = diagnostics_text(&report.diagnostics);
    assert!(text.contains("/var/log/cloud-init-output.log"), "{text}");
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn failed_update_rolls_back() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    fake.next_changes(vec![modify(
        "ParamVersion",
        "AWS::SSM::Parameter",
        "False",
        vec![detail("Value", "Never", "1", "2")],
    )]);
    fake.on_execute(
        STACK,
        vec![
            FakeStep::status("UPDATE_ROLLBACK_IN_PROGRESS").event(
                "ParamVersion",
                "AWS::SSM::Parameter",
                "UPDATE_FAILED",
                Some("User: arn:aws:sts::123456789012:assumed-role/deployer is not authorized to perform: ssm:PutParameter"),
            ),
            FakeStep::status("UPDATE_ROLLBACK_COMPLETE"),
        ],
    );
    let report = apply(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Failed);
    insta::assert_snapshot!(transcript(
        &CollectProgress::default(),
        &render_apply(&report, TEXT),
        &report.diagnostics
    ));
}

#[tokio::test]
async fn update_whose_rollback_fails() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    fake.next_changes(vec![modify("RoleBuild", "AWS::IAM::Role", "False", vec![])]);
    fake.on_execute(
        STACK,
        vec![
            FakeStep::status("UPDATE_ROLLBACK_IN_PROGRESS").event(
                "RoleBuild",
                "AWS::IAM::Role",
                "UPDATE_FAILED",
                Some("Rate exceeded"),
            ),
            FakeStep::status("UPDATE_ROLLBACK_FAILED").event(
                "RoleBuild",
                "AWS::IAM::Role",
                "UPDATE_FAILED",
                Some("Role pipec-fake-build was deleted outside CloudFormation"),
            ),
        ],
    );
    let report = apply(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        report.final_status.as_deref(),
        Some("UPDATE_ROLLBACK_FAILED")
    );
    insta::assert_snapshot!(diagnostics_text(&report.diagnostics));
}

#[tokio::test]
async fn replacement_of_a_data_resource_is_loud_and_refused() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    let changes = || {
        vec![
            modify(
                "BucketSite",
                "AWS::S3::Bucket",
                "True",
                vec![detail(
                    "BucketName",
                    "Always",
                    "pipec-fake-site",
                    "pipec-fake-site-2",
                )],
            ),
            modify(
                "RoleBuild",
                "AWS::IAM::Role",
                "False",
                vec![detail("Description", "Never", "builds", "builds the app")],
            ),
            RawResourceChange {
                action: "Remove".to_string(),
                logical_id: "ParamVersion".to_string(),
                resource_type: "AWS::SSM::Parameter".to_string(),
                ..RawResourceChange::default()
            },
        ]
    };
    fake.next_changes(changes());
    let planned = plan(&fake, &request(), &NoProgress).await.unwrap();
    insta::assert_snapshot!("replacement_plan", render_plan(&planned, TEXT));
    fake.next_changes(changes());
    let errors = apply(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(errors[0].code.number(), "P6015");
    assert_eq!(
        fake.change_set_count(),
        0,
        "the refused change set is deleted"
    );
    insta::assert_snapshot!("replacement_refused", diagnostics_text(&errors));
    fake.next_changes(changes());
    let mut allowed = yes();
    allowed.options.allow_data_loss = true;
    let report = apply(&fake, &allowed, &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Succeeded);
}

/// A replaced instance that a deployment group selects comes back without the application
/// (CodeDeploy deploys on its own only to Auto Scaling groups): the plan says so, and says how
/// to run the pipeline again; an instance no group selects gets no such warning.
#[tokio::test]
async fn replaced_deploy_target_is_flagged_as_empty() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    let mut request = request();
    let mut template: serde_json::Value = serde_json::from_str(&request.template_body).unwrap();
    template["Resources"]["InstanceWeb"] = serde_json::json!({
        "Type": "AWS::EC2::Instance",
        "Properties": { "ImageId": "ami-2", "Tags": [
            { "Key": "Deploy", "Value": "web" }, { "Key": "pipec:stack", "Value": "pipec-fake" }
        ] }
    });
    template["Resources"]["InstanceBastion"] = serde_json::json!({
        "Type": "AWS::EC2::Instance",
        "Properties": { "ImageId": "ami-2", "Tags": [{ "Key": "Deploy", "Value": "web" }] }
    });
    template["Resources"]["DeployWebGroup"] = serde_json::json!({
        "Type": "AWS::CodeDeploy::DeploymentGroup",
        "Properties": { "Ec2TagSet": { "Ec2TagSetList": [
            { "Ec2TagGroup": [{ "Key": "Deploy", "Value": "web", "Type": "KEY_AND_VALUE" }] },
            { "Ec2TagGroup": [{ "Key": "pipec:stack", "Value": "pipec-fake", "Type": "KEY_AND_VALUE" }] }
        ] } }
    });
    request.template_body = template.to_string();
    fake.next_changes(vec![
        modify(
            "InstanceWeb",
            "AWS::EC2::Instance",
            "True",
            vec![detail("ImageId", "Always", "ami-1", "ami-2")],
        ),
        modify(
            "InstanceBastion",
            "AWS::EC2::Instance",
            "True",
            vec![detail("ImageId", "Always", "ami-1", "ami-2")],
        ),
    ]);
    let planned = plan(&fake, &request, &NoProgress).await.unwrap();
    let flagged: Vec<&str> = planned
        .changes
        .iter()
        .filter(|change| change.needs_redeploy)
        .map(|change| change.logical_id.as_str())
        .collect();
    assert_eq!(flagged, ["InstanceWeb"]);
    let text = render_plan(&planned, TEXT);
    assert!(text.contains("NO APPLICATION"), "{text}");
    insta::assert_snapshot!("replaced_deploy_target", text);
    assert!(planned.to_json().contains("\"needs_redeploy\": true"));
}

#[tokio::test]
async fn plan_reads_every_page() {
    let fake = FakeCloudFormation::new();
    fake.set_page_size(1);
    let planned = plan(&fake, &request(), &NoProgress).await.unwrap();
    assert_eq!(planned.changes.len(), 3);
    assert_eq!(
        fake.calls()
            .iter()
            .filter(|call| call.starts_with("DescribeChangeSet"))
            .count(),
        3
    );
}

#[tokio::test]
async fn plan_json_and_kept_change_set() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    fake.next_changes(vec![modify(
        "ParamVersion",
        "AWS::SSM::Parameter",
        "False",
        vec![detail("Value", "Never", "1", "2")],
    )]);
    let mut request = request();
    request.options.keep_change_set = true;
    let planned = plan(&fake, &request, &NoProgress).await.unwrap();
    assert!(planned.change_set_kept);
    assert_eq!(fake.change_set_count(), 1);
    insta::assert_snapshot!(untime(&planned.to_json()));
}

#[tokio::test]
async fn change_set_failure_is_explained() {
    let fake = FakeCloudFormation::new();
    fake.fail_next_change_set("Requires capabilities : [CAPABILITY_NAMED_IAM]");
    let errors = plan(&fake, &request(), &NoProgress).await.unwrap_err();
    assert_eq!(
        fake.status(STACK),
        None,
        "the placeholder stack of a failed CREATE set is removed"
    );
    insta::assert_snapshot!(diagnostics_text(&errors));
}

#[tokio::test]
async fn aws_errors_are_one_line_causes_with_fixes() {
    let cases = [
        ApiError::of_kind("DescribeStacks", ApiErrorKind::NoCredentials, "", "no credentials in the chain", None),
        ApiError::of_kind("DescribeStacks", ApiErrorKind::ExpiredCredentials, "ExpiredToken", "The security token included in the request is expired", Some(403)),
        ApiError::of_kind("DescribeStacks", ApiErrorKind::AccessDenied, "AccessDenied", "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cloudformation:DescribeStacks", Some(403)),
        ApiError::of_kind("DescribeStacks", ApiErrorKind::Region, "", "", None),
        ApiError::of_kind("DescribeStacks", ApiErrorKind::Unreachable, "", "the endpoint answered with an HTML page instead of an AWS response", Some(500)),
    ];
    let mut all = Vec::new();
    for error in cases {
        let fake = FakeCloudFormation::new();
        fake.fail_next("DescribeStacks", error);
        all.extend(plan(&fake, &request(), &NoProgress).await.unwrap_err());
    }
    insta::assert_snapshot!(diagnostics_text(&all));
}

#[tokio::test]
async fn throttled_create_change_set_is_not_retried_blindly() {
    let fake = FakeCloudFormation::new();
    fake.fail_next(
        "CreateChangeSet",
        ApiError::of_kind(
            "CreateChangeSet",
            ApiErrorKind::Throttled,
            "Throttling",
            "Rate exceeded",
            Some(400),
        ),
    );
    let errors = apply(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(errors[0].code.number(), "P6006");
    let creates: Vec<String> = fake
        .calls()
        .into_iter()
        .filter(|call| call.starts_with("CreateChangeSet"))
        .collect();
    assert_eq!(creates.len(), 1);
    assert!(creates[0].contains("token=pipec-plan-"), "{creates:?}");
    insta::assert_snapshot!(diagnostics_text(&errors));
}

#[tokio::test]
async fn execute_failure_cleans_up_and_tokens_are_sent() {
    let fake = FakeCloudFormation::new();
    fake.fail_next(
        "ExecuteChangeSet",
        ApiError::of_kind(
            "ExecuteChangeSet",
            ApiErrorKind::Unreachable,
            "",
            "",
            Some(503),
        ),
    );
    let errors = apply(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(errors[0].code.number(), "P6005");
    assert!(fake
        .calls()
        .iter()
        .any(|call| call.starts_with("ExecuteChangeSet pipec-fake token=pipec-apply-")));
    assert_eq!(fake.change_set_count(), 0);
    assert_eq!(fake.status(STACK), None);
}

#[tokio::test]
async fn declined_apply_changes_nothing() {
    let fake = FakeCloudFormation::new();
    let report = apply(&fake, &request(), &Answer(false), &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Declined);
    assert_eq!(fake.status(STACK), None);
    assert!(!fake
        .calls()
        .iter()
        .any(|call| call.starts_with("ExecuteChangeSet")));
    let confirmed = apply(&fake, &request(), &Answer(true), &NoProgress)
        .await
        .unwrap();
    assert_eq!(confirmed.outcome, ApplyOutcome::Succeeded);
}

/// Sets the cancel flag as soon as execution starts, as a Ctrl-C would.
struct CancelOnExecute(CancelFlag);

impl ProgressSink for CancelOnExecute {
    fn event(&self, event: &ProgressEvent) {
        if matches!(event, ProgressEvent::Executing { .. }) {
            self.0.cancel();
        }
    }
}

#[tokio::test]
async fn ctrl_c_stops_following_and_says_how_to_watch() {
    let fake = FakeCloudFormation::new();
    fake.on_execute(
        STACK,
        vec![
            FakeStep::status("CREATE_IN_PROGRESS"),
            FakeStep::status("CREATE_COMPLETE"),
        ],
    );
    let mut request = yes();
    let cancel = CancelFlag::new();
    request.options.cancel = cancel.clone();
    let report = apply(&fake, &request, &NonInteractive, &CancelOnExecute(cancel))
        .await
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Detached);
    assert_eq!(report.exit_code(), 130);
    insta::assert_snapshot!(render_apply(&report, TEXT));
}

#[tokio::test]
async fn large_templates_go_through_the_staging_bucket() {
    let fake = FakeCloudFormation::new();
    let mut request = request();
    let mut template: serde_json::Value = serde_json::from_str(&request.template_body).unwrap();
    template["Description"] = serde_json::Value::String("x".repeat(60_000));
    request.template_body = template.to_string();
    request.options.template_bucket = Some("my-staging".to_string());
    let progress = CollectProgress::default();
    plan(&fake, &request, &progress).await.unwrap();
    assert!(fake
        .calls()
        .iter()
        .any(|call| call.starts_with("PutObject my-staging/pipec/pipec-fake/")));
    assert!(progress
        .events()
        .iter()
        .any(|event| matches!(event, ProgressEvent::UploadingTemplate { .. })));
}

#[tokio::test]
async fn destroy_lists_retained_and_reports_delete_failed() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    fake.on_delete(
        STACK,
        vec![FakeStep::status("DELETE_FAILED").event(
            "RoleBuild",
            "AWS::IAM::Role",
            "DELETE_FAILED",
            Some("Cannot delete entity, must detach all policies first."),
        )],
    );
    let failed = destroy(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(failed.outcome, DestroyOutcome::Failed);
    insta::assert_snapshot!(
        "destroy_failed",
        format!(
            "{}---\n{}",
            render_destroy(&failed, TEXT),
            diagnostics_text(&failed.diagnostics)
        )
    );
    let again = destroy(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(again.outcome, DestroyOutcome::Deleted);
    let missing = destroy(&fake, &yes(), &NonInteractive, &NoProgress)
        .await
        .unwrap_err();
    insta::assert_snapshot!("destroy_missing", diagnostics_text(&missing));
}

#[tokio::test]
async fn outputs_use_pipe_names() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "CREATE_COMPLETE");
    fake.set_outputs(
        STACK,
        &[
            ("OutputSiteBucket", "pipec-fake-site"),
            ("OutputOther", "x"),
        ],
    );
    let report = outputs(&fake, STACK, &request().manifest).await.unwrap();
    insta::assert_snapshot!(format!(
        "{}---\n{}",
        render_outputs(&report, TEXT),
        report.to_json()
    ));
}

#[tokio::test]
async fn other_service_errors_and_bad_manifests_are_diagnostics() {
    let fake = FakeCloudFormation::new();
    fake.fail_next(
        "DescribeStacks",
        ApiError::service(
            "DescribeStacks",
            "ValidationError",
            "Template format error: unsupported structure",
        ),
    );
    let mut all = plan(&fake, &request(), &NoProgress).await.unwrap_err();
    all.extend(pipec_deploy::Manifest::from_json("{ not json").unwrap_err());
    insta::assert_snapshot!(diagnostics_text(&all));
}

/// `plan --keep` on a deployed stack with one modified parameter; the kept change set's id.
async fn kept_change_set(fake: &FakeCloudFormation, request: &DeployRequest) -> String {
    fake.next_changes(vec![modify(
        "ParamVersion",
        "AWS::SSM::Parameter",
        "False",
        vec![detail("Value", "Never", "1", "2")],
    )]);
    let mut keep = request.clone();
    keep.options.keep_change_set = true;
    let planned = plan(fake, &keep, &NoProgress).await.unwrap();
    assert!(planned.change_set_kept);
    planned.change_set_id.unwrap()
}

/// The calls after the plan, without tokens and counters.
fn calls_since(fake: &FakeCloudFormation, from: usize) -> String {
    fake.calls()[from..]
        .iter()
        .map(|call| match call.find("token=") {
            Some(index) => format!("{}token=<token>", &call[..index]),
            None => call.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn reviewed_change_set_is_executed_as_planned() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    let id = kept_change_set(&fake, &request()).await;
    let before = fake.calls().len();
    let progress = CollectProgress::default();
    let report = apply_change_set(&fake, &yes(), &id, &NonInteractive, &progress)
        .await
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Succeeded);
    assert_eq!(report.plan.kind, PlanKind::Update);
    assert_eq!(report.plan.changes.len(), 1);
    assert_eq!(fake.change_set_count(), 0);
    let calls = calls_since(&fake, before);
    assert!(!calls.contains("CreateChangeSet"), "{calls}");
    insta::assert_snapshot!(format!(
        "{}---\n{calls}\n",
        transcript(&progress, &render_apply(&report, TEXT), &report.diagnostics)
    ));

    // A new stack: the kept CREATE set's `REVIEW_IN_PROGRESS` stack is created for real.
    let fresh = FakeCloudFormation::new();
    let mut keep = request();
    keep.options.keep_change_set = true;
    let planned = plan(&fresh, &keep, &NoProgress).await.unwrap();
    let id = planned.change_set_id.unwrap();
    let report = apply_change_set(&fresh, &yes(), &id, &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Succeeded);
    assert_eq!(report.plan.kind, PlanKind::Create);
    assert!(
        report.plan.warnings.is_empty(),
        "no P6013 for a reviewed CREATE set"
    );
    assert_eq!(fresh.status(STACK).as_deref(), Some("CREATE_COMPLETE"));
}

/// Applies `id` and returns the diagnostics, checking that nothing was executed and the
/// change set (if it existed) is still there for its reviewer.
async fn refused(fake: &FakeCloudFormation, request: &DeployRequest, id: &str) -> String {
    let sets = fake.change_set_count();
    let errors = apply_change_set(fake, request, id, &NonInteractive, &NoProgress)
        .await
        .unwrap_err();
    assert!(!fake
        .calls()
        .iter()
        .any(|call| call.starts_with("ExecuteChangeSet")));
    assert_eq!(
        fake.change_set_count(),
        sets,
        "a refused change set is kept"
    );
    untime(&diagnostics_text(&errors))
}

#[tokio::test]
async fn reviewed_change_set_that_failed_is_refused() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    let id = kept_change_set(&fake, &request()).await;
    fake.set_change_set_status(&id, "FAILED", "UNAVAILABLE");
    insta::assert_snapshot!(refused(&fake, &yes(), &id).await);
}

#[tokio::test]
async fn reviewed_change_set_already_executed_is_refused() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    let id = kept_change_set(&fake, &request()).await;
    fake.set_change_set_status(&id, "CREATE_COMPLETE", "EXECUTE_COMPLETE");
    insta::assert_snapshot!(refused(&fake, &yes(), &id).await);
}

#[tokio::test]
async fn obsolete_change_set_is_refused() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    let id = kept_change_set(&fake, &request()).await;
    fake.set_change_set_status(&id, "CREATE_COMPLETE", "OBSOLETE");
    insta::assert_snapshot!(refused(&fake, &yes(), &id).await);
}

#[tokio::test]
async fn change_set_of_another_stack_is_refused() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    fake.add_stack(
        "pipec-other",
        "UPDATE_COMPLETE",
        RESOURCES,
        &request().template_body,
    );
    let mut other = request();
    other.stack_name = "pipec-other".to_string();
    let id = kept_change_set(&fake, &other).await;
    insta::assert_snapshot!(refused(&fake, &yes(), &id).await);
}

#[tokio::test]
async fn missing_change_set_is_refused() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    let id = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/pipec-1/99";
    insta::assert_snapshot!(refused(&fake, &yes(), id).await);
}

#[tokio::test]
async fn change_set_of_an_older_build_is_refused() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    let id = kept_change_set(&fake, &request()).await;
    let mut edited = yes();
    edited.template_body = edited.template_body.replacen(
        "\"Resources\"",
        "\"Description\": \"edited\", \"Resources\"",
        1,
    );
    assert_ne!(edited.template_body, request().template_body);
    insta::assert_snapshot!(refused(&fake, &edited, &id).await);
}

#[tokio::test]
async fn reviewed_change_set_still_refuses_data_loss_and_needs_confirmation() {
    let fake = FakeCloudFormation::new();
    deployed(&fake, "UPDATE_COMPLETE");
    fake.next_changes(vec![modify(
        "BucketSite",
        "AWS::S3::Bucket",
        "True",
        vec![detail(
            "BucketName",
            "Always",
            "pipec-fake-site",
            "pipec-fake-site-2",
        )],
    )]);
    let mut keep = request();
    keep.options.keep_change_set = true;
    let id = plan(&fake, &keep, &NoProgress)
        .await
        .unwrap()
        .change_set_id
        .unwrap();
    let loss = refused(&fake, &yes(), &id).await;
    let unconfirmed = {
        let mut allowed = request();
        allowed.options.allow_data_loss = true;
        refused(&fake, &allowed, &id).await
    };
    insta::assert_snapshot!(format!("{loss}---\n{unconfirmed}"));
    let mut allowed = request();
    allowed.options.allow_data_loss = true;
    let declined = apply_change_set(&fake, &allowed, &id, &Answer(false), &NoProgress)
        .await
        .unwrap();
    assert_eq!(declined.outcome, ApplyOutcome::Declined);
    assert_eq!(
        fake.change_set_count(),
        1,
        "a declined reviewed change set is kept"
    );
    let applied = apply_change_set(&fake, &allowed, &id, &Answer(true), &NoProgress)
        .await
        .unwrap();
    assert_eq!(applied.outcome, ApplyOutcome::Succeeded);
}
