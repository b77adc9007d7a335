//! The state of one run: the request, the caller's event sink, the report being built and the
//! sandboxes still holding processes. Every step goes through [`Context::start`] and
//! [`Context::finish`], so events and report never disagree.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pipec_diagnostics::{Code, Diagnostic};
use pipec_span::{LineIndex, Span};

use crate::process;
use crate::report::{RunEvents, RunReport, Stage, Status, StepId, StepRecord};
use crate::sandbox::Instance;
use crate::source::{self, PreparedSource};
use crate::RunRequest;

/// The run in progress.
pub(crate) struct Context<'r, 'e> {
    pub(crate) request: &'r RunRequest<'r>,
    events: &'e mut dyn RunEvents,
    report: RunReport,
    /// Sandboxes of EC2 deploys, kept until the end so their servers can be stopped.
    pub(crate) instances: Vec<(String, Instance)>,
}

/// A step being timed.
pub(crate) struct OpenStep {
    pub(crate) id: StepId,
    started: Instant,
}

impl<'r, 'e> Context<'r, 'e> {
    pub(crate) fn new(request: &'r RunRequest<'r>, events: &'e mut dyn RunEvents) -> Self {
        let report = RunReport {
            workdir: request.workdir.clone(),
            ..RunReport::default()
        };
        Context {
            request,
            events,
            report,
            instances: Vec::new(),
        }
    }

    /// The work directory.
    pub(crate) fn workdir(&self) -> &Path {
        &self.request.workdir
    }

