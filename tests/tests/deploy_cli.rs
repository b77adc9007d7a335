//! The deploy verbs end to end: the real `pipec` binary against moto on a loopback port, on the
//! seed example (`examples/seed-ec2/pipeline.pipe`, copied to a temporary directory and edited
//! there). Plan a new stack, refuse an apply without `--yes` and without a terminal, apply,
//! plan again (no changes), change a tag, keep its change set (`plan --keep`) and apply exactly
//! that one (`apply --change-set`), read the outputs, refuse a plan that
//! removes the repository, and destroy (listing what is retained). Then, each against its own
//! moto: an account without a default VPC (plan and apply stop with P6033 at the instance), and
//! an apply that replaces the instance a deploy targets (`--release` starts the pipeline,
//! otherwise the next step is printed; on a terminal, made with util-linux `script`, apply asks).
//!
//! moto does not model CodeCommit/CodeBuild/CodeDeploy/CodePipeline in CloudFormation, so the
//! harness runs it with placeholder models for those types (`tests/moto/`); the template pipec
//! sends is the real one. moto never fails a stack, so the failure path (a failed resource at
//! its `.pipe` line) is covered by the deploy crate's fake client and the CLI's unit tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use pipec_tests::{
    normalize_deploy_output, pipec_against, pipec_binary, repo_root, start_moto, test_venv, CliRun,
};

