//! Live progress for apply/destroy when stderr is a terminal: one line per resource with its
//! status and elapsed time, redrawn in place below the lines already printed, and a footer with
//! the stack's own status. A resource whose operation ends (`*_COMPLETE`, `*_FAILED`,
//! `*_SKIPPED`) is printed once, for good, above the live lines; so only running resources are
//! redrawn and the live area stays small. Everything else (change set creation, settling) is a
//! plain line, as without a terminal.
//!
//! [`Board`] is the line model and has no I/O (unit-tested); [`LiveProgress`] draws it with
//! ANSI escapes (cursor up, clear to the end of the screen, no line wrapping while drawing) and
//! a ticker thread that refreshes the elapsed times.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pipec_deploy::{is_in_progress, ProgressEvent, ProgressSink, RenderOptions};

/// At most this many running resources are drawn; the rest are counted in one line.
const MAX_LIVE_ROWS: usize = 15;

/// `4s`, `1m05s`, `2h03m`.
pub(crate) fn format_elapsed(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

/// One resource whose operation runs (or just ended).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    pub(crate) status: String,
    pub(crate) reason: Option<String>,
    /// `(block, file:line)`.
    pub(crate) place: Option<String>,
    pub(crate) since: Instant,
}

impl Row {
    fn line(&self, now: Instant, options: RenderOptions) -> String {
        let paint = |code: &str, text: &str| {
            if options.color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        let status = if self.status.ends_with("_FAILED") {
            paint("1;31", &self.status)
        } else if self.status.ends_with("_COMPLETE") {
            paint("32", &self.status)
        } else {
            self.status.clone()
        };
        let pad = " ".repeat(28usize.saturating_sub(self.status.len()));
        let elapsed = format_elapsed(now.saturating_duration_since(self.since));
        let mut line = format!(
            "  {status}{pad} {elapsed:>6}  {}  {}",
            self.logical_id,
            paint("2", &self.resource_type)
        );
        if let Some(place) = &self.place {
            line.push_str(&format!("  {}", paint("2", &format!("({place})"))));
        }
        if let Some(reason) = &self.reason {
            line.push_str(&format!("  {reason}"));
        }
        line
    }
}

/// True when a resource status ends its operation.
fn is_final(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

/// The line model: running resources, the stack's own status, and the lines to print for good.
#[derive(Debug)]
pub(crate) struct Board {
    options: RenderOptions,
    stack: Option<String>,
    stack_status: Option<String>,
    stack_since: Option<Instant>,
    rows: Vec<Row>,
    done: usize,
}

impl Board {
    pub(crate) fn new(options: RenderOptions) -> Self {
        Board {
            options,
            stack: None,
            stack_status: None,
            stack_since: None,
            rows: Vec::new(),
            done: 0,
        }
    }

    /// The running resources, in the order they started.
    #[cfg(test)]
    pub(crate) fn rows(&self) -> &[Row] {
        &self.rows
    }

    fn is_stack(&self, resource_type: &str, logical_id: &str) -> bool {
        resource_type == "AWS::CloudFormation::Stack"
            && self
                .stack
                .as_deref()
                .is_none_or(|stack| stack == logical_id)
    }

    /// Takes an event at `now`; returns the lines to print for good, above the live area.
    pub(crate) fn event(&mut self, event: &ProgressEvent, now: Instant) -> Vec<String> {
        match event {
            ProgressEvent::Resource {
                logical_id,
                resource_type,
                status,
                reason,
                block,
                source,
            } => {
                if self.is_stack(resource_type, logical_id) {
                    if self.stack_status.is_none() || !is_in_progress(status) {
                        self.stack_since = Some(now);
                    }
                    self.stack = Some(logical_id.clone());
                    self.stack_status = Some(status.clone());
                    return Vec::new();
                }
                let index = match self
                    .rows
                    .iter()
                    .position(|row| row.logical_id == *logical_id)
                {
                    Some(index) => index,
                    None => {
                        self.rows.push(Row {
                            logical_id: logical_id.clone(),
                            resource_type: resource_type.clone(),
                            status: String::new(),
                            reason: None,
                            place: block.as_ref().map(|block| match source {
                                Some(source) => format!("{block}, {source}"),
                                None => block.clone(),
                            }),
                            since: now,
                        });
                        self.rows.len() - 1
                    }
                };
                let row = &mut self.rows[index];
                row.status.clone_from(status);
                row.reason.clone_from(reason);
                if is_final(status) {
                    let row = self.rows.remove(index);
                    self.done += 1;
                    return vec![row.line(now, self.options)];
                }
                Vec::new()
            }
            other => {
                match other {
                    ProgressEvent::Executing { stack_name }
                    | ProgressEvent::Deleting { stack_name }
                    | ProgressEvent::DeletingFailedStack { stack_name }
                    | ProgressEvent::WaitingForStack { stack_name, .. } => {
                        self.stack = Some(stack_name.clone());
                        self.stack_since = Some(now);
                    }
                    ProgressEvent::Settled { status, .. } => {
                        self.stack_status = Some(status.clone());
                    }
                    _ => {}
                }
                let mut lines: Vec<String> = Vec::new();
                if matches!(other, ProgressEvent::Settled { .. }) {
                    // Whatever still shows as running is printed as it last was.
                    lines.extend(self.rows.drain(..).map(|row| row.line(now, self.options)));
                }
                lines.push(pipec_deploy::render_event(other, self.options));
                lines
            }
        }
    }

    /// The lines redrawn in place: running resources, then the stack's status.
    pub(crate) fn live(&self, now: Instant) -> Vec<String> {
        let mut lines: Vec<String> = self
            .rows
            .iter()
            .take(MAX_LIVE_ROWS)
            .map(|row| row.line(now, self.options))
            .collect();
        if self.rows.len() > MAX_LIVE_ROWS {
            lines.push(format!(
                "  … and {} more in progress",
                self.rows.len() - MAX_LIVE_ROWS
            ));
        }
        let running = self.stack_status.as_deref().is_some_and(is_in_progress);
        if running || !self.rows.is_empty() {
            let stack = self.stack.as_deref().unwrap_or("stack");
            let status = self.stack_status.as_deref().unwrap_or("IN_PROGRESS");
            let elapsed = self
                .stack_since
                .map(|since| format_elapsed(now.saturating_duration_since(since)))
                .unwrap_or_default();
            lines.push(format!(
                "Stack `{stack}` {status} {elapsed}: {} done, {} in progress",
                self.done,
                self.rows.len()
            ));
        }
        lines
    }
}

struct Screen {
    board: Board,
    /// Lines of the live area currently on the terminal.
    drawn: usize,
}

impl Screen {
    /// Erases the live area, prints `lines` for good, and draws the live area again.
    fn draw(&mut self, lines: &[String], now: Instant) {
        let mut out = String::new();
        if self.drawn > 0 {
            out.push_str(&format!("\x1b[{}A\r\x1b[J", self.drawn));
        }
        for line in lines {
            out.push_str(line);
            out.push('\n');
        }
        let live = self.board.live(now);
        if !live.is_empty() {
            // No wrapping while drawing: a long line is cut at the edge instead of taking two
            // rows, so moving up `drawn` rows lands where the area starts.
            out.push_str("\x1b[?7l");
            for line in &live {
                out.push_str(line);
                out.push_str("\x1b[K\n");
            }
            out.push_str("\x1b[?7h");
        }
        self.drawn = live.len();
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(out.as_bytes());
        let _ = stderr.flush();
    }
}

/// The terminal sink: the board, redrawn on every event and every half second.
pub(crate) struct LiveProgress {
    screen: Arc<Mutex<Screen>>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl LiveProgress {
    pub(crate) fn new(options: RenderOptions) -> Self {
        let screen = Arc::new(Mutex::new(Screen {
            board: Board::new(options),
            drawn: 0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let screen = Arc::clone(&screen);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(500));
                    if let Ok(mut screen) = screen.lock() {
                        if screen.drawn > 0 && !stop.load(Ordering::SeqCst) {
                            screen.draw(&[], Instant::now());
                        }
                    }
                }
            })
        };
        LiveProgress {
            screen,
            stop,
            ticker: Some(ticker),
        }
    }
}

impl ProgressSink for LiveProgress {
    fn event(&self, event: &ProgressEvent) {
        if let Ok(mut screen) = self.screen.lock() {
            let now = Instant::now();
            let lines = screen.board.event(event, now);
            screen.draw(&lines, now);
        }
    }
}

impl Drop for LiveProgress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const PLAIN: RenderOptions = RenderOptions { color: false };

