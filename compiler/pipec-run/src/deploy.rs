//! The deploy stage. An EC2 deploy performs CodeDeploy's in-place lifecycle on the instance
//! sandbox: ApplicationStop (scripts of the last successful revision; skipped on the first
//! deployment), DownloadBundle (the build's artifact directory is the revision), BeforeInstall,
//! Install, AfterInstall, ApplicationStart and ValidateService, with the agent's environment
//! variables and per-script timeouts. The agent's bookkeeping lives where the agent keeps it,
//! under `/opt/codedeploy-agent/deployment-root` on the instance. An S3 deploy copies the
//! artifact into `WORKDIR/sites/<name>/`.

use std::path::Path;
use std::time::Duration;

use pipec_diagnostics::{Code, Diagnostic};

use crate::appspec::{self, AppSpec};
use crate::context::{next_counter, uuid_from, Context, StepOutcome};
use crate::install::{self, join};
use crate::manifest::{DeployEntry, DeployTarget, Ec2Entry, Manifest};
use crate::process;
use crate::report::{Stage, Status};
use crate::sandbox::{Instance, ScriptOutcome};
use crate::software;
use crate::source::copy_tree;

/// The agent's deployment root on the instance.
const DEPLOYMENT_ROOT: &str = "/opt/codedeploy-agent/deployment-root";

/// Runs deploy `name`; returns whether it succeeded.
pub(crate) fn run_deploy(
    context: &mut Context<'_, '_>,
    manifest: &Manifest,
    name: &str,
    entry: &DeployEntry,
    revision: &Path,
) -> bool {
    let ec2 = match &entry.target {
        DeployTarget::Ec2(ec2) => ec2,
        DeployTarget::S3(_) => return run_s3_deploy(context, name, entry, revision),
    };
    let stage = context.start(Stage::Deploy, name, "");
    let declared_at = Some(entry.source.clone()).filter(|at| !at.is_empty());
    let succeeded = match Deployment::prepare(context, name, entry, ec2) {
        Some(mut deployment) => {
            let succeeded = deployment.run(context, manifest, revision);
            context
                .instances
                .push((name.to_owned(), deployment.instance));
            succeeded
        }
        None => false,
    };
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
    succeeded
}

fn run_s3_deploy(
    context: &mut Context<'_, '_>,
    name: &str,
    entry: &DeployEntry,
    revision: &Path,
) -> bool {
    let stage = context.start(Stage::Deploy, name, "");
    let step = context.start(Stage::Deploy, name, "S3 upload");
    let site = context.workdir().join("sites").join(name);
    let copied = std::fs::create_dir_all(&site).and_then(|()| copy_tree(revision, &site, None));
    let declared_at = Some(entry.source.clone()).filter(|at| !at.is_empty());
    match copied {
        Ok(count) => {
            let detail = format!("{count} file(s) -> {}", context.relative(&site).display());
            context.finish(step, Status::Succeeded, StepOutcome::detail(&detail));
            context.finish(
                stage,
                Status::Succeeded,
                StepOutcome {
                    declared_at,
                    ..StepOutcome::default()
                },
            );
            true
        }
        Err(error) => {
            context.finish(step, Status::Failed, StepOutcome::default());
            context.finish(
                stage,
                Status::Failed,
                StepOutcome {
                    declared_at,
                    ..StepOutcome::default()
                },
            );
            context.error(
                Diagnostic::error(
                    Code::IO_ERROR,
                    format!("cannot copy the site of deploy `{name}`"),
                )
                .note(error.to_string()),
            );
            false
        }
    }
}

/// Limits the sandbox to the software the deploy's instances have (docs/run-local.md,
/// "Software"): hides the commands of catalogue software they do not install, and warns (P7020)
/// about software they install that this machine lacks.
fn offer_software(
    context: &mut Context<'_, '_>,
    name: &str,
    ec2: &Ec2Entry,
    instance: &mut Instance,
    workdir: &Path,
) {
    let search = software::search_path();
    let Some(offer) = software::offer(&ec2.instances, &|command| {
        software::on_host(command, &search)
    }) else {
        return;
    };
    for (instance_name, software_name, commands, source) in &offer.missing_here {
        let diagnostic = software::not_on_host(name, instance_name, software_name, commands);
        let diagnostic = context.locate(diagnostic, source, "declared here");
        context.error(diagnostic);
    }
    let stub_dir = workdir.join("instances").join(name).join("not-installed");
    let hidden = software::write_stubs(&stub_dir, &offer)
        .map_err(|error| error.to_string())
        .and_then(|stubs| instance.hide(&stubs, &stub_dir, &search));
    if let Err(reason) = hidden {
        context.error(
            Diagnostic::warning(
                Code::RUN_SANDBOX_FALLBACK,
                format!("deploy `{name}`: the software its instance does not install could not be hidden from hooks"),
            )
            .note(reason)
            .note("Hooks see all of this machine's software."),
        );
    }
}

