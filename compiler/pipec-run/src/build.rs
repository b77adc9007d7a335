//! The build stage: runs a generated buildspec with CodeBuild's semantics.
//!
//! - Environment: the inherited process environment, then buildspec `env.variables`, then the
//!   project's variables (manifest), then PARAMETER_STORE / SECRETS_MANAGER values from the env
//!   file, then CodeBuild's own `CODEBUILD_*` and `AWS_REGION` variables.
//! - Phases run in order in one [`Session`]. A failure in INSTALL or PRE_BUILD skips to
//!   finalizing (no later phase, no artifacts) unless the phase says `on-failure: CONTINUE`; a
//!   failure in BUILD still runs POST_BUILD with `CODEBUILD_BUILD_SUCCEEDING=0`, and artifacts
//!   are collected whenever the build got past PRE_BUILD. `finally` always runs after a phase's
//!   commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pipec_diagnostics::{Code, Diagnostic};

use crate::artifacts;
use crate::buildspec::{self, Buildspec, OnFailure, Phase};
use crate::context::{next_counter, Context, OpenStep, StepOutcome};
use crate::manifest::{BuildEntry, Manifest};
use crate::report::{Stage, Status};
use crate::session::{CommandResult, Session};
use crate::source::{copy_tree, PreparedSource};

/// What a build left for its deploys.
#[derive(Clone, Debug)]
pub(crate) struct BuildResult {
    pub(crate) succeeded: bool,
    /// `WORKDIR/artifacts/<build>`.
    pub(crate) artifact_dir: PathBuf,
}

/// Runs build `name` and returns whether it succeeded.
pub(crate) fn run_build(
    context: &mut Context<'_, '_>,
    manifest: &Manifest,
    name: &str,
    entry: &BuildEntry,
    source: &PreparedSource,
    pipeline: &str,
) -> BuildResult {
    let workdir = context.workdir().to_path_buf();
    let artifact_dir = workdir.join("artifacts").join(name);
    let failed = BuildResult {
        succeeded: false,
        artifact_dir: artifact_dir.clone(),
    };
    let stage = context.start(Stage::Build, name, "");
    let declared_at = Some(entry.source.clone()).filter(|at| !at.is_empty());
    // Problems before the first command (buildspec, environment, workspace) fail CodeBuild's
    // PROVISIONING phase.
    let provisioning = context.start(Stage::Build, name, "PROVISIONING");
    let fail_stage = |context: &mut Context<'_, '_>,
                      provisioning: OpenStep,
                      stage: OpenStep,
                      diagnostic: Diagnostic| {
        let headline = diagnostic.message.clone();
        context.finish(provisioning, Status::Failed, StepOutcome::detail(&headline));
        context.finish(
            stage,
            Status::Failed,
            StepOutcome {
                declared_at: declared_at.clone(),
                ..StepOutcome::default()
            },
        );
        context.error(diagnostic);
    };

    let spec_path = context.request.output_dir.join(&entry.buildspec);
    let spec = match std::fs::read_to_string(&spec_path)
        .map_err(|error| error.to_string())
        .and_then(|text| buildspec::parse(&text))
    {
        Ok(spec) => spec,
        Err(reason) => {
            let diagnostic = Diagnostic::error(
                Code::RUN_INVALID_BUILD_OUTPUT,
                format!(
                    "cannot use the buildspec of build `{name}` (`{}`)",
                    spec_path.display()
                ),
            )
            .note(reason);
            fail_stage(context, provisioning, stage, diagnostic);
            return failed;
        }
    };
    let secrets = match crate::build_env::read_env_file(context.request.env_file.as_deref()) {
        Ok(secrets) => secrets,
        Err(diagnostic) => {
            fail_stage(context, provisioning, stage, diagnostic);
            return failed;
        }
    };

    // The workspace: a fresh copy of the source.
    let build_root = workdir.join("builds").join(name);
    let src_dir = build_root.join("src");
    if let Err(error) =
        std::fs::create_dir_all(&src_dir).and_then(|()| copy_tree(&source.dir, &src_dir, None))
    {
        fail_stage(
            context,
            provisioning,
            stage,
            Diagnostic::error(
                Code::IO_ERROR,
                format!("cannot prepare the workspace of build `{name}`"),
            )
            .note(error.to_string()),
        );
        return failed;
    }
    let build_number = next_counter(&workdir, &format!("build-{name}"));
    let project = if manifest.stack_name.is_empty() {
        name.to_owned()
    } else {
        format!("{}-{name}", manifest.stack_name)
    };
    let builtins = crate::build_env::Builtins {
        project: &project,
        build_number,
        src_dir: &src_dir,
        resolved_version: &source.resolved_version,
        initiator: if pipeline.is_empty() {
            "pipec-run-local".to_owned()
        } else {
            format!("codepipeline/{pipeline}")
        },
        region: &context.request.region,
    };
    let env = match crate::build_env::environment(&spec, entry, &secrets, &builtins) {
        Ok(env) => env,
        Err(diagnostic) => {
            let diagnostic = context.locate(diagnostic, &entry.source, "build declared here");
            fail_stage(context, provisioning, stage, diagnostic);
            return failed;
        }
    };

    let logs = workdir.join("logs").join(format!("build-{name}"));
    let _ = std::fs::create_dir_all(&logs);
    let shell = match spec.shell.as_deref() {
        Some("sh" | "/bin/sh") => "sh",
        _ => "bash",
    };
    let timeout = Duration::from_secs(entry.timeout_minutes.unwrap_or(60).max(1) * 60);
    let runner = PhaseRunner {
        shell,
        control: build_root.join("control"),
        cwd: src_dir.clone(),
        env,
        logs,
        deadline: Instant::now() + timeout,
    };
    let session = match runner.start_session() {
        Ok(session) => session,
        Err(error) => {
            fail_stage(
                context,
                provisioning,
                stage,
                Diagnostic::error(
                    Code::IO_ERROR,
                    format!("cannot start `{shell}` for build `{name}`"),
                )
                .note(error.to_string()),
            );
            return failed;
        }
    };
    let detail = format!(
        "{shell} session in {}",
        context.relative(&src_dir).display()
    );
    context.finish(
        provisioning,
        Status::Succeeded,
        StepOutcome::detail(&detail),
    );
    let outcome = runner.run_phases(context, name, entry, &spec, session);

    let mut succeeded = outcome.succeeded;
    if outcome.upload {
        succeeded &= collect_artifacts(context, name, &spec, &src_dir, &artifact_dir);
    } else {
        context.skip(
            Stage::Build,
            name,
            "UPLOAD_ARTIFACTS",
            "(skipped to finalizing)",
        );
    }
    let status = if succeeded {
        Status::Succeeded
    } else {
        Status::Failed
    };
    context.finish(
        stage,
        status,
        StepOutcome {
            declared_at,
            ..StepOutcome::default()
        },
    );
    BuildResult {
        succeeded,
        artifact_dir,
    }
}

