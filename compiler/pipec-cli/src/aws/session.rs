//! The session of an AWS verb: the async runtime the SDK runs on, the Ctrl-C handler (first
//! press: answer a pending prompt "no" or stop following; second: exit at once), the prompt on
//! the terminal, and the CloudFormation client.

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use pipec_deploy::{CancelFlag, SdkClient, EXIT_INTERRUPTED};
use pipec_diagnostics::{Code, Diagnostic};
use termcolor::ColorChoice;

use crate::aws::args::{aws_options, CommonArgs};
use crate::aws::report::print_errors;
use crate::output::{self, Format, EXIT_ERRORS, EXIT_USAGE};

/// The runtime the AWS SDK runs on, with a Ctrl-C handler: the first Ctrl-C answers "no" to a
/// pending prompt or sets the [`CancelFlag`] (deploy stops following and says how to watch);
/// the second one exits at once.
pub(crate) struct Session {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) cancel: CancelFlag,
    pub(crate) prompt: Arc<PromptState>,
}

impl Session {
    pub(crate) fn start(color: ColorChoice) -> Result<Session, u8> {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                let diagnostic = Diagnostic::error(
                    Code::IO_ERROR,
                    format!("cannot start the async runtime: {error}"),
                )
                .help("check the process limits (threads, file descriptors)");
                output::print_plain(&diagnostic, Format::Human, color);
                return Err(EXIT_USAGE);
            }
        };
        let cancel = CancelFlag::new();
        let prompt = Arc::new(PromptState::default());
        let flag = cancel.clone();
        let pending = Arc::clone(&prompt);
        runtime.spawn(async move {
            let mut presses = 0u32;
            while tokio::signal::ctrl_c().await.is_ok() {
                presses += 1;
                if presses > 1 {
                    eprintln!("\nInterrupted again; exiting.");
                    std::process::exit(i32::from(EXIT_INTERRUPTED));
                }
                if pending.interrupt() {
                    continue;
                }
                eprintln!("\nStopping (press Ctrl-C again to exit at once)...");
                flag.cancel();
            }
        });
        Ok(Session {
            runtime,
            cancel,
            prompt,
        })
    }

    /// Builds the SDK client; prints the diagnostics when it cannot.
    pub(crate) fn client(&self, args: &CommonArgs, color: ColorChoice) -> Result<SdkClient, u8> {
        let options = aws_options(args);
        self.runtime
            .block_on(pipec_deploy::client_from_options(&options))
            .map_err(|diagnostics| {
                print_errors(None, &diagnostics, args.format, color);
                EXIT_ERRORS
            })
    }
}

/// A question waiting for a line on stdin; Ctrl-C answers it with "no".
#[derive(Default)]
pub(crate) struct PromptState {
    waiting: Mutex<Option<mpsc::Sender<Option<String>>>>,
}

impl PromptState {
    /// Answers the pending question with "no"; false when nothing is asked.
    fn interrupt(&self) -> bool {
        let Ok(mut waiting) = self.waiting.lock() else {
            return false;
        };
        match waiting.take() {
            Some(sender) => sender.send(None).is_ok(),
            None => false,
        }
    }

    /// Prints `question` on stderr and waits for a line on stdin (or Ctrl-C: `None`).
    pub(crate) fn ask(&self, question: &str) -> Option<String> {
        let (sender, receiver) = mpsc::channel();
        if let Ok(mut waiting) = self.waiting.lock() {
            *waiting = Some(sender.clone());
        }
        eprint!("{question}");
        let _ = std::io::stderr().flush();
        std::thread::spawn(move || {
            let mut line = String::new();
            let answer = match std::io::stdin().lock().read_line(&mut line) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(line),
            };
            let _ = sender.send(answer);
        });
        let answer = receiver.recv().ok().flatten();
        if let Ok(mut waiting) = self.waiting.lock() {
            *waiting = None;
        }
        if answer.is_none() {
            eprintln!();
        }
        answer
    }
}
