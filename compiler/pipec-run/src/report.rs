//! What a local run reports: one [`StepRecord`] per stage, build phase and deploy hook, sent to
//! the caller's [`RunEvents`] as it happens and collected in the final [`RunReport`]. Rendering
//! to text is offered for the CLI and for snapshots; nothing here prints.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use pipec_diagnostics::Diagnostic;

/// The part of the pipeline a step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Copying the source into the build workspace.
    Source,
    /// A CodeBuild build.
    Build,
    /// A CodeDeploy (EC2) or S3 deploy.
    Deploy,
    /// Stopping what the run started.
    Cleanup,
}

impl Stage {
    /// Lowercase name for reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Source => "source",
            Stage::Build => "build",
            Stage::Deploy => "deploy",
            Stage::Cleanup => "cleanup",
        }
    }
}

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// It worked.
    Succeeded,
    /// It worked, with a warning (for example a runtime version mismatch).
    Warning,
    /// It failed.
    Failed,
    /// It ran out of time and was stopped.
    TimedOut,
    /// It did not run (an earlier failure, or nothing to do).
    Skipped,
}

impl Status {
    /// Lowercase name for reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "ok",
            Status::Warning => "warning",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED OUT",
            Status::Skipped => "skipped",
        }
    }

    /// True for `Failed` and `TimedOut`.
    #[must_use]
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Failed | Status::TimedOut)
    }
}

/// Which step is starting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepId {
    /// The stage.
    pub stage: Stage,
    /// The build or deploy name (empty for the source).
    pub subject: String,
    /// The phase (`BUILD`), hook (`ApplicationStart`), or step name; empty for the stage line.
    pub name: String,
}

/// One finished step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRecord {
    /// What ran.
    pub id: StepId,
    /// How it ended.
    pub status: Status,
    /// Wall-clock time.
    pub duration: Duration,
    /// Exit status of the failing command or script, when there is one.
    pub exit_code: Option<i32>,
    /// A short explanation (`exit 3: npm test`, `first deployment`).
    pub detail: Option<String>,
    /// The step's log, relative to the work directory.
    pub log: Option<PathBuf>,
    /// `file:line` of the `.pipe` declaration (hooks, builds, deploys).
    pub declared_at: Option<String>,
}

/// Receives progress while the run goes on. Every method has an empty default.
pub trait RunEvents {
    /// A step starts.
    fn step_started(&mut self, _step: &StepId) {}
    /// A step finished.
    fn step_finished(&mut self, _record: &StepRecord) {}
    /// A diagnostic was produced (it is also kept in the report).
    fn diagnostic(&mut self, _diagnostic: &Diagnostic) {}
}

/// A [`RunEvents`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEvents;

impl RunEvents for NoEvents {}

/// The outcome of a whole run.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// Every step, in the order it finished (a stage's record comes after its steps').
    pub steps: Vec<StepRecord>,
    /// Errors and warnings, in the order they were found.
    pub diagnostics: Vec<Diagnostic>,
    /// 0 on success; otherwise the exit status of the first failure (1 when it had none).
    pub exit_code: i32,
    /// The work directory (logs, artifacts, instances).
    pub workdir: PathBuf,
    /// Total wall-clock time.
    pub duration: Duration,
    /// Processes left running on purpose (`keep_running`).
    pub left_running: Vec<u32>,
    /// The signal that interrupted the run (SIGINT 2, SIGTERM 15), if one did.
    pub interrupted: Option<i32>,
}

impl RunReport {
    /// True when nothing failed.
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.exit_code == 0
    }

    /// The first failed step, if any.
    #[must_use]
    pub fn first_failure(&self) -> Option<&StepRecord> {
        self.steps
            .iter()
            .find(|step| step.status.is_failure() && !step.id.name.is_empty())
    }

    /// The report as text: one line per stage followed by its steps, indented, then the
    /// diagnostics (headline, notes, help) and a summary line.
    /// Durations are printed as `(1.23s)`.
    #[must_use]
    pub fn render(&self) -> String {
        // Records arrive when steps finish, so a stage's line comes after its steps: print it
        // first by holding the step lines until their stage line arrives.
        let mut text = String::new();
        let mut pending: Vec<String> = Vec::new();
        for step in &self.steps {
            if step.id.name.is_empty() {
                let _ = writeln!(text, "{}", render_step(step));
                for line in pending.drain(..) {
                    let _ = writeln!(text, "{line}");
                }
            } else {
                pending.push(render_step(step));
            }
        }
        for line in pending {
            let _ = writeln!(text, "{line}");
        }
        for diagnostic in &self.diagnostics {
            let _ = writeln!(
                text,
                "{}[{}]: {}",
                severity_word(diagnostic),
                diagnostic.code.number(),
                diagnostic.message
            );
            for note in &diagnostic.notes {
                let _ = writeln!(text, "  note: {note}");
            }
            if let Some(help) = &diagnostic.help {
                let _ = writeln!(text, "  help: {help}");
            }
        }
        let verdict = match self.interrupted {
            Some(signal) => format!("INTERRUPTED by {}", signal_name(signal)),
            None if self.succeeded() => "succeeded".to_owned(),
            None => "FAILED".to_owned(),
        };
        let counts = |wanted: fn(Status) -> bool| {
            self.steps
                .iter()
                .filter(|step| !step.id.name.is_empty() && wanted(step.status))
                .count()
        };
        let _ = writeln!(
            text,
            "run {verdict}: {} ok, {} failed, {} skipped; exit code {} ({})",
            counts(|status| matches!(status, Status::Succeeded | Status::Warning)),
            counts(Status::is_failure),
            counts(|status| status == Status::Skipped),
            self.exit_code,
            format_duration(self.duration),
        );
        text
    }
}

/// `SIGINT` for 2, `SIGTERM` for 15, `SIGHUP` for 1, `signal N` otherwise.
#[must_use]
pub fn signal_name(signal: i32) -> String {
    match signal {
        1 => "SIGHUP".to_owned(),
        2 => "SIGINT".to_owned(),
        15 => "SIGTERM".to_owned(),
        other => format!("signal {other}"),
    }
}

fn severity_word(diagnostic: &Diagnostic) -> &'static str {
    match diagnostic.severity {
        pipec_diagnostics::Severity::Note => "note",
        pipec_diagnostics::Severity::Warning => "warning",
        pipec_diagnostics::Severity::Error => "error",
        pipec_diagnostics::Severity::Bug => "bug",
    }
}

/// One report line for `step`.
#[must_use]
pub fn render_step(step: &StepRecord) -> String {
    let mut line = if step.id.name.is_empty() {
        let subject = if step.id.subject.is_empty() {
            String::new()
        } else {
            format!(" {}", step.id.subject)
        };
        format!("{}{subject}", step.id.stage.as_str())
    } else {
        format!("  {:<18}", step.id.name)
    };
    let _ = write!(
        line,
        " {:<9} ({})",
        step.status.as_str(),
        format_duration(step.duration)
    );
    if let Some(code) = step.exit_code {
        let _ = write!(line, " exit {code}");
    }
    if let Some(detail) = &step.detail {
        let _ = write!(line, " {detail}");
    }
    if let Some(at) = &step.declared_at {
        if step.status.is_failure() {
            let _ = write!(line, " [at {at}]");
        }
    }
    if let Some(log) = &step.log {
        let _ = write!(line, " log: {}", log.display());
    }
    line.trim_end().to_owned()
}

/// `0.42s`-style duration.
#[must_use]
pub fn format_duration(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}