/// One deployment to one instance sandbox.
struct Deployment {
    name: String,
    instance: Instance,
    application: String,
    group_name: String,
    group_id: String,
    deployment_id: String,
    logs: std::path::PathBuf,
    /// `file:line` of the deploy block.
    declared_at: String,
}

impl Deployment {
    fn prepare(
        context: &mut Context<'_, '_>,
        name: &str,
        entry: &DeployEntry,
        ec2: &Ec2Entry,
    ) -> Option<Deployment> {
        let workdir = context.workdir().to_path_buf();
        let (mut instance, fallback) = match Instance::open(
            &workdir.join("instances").join(name),
            context.request.sandbox,
        ) {
            Ok(opened) => opened,
            Err(error) => {
                context.error(
                    Diagnostic::error(
                        Code::RUN_SANDBOX_FALLBACK,
                        format!("cannot set up the sandbox of deploy `{name}`"),
                    )
                    .with_severity(pipec_diagnostics::Severity::Error)
                    .note(error.to_string()),
                );
                return None;
            }
        };
        if let Some(reason) = fallback {
            context.error(
                Diagnostic::warning(Code::RUN_SANDBOX_FALLBACK, format!("deploy `{name}` runs without a mount namespace"))
                    .note(reason)
                    .note("Appspec destinations are rewritten under the sandbox root; hook scripts run on the host with `PIPEC_INSTANCE_ROOT` set."),
            );
        }
        offer_software(context, name, ec2, &mut instance, &workdir);
        let application = ec2.application.clone().unwrap_or_else(|| name.to_owned());
        let group_name = ec2
            .deployment_group
            .clone()
            .unwrap_or_else(|| name.to_owned());
        let group_id = uuid_from(&format!("{application}/{group_name}"));
        let deployment_id = format!(
            "d-LOCAL{:04}",
            next_counter(&workdir, "deployments") % 10_000
        );
        let logs = workdir.join("logs").join(format!("deploy-{name}"));
        let _ = std::fs::create_dir_all(&logs);
        Some(Deployment {
            name: name.to_owned(),
            instance,
            application,
            group_name,
            group_id,
            deployment_id,
            logs,
            declared_at: entry.source.clone(),
        })
    }

    fn instructions(&self, file: &str) -> String {
        format!(
            "{DEPLOYMENT_ROOT}/deployment-instructions/{}{file}",
            self.group_id
        )
    }

