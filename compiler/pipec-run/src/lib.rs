//! `pipec run --local`: runs a compiled pipeline on this machine, without AWS.
//!
//! The input is a build output directory (docs/build-output.md): the manifest says which builds
//! and deploys the pipeline runs, the generated `buildspec.yml` files are executed with
//! CodeBuild's semantics (one bash session, phase transitions, `on-failure`, `finally`,
//! artifacts), and every EC2 deploy performs the CodeDeploy in-place lifecycle on a sandbox
//! directory that stands for the instance. Progress goes to a [`RunEvents`] callback and the
//! whole outcome comes back as a [`RunReport`]. This crate never prints; see
//! `docs/run-local.md` for the design and for what differs from AWS.
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]
// `Diagnostic` is the error type leaving every phase (style guide 3.1); errors are the cold path,
// so boxing them would only add noise.
#![allow(clippy::result_large_err)]

mod appspec;
mod artifacts;
mod build;
mod build_env;
mod buildspec;
mod context;
mod deploy;
mod install;
mod manifest;
mod process;
mod report;
mod sandbox;
mod session;
pub mod shell;
mod software;
mod source;
mod workdir;

use std::path::PathBuf;
use std::time::Instant;

use pipec_diagnostics::{Code, Diagnostic};
use pipec_span::SourceDb;

pub use manifest::{
    ActionEntry, BuildEntry, DeployEntry, DeployTarget, Ec2Entry, EnvironmentEntry, HookEntry,
    InstanceEntry, Manifest, PipelineEntry, S3Entry, StageEntry,
};
pub use process::cancel;
pub use report::{
    format_duration, render_step, NoEvents, RunEvents, RunReport, Stage, Status, StepId, StepRecord,
};
pub use sandbox::SandboxMode;
pub use source::SourceSpec;
pub use workdir::{claim_workdir, MARKER};

use context::Context;

/// Everything a local run needs.
#[derive(Clone, Debug)]
pub struct RunRequest<'a> {
    /// The output of `pipec build` (holds `manifest.json`).
    pub output_dir: PathBuf,
    /// Where the source comes from.
    pub source: SourceSpec,
    /// The work directory: build workspaces, artifacts, logs, instances and sites. Kept between
    /// runs, so that a second run is a second deployment.
    pub workdir: PathBuf,
    /// The pipeline to run; `None` picks the only one (or `main`).
    pub pipeline: Option<String>,
    /// `KEY=VALUE` lines for PARAMETER_STORE and SECRETS_MANAGER variables.
    pub env_file: Option<PathBuf>,
    /// Leave servers started by hooks running at the end.
    pub keep_running: bool,
    /// How the instance sandbox is built.
    pub sandbox: SandboxMode,
    /// Value of `AWS_REGION` / `AWS_DEFAULT_REGION` in builds.
    pub region: String,
    /// The `.pipe` sources, to put diagnostics at the declaring line (optional).
    pub source_db: Option<&'a SourceDb>,
}

impl RunRequest<'_> {
    /// A request with defaults: automatic sandbox, region `us-east-1`, nothing kept running.
    #[must_use]
    pub fn new(
        output_dir: impl Into<PathBuf>,
        source: SourceSpec,
        workdir: impl Into<PathBuf>,
    ) -> Self {
        RunRequest {
            output_dir: output_dir.into(),
            source,
            workdir: workdir.into(),
            pipeline: None,
            env_file: None,
            keep_running: false,
            sandbox: SandboxMode::Auto,
            region: "us-east-1".to_owned(),
            source_db: None,
        }
    }
}

/// Runs the pipeline locally and reports every step to `events`.
///
/// Never panics on user input: problems come back as diagnostics in the report, and the report's
/// `exit_code` is that of the first failure.
///
/// The calling process becomes a child subreaper (`PR_SET_CHILD_SUBREAPER`) and stays one, so
/// that daemons which builds and hooks detach remain its descendants and the cleanup finds them;
/// build sessions and hook scripts carry `PIPEC_RUN_ID` to tell this run's processes from those
/// of other runs in the same process. [`cancel`] (from a signal handler thread) stops the run
/// in order.
pub fn run_local(request: &RunRequest<'_>, events: &mut dyn RunEvents) -> RunReport {
    let started = Instant::now();
    // Build sessions and hook scripts run in other working directories, and the paths handed
    // to them are paths of this process: make them absolute first.
    let mut absolute = request.clone();
    absolute.workdir = absolute_path(&request.workdir);
    absolute.output_dir = absolute_path(&request.output_dir);
    let request = &absolute;
    // Daemons that hooks and builds detach (`setsid`, double forks) stay descendants of this
    // process, so the cleanup finds them even outside a PID namespace.
    process::become_subreaper();
    process::start_run();
    let mut context = Context::new(request, events);
    run_stages(&mut context);
    context.cleanup();
    if let Some(signal) = process::cancelled() {
        context.interrupted(signal);
    }
    context.into_report(started.elapsed())
}

