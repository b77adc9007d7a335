//! Operating the deployed pipeline end to end: the real `pipec` binary against moto on a
//! loopback port, on the seed example. Apply, `status` before any run (P6023), `release`,
//! `release --wait`, `status` showing the executions, `logs build.app` printing the build's
//! CloudWatch Logs events by phase, the not-found cases (unknown execution P6024, unknown target
//! P6031), `push` to a local bare repository (and P6029 outside a git repository), and
//! `explain` for AWS failure codes.
//!
//! moto runs no pipeline: an execution succeeds at once and starts no build, and moto does not
//! implement GetPipelineState (status says so in a warning and still lists the executions). The
//! test therefore plays CodeBuild for `logs`: it creates the project and a build in moto and
//! writes the build's log events where CodeBuild would (`/aws/codebuild/PROJECT`, stream = the
//! build id's uuid) through boto3. Failed actions, hooks and builds are covered through the
//! fakes in `compiler/pipec-deploy/src/operate/tests.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use pipec_tests::{pipec_against, pipec_binary, repo_root, start_moto, test_venv, CliRun};

fn pipec(dir: &Path, endpoint: &str, args: &[&str]) -> CliRun {
    pipec_against(dir, endpoint, args)
}

/// Plays CodeBuild in moto: a project named like the stack's, one build, its log events.
const SEED_BUILD: &str = r#"
import sys, time, boto3
endpoint, project = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
iam = boto3.client("iam", **kw)
role = iam.create_role(RoleName="seed-codebuild", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
cb = boto3.client("codebuild", **kw)
cb.create_project(name=project, source={"type": "CODEPIPELINE", "location": "pipeline"},
                  artifacts={"type": "CODEPIPELINE", "location": "pipeline"},
                  environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                               "computeType": "BUILD_GENERAL1_SMALL"}, serviceRole=role)
build_id = cb.start_build(projectName=project)["build"]["id"]
logs = boto3.client("logs", **kw)
group, stream = "/aws/codebuild/" + project, build_id.split(":", 1)[1]
logs.create_log_group(logGroupName=group)
logs.create_log_stream(logGroupName=group, logStreamName=stream)
lines = ["[Container] 2025/12/01 20:13:20 Running on CodeBuild On-demand",
         "[Container] 2025/12/01 20:13:20 Entering phase INSTALL",
         "[Container] 2025/12/01 20:13:21 Running command npm ci",
         "added 120 packages in 3s",
         "[Container] 2025/12/01 20:13:25 Entering phase BUILD",
         "[Container] 2025/12/01 20:13:25 Running command npm test",
         "Tests: 12 passed, 12 total"]
