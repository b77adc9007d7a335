//! What the verbs that change the stack (apply, destroy) share: the compiled program, the
//! session and client, the terminal confirmer and the progress sink; and how they end.

use std::sync::Arc;

use pipec_deploy::{DeployOptions, NoProgress, ProgressSink, SdkClient};
use pipec_diagnostics::Diagnostic;
use termcolor::ColorChoice;

use crate::aws::args::{json, prepare, CommonArgs, DeployFormat, Prepared};
use crate::aws::confirm::TerminalConfirmer;
use crate::aws::progress::progress_sink;
use crate::aws::report::{
    exit_code, locate_failures, print_errors, print_to_stderr, render_options, Report,
};
use crate::aws::session::Session;
use crate::output::EXIT_ERRORS;

/// What apply and destroy share: the compiled program, the session, the client, the confirmer
/// and the progress sink.
pub(crate) struct Changing {
    pub(crate) prepared: Prepared,
    pub(crate) session: Session,
    pub(crate) client: SdkClient,
    pub(crate) confirmer: TerminalConfirmer,
    pub(crate) sink: Box<dyn ProgressSink>,
    format: DeployFormat,
    color: ColorChoice,
}

impl Changing {
    /// Compiles, starts the session and the client; `configure` sets the verb's options.
    /// `--yes` goes to the confirmer, which then shows the plan and accepts (see its docs).
    pub(crate) fn start(
        common: &CommonArgs,
        yes: bool,
        color: ColorChoice,
        configure: impl FnOnce(&mut DeployOptions),
    ) -> Result<Changing, u8> {
        let mut prepared = prepare(common, color)?;
        let session = Session::start(color)?;
        let options = &mut prepared.request.options;
        configure(options);
        options.cancel = session.cancel.clone();
        options.yes = false;
        let client = session.client(common, color)?;
        let json = json(common.format);
        let confirmer = TerminalConfirmer {
            assume_yes: yes,
            render: render_options(color, !json),
            plan_to_stdout: !json,
            prompt: Arc::clone(&session.prompt),
        };
        Ok(Changing {
            prepared,
            session,
            client,
            confirmer,
            sink: progress_sink(color),
            format: common.format,
            color,
        })
    }

    /// Ends the command: the errors (exit 1), or the report's warnings and diagnostics (failed
    /// resources at their `.pipe` lines) on stderr, then its JSON or text on stdout.
    pub(crate) fn finish<R: Report>(&mut self, result: &Result<R, Vec<Diagnostic>>) -> u8 {
        // Stop the live display before anything else is printed.
        self.sink = Box::new(NoProgress);
        let db = &self.prepared.built.checked.db;
        let report = match result {
            Ok(report) => report,
            Err(diagnostics) => {
                print_errors(Some(db), diagnostics, self.format, self.color);
                return EXIT_ERRORS;
            }
        };
        print_to_stderr(db, report.warnings(), self.color);
        let located = locate_failures(db, report.diagnostics(), report.failures());
        print_to_stderr(db, &located, self.color);
        if json(self.format) {
            println!("{}", report.to_json());
        } else {
            print!("{}", report.render(render_options(self.color, true)));
        }
        exit_code(report.exit_code())
    }
}
