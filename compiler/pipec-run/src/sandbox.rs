//! The sandbox that stands for an EC2 instance: `WORKDIR/instances/<deploy>/root` holds every
//! file the deployments wrote, and persists between runs.
//!
//! **Namespace mode** (preferred): a keeper process is started with `unshare --mount --pid
//! --fork` (adding `--map-root-user` when not root), so it is PID 1 of a new PID namespace. It
//! mounts an overlay file system whose lower layer is the host's `/` (read-only in effect) and
//! whose upper layer is `root/`, mounts a fresh `/proc` (only the namespace's processes) and a
//! private tmpfs on `/dev/shm`, binds `/dev` and `/sys`, and `chroot`s into it. Hooks enter
//! that PID namespace, mount namespace and root with `nsenter`, so they see the real paths
//! (`/var/www/app`, `/etc/...`) while every write lands in `root/`, and they see no process
//! outside the sandbox (`$PPID` is 0). Killing the keeper kills every process in the namespace:
//! that is how a run ends it. The keeper waits on a pipe from this process, so it also ends when
//! this process dies; with `--keep-running` it is told to stay while processes remain, and the
//! next run adopts it (its `ApplicationStop` then sees the servers it must stop).
//!
//! This process reaches the instance's files through `/proc/<keeper>/root`, resolving every
//! path component by component with symbolic links interpreted inside the sandbox root, as a
//! chroot would ([`resolve_in_root`]): a link a hook made (`/srv/app -> /etc`) never leads to
//! the host.
//!
//! **Rewrite mode** (fallback): no namespace; instance paths are rewritten under `root/`
//! (`/var/www` → `root/var/www`, links resolved inside `root/` the same way) for everything
//! this crate does, and hooks run on the host with `PIPEC_INSTANCE_ROOT` set to `root/` and
//! that as working directory. Their processes are found through their process groups and, as
//! this process is a child subreaper, as its descendants.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process;

/// How the instance sandbox is built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SandboxMode {
    /// A mount namespace when the machine allows it, otherwise path rewriting.
    #[default]
    Auto,
    /// Mount and PID namespaces with an overlay root; fail when unavailable.
    Namespace,
    /// Path rewriting only; hooks run on the host.
    Rewrite,
}

/// The outcome of one hook script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScriptOutcome {
    /// It ended with this exit code.
    Exited(i32),
    /// It ran past its timeout; its process group was stopped.
    TimedOut,
    /// The run was cancelled while it ran; its process group was stopped.
    Interrupted,
    /// It could not be started (missing file, no interpreter).
    NotStarted,
}

/// The file in the instance directory that names a keeper left running (`--keep-running`).
const KEEPER_FILE: &str = "keeper.pid";

struct Keeper {
    /// The `unshare` process; `None` for a keeper adopted from an earlier run.
    child: Option<Child>,
    /// Whether the namespace belongs to a new user namespace (`--map-root-user`).
    user_namespace: bool,
    /// Dropping it (end of file) ends the keeper, unless it was told to stay.
    stdin: Option<ChildStdin>,
    /// The keeper's process id on the host; PID 1 inside.
    pid: u32,
    /// Its PID namespace (`pid:[…]`).
    pid_namespace: String,
    /// For a keeper adopted from a `--keep-running` run: a process inside its namespace that
    /// lasts while this run holds its stdin. The lingering keeper ends once it is alone in the
    /// namespace ([`KEEPER_LOOP`]); without this, it would end between two hooks of this run
    /// as soon as ApplicationStop has stopped the servers it kept.
    holder: Option<Child>,
}

/// One instance sandbox.
pub(crate) struct Instance {
    dir: PathBuf,
    root: PathBuf,
    keeper: Option<Keeper>,
    groups: Vec<u32>,
    /// Rewrite mode: a directory of stubs put first on hooks' `PATH` ([`Instance::hide`]).
    stub_dir: Option<PathBuf>,
}

