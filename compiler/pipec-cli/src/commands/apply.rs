//! `pipec apply FILE`: plan, refuse data loss unless `--allow-data-loss`, confirm (`--yes`
//! skips; no terminal and no `--yes` is refused), execute, show progress per resource, and end
//! with the outputs and the time, or with each failed resource at its `.pipe` line. Ctrl-C stops
//! following (exit 130) and tells how to watch; CloudFormation carries on. `--change-set ID`
//! executes exactly the change set `pipec plan --keep` kept, after checking it still fits.
//!
//! When the applied plan replaced an EC2 instance that a deploy targets, the new instance has no
//! application until the pipeline runs again: `--release` starts it (as `pipec release`),
//! `--no-release` does not; without either, a terminal asks (default no), and otherwise the
//! next step is printed.

use std::io::IsTerminal;

use pipec_deploy::operate::pipelines_to_redeploy;
use pipec_deploy::{ApplyOutcome, ApplyReport, Diagnostic};
use termcolor::ColorChoice;

use crate::aws::args::{self, CommonArgs};
use crate::aws::changing::Changing;
use crate::aws::operating::Operating;
use crate::aws::preflight::preflight;
use crate::commands::release;
use crate::output::EXIT_OK;

/// Arguments of `pipec apply`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Do not ask for confirmation (still prints the plan).
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Execute this reviewed change set (the id `pipec plan --keep` prints) instead of planning
    /// again; refused when it no longer matches the build or cannot be executed.
    #[arg(long, value_name = "ID", conflicts_with = "replace_failed")]
    pub(crate) change_set: Option<String>,
    /// Delete and recreate a stack left in ROLLBACK_COMPLETE by a failed first create.
    #[arg(long)]
    pub(crate) replace_failed: bool,
    /// Apply even when a resource holding data (repository, bucket) is removed or replaced.
    #[arg(long)]
    pub(crate) allow_data_loss: bool,
    /// Fail instead of waiting when another operation runs on the stack.
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// The S3 bucket that stages templates over 51,200 bytes (default: one pipec creates).
    #[arg(long, value_name = "BUCKET")]
    pub(crate) template_bucket: Option<String>,
    /// When the apply replaced an instance a deploy targets, start the pipeline afterwards so
    /// the new instance gets the application (as `pipec release`), without asking.
    #[arg(long, conflicts_with = "no_release")]
    pub(crate) release: bool,
    /// Never start the pipeline after the apply, and do not ask (the next step is printed).
    #[arg(long)]
    pub(crate) no_release: bool,
}

/// Applies; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let mut changing = match Changing::start(&args.common, args.yes, color, |options| {
        options.replace_failed = args.replace_failed;
        options.allow_data_loss = args.allow_data_loss;
        options.no_wait = args.no_wait;
        options.template_bucket.clone_from(&args.template_bucket);
    }) {
        Ok(changing) => changing,
        Err(code) => return code,
    };
    if let Err(code) = preflight(
        &changing.session,
        &changing.client,
        &changing.prepared.request,
        &changing.prepared.built.checked.db,
        args.common.format,
        color,
    ) {
        return code;
    }
    let (client, request) = (&changing.client, &changing.prepared.request);
    let (confirmer, sink) = (&changing.confirmer, changing.sink.as_ref());
    let result = changing.session.runtime.block_on(async move {
        match &args.change_set {
            Some(change_set) => {
                pipec_deploy::apply_change_set(client, request, change_set, confirmer, sink).await
            }
            None => pipec_deploy::apply(client, request, confirmer, sink).await,
        }
    });
    let code = changing.finish(&result);
    let pipelines = redeploy_pipelines(&result, &changing);
    if pipelines.is_empty() {
        return code;
    }
    code.max(after_replacement(changing, args, &pipelines, color))
}

/// The pipelines to run again after a successful apply that replaced targeted instances.
fn redeploy_pipelines(
    result: &Result<ApplyReport, Vec<Diagnostic>>,
    changing: &Changing,
) -> Vec<String> {
    match result {
        Ok(report) if report.outcome == ApplyOutcome::Succeeded => {
            let request = &changing.prepared.request;
            pipelines_to_redeploy(&report.plan, &request.template_body, &request.manifest)
        }
        _ => Vec::new(),
    }
}

/// Starts `pipelines` (`--release`, or yes on the terminal) or prints the next step; returns
/// the exit code of the releases (0 when none was started).
fn after_replacement(
    changing: Changing,
    args: &Args,
    pipelines: &[String],
    color: ColorChoice,
) -> u8 {
    let file = args.common.file.display().to_string();
    let names = pipelines
        .iter()
        .map(|label| format!("`{label}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let start = if args.release {
        true
    } else if args.no_release || args.yes || !interactive {
        false
    } else {
        let question = format!(
            "The replaced instance has no application until the pipeline runs again. Start pipeline {names} now? [y/N] "
        );
        changing
            .session
            .prompt
            .ask(&question)
            .is_some_and(|answer| matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
    };
    if !start {
        let flag = if args.no_release || interactive {
            String::new()
        } else {
            " (or apply with `--release`)".to_string()
        };
        // `pipec release` needs `--pipeline` when the file declares several.
        let several = changing.prepared.request.manifest.pipelines.len() > 1;
        let commands = pipelines
            .iter()
            .map(|label| {
                if several {
                    format!("`pipec release {file} --pipeline {label}`")
                } else {
                    format!("`pipec release {file}`")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        eprintln!(
            "next: the replaced instance has no application until the pipeline runs again: run {commands}{flag}, or push a commit"
        );
        return EXIT_OK;
    }
    let Changing {
        prepared,
        session,
        client,
        ..
    } = changing;
    let mut operating = match Operating::with(prepared, session, client, &args.common, None, color)
    {
        Ok(operating) => operating,
        Err(code) => return code,
    };
    let stdout = !args::json(args.common.format);
    let mut code = EXIT_OK;
    for label in pipelines {
        operating.pipeline = Some(label.clone());
        code = code.max(release::start(
            &operating,
            &args.common.file,
            false,
            color,
            stdout,
        ));
    }
    code
}
