//! Text for people of `release`, `status` and `logs`. Colour is ANSI and only when asked for.

use std::fmt::Write;

use crate::operate::api::{ExecutionSummary, LogEvent};
use crate::operate::logs::LogsReport;
use crate::operate::{ActionProgress, StatusReport};
use crate::render::RenderOptions;

fn paint(options: RenderOptions, status: &str) -> String {
    let code = match status {
        "Succeeded" | "SUCCEEDED" => "32",
        "Failed" | "FAILED" | "FAULT" | "TIMED_OUT" | "Stopped" | "STOPPED" => "1;31",
        "InProgress" | "IN_PROGRESS" | "Stopping" => "33",
        _ => "2",
    };
    if options.color {
        format!("\x1b[{code}m{status}\x1b[0m")
    } else {
        status.to_string()
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` of seconds since the epoch.
#[must_use]
pub fn utc(secs: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let total = secs.floor() as i64;
    let days = total.div_euclid(86_400);
    let rem = total.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `1m 05s` of a duration in seconds.
#[must_use]
pub fn duration(secs: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let secs = secs.max(0.0).round() as i64;
    if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

fn execution_line(execution: &ExecutionSummary, options: RenderOptions) -> String {
    let mut line = format!("{}  {}", execution.id, paint(options, &execution.status));
    if let Some(start) = execution.start {
        let _ = write!(line, "  started {}", utc(start));
        if let Some(end) = execution
            .last_update
            .filter(|_| execution.status != "InProgress")
        {
            let _ = write!(line, "  took {}", duration(end - start));
        }
    }
    for revision in &execution.revisions {
        let short: String = revision.revision_id.chars().take(8).collect();
        let message = revision
            .summary
            .as_deref()
            .map(|s| s.lines().next().unwrap_or_default().to_string())
            .unwrap_or_default();
        let _ = write!(line, "\n    {}: {short} {message}", revision.action);
    }
    if let Some(summary) = &execution.status_summary {
        let _ = write!(line, "\n    {summary}");
    }
    line
}

/// `pipec status`: the executions, then the latest one's stages and actions.
#[must_use]
pub fn render_status(report: &StatusReport, options: RenderOptions) -> String {
    let mut out = format!(
        "Pipeline {} (pipeline.{})\n\n",
        report.pipeline, report.label
    );
    out.push_str("Executions (newest first):\n");
    for execution in &report.executions {
        let _ = writeln!(out, "  {}", execution_line(execution, options));
    }
    if !report.stages.is_empty() {
        out.push_str("\nStages:\n");
        for stage in &report.stages {
            let status = stage.status.as_deref().unwrap_or("not run");
            let _ = writeln!(out, "  {}  {}", stage.name, paint(options, status));
            for action in &stage.actions {
                let status = action.status.as_deref().unwrap_or("not run");
                let mut line = format!("    {}  {}", action.name, paint(options, status));
                if let Some(id) = &action.external_execution_id {
                    let _ = write!(line, "  ({id})");
                }
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

/// One line of `release --wait` for an action's new state.
#[must_use]
pub fn render_release_line(progress: &ActionProgress, options: RenderOptions) -> String {
    format!(
        "{} › {}  {}",
        progress.stage,
        progress.action,
        paint(options, &progress.status)
    )
}

fn clock(event: &LogEvent) -> String {
    #[allow(clippy::cast_precision_loss)]
    let text = utc(event.timestamp as f64 / 1000.0);
    text.get(11..19).unwrap_or_default().to_string()
}

/// `pipec logs`: a build's lines by phase, or a deploy's events per instance.
#[must_use]
pub fn render_logs(report: &LogsReport, options: RenderOptions) -> String {
    let mut out = String::new();
    match report {
        LogsReport::Build { logs, .. } => {
            let _ = writeln!(
                out,
                "Build {} (build.{})  {}\nLog: {} {}",
                logs.build.id,
                logs.label,
                paint(options, &logs.build.status),
                logs.log_group,
                logs.log_stream
            );
            for group in &logs.phases {
                if !group.phase.is_empty() {
                    let status = group.status.as_deref().unwrap_or("");
                    let _ = writeln!(out, "\n── {} {}", group.phase, paint(options, status));
                }
                for event in &group.events {
                    let _ = writeln!(out, "  {}  {}", clock(event), event.message.trim_end());
                }
            }
        }
        LogsReport::Deploy { logs, .. } => {
            let deployment = &logs.deployment;
            let _ = writeln!(
                out,
                "Deployment {} (deploy.{})  {}",
                deployment.id,
                logs.label,
                paint(options, &deployment.status)
            );
            if let Some(code) = &deployment.error_code {
                let _ = writeln!(
                    out,
                    "  {code}: {}",
                    deployment.error_message.as_deref().unwrap_or_default()
                );
            }
            for instance in &logs.instances {
                let _ = writeln!(
                    out,
                    "\n{}  {}",
                    instance.id,
                    paint(options, &instance.status)
                );
                for event in &instance.events {
                    let mut line =
                        format!("  {:<18} {}", event.name, paint(options, &event.status));
                    if let (Some(start), Some(end)) = (event.start, event.end) {
                        let _ = write!(line, "  {}", duration(end - start));
                    }
                    if let Some(code) = &event.error_code {
                        let _ = write!(line, "  {code}");
                    }
                    let _ = writeln!(out, "{line}");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_and_durations_short() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_709_251_199.0), "2024-02-29 23:59:59 UTC");
        assert_eq!(duration(65.2), "1m 05s");
        assert_eq!(duration(9.6), "10s");
    }
}
