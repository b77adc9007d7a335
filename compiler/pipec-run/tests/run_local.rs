//! End-to-end tests of `run_local` on hand-made build outputs: a real bash build, artifacts, an
//! EC2 deploy into the sandbox with a Node server checked over loopback, a second deployment,
//! and the failure cases, each with a snapshot of the rendered report (durations and temporary
//! paths filtered out).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pipec_run::{
    run_local, NoEvents, RunEvents, RunReport, RunRequest, SandboxMode, SourceSpec, Status, StepId,
    StepRecord,
};
use serde_json::{json, Value};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// One hook of the fixture deploy: event, name, script body, timeout.
struct Hook {
    event: &'static str,
    name: &'static str,
    body: String,
    timeout: u64,
}

/// A hand-made build output plus source and work directories.
struct Fixture {
    dir: tempfile::TempDir,
    port: u16,
}

impl Fixture {
    fn new() -> Result<Fixture, Box<dyn std::error::Error>> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let fixture = Fixture {
            dir: tempfile::tempdir()?,
            port,
        };
        fixture.write_source("v1")?;
        Ok(fixture)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn write_source(&self, version: &str) -> std::io::Result<()> {
        let src = self.path("src");
        std::fs::create_dir_all(&src)?;
        std::fs::write(
            src.join("server.js"),
            "const http = require('http');\nconst port = Number(process.argv[2]);\nconst version = require('fs').readFileSync(__dirname + '/version.txt', 'utf8').trim();\nhttp.createServer((req, res) => { res.end(req.url === '/health' ? 'ok ' + version : 'hello'); }).listen(port, '127.0.0.1');\n",
        )?;
        std::fs::write(src.join("version.txt"), format!("{version}\n"))?;
        std::fs::create_dir_all(src.join(".git"))?;
        std::fs::write(src.join(".git/HEAD"), "not copied\n")?;
        Ok(())
    }

    /// The standard hooks: stop (prints its revision), initialize, start (background server),
    /// health (curl with retries).
    fn standard_hooks(&self, version: &str) -> Vec<Hook> {
        let port = self.port;
        vec![
            Hook {
                event: "ApplicationStop",
                name: "stop",
                body: format!("echo \"stop script of {version} ran for $DEPLOYMENT_ID\"\nif [ -f /var/log/app/app.pid ]; then kill \"$(cat /var/log/app/app.pid)\" 2>/dev/null || true; fi\n"),
                timeout: 30,
            },
            Hook {
                event: "BeforeInstall",
                name: "initialize",
                body: "mkdir -p /var/log/app\necho \"$LIFECYCLE_EVENT $APPLICATION_NAME $DEPLOYMENT_GROUP_NAME $DEPLOYMENT_ID\" > /var/log/app/before.txt\n".to_owned(),
                timeout: 30,
            },
            Hook {
                event: "ApplicationStart",
                name: "start",
                body: format!("cd /srv/app\nnohup node server.js {port} >/var/log/app/server.log 2>&1 &\necho $! > /var/log/app/app.pid\n"),
                timeout: 30,
            },
            Hook {
                event: "ValidateService",
                name: "health",
                body: format!("for i in $(seq 1 100); do\n  if curl -fsS http://127.0.0.1:{port}/health; then exit 0; fi\n  sleep 0.1\ndone\nexit 1\n"),
                timeout: 60,
            },
        ]
    }