    fn resource(logical_id: &str, resource_type: &str, status: &str) -> ProgressEvent {
        ProgressEvent::Resource {
            logical_id: logical_id.to_string(),
            resource_type: resource_type.to_string(),
            status: status.to_string(),
            reason: None,
            block: (logical_id == "RepoApp").then(|| "repo.app".to_string()),
            source: (logical_id == "RepoApp").then(|| "pipeline.pipe:16".to_string()),
        }
    }

    #[test]
    fn elapsed_is_short() {
        assert_eq!(format_elapsed(Duration::from_millis(900)), "0s");
        assert_eq!(format_elapsed(Duration::from_secs(59)), "59s");
        assert_eq!(format_elapsed(Duration::from_secs(65)), "1m05s");
        assert_eq!(format_elapsed(Duration::from_secs(3599)), "59m59s");
        assert_eq!(format_elapsed(Duration::from_secs(7380)), "2h03m");
    }

    #[test]
    fn one_line_per_running_resource_with_status_and_time() {
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        let mut board = Board::new(PLAIN);
        let printed = board.event(
            &ProgressEvent::Executing {
                stack_name: "fe-dev".to_string(),
            },
            t0,
        );
        assert_eq!(printed, ["Executing the change set on stack `fe-dev`"]);
        // The stack's own event is the footer, not a row.
        assert!(board
            .event(
                &resource("fe-dev", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS"),
                t0
            )
            .is_empty());
        assert!(board.rows().is_empty());
        board.event(
            &resource(
                "RepoApp",
                "AWS::CodeCommit::Repository",
                "CREATE_IN_PROGRESS",
            ),
            at(1),
        );
        board.event(
            &resource("RoleBuild", "AWS::IAM::Role", "CREATE_IN_PROGRESS"),
            at(2),
        );
        let ids: Vec<&str> = board
            .rows()
            .iter()
            .map(|row| row.logical_id.as_str())
            .collect();
        assert_eq!(ids, ["RepoApp", "RoleBuild"]);
        assert_eq!(
            board.live(at(66)),
            [
                "  CREATE_IN_PROGRESS            1m05s  RepoApp  AWS::CodeCommit::Repository  (repo.app, pipeline.pipe:16)",
                "  CREATE_IN_PROGRESS            1m04s  RoleBuild  AWS::IAM::Role",
                "Stack `fe-dev` CREATE_IN_PROGRESS 1m06s: 0 done, 2 in progress",
            ]
        );
        // A second in-progress status updates the row in place and keeps its start.
        board.event(
            &resource(
                "RepoApp",
                "AWS::CodeCommit::Repository",
                "CREATE_IN_PROGRESS",
            ),
            at(3),
        );
        assert_eq!(board.rows().len(), 2);
        assert_eq!(board.rows()[0].since, at(1));
        // An ended resource is printed for good with its time, and leaves the live area.
        let printed = board.event(
            &resource("RoleBuild", "AWS::IAM::Role", "CREATE_COMPLETE"),
            at(12),
        );
        assert_eq!(
            printed,
            ["  CREATE_COMPLETE                 10s  RoleBuild  AWS::IAM::Role"]
        );
        assert_eq!(board.rows().len(), 1);
        assert!(board
            .live(at(12))
            .last()
            .unwrap()
            .ends_with("1 done, 1 in progress"));
        // Settling prints what is left and the plain settled line; the live area is empty.
        board.event(
            &resource("fe-dev", "AWS::CloudFormation::Stack", "CREATE_COMPLETE"),
            at(13),
        );
        let printed = board.event(
            &ProgressEvent::Settled {
                stack_name: "fe-dev".to_string(),
                status: "CREATE_COMPLETE".to_string(),
            },
            at(14),
        );
        assert_eq!(printed.len(), 2);
        assert!(printed[0].contains("RepoApp"), "{printed:?}");
        assert_eq!(printed[1], "Stack `fe-dev` is CREATE_COMPLETE");
        assert!(board.live(at(15)).is_empty());
    }

    #[test]
    fn failures_keep_their_reason_and_many_rows_are_capped() {
        let t0 = Instant::now();
        let mut board = Board::new(PLAIN);
        let mut failed = resource("BucketSite", "AWS::S3::Bucket", "CREATE_FAILED");
        if let ProgressEvent::Resource { reason, .. } = &mut failed {
            *reason = Some("Bucket name taken".to_string());
        }
        let printed = board.event(&failed, t0);
        assert!(printed[0].starts_with("  CREATE_FAILED"), "{printed:?}");
        assert!(
            printed[0].ends_with("AWS::S3::Bucket  Bucket name taken"),
            "{printed:?}"
        );
        for index in 0..20 {
            board.event(
                &resource(
                    &format!("Param{index}"),
                    "AWS::SSM::Parameter",
                    "CREATE_IN_PROGRESS",
                ),
                t0,
            );
        }
        let live = board.live(t0);
        assert_eq!(live.len(), MAX_LIVE_ROWS + 2);
        assert_eq!(live[MAX_LIVE_ROWS], "  … and 5 more in progress");
    }
}