/// `path` made absolute against the current directory (unchanged when that fails).
fn absolute_path(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// What the pipeline runs, in order.
enum Action {
    Build(String),
    Deploy(String),
}

fn plan_actions(
    context: &mut Context<'_, '_>,
    manifest: &Manifest,
) -> Option<(String, Vec<Action>)> {
    let request = context.request;
    let chosen = match &request.pipeline {
        Some(name) => Some(name.clone()),
        None if manifest.pipelines.len() == 1 => manifest.pipelines.keys().next().cloned(),
        None if manifest.pipelines.contains_key("main") => Some("main".to_owned()),
        None if manifest.pipelines.is_empty() => None,
        None => {
            let names: Vec<&str> = manifest.pipelines.keys().map(String::as_str).collect();
            context.error(
                Diagnostic::error(
                    Code::RUN_INVALID_BUILD_OUTPUT,
                    "several pipelines are declared and none was chosen",
                )
                .note(format!("The pipelines are: {}.", names.join(", ")))
                .help("Pass `--pipeline NAME`."),
            );
            return None;
        }
    };
    let Some(name) = chosen else {
        // No pipeline: every build, then every deploy.
        let mut actions: Vec<Action> = manifest.builds.keys().cloned().map(Action::Build).collect();
        actions.extend(manifest.deploys.keys().cloned().map(Action::Deploy));
        return Some((String::new(), actions));
    };
    let Some(pipeline) = manifest.pipelines.get(&name) else {
        let names: Vec<&str> = manifest.pipelines.keys().map(String::as_str).collect();
        let mut diagnostic = Diagnostic::error(
            Code::RUN_INVALID_BUILD_OUTPUT,
            format!("no pipeline `{name}` in the build output"),
        );
        if let Some(close) = pipec_diagnostics::did_you_mean(&name, names.iter().copied()) {
            diagnostic = diagnostic.help(format!("Did you mean `{close}`?"));
        }
        context.error(diagnostic.note(format!("The pipelines are: {}.", names.join(", "))));
        return None;
    };
    let mut actions = Vec::new();
    for stage in &pipeline.stages {
        for action in &stage.actions {
            let block_name = action
                .block
                .split_once('.')
                .map_or(action.block.as_str(), |(_, name)| name)
                .to_owned();
            match action.kind.as_str() {
                "build" => actions.push(Action::Build(block_name)),
                "deploy" => actions.push(Action::Deploy(block_name)),
                _ => {}
            }
        }
    }
    let display = if pipeline.name.is_empty() {
        name
    } else {
        pipeline.name.clone()
    };
    Some((display, actions))
}

fn run_stages(context: &mut Context<'_, '_>) {
    let request = context.request;
    let manifest = match Manifest::load(&request.output_dir) {
        Ok(manifest) => manifest,
        Err(diagnostic) => {
            context.error(diagnostic);
            return;
        }
    };
    let Some((pipeline_name, actions)) = plan_actions(context, &manifest) else {
        return;
    };
    let Some(prepared) = context.source_stage() else {
        return;
    };
    let mut builds: std::collections::BTreeMap<String, build::BuildResult> =
        std::collections::BTreeMap::new();
    let mut failed = false;
    for action in actions {
        failed |= process::cancelled().is_some();
        match action {
            Action::Build(name) => {
                if failed {
                    context.skipped_stage(Stage::Build, &name);
                    continue;
                }
                let Some(entry) = manifest.builds.get(&name) else {
                    context.error(Diagnostic::error(
                        Code::RUN_INVALID_BUILD_OUTPUT,
                        format!(
                            "the pipeline runs build `{name}` but the manifest has no such build"
                        ),
                    ));
                    failed = true;
                    continue;
                };
                let result =
                    build::run_build(context, &manifest, &name, entry, &prepared, &pipeline_name);
                failed |= !result.succeeded;
                builds.insert(name, result);
            }
            Action::Deploy(name) => {
                if failed {
                    context.skipped_stage(Stage::Deploy, &name);
                    continue;
                }
                let Some(entry) = manifest.deploys.get(&name) else {
                    context.error(Diagnostic::error(
                        Code::RUN_INVALID_BUILD_OUTPUT,
                        format!(
                            "the pipeline runs deploy `{name}` but the manifest has no such deploy"
                        ),
                    ));
                    failed = true;
                    continue;
                };
                let Some(artifact_dir) = builds
                    .get(&entry.from)
                    .filter(|result| result.succeeded)
                    .map(|result| result.artifact_dir.clone())
                else {
                    context.error(
                        Diagnostic::error(Code::RUN_INVALID_BUILD_OUTPUT, format!("deploy `{name}` takes the output of build `{}`, which did not run before it", entry.from))
                            .help("Check the order of the pipeline's stages."),
                    );
                    failed = true;
                    continue;
                };
                failed |= !deploy::run_deploy(context, &manifest, &name, entry, &artifact_dir);
            }
        }
    }
}
