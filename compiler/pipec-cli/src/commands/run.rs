//! `pipec run --local FILE`: compile in memory, write the build output into the work directory,
//! then run Source → Build → Deploy on this machine with `pipec-run` (docs/run-local.md).
//!
//! Step lines go to stdout as steps finish (on a terminal, a `running…` line shows the step in
//! progress and is replaced by its result); diagnostics go to stderr, rendered against the
//! `.pipe` sources so a failing hook points at the line that declared it. The exit code is the
//! report's: that of the first failure.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use pipec_run::{RunEvents, RunRequest, SandboxMode, SourceSpec, StepId, StepRecord};
use termcolor::ColorChoice;

use crate::output::{self, Format, EXIT_USAGE};

/// Arguments of `pipec run`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The `.pipe` file.
    pub(crate) file: PathBuf,
    /// Run on this machine, without AWS (the only kind of run there is).
    #[arg(long)]
    pub(crate) local: bool,
    /// The pipeline to run (default: the only one, or `main`).
    #[arg(long, value_name = "NAME")]
    pub(crate) pipeline: Option<String>,
    /// The work directory: build output, logs, artifacts and instance sandboxes (kept between
    /// runs). Default: `.pipec/run` next to the `.pipe` file.
    #[arg(long, value_name = "DIR")]
    pub(crate) workdir: Option<PathBuf>,
    /// The source: a directory, or a local git repository at a ref (`REPO@REF`). Default: the
    /// directory of the `.pipe` file.
    #[arg(long, value_name = "DIR|GIT-URL@REF")]
    pub(crate) source: Option<String>,
    /// Leave servers started by hooks running at the end.
    #[arg(long)]
    pub(crate) keep_running: bool,
    /// `KEY=VALUE` lines for the builds' PARAMETER_STORE and SECRETS_MANAGER variables.
    #[arg(long, value_name = "FILE")]
    pub(crate) env_file: Option<PathBuf>,
    /// Override a `param`: `--var port=3100` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = output::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
    /// How the instance sandbox is built.
    #[arg(long, value_enum, default_value_t = Sandbox::Auto)]
    pub(crate) sandbox: Sandbox,
}

/// `--sandbox`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Sandbox {
    /// A mount namespace when the machine allows it, else rewritten paths.
    Auto,
    /// A mount namespace with an overlay root; fail when unavailable.
    Namespace,
    /// Rewritten paths; hooks run on the host with `PIPEC_INSTANCE_ROOT`.
    Rewrite,
}

impl From<Sandbox> for SandboxMode {
    fn from(sandbox: Sandbox) -> Self {
        match sandbox {
            Sandbox::Auto => SandboxMode::Auto,
            Sandbox::Namespace => SandboxMode::Namespace,
            Sandbox::Rewrite => SandboxMode::Rewrite,
        }
    }
}

/// The work directory used when `--workdir` is not given: `.pipec/run` next to `file`.
pub(crate) fn default_workdir(file: &Path) -> PathBuf {
    pipe_dir(file).join(".pipec").join("run")
}

