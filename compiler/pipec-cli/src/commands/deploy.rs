//! What `plan`, `apply`, `destroy` and `outputs` share: the AWS flags (AWS CLI conventions),
//! compiling the `.pipe` file in memory into a [`DeployRequest`], the async runtime with its
//! Ctrl-C handler, the terminal [`Confirmer`], the progress printer (live on a terminal, see
//! `live.rs`), the set-up and the report of the verbs that change the stack ([`Changing`]), and
//! diagnostics placed at the `.pipe` line that declared a failed resource.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use pipec_deploy::{
    AwsOptions, CancelFlag, ConfirmSubject, Confirmer, DeployOptions, DeployRequest, Manifest,
    ProgressEvent, ProgressSink, RenderOptions, ResourceFailure, SdkClient,
};
use pipec_diagnostics::{Code, Diagnostic};
use pipec_span::{SourceDb, Span};
use termcolor::ColorChoice;

use crate::commands::build::{compile, Built};
use crate::commands::live::LiveProgress;
use crate::output::{self, Format, EXIT_ERRORS, EXIT_USAGE};

/// Exit code after Ctrl-C (the shell's 128 + SIGINT).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// `--format` of the deploy verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DeployFormat {
    /// Text for people: the plan diff, progress lines, summaries.
    Human,
    /// One JSON document on stdout (progress and diagnostics still go to stderr).
    Json,
}

/// The flags every deploy verb takes.
#[derive(Debug, clap::Args)]
pub(crate) struct CommonArgs {
    /// The `.pipe` file.
    pub(crate) file: PathBuf,
    /// A named profile of the AWS shared config files.
    #[arg(long, env = "AWS_PROFILE")]
    pub(crate) profile: Option<String>,
    /// The AWS region (overrides the profile's and `AWS_REGION`).
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// Send AWS calls to this endpoint (an emulator or a private endpoint).
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// The stack (default: the manifest's, from the project and `env`).
    #[arg(long, value_name = "NAME")]
    pub(crate) stack_name: Option<String>,
    /// Override a `param`: `--var env=prod` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = output::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DeployFormat::Human)]
    pub(crate) format: DeployFormat,
}

/// A compiled program ready to deploy.
pub(crate) struct Prepared {
    pub(crate) built: Built,
    pub(crate) request: DeployRequest,
}

/// Compiles `args.file` in memory and builds the request; prints compile diagnostics (always
/// human, on stderr, so stdout stays one JSON document with `--format json`).
pub(crate) fn prepare(args: &CommonArgs, color: ColorChoice) -> Result<Prepared, u8> {
    let built = compile(&args.file, &args.vars, Format::Human, color, false)?;
    let file_text = |path: &str| {
        built
            .artifacts
            .file(path)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .ok_or_else(|| {
                Diagnostic::error(Code::IO_ERROR, format!("the build produced no `{path}`"))
                    .help("this is a bug in pipec; please report it with the `.pipe` file")
            })
    };
    let texts = file_text("template.json")
        .and_then(|template| file_text("manifest.json").map(|manifest| (template, manifest)));
    let (template, manifest_text) = match texts {
        Ok(texts) => texts,
        Err(diagnostic) => {
            output::print_plain(&diagnostic, Format::Human, color);
            return Err(EXIT_ERRORS);
        }
    };
    let manifest = match Manifest::from_json(&manifest_text) {
        Ok(manifest) => manifest,
        Err(diagnostics) => {
            output::print_diagnostics(&built.checked.db, &diagnostics, Format::Human, color);
            return Err(EXIT_ERRORS);
        }
    };
    let mut request = DeployRequest::new(template, manifest);
    if let Some(stack_name) = &args.stack_name {
        request.stack_name.clone_from(stack_name);
    }
    Ok(Prepared { built, request })
}

