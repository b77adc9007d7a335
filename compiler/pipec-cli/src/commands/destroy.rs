//! `pipec destroy FILE`: delete the stack after confirmation (`--yes` skips), follow the
//! deletion, and list what CloudFormation retained (repositories, buckets: delete them by hand).

use termcolor::ColorChoice;

use crate::aws::args::CommonArgs;
use crate::aws::changing::Changing;

/// Arguments of `pipec destroy`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Fail instead of waiting when another operation runs on the stack.
    #[arg(long)]
    pub(crate) no_wait: bool,
}

/// Destroys; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let mut changing = match Changing::start(&args.common, args.yes, color, |options| {
        options.no_wait = args.no_wait;
    }) {
        Ok(changing) => changing,
        Err(code) => return code,
    };
    let result = changing.session.runtime.block_on(pipec_deploy::destroy(
        &changing.client,
        &changing.prepared.request,
        &changing.confirmer,
        changing.sink.as_ref(),
    ));
    changing.finish(&result)
}