    /// Writes `out/`: manifest, buildspec (phases given, plus the bundle commands in
    /// post_build), appspec and scripts.
    fn write_output(
        &self,
        mut phases: Value,
        artifact_files: &[&str],
        hooks: &[Hook],
        destination: &str,
    ) -> TestResult {
        let out = self.path("out");
        std::fs::create_dir_all(out.join("builds/app"))?;
        std::fs::create_dir_all(out.join("deploys/web/scripts"))?;
        let mut appspec_hooks = serde_json::Map::new();
        let mut manifest_hooks = Vec::new();
        let mut bundle = vec!["mkdir -p \"$CODEBUILD_SRC_DIR/dist/scripts\"".to_owned()];
        for (index, hook) in hooks.iter().enumerate() {
            let script = format!("scripts/{}-{}.sh", hook.event, hook.name);
            let text = format!("#!/bin/bash\n{}", hook.body);
            std::fs::write(out.join("deploys/web").join(&script), &text)?;
            bundle.push(format!(
                "printf '%s' '{}' | base64 -d > \"$CODEBUILD_SRC_DIR/dist/{script}\"",
                base64(text.as_bytes())
            ));
            if let Some(list) = appspec_hooks
                .entry(hook.event)
                .or_insert_with(|| json!([]))
                .as_array_mut()
            {
                list.push(json!({"location": script, "timeout": hook.timeout}));
            }
            manifest_hooks.push(json!({"event": hook.event, "name": hook.name, "script": script, "timeout": hook.timeout, "runas": null, "source": format!("pipeline.pipe:{}", 20 + index * 2)}));
        }
        let appspec = json!({
            "version": 0.0,
            "os": "linux",
            "files": [{"source": "/", "destination": destination}],
            "permissions": [{"object": destination, "pattern": "*.sh", "mode": "0750", "type": ["file"]}],
            "hooks": appspec_hooks,
        });
        let appspec_text = serde_yaml_ng::to_string(&appspec)?;
        std::fs::write(out.join("deploys/web/appspec.yml"), &appspec_text)?;
        bundle.push(format!(
            "printf '%s' '{}' | base64 -d > \"$CODEBUILD_SRC_DIR/dist/appspec.yml\"",
            base64(appspec_text.as_bytes())
        ));
        let post_build = phases.as_object_mut().map(|phases| {
            phases
                .entry("post_build")
                .or_insert_with(|| json!({"commands": []}))
        });
        if let Some(commands) = post_build
            .and_then(|post| post.get_mut("commands"))
            .and_then(Value::as_array_mut)
        {
            commands.extend(bundle.into_iter().map(Value::String));
        }
        let buildspec = json!({
            "version": 0.2,
            "env": {"variables": {"GREETING": "hello 'quoted' $world"}},
            "phases": phases,
            "artifacts": {"files": artifact_files, "base-directory": "dist"},
        });
        std::fs::write(
            out.join("builds/app/buildspec.yml"),
            serde_yaml_ng::to_string(&buildspec)?,
        )?;
        let manifest = json!({
            "format": 1,
            "pipec": "0.1.0",
            "input": "pipeline.pipe",
            "stack_name": "fe-server-dev",
            "pipelines": {"main": {"logical_id": "PipelineMain", "name": "fe-server-dev-main", "source": "pipeline.pipe:52", "stages": [
                {"name": "source", "actions": [{"kind": "source", "block": "repo.app", "branch": "main"}]},
                {"name": "build", "actions": [{"kind": "build", "block": "build.app"}]},
                {"name": "deploy", "actions": [{"kind": "deploy", "block": "deploy.web"}]}
            ]}},
            "builds": {"app": {"buildspec": "builds/app/buildspec.yml", "image": "aws/codebuild/standard:7.0", "compute": "BUILD_GENERAL1_SMALL", "timeout_minutes": 5, "input": "repo.app",
                "environment": [
                    {"name": "NODE_ENV", "type": "PLAINTEXT", "value": "production"},
                    {"name": "API_TOKEN", "type": "PARAMETER_STORE", "value": "/fe/token"}
                ], "source": "pipeline.pipe:10"}},
            "deploys": {"web": {"kind": "ec2", "from": "app", "dir": "deploys/web", "application": "fe-server-dev-web", "deployment_group": "fe-server-dev-web", "bucket": null,
                "hooks": manifest_hooks, "source": "pipeline.pipe:18"}},
            "unknown_future_field": {"ignored": true}
        });
        std::fs::write(
            out.join("manifest.json"),
            serde_json::to_string_pretty(&manifest)?,
        )?;
        std::fs::write(
            self.path("secrets.env"),
            "# local values\nAPI_TOKEN=token-from-file\n",
        )?;
        Ok(())
    }

    fn request(&self, sandbox: SandboxMode) -> RunRequest<'static> {
        let mut request = RunRequest::new(
            self.path("out"),
            SourceSpec::Directory(self.path("src")),
            self.path("work"),
        );
        request.env_file = Some(self.path("secrets.env"));
        request.sandbox = sandbox;
        request
    }

    /// Runs and returns the report and its scrubbed rendering.
    fn run(&self, request: &RunRequest<'_>) -> (RunReport, String) {
        let mut events = Recorder::default();
        let report = run_local(request, &mut events);
        assert_eq!(
            events.finished.len(),
            report.steps.len(),
            "every finished step is reported as an event"
        );
        assert_eq!(
            events.started.len(),
            report.steps.len(),
            "every step is announced"
        );
        let rendered = scrub(&report.render(), self.dir.path());
        (report, rendered)
    }

    fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative))
            .unwrap_or_else(|error| format!("<{relative}: {error}>"))
    }
}