fn collect_artifacts(
    context: &mut Context<'_, '_>,
    name: &str,
    spec: &Buildspec,
    src_dir: &Path,
    artifact_dir: &Path,
) -> bool {
    let step = context.start(Stage::Build, name, "UPLOAD_ARTIFACTS");
    let Some(artifact_spec) = &spec.artifacts else {
        context.finish(
            step,
            Status::Succeeded,
            StepOutcome::detail("no artifacts section"),
        );
        return true;
    };
    match artifacts::collect(artifact_spec, src_dir, artifact_dir) {
        Ok(count) => {
            let detail = format!(
                "{count} file(s) -> {}",
                context.relative(artifact_dir).display()
            );
            context.finish(step, Status::Succeeded, StepOutcome::detail(&detail));
            true
        }
        Err(missing) => {
            let detail = format!("missing: {}", missing.join(", "));
            context.finish(step, Status::Failed, StepOutcome::detail(&detail));
            let list = missing
                .iter()
                .map(|path| format!("`{path}`"))
                .collect::<Vec<_>>()
                .join(", ");
            context.error(
                Diagnostic::error(
                    Code::RUN_MISSING_ARTIFACT,
                    format!("build `{name}` did not produce the artifact file(s) {list}"),
                )
                .note(format!(
                    "Artifact paths are relative to `{}`.",
                    artifact_spec
                        .base_directory
                        .as_deref()
                        .unwrap_or("the source directory")
                ))
                .help("Make the build write the file, or correct the artifact path."),
            );
            false
        }
    }
}

/// How the phases ended.
struct PhasesOutcome {
    succeeded: bool,
    /// Whether UPLOAD_ARTIFACTS runs (false after skipping to finalizing).
    upload: bool,
}

struct PhaseRunner<'a> {
    shell: &'a str,
    control: PathBuf,
    cwd: PathBuf,
    env: Vec<(String, String)>,
    logs: PathBuf,
    deadline: Instant,
}

/// How the commands of one phase ended.
struct PhaseFailure {
    exit_code: i32,
    command: String,
    timed_out: bool,
    /// The run was cancelled during this command.
    interrupted: bool,
}

