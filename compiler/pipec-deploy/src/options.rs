//! What the CLI hands to plan/apply/destroy/outputs: the request, the polling policy, the
//! cancellation flag, and the two traits through which the CLI takes part (progress events and
//! confirmation). Nothing here prints or reads the terminal.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::events::ProgressEvent;
use crate::manifest::Manifest;
use crate::plan::Plan;

/// The exit code of a command that stopped following on Ctrl-C (the shell's 128 + SIGINT): the
/// operation goes on in AWS. The one definition for the library's reports and the CLI.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Everything one deploy command needs besides the API client.
#[derive(Clone, Debug, Default)]
pub struct DeployRequest {
    /// The stack (`--stack-name`, else the manifest's).
    pub stack_name: String,
    /// `template.json` text.
    pub template_body: String,
    /// `manifest.json`, parsed.
    pub manifest: Manifest,
    /// Behaviour switches.
    pub options: DeployOptions,
}

impl DeployRequest {
    /// A request with the manifest's stack name and default options.
    #[must_use]
    pub fn new(template_body: String, manifest: Manifest) -> Self {
        DeployRequest {
            stack_name: manifest.stack_name.clone(),
            template_body,
            manifest,
            options: DeployOptions::default(),
        }
    }
}

/// Switches of plan/apply/destroy.
#[derive(Clone, Debug, Default)]
pub struct DeployOptions {
    /// `plan --keep`: leave the change set in place for review in the console.
    pub keep_change_set: bool,
    /// `--yes`: do not ask.
    pub yes: bool,
    /// `--no-wait`: refuse (`P6012`) instead of waiting when another operation runs.
    pub no_wait: bool,
    /// `--replace-failed`: a stack left in `ROLLBACK_COMPLETE` is deleted and created again.
    pub replace_failed: bool,
    /// `--allow-data-loss`: apply even when a data resource is deleted or replaced.
    pub allow_data_loss: bool,
    /// `--template-bucket`: the staging bucket for templates over 51,200 bytes.
    pub template_bucket: Option<String>,
    /// How often to poll.
    pub poll: PollPolicy,
    /// Set by the CLI on Ctrl-C: stop following, leave the stack running.
    pub cancel: CancelFlag,
}

/// Polling with backoff: start at `initial`, multiply by 1.5 while nothing happens, never over
/// `max`; back to `initial` when new events arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    /// The first delay.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
        }
    }
}

impl PollPolicy {
    /// No waiting at all, for the fake client.
    #[must_use]
    pub fn immediate() -> Self {
        PollPolicy {
            initial: Duration::ZERO,
            max: Duration::ZERO,
        }
    }

    /// The delay after `delay`.
    #[must_use]
    pub fn next(&self, delay: Duration) -> Duration {
        delay.mul_f64(1.5).max(self.initial).min(self.max)
    }
}

/// A flag the CLI sets (from its Ctrl-C handler) to stop following a stack operation. The
/// operation itself continues in CloudFormation.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A new, unset flag.
    #[must_use]
    pub fn new() -> Self {
        CancelFlag::default()
    }
    /// Asks to stop following.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// True once [`CancelFlag::cancel`] was called.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Receives progress while deploy waits (change set creation, stack events, waiting for another
/// operation). The CLI renders them, e.g. with [`crate::render_event`].
pub trait ProgressSink: Send + Sync {
    /// Called once per event, in order.
    fn event(&self, event: &ProgressEvent);
}

/// A sink that drops everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn event(&self, _event: &ProgressEvent) {}
}

/// Collects events in memory (tests, JSON output).
#[derive(Debug, Default)]
pub struct CollectProgress(pub std::sync::Mutex<Vec<ProgressEvent>>);

impl CollectProgress {
    /// The events so far.
    #[must_use]
    pub fn events(&self) -> Vec<ProgressEvent> {
        self.0
            .lock()
            .map(|events| events.clone())
            .unwrap_or_default()
    }
}

impl ProgressSink for CollectProgress {
    fn event(&self, event: &ProgressEvent) {
        if let Ok(mut events) = self.0.lock() {
            events.push(event.clone());
        }
    }
}

/// What is being confirmed.
#[derive(Clone, Copy, Debug)]
pub enum ConfirmSubject<'a> {
    /// Executing this plan.
    Apply(&'a Plan),
    /// Deleting this stack; the resources that will be retained.
    Destroy {
        /// The stack.
        stack_name: &'a str,
        /// Logical ids kept after deletion.
        retained: &'a [String],
    },
}

/// The CLI's side of confirmation. `--yes` ([`DeployOptions::yes`]) skips it; without `--yes`
/// and without a terminal, deploy refuses with `P6016`.
pub trait Confirmer: Send + Sync {
    /// True when a person can answer (stdin and stderr are terminals).
    fn is_interactive(&self) -> bool;
    /// Asks; true means go ahead.
    fn confirm(&self, subject: ConfirmSubject<'_>) -> bool;
}

/// A confirmer for automation: never interactive, so only `--yes` proceeds.
#[derive(Clone, Copy, Debug, Default)]
pub struct NonInteractive;

impl Confirmer for NonInteractive {
    fn is_interactive(&self) -> bool {
        false
    }
    fn confirm(&self, _subject: ConfirmSubject<'_>) -> bool {
        false
    }
}

/// A confirmer that answers a fixed value, as if a person typed it.
#[derive(Clone, Copy, Debug)]
pub struct Answer(pub bool);

impl Confirmer for Answer {
    fn is_interactive(&self) -> bool {
        true
    }
    fn confirm(&self, _subject: ConfirmSubject<'_>) -> bool {
        self.0
    }
}
