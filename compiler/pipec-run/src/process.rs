//! Process plumbing without `unsafe`: waiting with a deadline, signalling process groups and
//! single processes through `kill(1)`, finding processes (and their descendants) through
//! `/proc`, making this process a child subreaper, and the run's cancellation flag (set when
//! the CLI receives SIGINT/SIGTERM; every wait here gives up as soon as it is set).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// The signal that cancelled the run (0 while it goes on).
static CANCELLED: AtomicI32 = AtomicI32::new(0);

/// Asks the run in progress to stop: the command or hook that runs is stopped, later steps are
/// skipped, and the cleanup stops every process the run started. `signal` (2 for SIGINT, 15 for
/// SIGTERM) decides the exit code (128 + signal). Safe to call from any thread.
pub fn cancel(signal: i32) {
    let _ = CANCELLED.compare_exchange(0, signal.max(1), Ordering::SeqCst, Ordering::SeqCst);
}

/// The signal that cancelled the run, if it was cancelled.
pub(crate) fn cancelled() -> Option<i32> {
    match CANCELLED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// The environment variable that marks every build session and hook script of a run (and what
/// they start, as long as it keeps its environment) with the run's id.
pub(crate) const RUN_ID_VARIABLE: &str = "PIPEC_RUN_ID";

static RUN_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    static CURRENT_RUN: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Gives the run on this thread a new id (this process's id and a counter), for [`run_id`].
pub(crate) fn start_run() {
    let number = RUN_COUNTER.fetch_add(1, Ordering::SeqCst) + 1;
    let id = format!("{}-{number}", std::process::id());
    CURRENT_RUN.with(|current| *current.borrow_mut() = id);
}

/// The id of the run on this thread, the value of [`RUN_ID_VARIABLE`].
pub(crate) fn run_id() -> String {
    CURRENT_RUN.with(|current| current.borrow().clone())
}

/// True when `pid`'s environment marks it as started by the run `id`.
fn started_by_run(pid: u32, id: &str) -> bool {
    let wanted = format!("{RUN_ID_VARIABLE}={id}");
    std::fs::read(Path::new("/proc").join(pid.to_string()).join("environ")).is_ok_and(|environ| {
        environ
            .split(|byte| *byte == 0)
            .any(|entry| entry == wanted.as_bytes())
    })
}

/// Makes this process the reaper of its orphaned descendants, so that daemons started by builds
/// and hooks (`setsid`, double forks) stay its descendants and can be found and stopped.
pub(crate) fn become_subreaper() {
    let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
}

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

/// Waits for `child` until `deadline`; `None` when it is still running then, or when the run
/// was cancelled ([`cancelled`]).
pub(crate) fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(_) => return None,
        }
        let now = Instant::now();
        if now >= deadline || cancelled().is_some() {
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
    pub(crate) parent: u32,
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
    let parent = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some(ProcessInfo { pid, parent, group })
}

/// Every process of this machine (as `/proc` shows them), this one included.
pub(crate) fn all_processes() -> Vec<ProcessInfo> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read_stat)
        .collect()
}

/// The live processes that are `seeds` or descend from one of them, except `excluded` (and
/// what descends only through an excluded process), sorted.
pub(crate) fn with_descendants(seeds: &[u32], excluded: &[u32]) -> Vec<u32> {
    let table = all_processes();
    let mut found: BTreeSet<u32> = seeds
        .iter()
        .copied()
        .filter(|pid| !excluded.contains(pid))
        .collect();
    loop {
        let before = found.len();
        for info in &table {
            if found.contains(&info.parent) && !excluded.contains(&info.pid) {
                found.insert(info.pid);
            }
        }
        if found.len() == before {
            break;
        }
    }
    let own = std::process::id();
    found
        .into_iter()
        .filter(|pid| *pid != own && is_alive(*pid))
        .collect()
}

/// The live descendants of this process that the run on this thread started (marked with its
/// [`run_id`]; other runs in this process are left alone).
pub(crate) fn run_descendants() -> Vec<u32> {
    let own = std::process::id();
    let id = run_id();
    let children: Vec<u32> = all_processes()
        .iter()
        .filter(|info| info.parent == own)
        .map(|info| info.pid)
        .collect();
    with_descendants(&children, &[])
        .into_iter()
        .filter(|pid| started_by_run(*pid, &id))
        .collect()
}

/// The PID namespace of `pid` (`pid:[4026532180]`).
pub(crate) fn pid_namespace(pid: u32) -> Option<String> {
    std::fs::read_link(Path::new("/proc").join(pid.to_string()).join("ns/pid"))
        .ok()
        .map(|link| link.to_string_lossy().into_owned())
}