impl PhaseRunner<'_> {
    fn start_session(&self) -> std::io::Result<Session> {
        Session::start(
            self.shell,
            &self.control,
            &self.cwd,
            &self.env,
            &self.logs.join("shell.log"),
        )
    }

    fn run_phases(
        &self,
        context: &mut Context<'_, '_>,
        name: &str,
        entry: &BuildEntry,
        spec: &Buildspec,
        mut session: Session,
    ) -> PhasesOutcome {
        let mut succeeding = true;
        let mut finalizing = false;
        for phase in &spec.phases {
            let phase_name = phase.name.to_ascii_uppercase();
            if finalizing {
                context.skip(Stage::Build, name, &phase_name, "(skipped to finalizing)");
                continue;
            }
            let step = context.start(Stage::Build, name, &phase_name);
            let log = self.logs.join(format!("{phase_name}.log"));
            let _ = std::fs::write(&log, "");
            if !succeeding {
                session.export("CODEBUILD_BUILD_SUCCEEDING", "0", self.deadline);
            }
            let runtime_warnings = if phase.name == "install" {
                check_runtimes(context, phase, &entry.source)
            } else {
                Vec::new()
            };
            let failure = self.run_commands(&mut session, &phase.commands, &log);
            let finally_failure = match &failure {
                Some(failure) if failure.timed_out || failure.interrupted => None,
                _ => self.run_commands(&mut session, &phase.finally, &log),
            };
            let failure = failure.or(finally_failure);
            let outcome = StepOutcome {
                log: Some(log.clone()),
                ..StepOutcome::default()
            };
            match failure {
                None => {
                    let status = if runtime_warnings.is_empty() {
                        Status::Succeeded
                    } else {
                        Status::Warning
                    };
                    let detail =
                        (!runtime_warnings.is_empty()).then(|| runtime_warnings.join("; "));
                    context.finish(step, status, StepOutcome { detail, ..outcome });
                }
                Some(failure) if failure.interrupted => {
                    succeeding = false;
                    let detail = format!("`{}` (interrupted)", one_line(&failure.command));
                    context.finish(
                        step,
                        Status::Failed,
                        StepOutcome {
                            detail: Some(detail),
                            ..outcome
                        },
                    );
                    finalizing = true;
                }
                Some(failure) => {
                    succeeding = false;
                    let status = if failure.timed_out {
                        Status::TimedOut
                    } else {
                        Status::Failed
                    };
                    let detail = format!(
                        "`{}`{}",
                        one_line(&failure.command),
                        if phase.on_failure == OnFailure::Continue {
                            " (on-failure: CONTINUE)"
                        } else {
                            ""
                        }
                    );
                    context.finish(
                        step,
                        status,
                        StepOutcome {
                            exit_code: Some(failure.exit_code),
                            detail: Some(detail),
                            ..outcome
                        },
                    );
                    let headline = if failure.timed_out {
                        format!("build `{name}` timed out in phase {phase_name}")
                    } else {
                        format!("command `{}` failed with exit code {} in phase {phase_name} of build `{name}`", one_line(&failure.command), failure.exit_code)
                    };
                    let diagnostic = Diagnostic::error(Code::RUN_BUILD_FAILED, headline).note(
                        format!("Its output is in `{}`.", context.relative(&log).display()),
                    );
                    let diagnostic =
                        context.locate(diagnostic, &entry.source, "build declared here");
                    context.error(diagnostic);
                    finalizing = failure.timed_out
                        || (phase.on_failure == OnFailure::Abort
                            && matches!(phase.name, "install" | "pre_build"));
                }
            }
            if session.ended() && !finalizing {
                session.close();
                match self.start_session() {
                    Ok(new_session) => session = new_session,
                    Err(_) => {
                        return PhasesOutcome {
                            succeeded: false,
                            upload: false,
                        }
                    }
                }
            }
        }
        session.close();
        PhasesOutcome {
            succeeded: succeeding,
            upload: !finalizing,
        }
    }

    /// Runs `commands` until one fails.
    fn run_commands(
        &self,
        session: &mut Session,
        commands: &[String],
        log: &Path,
    ) -> Option<PhaseFailure> {
        for command in commands {
            if session.ended() {
                return Some(PhaseFailure {
                    exit_code: 1,
                    command: command.clone(),
                    timed_out: false,
                    interrupted: false,
                });
            }
            match session.run(command, log, self.deadline) {
                CommandResult::Exited(0) => {}
                CommandResult::Exited(code) | CommandResult::ShellEnded(code) => {
                    return Some(PhaseFailure {
                        exit_code: if code == 0 { 1 } else { code },
                        command: command.clone(),
                        timed_out: false,
                        interrupted: false,
                    });
                }
                CommandResult::TimedOut => {
                    return Some(PhaseFailure {
                        exit_code: 124,
                        command: command.clone(),
                        timed_out: true,
                        interrupted: false,
                    })
                }
                CommandResult::Interrupted => {
                    return Some(PhaseFailure {
                        exit_code: 1,
                        command: command.clone(),
                        timed_out: false,
                        interrupted: true,
                    })
                }
            }
        }
        None
    }
}