/// The AWS client options of the flags.
pub(crate) fn aws_options(args: &CommonArgs) -> AwsOptions {
    AwsOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
        max_attempts: None,
    }
}

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
    fn ask(&self, question: &str) -> Option<String> {
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

/// Confirmation on the terminal. With `--yes` it does not ask but still shows what is about to
/// happen (so the log of an automated apply holds the plan), which is why the CLI passes
/// `--yes` here rather than in [`pipec_deploy::DeployOptions::yes`]: the library then skips the
/// confirmer altogether.
pub(crate) struct TerminalConfirmer {
    pub(crate) assume_yes: bool,
    pub(crate) render: RenderOptions,
    /// Where the plan goes: stdout for `--format human`, stderr for JSON.
    pub(crate) plan_to_stdout: bool,
    pub(crate) prompt: Arc<PromptState>,
}

impl Confirmer for TerminalConfirmer {
    fn is_interactive(&self) -> bool {
        self.assume_yes || (std::io::stdin().is_terminal() && std::io::stderr().is_terminal())
    }

    fn confirm(&self, subject: ConfirmSubject<'_>) -> bool {
        let (shown, question) = match subject {
            ConfirmSubject::Apply(plan) => (
                {
                    // Apply keeps the change set to execute it; that is not news here.
                    let mut shown = plan.clone();
                    shown.change_set_kept = false;
                    pipec_deploy::render_plan(&shown, self.render)
                },
                format!(
                    "Apply these changes to stack `{}`? Only `yes` is accepted: ",
                    plan.stack_name
                ),
            ),
            ConfirmSubject::Destroy {
                stack_name,
                retained,
            } => {
                let mut shown =
                    format!("Stack `{stack_name}` and everything in it will be deleted");
                if retained.is_empty() {
                    shown.push_str(".\n");
                } else {
                    shown.push_str(&format!(", except (retained): {}.\n", retained.join(", ")));
                }
                (
                    shown,
                    format!("Destroy stack `{stack_name}`? Only `yes` is accepted: "),
                )
            }
        };
        if self.plan_to_stdout {
            print!("{shown}");
            let _ = std::io::stdout().flush();
        } else {
            eprint!("{shown}");
        }
        if self.assume_yes {
            return true;
        }
        self.prompt
            .ask(&question)
            .is_some_and(|answer| answer.trim() == "yes")
    }
}

/// Progress: one line per event on stderr.
pub(crate) struct LineProgress {
    pub(crate) render: RenderOptions,
}

impl ProgressSink for LineProgress {
    fn event(&self, event: &ProgressEvent) {
        eprintln!("{}", pipec_deploy::render_event(event, self.render));
    }
}

/// The progress sink of apply and destroy: resource lines redrawn in place when stderr is a
/// terminal, else one line per event.
pub(crate) fn progress_sink(color: ColorChoice) -> Box<dyn ProgressSink> {
    let render = render_options(color, false);
    if std::io::stderr().is_terminal() {
        Box::new(LiveProgress::new(render))
    } else {
        Box::new(LineProgress { render })
    }
}

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
    pub(crate) fn finish<R: Report>(self, result: Result<R, Vec<Diagnostic>>) -> u8 {
        // Stop the live display before anything else is printed.
        drop(self.sink);
        let db = &self.prepared.built.checked.db;
        let report = match result {
            Ok(report) => report,
            Err(diagnostics) => {
                print_errors(Some(db), &diagnostics, self.format, self.color);
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

/// What [`Changing::finish`] prints of a report.
pub(crate) trait Report {
    /// Warnings met on the way (shown first).
    fn warnings(&self) -> &[Diagnostic] {
        &[]
    }
    /// The errors of a failed operation.
    fn diagnostics(&self) -> &[Diagnostic];
    /// The failed resources, to place their diagnostics.
    fn failures(&self) -> &[ResourceFailure];
    /// `--format json`.
    fn to_json(&self) -> String;
    /// `--format human`.
    fn render(&self, options: RenderOptions) -> String;
    /// The process exit code.
    fn exit_code(&self) -> i32;
}

impl Report for pipec_deploy::ApplyReport {
    fn warnings(&self) -> &[Diagnostic] {
        &self.plan.warnings
    }
    fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
    fn failures(&self) -> &[ResourceFailure] {
        &self.failures
    }
    fn to_json(&self) -> String {
        self.to_json()
    }
    fn render(&self, options: RenderOptions) -> String {
        pipec_deploy::render_apply(self, options)
    }
    fn exit_code(&self) -> i32 {
        self.exit_code()
    }
}

impl Report for pipec_deploy::DestroyReport {
    fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
    fn failures(&self) -> &[ResourceFailure] {
        &self.failures
    }
    fn to_json(&self) -> String {
        self.to_json()
    }
    fn render(&self, options: RenderOptions) -> String {
        pipec_deploy::render_destroy(self, options)
    }
    fn exit_code(&self) -> i32 {
        self.exit_code()
    }
}

/// Colors for text on stdout (or stderr): the CLI's choice, and a terminal for `auto`.
pub(crate) fn render_options(color: ColorChoice, stdout: bool) -> RenderOptions {
    let terminal = if stdout {
        std::io::stdout().is_terminal()
    } else {
        std::io::stderr().is_terminal()
    };
    RenderOptions {
        color: match color {
            ColorChoice::Never => false,
            ColorChoice::Always | ColorChoice::AlwaysAnsi => true,
            ColorChoice::Auto => terminal,
        },
    }
}

/// Prints the errors of a command that produced no report: human on stderr, or the JSON array on
/// stdout with `--format json`. With the program's `db`, a failed resource's diagnostic points at
/// its declaration.
pub(crate) fn print_errors(
    db: Option<&SourceDb>,
    diagnostics: &[Diagnostic],
    format: DeployFormat,
    color: ColorChoice,
) {
    let empty = SourceDb::new();
    let db = db.unwrap_or(&empty);
    let format = match format {
        DeployFormat::Human => Format::Human,
        DeployFormat::Json => Format::Json,
    };
    output::print_diagnostics(db, diagnostics, format, color);
}

/// Prints diagnostics on stderr (a report already went to stdout).
pub(crate) fn print_to_stderr(db: &SourceDb, diagnostics: &[Diagnostic], color: ColorChoice) {
    output::print_diagnostics(db, diagnostics, Format::Human, color);
}

/// The report's diagnostics, each failed resource's with a primary label at the line of the
/// `.pipe` file that declared it.
pub(crate) fn locate_failures(
    db: &SourceDb,
    diagnostics: &[Diagnostic],
    failures: &[ResourceFailure],
) -> Vec<Diagnostic> {
    diagnostics
        .iter()
        .map(|diagnostic| {
            let failure = failures.iter().find(|failure| {
                diagnostic.labels.is_empty() && failure.diagnostic().message == diagnostic.message
            });
            match failure
                .and_then(ResourceFailure::location)
                .and_then(|(file, line)| line_span(db, &file, line))
            {
                Some(span) => diagnostic.clone().primary(span, "declared here"),
                None => diagnostic.clone(),
            }
        })
        .collect()
}

/// The span of 1-based `line` of `file` in `db`, without its indentation.
pub(crate) fn line_span(db: &SourceDb, file: &str, line: u32) -> Option<Span> {
    let id = db.find(file)?;
    let source = db.get(id)?;
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    let range = source.lines.line_range(&source.text, index)?;
    let text = source.text.get(range.clone())?;
    let indent = text.len() - text.trim_start().len();
    let end = range.start + text.trim_end().len();
    let start = (range.start + indent).min(end);
    Some(Span::new(id, start, end))
}

/// `i32` exit codes of the library as process exit codes.
pub(crate) fn exit_code(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(EXIT_ERRORS)
}

/// Whether stdout JSON was asked for.
pub(crate) fn json(format: DeployFormat) -> bool {
    format == DeployFormat::Json
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_failed_resource_is_labelled_at_its_pipe_line() {
        let mut db = SourceDb::new();
        let text = "project = \"p\"\n\n  repo app {\n  name = \"x\"\n}\n";
        let file = db.add("pipeline.pipe", text);
        let failure = ResourceFailure {
            logical_id: "RepoApp".to_string(),
            resource_type: "AWS::CodeCommit::Repository".to_string(),
            status: "CREATE_FAILED".to_string(),
            reason: "Repository name taken".to_string(),
            block: Some("repo.app".to_string()),
            source: Some("pipeline.pipe:3".to_string()),
        };
        let other = Diagnostic::new(Code::DEPLOY_FAILED, "apply failed");
        let located = locate_failures(
            &db,
            &[failure.diagnostic(), other],
            std::slice::from_ref(&failure),
        );
        let span = located[0].primary_span().unwrap();
        assert_eq!(span.file, file);
        assert_eq!(&text[span.start()..span.end()], "repo app {");
        assert!(located[1].labels.is_empty());
        assert!(line_span(&db, "pipeline.pipe", 0).is_none());
        assert!(line_span(&db, "pipeline.pipe", 99).is_none());
        assert!(line_span(&db, "other.pipe", 1).is_none());
    }
}