fn default_phases() -> Value {
    json!({
        "install": {"runtime-versions": {"nodejs": "20"}, "commands": ["node --version"]},
        "pre_build": {"commands": ["mkdir -p dist", "cd dist && export BUILD_MARK=pre"]},
        "build": {"commands": [
            "pwd > where.txt",
            "echo \"$BUILD_MARK|$GREETING|$NODE_ENV|$API_TOKEN|$CODEBUILD_BUILD_NUMBER|$CODEBUILD_INITIATOR|$AWS_REGION\" > env.txt",
            "cp \"$CODEBUILD_SRC_DIR/server.js\" \"$CODEBUILD_SRC_DIR/version.txt\" ."
        ]},
        "post_build": {"commands": ["echo \"succeeding=$CODEBUILD_BUILD_SUCCEEDING\" > \"$CODEBUILD_SRC_DIR/dist/post.txt\""]}
    })
}

#[derive(Default)]
struct Recorder {
    started: Vec<StepId>,
    finished: Vec<StepRecord>,
}

impl RunEvents for Recorder {
    fn step_started(&mut self, step: &StepId) {
        self.started.push(step.clone());
    }
    fn step_finished(&mut self, record: &StepRecord) {
        self.finished.push(record.clone());
    }
}

/// Replaces the temporary directory with `[TMP]` and every `(1.23s)` with `(…)`.
fn scrub(text: &str, tmp: &Path) -> String {
    let text = text.replace(&tmp.to_string_lossy().into_owned(), "[TMP]");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let digits = after
            .find(|character: char| !(character.is_ascii_digit() || character == '.'))
            .unwrap_or(after.len());
        if digits > 0 && after[digits..].starts_with("s)") {
            out.push_str("(…)");
            rest = &after[digits + 2..];
        } else {
            out.push('(');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(
                    ALPHABET[((n >> (18 - 6 * index)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

fn step<'a>(report: &'a RunReport, subject: &str, name: &str) -> Option<&'a StepRecord> {
    report
        .steps
        .iter()
        .find(|step| step.id.subject == subject && step.id.name == name)
}

#[test]
fn full_run_then_second_deployment() -> TestResult {
    let fixture = Fixture::new()?;
    fixture.write_output(
        default_phases(),
        &["**/*"],
        &fixture.standard_hooks("v1"),
        "/srv/app",
    )?;
    let started = Instant::now();
    let (report, rendered) = fixture.run(&fixture.request(SandboxMode::Auto));
    let first_duration = started.elapsed();
    insta::assert_snapshot!("full_run_first", rendered);
    assert!(report.succeeded());

    // The build ran in one shell session, with the project's and the buildspec's variables.
    assert_eq!(
        fixture.read("work/artifacts/app/where.txt").trim(),
        fixture
            .path("work/builds/app/src/dist")
            .display()
            .to_string()
    );
    assert_eq!(fixture.read("work/artifacts/app/env.txt").trim(), "pre|hello 'quoted' $world|production|token-from-file|1|codepipeline/fe-server-dev-main|us-east-1");
    assert_eq!(
        fixture.read("work/artifacts/app/post.txt").trim(),
        "succeeding=1"
    );
    assert!(
        !fixture.path("work/source/.git").exists(),
        ".git is not copied"
    );
    // The deploy landed in the sandbox, with the permissions applied.
    let installed = fixture.path("work/instances/web/root/srv/app");
    assert!(installed.join("server.js").is_file());
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(installed.join("scripts/ApplicationStart-start.sh"))?
            .permissions()
            .mode()
            & 0o777,
        0o750
    );
    assert_eq!(
        fixture
            .read("work/instances/web/root/var/log/app/before.txt")
            .trim(),
        "BeforeInstall fe-server-dev-web fe-server-dev-web d-LOCAL0001"
    );
    assert!(fixture
        .read("work/logs/deploy-web/ValidateService.log")
        .contains("ok v1"));
    // The server was stopped at the end.
    if port_open(fixture.port) {
        let listeners = std::process::Command::new("ss")
            .args(["-ltnpH"])
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned());
        panic!(
            "the server started by ApplicationStart is stopped\n{}\n{listeners:?}",
            report.render()
        );
    }

    // Second deployment: ApplicationStop runs the first revision's script.
    fixture.write_source("v2")?;
    fixture.write_output(
        default_phases(),
        &["**/*"],
        &fixture.standard_hooks("v2"),
        "/srv/app",
    )?;
    let (second, rendered) = fixture.run(&fixture.request(SandboxMode::Auto));
    insta::assert_snapshot!("full_run_second", rendered);
    assert!(second.succeeded());
    assert_eq!(
        step(&second, "web", "ApplicationStop").map(|step| step.status),
        Some(Status::Succeeded)
    );
    assert_eq!(
        fixture
            .read("work/logs/deploy-web/ApplicationStop.log")
            .trim(),
        "stop script of v1 ran for d-LOCAL0002"
    );
    assert!(fixture
        .read("work/logs/deploy-web/ValidateService.log")
        .contains("ok v2"));
    assert!(!port_open(fixture.port));
    eprintln!(
        "first run: {first_duration:?}; report durations: {:?}",
        report
            .steps
            .iter()
            .map(|step| (step.id.name.clone(), step.duration))
            .collect::<Vec<_>>()
    );
    Ok(())
}

#[test]
fn keep_running_leaves_the_server_up() -> TestResult {
    let fixture = Fixture::new()?;
    fixture.write_output(
        default_phases(),
        &["**/*"],
        &fixture.standard_hooks("v1"),
        "/srv/app",
    )?;
    let mut request = fixture.request(SandboxMode::Auto);
    request.keep_running = true;
    let (report, _) = fixture.run(&request);
    assert!(report.succeeded());
    assert!(port_open(fixture.port));
    assert!(!report.left_running.is_empty());
    let pids: Vec<String> = report.left_running.iter().map(u32::to_string).collect();
    std::process::Command::new("kill")
        .arg("--")
        .args(&pids)
        .status()?;
    Ok(())
}

#[test]
fn build_failure_with_abort_still_runs_post_build_and_finally() -> TestResult {
    let fixture = Fixture::new()?;
    let mut phases = default_phases();
    phases["build"] = json!({"commands": ["echo before", "sh -c 'exit 3'", "echo never > never.txt"], "finally": ["echo finally-ran > finally.txt"]});
    fixture.write_output(phases, &["**/*"], &fixture.standard_hooks("v1"), "/srv/app")?;
    let (report, rendered) = fixture.run(&fixture.request(SandboxMode::Auto));
    insta::assert_snapshot!("build_failure_abort", rendered);
    assert_eq!(report.exit_code, 3);
    assert_eq!(
        fixture.read("work/artifacts/app/post.txt").trim(),
        "succeeding=0"
    );
    assert_eq!(
        fixture.read("work/artifacts/app/finally.txt").trim(),
        "finally-ran"
    );
    assert!(!fixture.path("work/artifacts/app/never.txt").exists());
    assert!(
        !fixture.path("work/instances/web/root/srv").exists(),
        "no deploy after a failed build"
    );
    Ok(())
}

#[test]
fn pre_build_failure_skips_to_finalizing_unless_continue() -> TestResult {
    let fixture = Fixture::new()?;
    let mut phases = default_phases();
    phases["pre_build"] = json!({"commands": ["mkdir -p dist", "false"], "finally": ["echo cleaned > dist/finally.txt"]});
    fixture.write_output(
        phases.clone(),
        &["**/*"],
        &fixture.standard_hooks("v1"),
        "/srv/app",
    )?;
    let (report, rendered) = fixture.run(&fixture.request(SandboxMode::Auto));
    insta::assert_snapshot!("pre_build_abort", rendered);
    assert_eq!(report.exit_code, 1);
    assert_eq!(
        fixture.read("work/builds/app/src/dist/finally.txt").trim(),
        "cleaned"
    );

    phases["pre_build"]["on-failure"] = json!("CONTINUE");
    fixture.write_output(phases, &["**/*"], &fixture.standard_hooks("v1"), "/srv/app")?;
    let (report, rendered) = fixture.run(&fixture.request(SandboxMode::Auto));
    insta::assert_snapshot!("pre_build_continue", rendered);
    assert!(!report.succeeded());
    assert_eq!(
        step(&report, "app", "BUILD").map(|step| step.status),
        Some(Status::Failed),
        "BUILD runs after CONTINUE (and fails: cd dist never happened)"
    );
    assert_eq!(
        step(&report, "app", "POST_BUILD").map(|step| step.status),
        Some(Status::Succeeded)
    );
    Ok(())
}

#[test]
fn missing_artifact_fails_the_build() -> TestResult {
    let fixture = Fixture::new()?;
    fixture.write_output(
        default_phases(),
        &["**/*", "missing.txt"],
        &fixture.standard_hooks("v1"),
        "/srv/app",
    )?;
    let (report, rendered) = fixture.run(&fixture.request(SandboxMode::Auto));
    insta::assert_snapshot!("missing_artifact", rendered);
    assert_eq!(report.exit_code, 1);
    assert_eq!(
        report
            .diagnostics
            .first()
            .map(|diagnostic| diagnostic.code.number()),
        Some("P7002")
    );
    Ok(())
}

#[test]
fn hook_that_exits_non_zero_is_reported_at_its_line() -> TestResult {
    let fixture = Fixture::new()?;
    let mut hooks = fixture.standard_hooks("v1");
    hooks[3].body = "echo 'health check failed' >&2\nexit 7\n".to_owned();
    fixture.write_output(default_phases(), &["**/*"], &hooks, "/srv/app")?;
    let mut db = pipec_span::SourceDb::new();
    let text: String = (1..=30).map(|line| format!("  line {line}\n")).collect();
    db.add("pipeline.pipe", text);
    let mut request = fixture.request(SandboxMode::Auto);
    request.source_db = Some(&db);
    let (report, rendered) = fixture.run(&request);
    insta::assert_snapshot!("hook_non_zero", rendered);
    assert_eq!(report.exit_code, 7);
    let failure = report
        .first_failure()
        .map(|step| (step.id.name.clone(), step.declared_at.clone()));
    assert_eq!(
        failure,
        Some((
            "ValidateService".to_owned(),
            Some("pipeline.pipe:26".to_owned())
        ))
    );
    let diagnostic = report
        .diagnostics
        .iter()
        .find(|diagnostic| diagnostic.code.number() == "P7003");
    let span = diagnostic
        .and_then(pipec_diagnostics::Diagnostic::primary_span)
        .map(|span| db.location(span));
    assert_eq!(span.as_deref(), Some("pipeline.pipe:26"));
    assert!(fixture
        .read("work/logs/deploy-web/ValidateService.log")
        .contains("health check failed"));
    assert!(
        !port_open(fixture.port),
        "the server is stopped after a failed deployment too"
    );
    Ok(())
}

#[test]
fn hook_that_times_out_is_stopped() -> TestResult {
    let fixture = Fixture::new()?;
    let mut hooks = fixture.standard_hooks("v1");
    hooks[2].body = "sleep 60 &\nsleep 60\n".to_owned();
    hooks[2].timeout = 1;
    fixture.write_output(default_phases(), &["**/*"], &hooks, "/srv/app")?;
    let started = Instant::now();
    let (report, rendered) = fixture.run(&fixture.request(SandboxMode::Auto));
    insta::assert_snapshot!("hook_timeout", rendered);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        step(&report, "web", "ApplicationStart").map(|step| step.status),
        Some(Status::TimedOut)
    );
    assert_eq!(
        report
            .diagnostics
            .first()
            .map(|diagnostic| diagnostic.code.number()),
        Some("P7004")
    );
    Ok(())
}

#[test]
fn unresolved_secret_is_a_clear_error() -> TestResult {
    let fixture = Fixture::new()?;
    fixture.write_output(
        default_phases(),
        &["**/*"],
        &fixture.standard_hooks("v1"),
        "/srv/app",
    )?;
    let mut request = fixture.request(SandboxMode::Auto);
    request.env_file = None;
    let (report, rendered) = fixture.run(&request);
    insta::assert_snapshot!("unresolved_secret", rendered);
    assert_eq!(
        report
            .diagnostics
            .first()
            .map(|diagnostic| diagnostic.code.number()),
        Some("P7005")
    );
    Ok(())
}

fn escape_check(sandbox: SandboxMode, hook_writes_etc: bool) -> TestResult {
    let fixture = Fixture::new()?;
    let unique = format!("/etc/pipec-test-x-{}", fixture.port);
    let mut hooks = vec![Hook {
        event: "AfterInstall",
        name: "marker",
        body: "echo \"installed at $PWD\"\n".to_owned(),
        timeout: 30,
    }];
    if hook_writes_etc {
        hooks.push(Hook {
            event: "ApplicationStart",
            name: "write-etc",
            body: format!("echo hook > {unique}-hook\nls {unique}\n"),
            timeout: 30,
        });
    }
    fixture.write_output(default_phases(), &["**/*"], &hooks, &unique)?;
    let (report, _) = fixture.run(&fixture.request(sandbox));
    assert!(report.succeeded(), "{}", report.render());
    assert!(
        !Path::new(&unique).exists(),
        "nothing is written to the host's /etc"
    );
    assert!(!Path::new(&format!("{unique}-hook")).exists());
    let root = fixture.path("work/instances/web/root");
    assert!(root
        .join(unique.trim_start_matches('/'))
        .join("server.js")
        .is_file());
    if hook_writes_etc {
        assert!(root
            .join(format!("{}-hook", unique.trim_start_matches('/')))
            .is_file());
    }
    Ok(())
}

#[test]
fn nothing_escapes_the_namespace_sandbox() -> TestResult {
    escape_check(SandboxMode::Namespace, true)
}

#[test]
fn nothing_escapes_the_rewrite_sandbox() -> TestResult {
    escape_check(SandboxMode::Rewrite, false)
}

#[test]
fn git_source_at_a_ref() -> TestResult {
    let fixture = Fixture::new()?;
    fixture.write_output(default_phases(), &["**/*"], &[], "/srv/app")?;
    let repo = fixture.path("repo");
    std::fs::create_dir_all(&repo)?;
    for file in ["server.js", "version.txt"] {
        std::fs::copy(fixture.path("src").join(file), repo.join(file))?;
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["add", "."])?;
    git(&["commit", "-q", "-m", "one"])?;
    let commit = String::from_utf8(git(&["rev-parse", "HEAD"])?.stdout)?
        .trim()
        .to_owned();
    std::fs::write(repo.join("version.txt"), "uncommitted\n")?;
    let mut request = fixture.request(SandboxMode::Auto);
    request.source = SourceSpec::parse(&format!("file://{}@main", repo.display()));
    let mut phases = default_phases();
    if let Some(commands) = phases["build"]["commands"].as_array_mut() {
        commands.push(json!(
            "echo \"$CODEBUILD_RESOLVED_SOURCE_VERSION\" > commit.txt"
        ));
    }
    fixture.write_output(phases, &["**/*"], &[], "/srv/app")?;
    let (report, _) = fixture.run(&request);
    assert!(report.succeeded(), "{}", report.render());
    assert_eq!(fixture.read("work/artifacts/app/commit.txt").trim(), commit);
    assert_eq!(
        fixture.read("work/artifacts/app/version.txt").trim(),
        "v1",
        "the committed file, not the work tree"
    );

    request.source = SourceSpec::parse("https://example.com/repo.git@main");
    let (report, _) = fixture.run(&request);
    assert_eq!(
        report
            .diagnostics
            .first()
            .map(|diagnostic| diagnostic.code.number()),
        Some("P7006")
    );
    let _ = NoEvents;
    Ok(())
}

#[test]
fn existing_file_under_disallow_fails_install() -> TestResult {
    let fixture = Fixture::new()?;
    let mut hooks = fixture.standard_hooks("v1");
    // A file that the previous deployment did not install sits where the revision goes.
    hooks[1].body = "mkdir -p /srv/app && echo stray > /srv/app/server.js\n".to_owned();
    fixture.write_output(default_phases(), &["**/*"], &hooks, "/srv/app")?;
    let (report, rendered) = fixture.run(&fixture.request(SandboxMode::Auto));
    insta::assert_snapshot!("install_disallow", rendered);
    assert_eq!(
        report
            .diagnostics
            .first()
            .map(|diagnostic| diagnostic.code.number()),
        Some("P7010")
    );
    assert_eq!(
        fixture
            .read("work/instances/web/root/srv/app/server.js")
            .trim(),
        "stray"
    );
    Ok(())
}

#[test]
fn s3_deploy_copies_the_site() -> TestResult {
    let fixture = Fixture::new()?;
    fixture.write_output(default_phases(), &["**/*"], &[], "/srv/app")?;
    let manifest_path = fixture.path("out/manifest.json");
    let mut manifest: Value = serde_json::from_str(&std::fs::read_to_string(&manifest_path)?)?;
    manifest["deploys"]["web"] = json!({"kind": "s3", "from": "app", "dir": null, "bucket": "SiteBucket", "hooks": [], "source": "pipeline.pipe:30"});
    std::fs::write(&manifest_path, serde_json::to_string(&manifest)?)?;
    let (report, rendered) = fixture.run(&fixture.request(SandboxMode::Auto));
    insta::assert_snapshot!("s3_deploy", rendered);
    assert!(report.succeeded());
    assert!(fixture.path("work/sites/web/server.js").is_file());
    Ok(())
}