impl Instance {
    /// Opens the sandbox in `dir` (created if needed). The second value explains a fallback to
    /// rewrite mode, or why namespace mode failed when it was required.
    pub(crate) fn open(
        dir: &Path,
        mode: SandboxMode,
    ) -> std::io::Result<(Instance, Option<String>)> {
        let root = dir.join("root");
        std::fs::create_dir_all(&root)?;
        let root = std::fs::canonicalize(&root)?;
        let dir = std::fs::canonicalize(dir)?;
        let mut instance = Instance {
            dir,
            root,
            keeper: None,
            groups: Vec::new(),
            stub_dir: None,
        };
        if mode == SandboxMode::Rewrite {
            return Ok((instance, None));
        }
        if let Some(keeper) = adopt_keeper(&instance.dir) {
            instance.keeper = Some(keeper);
            return Ok((instance, None));
        }
        match start_keeper(&instance.dir, &instance.root) {
            Ok(keeper) => {
                instance.keeper = Some(keeper);
                Ok((instance, None))
            }
            Err(reason) if mode == SandboxMode::Auto => Ok((instance, Some(reason))),
            Err(reason) => Err(std::io::Error::other(reason)),
        }
    }

    /// True in namespace mode.
    pub(crate) fn isolated(&self) -> bool {
        self.keeper.is_some()
    }

    /// The instance's `/`, seen from this process.
    fn view_root(&self) -> PathBuf {
        match &self.keeper {
            Some(keeper) => Path::new("/proc").join(keeper.pid.to_string()).join("root"),
            None => self.root.clone(),
        }
    }

    /// Where the instance path `path` (absolute) is, seen from this process: resolved inside
    /// the instance, symbolic links included (see [`resolve_in_root`]).
    pub(crate) fn host_path(&self, path: &str) -> PathBuf {
        resolve_in_root(&self.view_root(), path, true)
    }

    /// Like [`Instance::host_path`], but a link in the last component is not followed: the
    /// result names the link itself (to remove or replace it).
    pub(crate) fn host_path_nofollow(&self, path: &str) -> PathBuf {
        resolve_in_root(&self.view_root(), path, false)
    }