/// The directory holding `file` (`.` for a bare file name).
fn pipe_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Runs the pipeline; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    if !args.local {
        eprintln!(
            "error: `pipec run` needs `--local`: only local runs exist (on this machine, without AWS)\nhelp: run `pipec run --local {}`",
            args.file.display()
        );
        return EXIT_USAGE;
    }
    let built = match crate::compile::compile(&args.file, &args.vars, Format::Human, color, false) {
        Ok(built) => built,
        Err(code) => return code,
    };
    let workdir = args
        .workdir
        .clone()
        .unwrap_or_else(|| default_workdir(&args.file));
    let source = match &args.source {
        Some(text) => SourceSpec::parse(text),
        None => SourceSpec::Directory(pipe_dir(&args.file)),
    };
    // Before anything is written: the work directory must be pipec's and apart from the source.
    if let Err(diagnostic) = pipec_run::claim_workdir(&workdir, &source) {
        output::print_plain(&diagnostic, Format::Human, color);
        return EXIT_USAGE;
    }
    let output_dir = workdir.join("build-output");
    if let Err(diagnostic) = crate::commands::build::write_atomically(
        &output_dir,
        &built.artifacts,
        Format::Human,
        color,
    ) {
        output::print_plain(&diagnostic, Format::Human, color);
        return EXIT_USAGE;
    }
    let mut request = RunRequest::new(&output_dir, source, &workdir);
    request.pipeline.clone_from(&args.pipeline);
    request.env_file.clone_from(&args.env_file);
    request.keep_running = args.keep_running;
    request.sandbox = args.sandbox.into();
    request.source_db = Some(&built.checked.db);

    // From here on SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the run in order: the step in
    // progress is stopped, every process the run started is stopped, and the summary printed.
    watch_signals();
    let mut printer = Printer::new(std::io::stdout().is_terminal());
    let report = pipec_run::run_local(&request, &mut printer);
    printer.clear_progress();

    output::print_diagnostics(&built.checked.db, &report.diagnostics, Format::Human, color);
    let mut stdout = std::io::stdout().lock();
    let rendered = report.render();
    if let Some(summary) = rendered.lines().last() {
        let _ = writeln!(stdout, "{summary}");
    }
    let _ = writeln!(
        stdout,
        "logs and artifacts: {}",
        workdir.join("logs").display()
    );
    if !report.left_running.is_empty() {
        let ids: Vec<String> = report.left_running.iter().map(u32::to_string).collect();
        let _ = writeln!(
            stdout,
            "left running (--keep-running): process(es) {}",
            ids.join(" ")
        );
    }
    exit_code(report.exit_code)
}

/// Turns SIGINT, SIGTERM and SIGHUP into [`pipec_run::cancel`], on a thread of its own; returns
/// once the handlers are installed. Later signals are ignored while the run winds down.
fn watch_signals() {
    use tokio::signal::unix::{signal, SignalKind};
    let (ready, installed) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            let _ = ready.send(());
            return;
        };
        runtime.block_on(async move {
            let kinds = [
                (SignalKind::interrupt(), 2),
                (SignalKind::terminate(), 15),
                (SignalKind::hangup(), 1),
            ];
            let mut streams = Vec::new();
            for (kind, number) in kinds {
                if let Ok(stream) = signal(kind) {
                    streams.push((stream, number));
                }
            }
            let _ = ready.send(());
            let mut waiting = Vec::new();
            for (mut stream, number) in streams {
                waiting.push(tokio::spawn(async move {
                    while stream.recv().await.is_some() {
                        pipec_run::cancel(number);
                    }
                }));
            }
            for task in waiting {
                let _ = task.await;
            }
        });
    });
    let _ = installed.recv();
}

/// The report's exit code as a process exit code (1 when it does not fit).
fn exit_code(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

/// Prints step lines as they finish. On a terminal, the step in progress is shown on a line
/// that its result then replaces.
struct Printer {
    terminal: bool,
    progress_shown: bool,
}

impl Printer {
    fn new(terminal: bool) -> Self {
        Printer {
            terminal,
            progress_shown: false,
        }
    }

    fn clear_progress(&mut self) {
        if self.progress_shown {
            let mut stdout = std::io::stdout().lock();
            let _ = write!(stdout, "\r\x1b[2K");
            let _ = stdout.flush();
            self.progress_shown = false;
        }
    }
}

impl RunEvents for Printer {
    fn step_started(&mut self, step: &StepId) {
        let mut stdout = std::io::stdout().lock();
        if step.name.is_empty() {
            // A stage begins: its header; the stage's result line follows its steps.
            drop(stdout);
            self.clear_progress();
            let mut stdout = std::io::stdout().lock();
            let subject = if step.subject.is_empty() {
                String::new()
            } else {
                format!(" {}", step.subject)
            };
            let _ = writeln!(stdout, "{}{subject}", step.stage.as_str());
            let _ = stdout.flush();
        } else if self.terminal {
            let _ = write!(stdout, "\r\x1b[2K  {:<18} running…", step.name);
            let _ = stdout.flush();
            self.progress_shown = true;
        }
    }

    fn step_finished(&mut self, record: &StepRecord) {
        self.clear_progress();
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", pipec_run::render_step(record));
        let _ = stdout.flush();
    }
}
