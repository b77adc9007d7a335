//! Process plumbing without `unsafe`: waiting with a deadline, signalling process groups and
//! single processes through `kill(1)`, and finding processes through `/proc`.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a TERM'd process group gets before KILL.
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// The exit code of `status` as a shell reports it (`128 + signal` for a signal).
pub(crate) fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt as _;
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1)
}

/// Waits for `child` until `deadline`; `None` when it is still running then.
pub(crate) fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(_) => return None,
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

/// Sends `signal` (`TERM`, `KILL`) to every listed process; a negative number is a group.
pub(crate) fn signal(signal: &str, targets: &[i64]) {
    if targets.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .args(targets.iter().map(i64::to_string))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Stops a process group: TERM, a grace period, then KILL.
pub(crate) fn stop_group(group: u32) {
    let target = [-i64::from(group)];
    signal("TERM", &target);
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline && !processes_where(|info| info.group == group).is_empty() {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal("KILL", &target);
}

/// Stops the listed processes: TERM, a grace period, then KILL. Returns them.
pub(crate) fn stop_processes(pids: &[u32]) {
    let targets: Vec<i64> = pids.iter().map(|pid| i64::from(*pid)).collect();
    signal("TERM", &targets);
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline && pids.iter().any(|pid| is_alive(*pid)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let remaining: Vec<i64> = pids
        .iter()
        .filter(|pid| is_alive(**pid))
        .map(|pid| i64::from(*pid))
        .collect();
    signal("KILL", &remaining);
}

/// What `/proc/<pid>/stat` says about a process.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProcessInfo {
    pub(crate) pid: u32,
    pub(crate) group: u32,
}

/// True while any thread of `pid` is running. The main thread of a multi-threaded program
/// (node) can already be a zombie while other threads still hold its sockets open, so every
/// task counts.
pub(crate) fn is_alive(pid: u32) -> bool {
    let tasks = Path::new("/proc").join(pid.to_string()).join("task");
    let Ok(entries) = std::fs::read_dir(&tasks) else {
        return false;
    };
    entries.filter_map(Result::ok).any(|entry| {
        std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|text| {
                text.rsplit_once(')').and_then(|(_, rest)| {
                    rest.split_whitespace()
                        .next()
                        .map(|state| state != "Z" && state != "X")
                })
            })
            .unwrap_or(false)
    })
}

/// Live processes (see [`is_alive`]) matching `wanted`, excluding this process.
pub(crate) fn processes_where(wanted: impl Fn(&ProcessInfo) -> bool) -> Vec<u32> {
    let own = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != own)
        .filter_map(read_stat)
        .filter(|info| wanted(info) && is_alive(info.pid))
        .map(|info| info.pid)
        .collect();
    pids.sort_unstable();
    pids
}

/// The mount namespace of `pid` (`mnt:[4026532178]`).
pub(crate) fn mount_namespace(pid: u32) -> Option<String> {
    std::fs::read_link(Path::new("/proc").join(pid.to_string()).join("ns/mnt"))
        .ok()
        .map(|link| link.to_string_lossy().into_owned())
}

fn read_stat(pid: u32) -> Option<ProcessInfo> {
    let text =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).ok()?;
    // The command name may contain spaces and parentheses: fields start after the last `)`.
    let (_, rest) = text.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let _state = fields.next()?;
    let _parent = fields.next()?;
    let group = fields.next()?.parse().ok()?;
    Some(ProcessInfo { pid, group })
}