    fn run(&mut self, context: &mut Context<'_, '_>, manifest: &Manifest, revision: &Path) -> bool {
        let name = self.name.clone();
        let deployment_dir = format!("{DEPLOYMENT_ROOT}/{}/{}", self.group_id, self.deployment_id);
        let archive = format!("{deployment_dir}/deployment-archive");

        // ApplicationStop runs the scripts of the last successful revision.
        let previous = std::fs::read_to_string(
            self.instance
                .host_path(&self.instructions("_last_successful_install")),
        )
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
        match previous {
            None => context.skip(
                Stage::Deploy,
                &name,
                "ApplicationStop",
                "(first deployment)",
            ),
            Some(previous_dir) => {
                let previous_archive = format!("{previous_dir}/deployment-archive");
                let previous_spec = std::fs::read_to_string(
                    self.instance
                        .host_path(&join(&previous_archive, "appspec.yml")),
                )
                .ok()
                .and_then(|text| appspec::parse(&text).ok());
                match previous_spec {
                    Some(spec) => {
                        if !self.run_event(
                            context,
                            manifest,
                            &spec,
                            &previous_archive,
                            "ApplicationStop",
                            "of the previous revision",
                        ) {
                            self.skip_from(context, "DownloadBundle");
                            return false;
                        }
                    }
                    None => context.skip(
                        Stage::Deploy,
                        &name,
                        "ApplicationStop",
                        "(previous revision unreadable)",
                    ),
                }
            }
        }

        // DownloadBundle: the artifact directory is the revision.
        let step = context.start(Stage::Deploy, &name, "DownloadBundle");
        let host_archive = self.instance.host_path(&archive);
        let copied = std::fs::create_dir_all(&host_archive)
            .and_then(|()| copy_tree(revision, &host_archive, None));
        let spec = match copied {
            Err(error) => Err(Diagnostic::error(Code::IO_ERROR, format!("cannot copy the revision of deploy `{name}` to the instance")).note(error.to_string())),
            Ok(_) => match std::fs::read_to_string(host_archive.join("appspec.yml")) {
                Err(_) => Err(Diagnostic::error(Code::RUN_INVALID_BUILD_OUTPUT, format!("the revision of deploy `{name}` has no `appspec.yml` at its root"))
                    .note("The build that feeds an EC2 deploy writes `appspec.yml` and `scripts/` into its artifact in POST_BUILD.")
                    .help("Rebuild the output with `pipec build`, and check the build's artifact `files` and `base-directory`.")),
                Ok(text) => appspec::parse(&text).map_err(|reason| Diagnostic::error(Code::RUN_INVALID_BUILD_OUTPUT, format!("the appspec.yml of deploy `{name}` is invalid")).note(reason)),
            },
        };
        let _ = std::fs::write(
            self.instance
                .host_path(&self.instructions("_most_recent_install")),
            &deployment_dir,
        );
        let spec: AppSpec = match spec {
            Ok(spec) => {
                let sandbox = if self.instance.isolated() {
                    "mount namespace"
                } else {
                    "rewritten paths"
                };
                let detail = format!(
                    "{} from {} (sandbox: {sandbox})",
                    self.deployment_id,
                    context.relative(revision).display()
                );
                context.finish(step, Status::Succeeded, StepOutcome::detail(&detail));
                spec
            }
            Err(diagnostic) => {
                context.finish(step, Status::Failed, StepOutcome::default());
                context.error(diagnostic);
                self.skip_from(context, "BeforeInstall");
                return false;
            }
        };

        for event in [
            "BeforeInstall",
            "Install",
            "AfterInstall",
            "ApplicationStart",
            "ValidateService",
        ] {
            let succeeded = if process::cancelled().is_some() {
                context.skip(Stage::Deploy, &name, event, "(interrupted)");
                false
            } else if event == "Install" {
                self.install(context, &spec, &archive)
            } else {
                self.run_event(context, manifest, &spec, &archive, event, "")
            };
            if !succeeded {
                self.skip_after(context, event);
                return false;
            }
        }
        let host_last = self
            .instance
            .host_path(&self.instructions("_last_successful_install"));
        let _ = std::fs::write(host_last, &deployment_dir);
        true
    }

    fn install(&mut self, context: &mut Context<'_, '_>, spec: &AppSpec, archive: &str) -> bool {
        let name = self.name.clone();
        let step = context.start(Stage::Deploy, &name, "Install");
        match install::install(
            &self.instance,
            archive,
            spec,
            &self.instructions("-cleanup"),
        ) {
            Ok(summary) => {
                let mut detail = format!("{} file(s) copied", summary.copied);
                if summary.retained > 0 {
                    detail.push_str(&format!(", {} retained", summary.retained));
                }
                if summary.removed > 0 {
                    detail.push_str(&format!(
                        ", {} removed from the previous deployment",
                        summary.removed
                    ));
                }
                context.finish(step, Status::Succeeded, StepOutcome::detail(&detail));
                true
            }
            Err(reason) => {
                context.finish(step, Status::Failed, StepOutcome::detail(&reason));
                let diagnostic = Diagnostic::error(
                    Code::RUN_INSTALL_FAILED,
                    format!("the Install event of deploy `{name}` failed"),
                )
                .note(sentence(&reason));
                let diagnostic =
                    context.locate(diagnostic, &self.declared_at, "deploy declared here");
                context.error(diagnostic);
                false
            }
        }
    }