/// The first line of a command, shortened for one report line.
fn one_line(command: &str) -> String {
    let first = command.lines().next().unwrap_or_default();
    let mut short: String = first.chars().take(60).collect();
    if short.len() < first.len() || command.lines().nth(1).is_some() {
        short.push('…');
    }
    short
}

/// Compares `runtime-versions` with what is installed; returns warnings (never fails).
fn check_runtimes(context: &mut Context<'_, '_>, phase: &Phase, declared_at: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    for (runtime, wanted) in &phase.runtime_versions {
        let installed = installed_version(runtime);
        let matches = match &installed {
            Some(version) => version_matches(wanted, version),
            None => false,
        };
        if matches {
            continue;
        }
        let found = installed
            .clone()
            .unwrap_or_else(|| "not installed".to_owned());
        warnings.push(format!("{runtime} {wanted} wanted, {found} found"));
        let diagnostic = Diagnostic::warning(
            Code::RUN_RUNTIME_MISMATCH,
            format!("runtime `{runtime}` {wanted} is wanted but {found} is on this machine"),
        )
        .note("A local run uses the installed runtimes and never downloads one.");
        let diagnostic = context.locate(diagnostic, declared_at, "build declared here");
        context.error(diagnostic);
    }
    warnings
}

/// The installed version of a CodeBuild runtime name, as `major.minor.patch` text.
fn installed_version(runtime: &str) -> Option<String> {
    let (program, args): (&str, &[&str]) = match runtime {
        "nodejs" => ("node", &["--version"]),
        "python" => ("python3", &["--version"]),
        "java" => ("java", &["-version"]),
        "golang" => ("go", &["version"]),
        "ruby" => ("ruby", &["--version"]),
        "php" => ("php", &["--version"]),
        "dotnet" => ("dotnet", &["--version"]),
        "rust" => ("rustc", &["--version"]),
        _ => return None,
    };
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The first token that starts with a digit (after an optional `v` or `go`).
    text.split(|character: char| character.is_whitespace() || character == '"')
        .map(|token| token.trim_start_matches('v').trim_start_matches("go"))
        .find(|token| {
            token
                .chars()
                .next()
                .is_some_and(|first| first.is_ascii_digit())
        })
        .map(str::to_owned)
}

/// `20`, `20.x`, `3.12`, `corretto17`, `latest` against an installed `20.20.2`.
fn version_matches(wanted: &str, installed: &str) -> bool {
    let wanted = wanted.trim_start_matches("corretto").trim_end_matches(".x");
    if wanted == "latest" {
        return true;
    }
    let wanted_parts: Vec<&str> = wanted.split('.').collect();
    let installed_parts: Vec<&str> = installed.split(['.', '_', '-']).collect();
    // Java 8 reports itself as 1.8.
    let installed_parts =
        if installed_parts.first() == Some(&"1") && wanted_parts.first() != Some(&"1") {
            installed_parts.get(1..).unwrap_or_default().to_vec()
        } else {
            installed_parts
        };
    wanted_parts
        .iter()
        .zip(installed_parts.iter())
        .all(|(want, have)| want == have)
        && wanted_parts.len() <= installed_parts.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_versions_match_by_prefix() {
        assert!(version_matches("20", "20.20.2"));
        assert!(version_matches("20.x", "20.20.2"));
        assert!(!version_matches("22", "20.20.2"));
        assert!(version_matches("3.12", "3.12.1"));
        assert!(!version_matches("3.1", "3.12.1"));
        assert!(version_matches("corretto17", "17.0.9"));
        assert!(version_matches("corretto8", "1.8.0_392"));
        assert!(version_matches("latest", "1"));
    }

    #[test]
    fn long_commands_are_shortened() {
        assert_eq!(one_line("echo hi"), "echo hi");
        assert_eq!(one_line("a\nb"), "a…");
    }
}