logs.put_log_events(logGroupName=group, logStreamName=stream,
                    logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": m} for i, m in enumerate(lines)])
print(build_id)
"#;

/// Plays CodeDeploy in moto: the application, its group and one deployment.
const SEED_DEPLOYMENT: &str = r#"
import sys, boto3
endpoint, name = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
cd = boto3.client("codedeploy", **kw)
cd.create_application(applicationName=name, computePlatform="Server")
cd.create_deployment_group(applicationName=name, deploymentGroupName=name,
                           serviceRoleArn="arn:aws:iam::123456789012:role/seed-codedeploy")
deployment = cd.create_deployment(applicationName=name, deploymentGroupName=name,
    revision={"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "bundleType": "zip"}})
print(deployment["deploymentId"])
"#;

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn apply_release_status_logs_push_against_moto() {
    let moto = start_moto();
    let endpoint = moto.endpoint.as_str();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::copy(
        repo_root().join("examples/seed-ec2/pipeline.pipe"),
        dir.join("pipeline.pipe"),
    )
    .unwrap();

    // Before apply: no stack.
    let none = pipec(dir, endpoint, &["status", "pipeline.pipe"]);
    assert_eq!(none.code, 1);
    assert!(none.stderr.contains("P6009"), "{}", none.stderr);

    let applied = pipec(dir, endpoint, &["apply", "pipeline.pipe", "--yes"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);

    // Deployed, never ran.
    let never = pipec(dir, endpoint, &["status", "pipeline.pipe"]);
    assert_eq!(never.code, 1, "{}", never.stderr);
    assert!(never.stderr.contains("P6023"), "{}", never.stderr);

    // Release: the execution id.
    let released = pipec(dir, endpoint, &["release", "pipeline.pipe"]);
    assert_eq!(released.code, 0, "{}", released.stderr);
    assert!(
        released.stdout.starts_with("Started execution ")
            && released.stdout.contains("of pipeline fe-server-dev-main."),
        "{}",
        released.stdout
    );
    let first_id = released
        .stdout
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_string();

    // Release --wait, JSON: moto's executions succeed at once.
    let waited = pipec(
        dir,
        endpoint,
        &["release", "pipeline.pipe", "--wait", "--format", "json"],
    );
    assert_eq!(waited.code, 0, "{}", waited.stderr);
    let value: serde_json::Value = serde_json::from_str(&waited.stdout).unwrap();
    assert_eq!(value["status"], "Succeeded");
    let second_id = value["execution_id"].as_str().unwrap().to_string();
    assert_ne!(first_id, second_id);

    // Status: both executions, newest first.
    let shown = pipec(dir, endpoint, &["status", "pipeline.pipe"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let second_at = shown
        .stdout
        .find(&second_id)
        .expect("second execution listed");
    let first_at = shown
        .stdout
        .find(&first_id)
        .expect("first execution listed");
    assert!(second_at < first_at, "{}", shown.stdout);
    assert!(shown
        .stdout
        .contains("Pipeline fe-server-dev-main (pipeline.main)"));
    assert!(shown.stdout.contains("Succeeded"), "{}", shown.stdout);
    let json = pipec(
        dir,
        endpoint,
        &["status", "pipeline.pipe", "--format", "json"],
    );
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["executions"][0]["id"], second_id.as_str());

    // Logs: no build yet, then one played in moto.
    let no_build = pipec(dir, endpoint, &["logs", "pipeline.pipe", "build.app"]);
    assert_eq!(no_build.code, 1);
    assert!(no_build.stderr.contains("P6030"), "{}", no_build.stderr);
    let python = test_venv().unwrap().join("bin/python");
    let seeded = Command::new(python)
        .args(["-c", SEED_BUILD, endpoint, "fe-server-dev-app"])
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let build_id = String::from_utf8_lossy(&seeded.stdout).trim().to_string();
    let logs = pipec(dir, endpoint, &["logs", "pipeline.pipe", "build.app"]);
    assert_eq!(logs.code, 0, "{}", logs.stderr);
    assert!(
        logs.stdout
            .contains(&format!("Build {build_id} (build.app)")),
        "{}",
        logs.stdout
    );
    let install = logs
        .stdout
        .find("── INSTALL")
        .unwrap_or_else(|| panic!("{}", logs.stdout));
    let build = logs.stdout.find("── BUILD").expect("BUILD phase heading");
    let npm_ci = logs.stdout.find("Running command npm ci").unwrap();
    let passed = logs.stdout.find("Tests: 12 passed").unwrap();
    assert!(
        install < npm_ci && npm_ci < build && build < passed,
        "{}",
        logs.stdout
    );

    // A deploy's logs: moto keeps deployments but not their instances' lifecycle events
    // (ListDeploymentTargets), which the report says in a warning.
    let python = test_venv().unwrap().join("bin/python");
    let seeded = Command::new(python)
        .args(["-c", SEED_DEPLOYMENT, endpoint, "fe-server-dev-web"])
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let deployment_id = String::from_utf8_lossy(&seeded.stdout).trim().to_string();
    let deploy = pipec(dir, endpoint, &["logs", "pipeline.pipe", "deploy.web"]);
    assert!(
        deploy
            .stdout
            .contains(&format!("Deployment {deployment_id} (deploy.web)")),
        "{}\n{}",
        deploy.stdout,
        deploy.stderr
    );
    assert!(
        deploy.stderr.contains("lifecycle events could not be read"),
        "{}",
        deploy.stderr
    );

    // Not found: an execution id, a target.
    let bogus = pipec(
        dir,
        endpoint,
        &[
            "logs",
            "pipeline.pipe",
            "--execution",
            "00000000-0000-0000-0000-000000000000",
        ],
    );
    assert_eq!(bogus.code, 1);
    assert!(bogus.stderr.contains("P6024"), "{}", bogus.stderr);
    let target = pipec(dir, endpoint, &["logs", "pipeline.pipe", "build.ap"]);
    assert_eq!(target.code, 1);
    insta::assert_snapshot!("operate_cli_unknown_target", target.stderr);

    // Push: outside a git repository, then to a local bare repository.
    let outside = pipec(
        dir,
        endpoint,
        &["push", "pipeline.pipe", "--git-url", "/nonexistent"],
    );
    assert_eq!(outside.code, 1);
    insta::assert_snapshot!("operate_cli_push_not_a_repository", outside.stderr);
    let emulator = {
        git(dir, &["init", "-q", "-b", "work"]);
        git(dir, &["add", "pipeline.pipe"]);
        git(dir, &["commit", "-q", "-m", "first commit"]);
        pipec(dir, endpoint, &["push", "pipeline.pipe"])
    };
    assert_eq!(emulator.code, 1);
    assert!(emulator.stderr.contains("P6029"), "{}", emulator.stderr);
    let bare = dir.join("remote.git");
    git(dir, &["init", "-q", "--bare", bare.to_str().unwrap()]);
    let pushed = pipec(
        dir,
        endpoint,
        &["push", "pipeline.pipe", "--git-url", bare.to_str().unwrap()],
    );
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    let head = git(dir, &["rev-parse", "HEAD"]);
    let remote_main = git(&bare, &["rev-parse", "refs/heads/main"]);
    assert_eq!(
        head, remote_main,
        "pushed to the branch the source action watches"
    );
}

#[test]
fn explain_covers_aws_failure_codes() {
    for (code, service) in [
        ("HEALTH_CONSTRAINTS", "CodeDeploy"),
        ("ScriptFailed", "CodeDeploy"),
        ("NO_INSTANCES", "CodeDeploy"),
        ("AGENT_ISSUE", "CodeDeploy"),
        ("IAM_ROLE_PERMISSIONS", "CodeDeploy"),
        ("COMMAND_EXECUTION_ERROR", "CodeBuild"),
        ("CLIENT_ERROR", "CodeBuild"),
    ] {
        let output = Command::new(pipec_binary())
            .args(["explain", code])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{code}");
        assert!(
            text.contains(service) && text.contains("https://docs.aws.amazon.com/"),
            "{text}"
        );
    }
    let output = Command::new(pipec_binary())
        .args(["explain", "SCRIPT_FAILED"])
        .output()
        .unwrap();
    insta::assert_snapshot!(
        "operate_cli_explain_script_failed",
        String::from_utf8_lossy(&output.stdout)
    );
    let unknown = Command::new(pipec_binary())
        .args(["explain", "NOT_A_CODE"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}