    /// `path` relative to the work directory, for reports.
    pub(crate) fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.request.workdir)
            .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
    }

    /// Announces a step and starts its clock.
    pub(crate) fn start(&mut self, stage: Stage, subject: &str, name: &str) -> OpenStep {
        let id = StepId {
            stage,
            subject: subject.to_owned(),
            name: name.to_owned(),
        };
        self.events.step_started(&id);
        OpenStep {
            id,
            started: Instant::now(),
        }
    }

    /// Ends a step, records it and returns a copy of the record.
    pub(crate) fn finish(
        &mut self,
        step: OpenStep,
        status: Status,
        outcome: StepOutcome,
    ) -> StepRecord {
        let record = StepRecord {
            id: step.id,
            status,
            duration: step.started.elapsed(),
            exit_code: outcome.exit_code,
            detail: outcome.detail,
            log: outcome.log.map(|log| self.relative(&log)),
            declared_at: outcome.declared_at,
        };
        if status.is_failure() && self.report.exit_code == 0 && !record.id.name.is_empty() {
            self.report.exit_code = record.exit_code.filter(|code| *code != 0).unwrap_or(1);
        }
        self.events.step_finished(&record);
        self.report.steps.push(record.clone());
        record
    }

    /// Records a step that did not run.
    pub(crate) fn skip(&mut self, stage: Stage, subject: &str, name: &str, why: &str) {
        let step = self.start(stage, subject, name);
        self.finish(step, Status::Skipped, StepOutcome::detail(why));
    }

    /// Records a stage that did not run because an earlier one failed.
    pub(crate) fn skipped_stage(&mut self, stage: Stage, subject: &str) {
        self.skip(stage, subject, "", "(an earlier stage failed)");
    }

    /// Keeps a diagnostic; errors make the run fail (exit code 1 unless a step set one).
    pub(crate) fn error(&mut self, diagnostic: Diagnostic) {
        if diagnostic.is_error() && self.report.exit_code == 0 {
            self.report.exit_code = 1;
        }
        self.events.diagnostic(&diagnostic);
        self.report.diagnostics.push(diagnostic);
    }

    /// Attaches the `.pipe` location `file:line` to `diagnostic`: a primary label when the
    /// request's `SourceDb` holds the file, a note otherwise.
    pub(crate) fn locate(
        &self,
        diagnostic: Diagnostic,
        declared_at: &str,
        label: &str,
    ) -> Diagnostic {
        if declared_at.is_empty() {
            return diagnostic;
        }
        let span = declared_at.rsplit_once(':').and_then(|(file, line)| {
            let line: usize = line.parse().ok()?;
            let db = self.request.source_db?;
            let file_id = db.find(file)?;
            let text = db.text(file_id);
            let range = LineIndex::new(text).line_range(text, line.checked_sub(1)?)?;
            let indent = text.get(range.clone()).map_or(0, |line_text| {
                line_text.len() - line_text.trim_start().len()
            });
            Some(Span::new(file_id, range.start + indent, range.end))
        });
        match span {
            Some(span) => diagnostic.primary(span, label),
            None => diagnostic.note(format!("Declared at {declared_at}.")),
        }
    }

    /// Runs the source stage: copies the source into `WORKDIR/source`.
    pub(crate) fn source_stage(&mut self) -> Option<PreparedSource> {
        let stage = self.start(Stage::Source, "", "");
        let step = self.start(Stage::Source, "", "DOWNLOAD_SOURCE");
        let workdir = self.workdir().to_path_buf();
        if let Err(diagnostic) = crate::workdir::claim_workdir(&workdir, &self.request.source) {
            self.finish(
                step,
                Status::Failed,
                StepOutcome::detail("the work directory cannot be used"),
            );
            self.finish(stage, Status::Failed, StepOutcome::default());
            self.error(diagnostic);
            return None;
        }
        if let Err(error) = reset_workdir(&workdir) {
            self.finish(
                step,
                Status::Failed,
                StepOutcome::detail("cannot prepare the work directory"),
            );
            self.finish(stage, Status::Failed, StepOutcome::default());
            self.error(
                Diagnostic::error(
                    Code::IO_ERROR,
                    format!("cannot prepare the work directory `{}`", workdir.display()),
                )
                .note(error.to_string()),
            );
            return None;
        }
        match source::prepare(&self.request.source, &workdir) {
            Ok(prepared) => {
                let detail = format!("{} ({} files)", prepared.description, prepared.file_count);
                self.finish(step, Status::Succeeded, StepOutcome::detail(&detail));
                self.finish(stage, Status::Succeeded, StepOutcome::default());
                Some(prepared)
            }
            Err(diagnostic) => {
                self.finish(step, Status::Failed, StepOutcome::default());
                self.finish(stage, Status::Failed, StepOutcome::default());
                self.error(diagnostic);
                None
            }
        }
    }

    /// Stops what hooks left running (unless `keep_running`) and closes the sandboxes; then
    /// stops whatever else the run started that is still running (daemons of builds, and of
    /// hooks in rewrite mode, found as descendants of this process, a child subreaper).
    pub(crate) fn cleanup(&mut self) {
        let keep_running = self.request.keep_running && process::cancelled().is_none();
        let instances = std::mem::take(&mut self.instances);
        for (name, mut instance) in instances {
            let stage = self.start(Stage::Cleanup, &name, "");
            if keep_running {
                let left = instance.running_processes();
                let step = self.start(Stage::Cleanup, &name, "keep running");
                let detail = format!("{} process(es) left running", left.len());
                self.report.left_running.extend(left);
                self.finish(step, Status::Succeeded, StepOutcome::detail(&detail));
            } else {
                let step = self.start(Stage::Cleanup, &name, "stop processes");
                let stopped = instance.stop_processes();
                let detail = format!("stopped {} process(es)", stopped.len());
                self.finish(step, Status::Succeeded, StepOutcome::detail(&detail));
            }
            instance.close(keep_running);
            self.finish(stage, Status::Succeeded, StepOutcome::default());
        }
        if keep_running {
            return;
        }
        let mut stopped: Vec<u32> = Vec::new();
        for _ in 0..5 {
            let left = process::run_descendants();
            if left.is_empty() {
                break;
            }
            process::stop_processes(&left);
            stopped.extend(left);
            stopped.sort_unstable();
            stopped.dedup();
        }
        if !stopped.is_empty() {
            let stage = self.start(Stage::Cleanup, "run", "");
            let step = self.start(Stage::Cleanup, "run", "stop processes");
            let detail = format!(
                "stopped {} process(es) left by builds or hooks outside the sandbox",
                stopped.len()
            );
            self.finish(step, Status::Succeeded, StepOutcome::detail(&detail));
            self.finish(stage, Status::Succeeded, StepOutcome::default());
        }
    }

    /// Records that `signal` interrupted the run: a P7013 error, and exit code 128 + signal.
    pub(crate) fn interrupted(&mut self, signal: i32) {
        let name = crate::report::signal_name(signal);
        self.error(
            Diagnostic::error(Code::RUN_INTERRUPTED, format!("the run was interrupted by {name}"))
                .note("The step in progress was stopped, later steps were skipped, and every process the run started was stopped.")
                .help("Run it again; nothing is left running."),
        );
        self.report.exit_code = 128 + signal;
        self.report.interrupted = Some(signal);
    }

    /// The final report.
    pub(crate) fn into_report(self, duration: Duration) -> RunReport {
        let mut report = self.report;
        report.duration = duration;
        report
    }
}

/// Optional parts of a step record.
#[derive(Clone, Debug, Default)]
pub(crate) struct StepOutcome {
    pub(crate) exit_code: Option<i32>,
    pub(crate) detail: Option<String>,
    pub(crate) log: Option<PathBuf>,
    pub(crate) declared_at: Option<String>,
}

impl StepOutcome {
    pub(crate) fn detail(detail: &str) -> Self {
        StepOutcome {
            detail: Some(detail.to_owned()),
            ..StepOutcome::default()
        }
    }
}

/// Removes what belongs to one run only (source copy, build workspaces, artifacts, logs) and
/// keeps what stands for the world between runs (instances, sites, counters).
fn reset_workdir(workdir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(workdir)?;
    for transient in ["source", "builds", "artifacts", "logs"] {
        let path = workdir.join(transient);
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
    }
    Ok(())
}

/// Reads, increments and stores the counter `WORKDIR/state/<name>`.
pub(crate) fn next_counter(workdir: &Path, name: &str) -> u64 {
    let path = workdir.join("state").join(name);
    let current: u64 = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0);
    let next = current + 1;
    let _ = std::fs::create_dir_all(workdir.join("state"));
    let _ = std::fs::write(&path, next.to_string());
    next
}

/// A UUID-shaped identifier derived from `seed` (stable for the same seed).
pub(crate) fn uuid_from(seed: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(seed.as_bytes());
    let hex: String = digest
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default().to_owned();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}