fn pipec(dir: &Path, endpoint: &str, args: &[&str]) -> CliRun {
    pipec_against(dir, endpoint, args)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "`{from}` not in {}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

#[test]
fn seed_example_through_the_cli_against_moto() {
    let moto = start_moto();
    let endpoint = moto.endpoint.as_str();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let seed = repo_root().join("examples/seed-ec2/pipeline.pipe");
    std::fs::copy(&seed, dir.join("pipeline.pipe")).unwrap();

    // A new stack: everything is `+`; --detailed-exitcode says "changes".
    let plan = pipec(
        dir,
        endpoint,
        &["plan", "pipeline.pipe", "--detailed-exitcode"],
    );
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    insta::assert_snapshot!("deploy_cli_plan_new", plan.stdout);
    let plain = pipec(dir, endpoint, &["plan", "pipeline.pipe"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);

    // No terminal and no --yes: refused, nothing created.
    let refused = pipec(dir, endpoint, &["apply", "pipeline.pipe"]);
    assert_eq!(refused.code, 1);
    insta::assert_snapshot!("deploy_cli_apply_refused_without_yes", refused.stderr);
    let missing = pipec(dir, endpoint, &["outputs", "pipeline.pipe"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("P6009"), "{}", missing.stderr);

    // Apply: the plan, progress per event, the summary with the time.
    let started = Instant::now();
    let applied = pipec(dir, endpoint, &["apply", "pipeline.pipe", "--yes"]);
    let apply_wall = started.elapsed();
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(
        applied.stderr.contains("CREATE_COMPLETE"),
        "{}",
        applied.stderr
    );
    insta::assert_snapshot!("deploy_cli_apply_new", applied.stdout);
    insta::assert_snapshot!("deploy_cli_apply_new_progress", applied.stderr);
    eprintln!(
        "pipec apply --yes (seed example, new stack) against moto: {:.0} ms wall",
        apply_wall.as_secs_f64() * 1e3
    );

    // Plan again: no changes, exit 0 with --detailed-exitcode.
    let again = pipec(
        dir,
        endpoint,
        &["plan", "pipeline.pipe", "--detailed-exitcode"],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    insta::assert_snapshot!("deploy_cli_plan_no_changes", again.stdout);

    // A tag change is `~`, with old → new.
    edit(
        &dir.join("pipeline.pipe"),
        "tags = { Name = \"fe-server-${env}\"",
        "tags = { Name = \"fe-server-web-${env}\"",
    );
    let tagged = pipec(
        dir,
        endpoint,
        &["plan", "pipeline.pipe", "--detailed-exitcode"],
    );
    assert_eq!(tagged.code, 2, "{}", tagged.stderr);
    assert!(
        tagged.stdout.contains("  ~ InstanceWeb"),
        "{}",
        tagged.stdout
    );
    insta::assert_snapshot!("deploy_cli_plan_tag_change", tagged.stdout);
    let json = pipec(
        dir,
        endpoint,
        &["plan", "pipeline.pipe", "--format", "json"],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["exit_code"], 2);
    assert_eq!(value["kind"], "update");
    // Keep the reviewed change set and execute exactly it; a build that differs from the
    // reviewed one is refused, and so is the change set once executed.
    let kept = pipec(
        dir,
        endpoint,
        &["plan", "pipeline.pipe", "--keep", "--format", "json"],
    );
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    let value: serde_json::Value = serde_json::from_str(&kept.stdout).unwrap();
    assert_eq!(value["change_set_kept"], true);
    let change_set = value["change_set_id"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(dir.join("pipeline.pipe")).unwrap();
    std::fs::write(
        dir.join("edited.pipe"),
        text.replace("fe-server-web-${env}", "fe-server-edited-${env}"),
    )
    .unwrap();
    let stale = pipec(
        dir,
        endpoint,
        &["apply", "edited.pipe", "--change-set", &change_set, "--yes"],
    );
    assert_eq!(stale.code, 1, "{}", stale.stderr);
    assert!(stale.stderr.contains("P6021"), "{}", stale.stderr);
    let tag_apply = pipec(
        dir,
        endpoint,
        &[
            "apply",
            "pipeline.pipe",
            "--change-set",
            &change_set,
            "--yes",
        ],
    );
    assert_eq!(tag_apply.code, 0, "{}", tag_apply.stderr);
    assert!(
        tag_apply.stdout.contains("  ~ InstanceWeb"),
        "{}",
        tag_apply.stdout
    );
    let again = pipec(
        dir,
        endpoint,
        &[
            "apply",
            "pipeline.pipe",
            "--change-set",
            &change_set,
            "--yes",
        ],
    );
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("P6020"), "{}", again.stderr);
    assert!(
        tag_apply.stderr.contains("UPDATE_COMPLETE"),
        "{}",
        tag_apply.stderr
    );
    let settled = pipec(
        dir,
        endpoint,
        &["plan", "pipeline.pipe", "--detailed-exitcode"],
    );
    assert_eq!(settled.code, 0, "{}", settled.stdout);

    // Outputs (moto leaves a change-set stack's outputs empty; the call and rendering work).
    let outputs = pipec(dir, endpoint, &["outputs", "pipeline.pipe"]);
    assert_eq!(outputs.code, 0, "{}", outputs.stderr);
    insta::assert_snapshot!("deploy_cli_outputs", outputs.stdout);
    let outputs_json = pipec(
        dir,
        endpoint,
        &["outputs", "pipeline.pipe", "--format", "json"],
    );
    let value: serde_json::Value = serde_json::from_str(&outputs_json.stdout).unwrap();
    assert_eq!(value["status"], "UPDATE_COMPLETE");

    // Renaming the repo block removes `RepoApp`: data loss, refused without the flag.
    let text = std::fs::read_to_string(dir.join("pipeline.pipe")).unwrap();
    let renamed = text
        .replace("repo app {", "repo src {")
        .replace("repo.app", "repo.src");
    std::fs::write(dir.join("renamed.pipe"), renamed).unwrap();
    let loss_plan = pipec(dir, endpoint, &["plan", "renamed.pipe"]);
    assert!(
        loss_plan.stdout.contains("- RepoApp"),
        "{}",
        loss_plan.stdout
    );
    assert!(
        loss_plan.stdout.contains("holds data"),
        "{}",
        loss_plan.stdout
    );
    let loss = pipec(dir, endpoint, &["apply", "renamed.pipe", "--yes"]);
    assert_eq!(loss.code, 1, "{}", loss.stdout);
    insta::assert_snapshot!("deploy_cli_apply_data_loss_refused", loss.stderr);
    let unchanged = pipec(
        dir,
        endpoint,
        &["plan", "pipeline.pipe", "--detailed-exitcode"],
    );
    assert_eq!(unchanged.code, 0, "{}", unchanged.stdout);

    // Destroy: refused without --yes, then done; the repository and buckets are retained.
    let no = pipec(dir, endpoint, &["destroy", "pipeline.pipe"]);
    assert_eq!(no.code, 1);
    assert!(no.stderr.contains("P6016"), "{}", no.stderr);
    let destroyed = pipec(dir, endpoint, &["destroy", "pipeline.pipe", "--yes"]);
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
    assert!(destroyed.stdout.contains("RepoApp"), "{}", destroyed.stdout);
    assert!(
        destroyed.stdout.contains("ArtifactBucket"),
        "{}",
        destroyed.stdout
    );
    insta::assert_snapshot!("deploy_cli_destroy", destroyed.stdout);
    let gone = pipec(dir, endpoint, &["outputs", "pipeline.pipe"]);
    assert_eq!(gone.code, 1);
    drop(moto);
}

/// Deletes moto's default VPC of `us-east-1` (and its subnets and internet gateway) with boto3,
/// as in an account without one.
fn delete_default_vpc(endpoint: &str) {
    let script = r#"
import sys
import boto3

ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
default = [{"Name": "isDefault", "Values": ["true"]}]
for vpc in ec2.describe_vpcs(Filters=default)["Vpcs"]:
    vpc_id = vpc["VpcId"]
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
    for gateway in gateways:
        ec2.detach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
        ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
    ec2.delete_vpc(VpcId=vpc_id)
print(len(ec2.describe_vpcs(Filters=default)["Vpcs"]))
"#;
    let venv = test_venv().expect("the test venv (scripts/setup-test-tools.sh)");
    let output = std::process::Command::new(venv.join("bin/python"))
        .args(["-c", script, endpoint])
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "0");
}

/// An account without a default VPC: `plan` and `apply` stop before any change set with
/// `P6033` at the instance's line, saying what to set; with `subnet` and `vpc` set, the same
/// account plans.
#[test]
fn a_missing_default_vpc_is_found_at_plan_time() {
    let moto = start_moto();
    let endpoint = moto.endpoint.as_str();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let seed = repo_root().join("examples/seed-ec2/pipeline.pipe");
    std::fs::copy(&seed, dir.join("pipeline.pipe")).unwrap();
    // With moto's default VPC the plan goes through (and says nothing about networks).
    let fine = pipec(dir, endpoint, &["plan", "pipeline.pipe"]);
    assert_eq!(fine.code, 0, "{}", fine.stderr);
    assert!(!fine.stderr.contains("P6033"), "{}", fine.stderr);

    delete_default_vpc(endpoint);
    let plan = pipec(dir, endpoint, &["plan", "pipeline.pipe"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(plan.stderr.contains("[P6033]"), "{}", plan.stderr);
    assert!(plan.stdout.is_empty(), "{}", plan.stdout);
    insta::assert_snapshot!("deploy_cli_plan_no_default_vpc", plan.stderr);
    let json = pipec(
        dir,
        endpoint,
        &["plan", "pipeline.pipe", "--format", "json"],
    );
    assert_eq!(json.code, 1, "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value[0]["code"], "P6033", "{value}");
    let apply = pipec(dir, endpoint, &["apply", "pipeline.pipe", "--yes"]);
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    assert!(apply.stderr.contains("[P6033]"), "{}", apply.stderr);
    let outputs = pipec(dir, endpoint, &["outputs", "pipeline.pipe"]);
    assert!(
        outputs.stderr.contains("P6009"),
        "nothing was created: {}",
        outputs.stderr
    );

    edit(
        &dir.join("pipeline.pipe"),
        "  type = \"t3.micro\"\n",
        "  type = \"t3.micro\"\n  subnet = \"subnet-0123456789abcdef0\"\n  vpc = \"vpc-0123456789abcdef0\"\n",
    );
    let placed = pipec(dir, endpoint, &["plan", "pipeline.pipe"]);
    assert_eq!(placed.code, 0, "{}", placed.stderr);
    assert!(!placed.stderr.contains("P6033"), "{}", placed.stderr);
    drop(moto);
}

/// An apply that replaces the instance a deploy targets: without a terminal it prints the next
/// step; `--release` starts the pipeline afterwards (as `pipec release`); `--no-release` does
/// not and says so.
#[test]
fn apply_offers_to_run_the_pipeline_after_replacing_its_instance() {
    let moto = start_moto();
    let endpoint = moto.endpoint.as_str();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let seed = repo_root().join("examples/seed-ec2/pipeline.pipe");
    std::fs::copy(&seed, dir.join("pipeline.pipe")).unwrap();
    let applied = pipec(dir, endpoint, &["apply", "pipeline.pipe", "--yes"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(!applied.stderr.contains("next:"), "{}", applied.stderr);

    // A new image replaces the instance: the plan says the application will be missing.
    edit(
        &dir.join("pipeline.pipe"),
        "ami = ssm_ami(\"amazon_linux\")",
        "ami = \"ami-12c6146b\"",
    );
    let plan = pipec(dir, endpoint, &["plan", "pipeline.pipe"]);
    assert!(plan.stdout.contains("NO APPLICATION"), "{}", plan.stdout);
    let next = pipec(dir, endpoint, &["apply", "pipeline.pipe", "--yes"]);
    assert_eq!(next.code, 0, "{}", next.stderr);
    assert!(
        next.stderr
            .contains("next: the replaced instance has no application"),
        "{}",
        next.stderr
    );
    assert!(next.stderr.contains("--release"), "{}", next.stderr);
    assert!(
        !next.stdout.contains("Started execution"),
        "{}",
        next.stdout
    );

    edit(
        &dir.join("pipeline.pipe"),
        "ami-12c6146b",
        "ami-0123456789abcdef0",
    );
    let released = pipec(
        dir,
        endpoint,
        &["apply", "pipeline.pipe", "--yes", "--release"],
    );
    assert_eq!(released.code, 0, "{}", released.stderr);
    assert!(
        released.stdout.contains("Started execution"),
        "{}",
        released.stdout
    );
    assert!(
        released.stdout.contains("of pipeline fe-server-dev-"),
        "{}",
        released.stdout
    );
    let status = pipec(
        dir,
        endpoint,
        &["status", "pipeline.pipe", "--format", "json"],
    );
    let value: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        value["executions"].as_array().map(Vec::len),
        Some(1),
        "{value}"
    );

    // JSON stays one document on stdout; the release goes to stderr.
    edit(
        &dir.join("pipeline.pipe"),
        "ami-0123456789abcdef0",
        "ami-0fedcba9876543210",
    );
    let json = pipec(
        dir,
        endpoint,
        &[
            "apply",
            "pipeline.pipe",
            "--yes",
            "--release",
            "--format",
            "json",
        ],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["outcome"], "succeeded", "{value}");
    assert!(json.stderr.contains("Started execution"), "{}", json.stderr);

    edit(
        &dir.join("pipeline.pipe"),
        "ami-0fedcba9876543210",
        "ami-0aaaaaaaaaaaaaaaa",
    );
    let declined = pipec(
        dir,
        endpoint,
        &["apply", "pipeline.pipe", "--yes", "--no-release"],
    );
    assert_eq!(declined.code, 0, "{}", declined.stderr);
    assert!(declined.stderr.contains("next:"), "{}", declined.stderr);
    assert!(
        !declined.stdout.contains("Started execution"),
        "{}",
        declined.stdout
    );
    drop(moto);
}

/// Runs `pipec ARGS` against `endpoint` with stdin, stdout and stderr on a terminal (a pty made
/// by util-linux `script`), typing `input`; the exit code and what the terminal showed.
fn pipec_on_a_terminal(dir: &Path, endpoint: &str, args: &str, input: &str) -> (i32, String) {
    use std::io::Write as _;
    let command = format!(
        "{} {args} --endpoint-url {endpoint} --region us-east-1",
        pipec_binary().display()
    );
    let empty = dir.join("aws-empty");
    std::fs::write(&empty, "").unwrap();
    let mut script = std::process::Command::new("script");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            script.env_remove(key);
        }
    }
    let mut child = script
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` (it gives pipec a terminal)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        normalize_deploy_output(&String::from_utf8_lossy(&output.stdout), dir),
    )
}

/// On a terminal, apply asks whether to start the pipeline after replacing its instance; the
/// default (an empty answer) is no.
#[test]
fn apply_on_a_terminal_asks_before_running_the_pipeline() {
    let moto = start_moto();
    let endpoint = moto.endpoint.as_str();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let seed = repo_root().join("examples/seed-ec2/pipeline.pipe");
    std::fs::copy(&seed, dir.join("pipeline.pipe")).unwrap();
    let applied = pipec(dir, endpoint, &["apply", "pipeline.pipe", "--yes"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);

    edit(
        &dir.join("pipeline.pipe"),
        "ami = ssm_ami(\"amazon_linux\")",
        "ami = \"ami-12c6146b\"",
    );
    let (code, shown) = pipec_on_a_terminal(dir, endpoint, "apply pipeline.pipe", "yes\ny\n");
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("Start pipeline `main` now? [y/N]"),
        "{shown}"
    );
    assert!(shown.contains("Started execution"), "{shown}");

    edit(
        &dir.join("pipeline.pipe"),
        "ami-12c6146b",
        "ami-0123456789abcdef0",
    );
    let (code, shown) = pipec_on_a_terminal(dir, endpoint, "apply pipeline.pipe", "yes\n\n");
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("Start pipeline `main` now? [y/N]"),
        "{shown}"
    );
    assert!(!shown.contains("Started execution"), "{shown}");
    assert!(shown.contains("next: the replaced instance"), "{shown}");
    drop(moto);
}