    /// Runs the script at instance path `script` with `env` added to this process's
    /// environment, output appended to `log`, in its own process group, within `timeout`.
    pub(crate) fn run_script(
        &mut self,
        script: &str,
        env: &[(String, String)],
        timeout: Duration,
        log: &Path,
    ) -> ScriptOutcome {
        if process::cancelled().is_some() {
            return ScriptOutcome::Interrupted;
        }
        let host_script = self.host_path(script);
        if !host_script.is_file() {
            return ScriptOutcome::NotStarted;
        }
        make_executable(&host_script);
        let Ok(log_file) = File::options().create(true).append(true).open(log) else {
            return ScriptOutcome::NotStarted;
        };
        let Ok(log_copy) = log_file.try_clone() else {
            return ScriptOutcome::NotStarted;
        };
        let mut command = match &self.keeper {
            Some(keeper) => {
                let mut command = keeper.enter();
                command.args(["--wdns=/", "--"]).arg(script);
                command
            }
            None => {
                let mut command = Command::new(&host_script);
                command
                    .current_dir(&self.root)
                    .env("PIPEC_INSTANCE_ROOT", &self.root);
                if let Some(stubs) = &self.stub_dir {
                    let mut path = vec![stubs.clone()];
                    path.extend(
                        std::env::var_os("PATH")
                            .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
                            .unwrap_or_default(),
                    );
                    if let Ok(joined) = std::env::join_paths(path) {
                        command.env("PATH", joined);
                    }
                }
                command
            }
        };
        command
            .envs(env.iter().map(|(name, value)| (name, value)))
            .env(process::RUN_ID_VARIABLE, process::run_id())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_copy))
            .process_group(0);
        let Ok(mut child) = command.spawn() else {
            return ScriptOutcome::NotStarted;
        };
        let outcome = match process::wait_until(&mut child, Instant::now() + timeout) {
            Some(status) => ScriptOutcome::Exited(process::exit_code(status)),
            None => {
                if self.keeper.is_some() {
                    // `nsenter` must outlive the script to reap it: a script left unreaped
                    // would keep the namespace's init from ever finishing its exit.
                    let (group, nsenter) = (child.id(), child.id());
                    for _ in 0..5 {
                        let members = process::processes_where(|info| {
                            info.group == group && info.pid != nsenter
                        });
                        if members.is_empty() {
                            break;
                        }
                        process::stop_processes(&members);
                    }
                    let deadline = Instant::now() + process::GRACE;
                    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    let _ = child.kill();
                } else {
                    process::stop_group(child.id());
                }
                let _ = child.wait();
                if process::cancelled().is_some() {
                    ScriptOutcome::Interrupted
                } else {
                    ScriptOutcome::TimedOut
                }
            }
        };
        // A group id is only kept while the group has members, so a number reused later by an
        // unrelated process is never signalled. In namespace mode the namespace is what counts.
        let group = child.id();
        if self.keeper.is_none() && !process::processes_where(|info| info.group == group).is_empty()
        {
            self.groups.push(group);
        }
        outcome
    }

    /// Hides commands from the hooks: `stubs` holds `(command, stub file)`, `stub_dir` the
    /// directory of the stubs (named after their commands). In namespace mode every file that
    /// the command resolves to in a directory of `search` (links followed inside the sandbox)
    /// gets the stub bind-mounted over it, in the keeper's mount namespace, so an absolute path
    /// (`/usr/bin/node`) and `PATH` lookups both reach the stub; returns how many files were
    /// covered. A keeper adopted from a `--keep-running` run keeps the mounts it has. In rewrite
    /// mode the stub directory goes first on hooks' `PATH` (absolute paths still reach the host's
    /// files).
    pub(crate) fn hide(
        &mut self,
        stubs: &[(String, PathBuf)],
        stub_dir: &Path,
        search: &[PathBuf],
    ) -> Result<usize, String> {
        let Some(keeper) = &self.keeper else {
            self.stub_dir = Some(stub_dir.to_path_buf());
            return Ok(stubs.len());
        };
        if keeper.child.is_none() || stubs.is_empty() {
            return Ok(0);
        }
        let view = self.view_root();
        let merged = std::fs::canonicalize(self.dir.join(".overlay/merged"))
            .map_err(|error| error.to_string())?;
        let mut mounts: Vec<(PathBuf, PathBuf)> = Vec::new();
        for (command, stub) in stubs {
            for dir in search {
                let found = resolve_in_root(&view, &dir.join(command).to_string_lossy(), true);
                let Ok(inside) = found.strip_prefix(&view) else {
                    continue;
                };
                let target = merged.join(inside);
                if found.is_file() && !mounts.iter().any(|(_, known)| *known == target) {
                    mounts.push((stub.clone(), target));
                }
            }
        }
        if mounts.is_empty() {
            return Ok(0);
        }
        // `nsenter -m` without `-r`: the namespace's own root (the host's tree, where the stubs
        // are), not the keeper's chroot.
        let mut command = Command::new("nsenter");
        command.arg("-t").arg(keeper.pid.to_string());
        if keeper.user_namespace {
            command.args(["-U", "--preserve-credentials"]);
        }
        command.args([
            "-m",
            "--",
            "sh",
            "-c",
            "while [ \"$#\" -ge 2 ]; do mount --bind \"$1\" \"$2\" || exit 1; shift 2; done",
            "pipec-hide",
        ]);
        for (stub, target) in &mounts {
            command.arg(stub).arg(target);
        }
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run `nsenter`: {error}"))?;
        if output.status.success() {
            Ok(mounts.len())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }

    /// Processes started by hooks that are still running: in namespace mode every process in
    /// the instance's PID namespace (daemons that called `setsid` or `unshare` included) and
    /// their descendants, otherwise the members of the hooks' process groups and their
    /// descendants.
    pub(crate) fn running_processes(&self) -> Vec<u32> {
        match &self.keeper {
            Some(keeper) => {
                let inside: Vec<u32> = process::all_processes()
                    .iter()
                    .filter(|info| {
                        info.pid != keeper.pid
                            && !is_keeper_pause(info.pid)
                            && process::pid_namespace(info.pid).as_deref()
                                == Some(keeper.pid_namespace.as_str())
                    })
                    .map(|info| info.pid)
                    .collect();
                process::with_descendants(&inside, &[keeper.pid])
            }
            None => {
                let members = process::processes_where(|info| self.groups.contains(&info.group));
                process::with_descendants(&members, &[])
            }
        }
    }

    /// Stops every process left by hooks (TERM, a grace period, then KILL, repeated for what
    /// they started meanwhile); returns their ids.
    pub(crate) fn stop_processes(&mut self) -> Vec<u32> {
        let mut stopped: Vec<u32> = Vec::new();
        for _ in 0..5 {
            let running = self.running_processes();
            if running.is_empty() {
                break;
            }
            process::stop_processes(&running);
            stopped.extend(running);
        }
        stopped.sort_unstable();
        stopped.dedup();
        stopped
    }

    /// Ends the sandbox. In namespace mode the keeper is killed, and with it every process
    /// left in its PID namespace; with `keep_running` it is told to stay while processes
    /// remain, and recorded so that the next run adopts it.
    pub(crate) fn close(mut self, keep_running: bool) {
        let Some(mut keeper) = self.keeper.take() else {
            return;
        };
        let record = self.dir.join(KEEPER_FILE);
        if keep_running {
            if let Some(stdin) = keeper.stdin.as_mut() {
                let _ = stdin.write_all(b"keep\n").and_then(|()| stdin.flush());
            }
            keeper.stdin = None;
            release_holder(&mut keeper);
            let _ = std::fs::write(
                &record,
                format!("{} {}\n", keeper.pid, u8::from(keeper.user_namespace)),
            );
            // The `unshare` process stays this process's child until this process exits.
            keeper.child = None;
            return;
        }
        let _ = std::fs::remove_file(&record);
        end_keeper(&mut keeper);
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(keeper) = self.keeper.as_mut() {
            end_keeper(keeper);
        }
    }
}

