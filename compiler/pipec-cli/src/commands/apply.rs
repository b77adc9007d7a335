//! `pipec apply FILE`: plan, refuse data loss unless `--allow-data-loss`, confirm (`--yes`
//! skips; no terminal and no `--yes` is refused), execute, show progress per resource, and end
//! with the outputs and the time, or with each failed resource at its `.pipe` line. Ctrl-C stops
//! following (exit 130) and tells how to watch; CloudFormation carries on. `--change-set ID`
//! executes exactly the change set `pipec plan --keep` kept, after checking it still fits.

use termcolor::ColorChoice;

use crate::aws::args::CommonArgs;
use crate::aws::changing::Changing;
use crate::aws::preflight::preflight;

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
    changing.finish(&result)
}
