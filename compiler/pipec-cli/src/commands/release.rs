//! `pipec release FILE [--wait]`: starts the pipeline and prints the execution id; with
//! `--wait`, follows it action by action (one line per change; redrawn on a terminal) and exits
//! 0 on success, 1 on failure.

use std::io::IsTerminal;
use std::path::Path;

use pipec_deploy::operate::{ActionProgress, ReleaseSink};
use pipec_deploy::{PollPolicy, RenderOptions};
use termcolor::ColorChoice;

use crate::aws::args::CommonArgs;
use crate::aws::operating::Operating;
use crate::aws::report;

/// Arguments of `pipec release`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// The `pipeline` block (its label); needed when the file declares several.
    #[arg(long, value_name = "NAME")]
    pub(crate) pipeline: Option<String>,
    /// Follow the execution until it ends; exit 1 when it does not succeed.
    #[arg(long)]
    pub(crate) wait: bool,
}

/// Action lines on stderr: on a terminal each action's line is rewritten in place (`\r`) until it
/// changes stage; otherwise one plain line per change.
struct Lines {
    render: RenderOptions,
    live: bool,
    last: std::sync::Mutex<Option<(String, String)>>,
}

impl ReleaseSink for Lines {
    fn action(&self, progress: &ActionProgress) {
        let line = pipec_deploy::operate::render_release_line(progress, self.render);
        if !self.live {
            eprintln!("{line}");
            return;
        }
        let key = (progress.stage.clone(), progress.action.clone());
        let Ok(mut last) = self.last.lock() else {
            eprintln!("{line}");
            return;
        };
        if last.as_ref() == Some(&key) {
            eprint!("\r\x1b[2K{line}");
        } else {
            if last.is_some() {
                eprintln!();
            }
            eprint!("{line}");
        }
        *last = Some(key);
    }
}

/// Starts (and follows) an execution; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let common = &args.common;
    let operating = match Operating::start(common, args.pipeline.as_deref(), color) {
        Ok(operating) => operating,
        Err(code) => return code,
    };
    start(&operating, &common.file, args.wait, color, true)
}

/// Starts `operating.pipeline` (and with `wait` follows it) and prints the report: on stdout
/// (JSON with `--format json`), or as text on stderr when stdout already holds another
/// command's report (`apply --release`). Returns the exit code.
pub(crate) fn start(
    operating: &Operating,
    file: &Path,
    wait: bool,
    color: ColorChoice,
    stdout: bool,
) -> u8 {
    let target = operating.target();
    let live = std::io::stderr().is_terminal();
    let sink = Lines {
        render: report::render_options(color, false),
        live,
        last: std::sync::Mutex::new(None),
    };
    let result = operating
        .session
        .runtime
        .block_on(pipec_deploy::operate::release(
            &operating.cfn,
            &operating.ops,
            &target,
            wait,
            PollPolicy::default(),
            &operating.session.cancel,
            &sink,
        ));
    if live && sink.last.lock().is_ok_and(|last| last.is_some()) {
        eprintln!();
    }
    let report = match operating.report(result) {
        Ok(report) => report,
        Err(code) => return code,
    };
    operating.print_findings(&report.warnings, &report.failures, None);
    if stdout && operating.json() {
        println!("{}", report.to_json());
    } else {
        let say = |line: String| {
            if stdout {
                println!("{line}");
            } else {
                eprintln!("{line}");
            }
        };
        say(format!(
            "Started execution {} of pipeline {}.",
            report.execution_id, report.pipeline
        ));
        match report.status.as_deref() {
            Some(status) => say(format!("Execution {}: {status}.", report.execution_id)),
            None if wait => say(format!(
                "Stopped following; `pipec status {}` shows where it stands.",
                file.display()
            )),
            None => say(format!(
                "Follow it with `pipec status {}` or `pipec release --wait`.",
                file.display()
            )),
        }
    }
    if wait && report.status.is_none() {
        return pipec_deploy::EXIT_INTERRUPTED;
    }
    report::exit_code(report.exit_code())
}