/// Kills the keeper (PID 1 of its namespace, so the kernel kills everything inside) and waits
/// for `unshare`.
fn end_keeper(keeper: &mut Keeper) {
    keeper.stdin = None;
    release_holder(keeper);
    process::signal("KILL", &[i64::from(keeper.pid)]);
    if let Some(child) = keeper.child.as_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let deadline = Instant::now() + process::GRACE;
    while process::is_alive(keeper.pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Ends the holder of an adopted keeper (end of file on its stdin, then a kill for good
/// measure) and reaps `nsenter`.
fn release_holder(keeper: &mut Keeper) {
    if let Some(mut holder) = keeper.holder.take() {
        drop(holder.stdin.take());
        let deadline = Instant::now() + process::GRACE;
        while matches!(holder.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = holder.kill();
        let _ = holder.wait();
    }
}

impl Keeper {
    /// `nsenter` into the keeper's PID namespace, mount namespace and root (and user
    /// namespace, if any). `nsenter` forks: the command runs inside, as its child.
    fn enter(&self) -> Command {
        let mut command = Command::new("nsenter");
        command.arg("-t").arg(self.pid.to_string());
        if self.user_namespace {
            command.args(["-U", "--preserve-credentials"]);
        }
        command.args(["-m", "-p", "-r"]);
        command
    }
}

/// `path` (an instance path) under `root`, resolved component by component: `..` never climbs
/// above `root`, and symbolic links are read and followed inside `root` (an absolute target
/// starts again at `root`), as the kernel does under `chroot`. The result has no link after
/// `root` (the last component excepted when `follow_last` is false). A chain of more than 40
/// links resolves to a path inside `root` that does not exist.
pub(crate) fn resolve_in_root(root: &Path, path: &str, follow_last: bool) -> PathBuf {
    let mut resolved: Vec<OsString> = Vec::new();
    let mut pending: std::collections::VecDeque<OsString> = split(path.as_ref()).into();
    let mut links = 0;
    while let Some(part) = pending.pop_front() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        let candidate = resolved
            .iter()
            .fold(root.to_path_buf(), |path, part| path.join(part))
            .join(&part);
        let follow = follow_last || !pending.is_empty();
        if follow
            && std::fs::symlink_metadata(&candidate).is_ok_and(|meta| meta.file_type().is_symlink())
        {
            links += 1;
            let Ok(target) = std::fs::read_link(&candidate) else {
                return root.join(".pipec-unreadable-link");
            };
            if links > 40 {
                return root.join(".pipec-too-many-links");
            }
            if target.is_absolute() {
                resolved.clear();
            }
            for (index, target_part) in split(&target).into_iter().enumerate() {
                pending.insert(index, target_part);
            }
            continue;
        }
        resolved.push(part);
    }
    resolved
        .iter()
        .fold(root.to_path_buf(), |path, part| path.join(part))
}

/// The normal components of `path` and its `..`s, in order (`.` and empty ones dropped).
fn split(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|component| match component {
            std::path::Component::Normal(part) => Some(part.to_os_string()),
            std::path::Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// Sets the execute bits, as the agent does for a script that lacks them.
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(metadata) = std::fs::metadata(path) {
        let mode = metadata.permissions().mode();
        if mode & 0o111 == 0 {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o755));
        }
    }
}

/// The keeper's setup script, run by `unshare` as PID 1 of the new namespaces. Paths arrive as
/// positional parameters, never as shell text. It prints its process id on the host (read from
/// the host's `/proc` before the new one is mounted) and then, from inside the chroot, `ready`.
const KEEPER_SCRIPT: &str = r#"set -e
read -r keeper_pid _ < /proc/self/stat
# `volatile`: no sync of the whole upper file system when the namespace ends (that can take
# seconds on a busy disk); the instance's files only need to survive runs, not a host crash.
# It leaves work/incompat/volatile behind, which refuses the next mount: no mount uses this
# work directory now (a live keeper would have been adopted), so it is removed first.
rm -rf "$2/work/incompat"
mount -t overlay overlay -o "lowerdir=/,upperdir=$1,workdir=$2,volatile" "$3" 2>/dev/null ||
  mount -t overlay overlay -o "lowerdir=/,upperdir=$1,workdir=$2" "$3"
mount -t proc -o nosuid,nodev,noexec proc "$3/proc"
mount --rbind /dev "$3/dev"
if [ -d "$3/dev/shm" ]; then mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$3/dev/shm"; fi
mount --rbind /sys "$3/sys"
echo "$keeper_pid"
exec chroot "$3" /bin/sh -c "$4"
"#;

/// What the keeper runs inside the chroot: it waits for a line from this process. End of file
/// (this process ended or closed the pipe) ends it, and with it the namespace; `keep` makes it
/// stay while other processes remain in the namespace.
const KEEPER_LOOP: &str = r#"echo ready
if read -r line && [ "$line" = keep ]; then
  while :; do
    n=0
    for entry in /proc/[0-9]*; do n=$((n + 1)); done
    [ "$n" -gt 1 ] || exit 0
    sleep 1.999
  done
fi
"#;

/// What the holder of an adopted keeper runs: it waits for end of file on its stdin.
const HOLDER_SCRIPT: &str = "read -r _ || :";

/// The holder's `$0`, which tells it from the hooks' processes.
const HOLDER_NAME: &str = "pipec-keeper-holder";

/// True for the `sleep` of a lingering keeper's loop ([`KEEPER_LOOP`]) and for the holder of an
/// adopted keeper: the sandbox's own processes, not the hooks'.
fn is_keeper_pause(pid: u32) -> bool {
    std::fs::read(Path::new("/proc").join(pid.to_string()).join("cmdline")).is_ok_and(|cmdline| {
        cmdline == b"sleep\x001.999\x00"
            || cmdline == format!("sh\0-c\0{HOLDER_SCRIPT}\0{HOLDER_NAME}\0").as_bytes()
    })
}

fn start_keeper(dir: &Path, root: &Path) -> Result<Keeper, String> {
    let overlay = dir.join(".overlay");
    let work = overlay.join("work");
    let merged = overlay.join("merged");
    for path in [&work, &merged] {
        std::fs::create_dir_all(path)
            .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
    }
    let work = std::fs::canonicalize(&work).map_err(|error| error.to_string())?;
    let merged = std::fs::canonicalize(&merged).map_err(|error| error.to_string())?;
    for path in [root, &work, &merged] {
        if path.to_string_lossy().contains([',', ':', '\\']) {
            return Err(format!(
                "the path {} cannot be an overlay option",
                path.display()
            ));
        }
    }
    let mut command = Command::new("unshare");
    command.args(["--mount", "--pid", "--propagation", "private", "--fork"]);
    let user_namespace = !is_root();
    if user_namespace {
        command.arg("--map-root-user");
    }
    command
        .args(["--", "sh", "-c", KEEPER_SCRIPT, "pipec-keeper"])
        .arg(root)
        .arg(&work)
        .arg(&merged)
        .arg(KEEPER_LOOP);
    // Its own process group: a Ctrl-C on the terminal reaches this process, which then ends
    // the run in order, and not the keeper behind its back.
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command
        .spawn()
        .map_err(|error| format!("cannot run `unshare`: {error}"))?;
    let stdin = child.stdin.take();
    let mut line = String::new();
    let mut ready = String::new();
    if let Some(stdout) = child.stdout.take() {
        let mut reader = BufReader::new(stdout);
        let _ = reader.read_line(&mut line);
        // The second line comes from inside the chroot: the keeper's root is in place.
        let _ = reader.read_line(&mut ready);
    }
    let pid = line
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|_| ready.trim() == "ready");
    let Some(pid) = pid else {
        let _ = child.kill();
        let mut reason = String::new();
        if let Some(stderr) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut reason);
        }
        let _ = child.wait();
        return Err(format!(
            "the mount and PID namespaces could not be set up: {}",
            reason.trim()
        ));
    };
    let mut keeper = Keeper {
        child: Some(child),
        user_namespace,
        stdin,
        pid,
        pid_namespace: String::new(),
        holder: None,
    };
    let namespaces = (
        process::pid_namespace(pid),
        process::mount_namespace(pid),
        process::pid_namespace(std::process::id()),
        process::mount_namespace(std::process::id()),
    );
    match namespaces {
        (Some(pid_ns), Some(mount_ns), Some(own_pid_ns), Some(own_mount_ns))
            if pid_ns != own_pid_ns && mount_ns != own_mount_ns =>
        {
            keeper.pid_namespace = pid_ns;
            Ok(keeper)
        }
        _ => {
            end_keeper(&mut keeper);
            Err("the keeper did not get its own mount and PID namespaces".to_owned())
        }
    }
}