    /// Runs the scripts of `event` from `archive`; returns whether they all succeeded.
    fn run_event(
        &mut self,
        context: &mut Context<'_, '_>,
        manifest: &Manifest,
        spec: &AppSpec,
        archive: &str,
        event: &str,
        note: &str,
    ) -> bool {
        let name = self.name.clone();
        let scripts = spec.scripts(event);
        if scripts.is_empty() {
            context.skip(Stage::Deploy, &name, event, "(no scripts)");
            return true;
        }
        let env = vec![
            ("LIFECYCLE_EVENT".to_owned(), event.to_owned()),
            ("DEPLOYMENT_ID".to_owned(), self.deployment_id.clone()),
            ("APPLICATION_NAME".to_owned(), self.application.clone()),
            ("DEPLOYMENT_GROUP_NAME".to_owned(), self.group_name.clone()),
            ("DEPLOYMENT_GROUP_ID".to_owned(), self.group_id.clone()),
        ];
        for (index, script) in scripts.iter().enumerate() {
            let hook = manifest.hook(&name, event, &script.location);
            let declared_at = hook
                .map(|hook| hook.source.clone())
                .filter(|at| !at.is_empty());
            let hook_name = hook
                .map(|hook| hook.name.clone())
                .filter(|hook_name| !hook_name.is_empty())
                .unwrap_or_else(|| script.location.clone());
            let step = context.start(Stage::Deploy, &name, event);
            let log = self.logs.join(if scripts.len() > 1 {
                format!("{event}-{}.log", index + 1)
            } else {
                format!("{event}.log")
            });
            let _ = std::fs::write(&log, "");
            let script_path = join(archive, &script.location);
            let outcome = self.instance.run_script(
                &script_path,
                &env,
                Duration::from_secs(script.timeout_seconds),
                &log,
            );
            let mut detail = if note.is_empty() {
                hook_name.clone()
            } else {
                format!("{hook_name} {note}")
            };
            if script.runas.is_some() {
                detail.push_str(" (runas ignored)");
            }
            let record = StepOutcome {
                log: Some(log.clone()),
                declared_at: declared_at.clone(),
                ..StepOutcome::default()
            };
            let (status, exit_code, diagnostic) = match outcome {
                ScriptOutcome::Exited(0) => (Status::Succeeded, None, None),
                ScriptOutcome::Exited(code) => (
                    Status::Failed,
                    Some(code),
                    Some(Diagnostic::error(Code::RUN_HOOK_FAILED, format!("hook `{hook_name}` failed with exit code {code} in {event} of deploy `{name}`"))),
                ),
                ScriptOutcome::TimedOut => (
                    Status::TimedOut,
                    None,
                    Some(Diagnostic::error(Code::RUN_HOOK_TIMED_OUT, format!("hook `{hook_name}` ran longer than its timeout of {}s in {event} of deploy `{name}`", script.timeout_seconds))
                        .note("Its process group was stopped (SIGTERM, then SIGKILL).")),
                ),
                ScriptOutcome::Interrupted => {
                    detail.push_str(" (interrupted)");
                    (Status::Failed, None, None)
                }
                ScriptOutcome::NotStarted => (
                    Status::Failed,
                    Some(1),
                    Some(Diagnostic::error(Code::RUN_HOOK_FAILED, format!("hook `{hook_name}` of {event} could not be started: `{}` is missing from the revision or not runnable", script.location))),
                ),
            };
            if status == Status::TimedOut {
                detail.push_str(&format!(" (timeout {}s)", script.timeout_seconds));
            }
            context.finish(
                step,
                status,
                StepOutcome {
                    exit_code,
                    detail: Some(detail),
                    ..record
                },
            );
            if outcome == ScriptOutcome::Interrupted {
                return false;
            }
            if let Some(mut diagnostic) = diagnostic {
                if exit_code == Some(127) {
                    // bash's status for a command it cannot find: say which one, and when the
                    // instance does not install it, the stub's advice (see `software`).
                    let output = std::fs::read_to_string(&log).unwrap_or_default();
                    if let Some(line) = output
                        .lines()
                        .rev()
                        .find(|line| line.contains("command not found"))
                    {
                        diagnostic = diagnostic.note(line.trim().to_owned());
                    }
                }
                let diagnostic = diagnostic.note(format!(
                    "Its output is in `{}`.",
                    context.relative(&log).display()
                ));
                let diagnostic = context.locate(
                    diagnostic,
                    declared_at.as_deref().unwrap_or_default(),
                    "hook declared here",
                );
                context.error(diagnostic);
                return false;
            }
        }
        true
    }

    /// Records the events from `first` on as skipped.
    fn skip_from(&self, context: &mut Context<'_, '_>, first: &str) {
        let order = [
            "DownloadBundle",
            "BeforeInstall",
            "Install",
            "AfterInstall",
            "ApplicationStart",
            "ValidateService",
        ];
        let start = order
            .iter()
            .position(|event| *event == first)
            .unwrap_or(order.len());
        for event in order.iter().skip(start) {
            context.skip(
                Stage::Deploy,
                &self.name,
                event,
                "(an earlier event failed)",
            );
        }
    }

    /// Records the events after `failed` as skipped.
    fn skip_after(&self, context: &mut Context<'_, '_>, failed: &str) {
        let order = [
            "DownloadBundle",
            "BeforeInstall",
            "Install",
            "AfterInstall",
            "ApplicationStart",
            "ValidateService",
        ];
        if let Some(next) = order
            .iter()
            .position(|event| *event == failed)
            .and_then(|index| order.get(index + 1))
        {
            self.skip_from(context, next);
        }
    }
}

/// `reason` as a sentence: capital first letter, final period.
fn sentence(reason: &str) -> String {
    let mut characters = reason.chars();
    let mut text: String = characters
        .next()
        .map(|first| first.to_uppercase().collect())
        .unwrap_or_default();
    text.push_str(characters.as_str());
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}