/// The keeper an earlier run left running (`--keep-running`), when it still stands for this
/// instance: alive, in its own PID namespace, with this instance's overlay as its root.
fn adopt_keeper(dir: &Path) -> Option<Keeper> {
    let record = dir.join(KEEPER_FILE);
    let text = std::fs::read_to_string(&record).ok()?;
    let _ = std::fs::remove_file(&record);
    let mut fields = text.split_whitespace();
    let pid: u32 = fields.next()?.parse().ok()?;
    let user_namespace = fields.next() == Some("1");
    let merged = std::fs::canonicalize(dir.join(".overlay/merged")).ok()?;
    let root = std::fs::read_link(Path::new("/proc").join(pid.to_string()).join("root")).ok()?;
    let pid_namespace = process::pid_namespace(pid)?;
    let adoptable = root == merged
        && process::is_alive(pid)
        && Some(&pid_namespace) != process::pid_namespace(std::process::id()).as_ref();
    if !adoptable {
        return None;
    }
    let mut keeper = Keeper {
        child: None,
        user_namespace,
        stdin: None,
        pid,
        pid_namespace,
        holder: None,
    };
    let mut command = keeper.enter();
    command
        .args(["--wdns=/", "--", "sh", "-c", HOLDER_SCRIPT, HOLDER_NAME])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    keeper.holder = command.spawn().ok();
    // The keeper may have ended before the holder arrived (nothing was left in it).
    let holding = keeper.holder.is_some() && process::is_alive(pid);
    if !holding {
        end_keeper(&mut keeper);
        return None;
    }
    Some(keeper)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .map(|line| line.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

impl Instance {
    /// Runs `chown OWNER[:GROUP] PATH` for the instance path `path`: inside the instance in
    /// namespace mode (so user names resolve against the instance's `/etc/passwd`, and links
    /// against its root), on the path resolved under the sandbox root otherwise.
    pub(crate) fn chown(&self, owner_group: &str, path: &str) -> Result<(), String> {
        let mut command = match &self.keeper {
            Some(keeper) => {
                let mut command = keeper.enter();
                command.args(["--wdns=/", "--", "chown", "--", owner_group, path]);
                command
            }
            None => {
                let mut command = Command::new("chown");
                command.arg("--").arg(owner_group).arg(self.host_path(path));
                command
            }
        };
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|error| error.to_string())?;
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_in_root;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_resolve_inside_the_root() -> std::io::Result<()> {
        let temp = tempfile::tempdir()?;
        let root = temp.path().join("root");
        std::fs::create_dir_all(root.join("etc"))?;
        std::fs::create_dir_all(root.join("srv"))?;
        symlink("/etc", root.join("srv/abs"))?;
        symlink("../../../../etc", root.join("srv/rel"))?;
        symlink("loop", root.join("srv/loop"))?;
        symlink(temp.path(), root.join("srv/host"))?;
        assert_eq!(
            resolve_in_root(&root, "/srv/abs/x", true),
            root.join("etc/x")
        );
        assert_eq!(
            resolve_in_root(&root, "/srv/rel/x", true),
            root.join("etc/x")
        );
        assert_eq!(resolve_in_root(&root, "/srv/abs", true), root.join("etc"));
        assert_eq!(
            resolve_in_root(&root, "/srv/abs", false),
            root.join("srv/abs")
        );
        assert_eq!(resolve_in_root(&root, "/../../x", true), root.join("x"));
        assert!(resolve_in_root(&root, "/srv/loop/x", true).starts_with(&root));
        let host = resolve_in_root(&root, "/srv/host/root", true);
        assert!(host.starts_with(&root), "{}", host.display());
        Ok(())
    }
}
