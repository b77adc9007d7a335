//! The sandbox that stands for an EC2 instance: `WORKDIR/instances/<deploy>/root` holds every
//! file the deployments wrote, and persists between runs.
//!
//! **Namespace mode** (preferred): a keeper process is started with `unshare --mount` (adding
//! `--map-root-user` when not root). It mounts an overlay file system whose lower layer is the
//! host's `/` (read-only in effect) and whose upper layer is `root/`, binds `/proc`, `/dev`
//! and `/sys` into it, and `chroot`s into it. Hooks enter that namespace and root with
//! `nsenter`, so they see the real paths (`/var/www/app`, `/etc/...`) while every write lands
//! in `root/`. This process installs files through `/proc/<keeper>/root/...`, the keeper's view.
//! The keeper waits on a pipe from this process, so it ends when the run does.
//!
//! **Rewrite mode** (fallback): no namespace; instance paths are rewritten under `root/`
//! (`/var/www` → `root/var/www`) for everything this crate does, and hooks run on the host with
//! `PIPEC_INSTANCE_ROOT` set to `root/` and that as working directory.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
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
    /// A mount namespace with an overlay root; fail when unavailable.
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
    /// It could not be started (missing file, no interpreter).
    NotStarted,
}

struct Keeper {
    child: Child,
    /// Whether the namespace belongs to a new user namespace (`--map-root-user`).
    user_namespace: bool,
    /// Dropping it ends the keeper.
    stdin: Option<ChildStdin>,
    pid: u32,
    namespace: String,
}

/// One instance sandbox.
pub(crate) struct Instance {
    root: PathBuf,
    keeper: Option<Keeper>,
    groups: Vec<u32>,
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
        let mut instance = Instance {
            root,
            keeper: None,
            groups: Vec::new(),
        };
        if mode == SandboxMode::Rewrite {
            return Ok((instance, None));
        }
        match start_keeper(dir, &instance.root) {
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

    /// Where the instance path `path` (absolute) is, seen from this process.
    pub(crate) fn host_path(&self, path: &str) -> PathBuf {
        let relative = path.trim_start_matches('/');
        match &self.keeper {
            Some(keeper) => Path::new("/proc")
                .join(keeper.pid.to_string())
                .join("root")
                .join(relative),
            None => self.root.join(relative),
        }
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
                command
            }
        };
        command
            .envs(env.iter().map(|(name, value)| (name, value)))
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
                process::stop_group(child.id());
                let _ = child.wait();
                ScriptOutcome::TimedOut
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

    /// Processes started by hooks that are still running: in namespace mode every process inside
    /// the instance's mount namespace (daemons that called `setsid` included), otherwise the
    /// members of the hooks' process groups.
    pub(crate) fn running_processes(&self) -> Vec<u32> {
        // `unshare` itself moves into the namespace before forking the keeper: both are ours.
        let own: Vec<u32> = self
            .keeper
            .as_ref()
            .map(|keeper| vec![keeper.pid, keeper.child.id()])
            .unwrap_or_default();
        let namespace = self.keeper.as_ref().map(|keeper| keeper.namespace.clone());
        process::processes_where(|info| {
            !own.contains(&info.pid)
                && match &namespace {
                    Some(namespace) => {
                        process::mount_namespace(info.pid).as_ref() == Some(namespace)
                    }
                    None => self.groups.contains(&info.group),
                }
        })
    }

    /// Stops every process left by hooks (TERM, then KILL); returns their ids.
    pub(crate) fn stop_processes(&mut self) -> Vec<u32> {
        let running = self.running_processes();
        process::stop_processes(&running);
        running
    }

    /// Ends the keeper. Processes still inside the namespace (kept running) keep it alive.
    pub(crate) fn close(mut self) {
        if let Some(mut keeper) = self.keeper.take() {
            keeper.stdin = None;
            if process::wait_until(&mut keeper.child, Instant::now() + Duration::from_secs(3))
                .is_none()
            {
                let _ = keeper.child.kill();
                let _ = keeper.child.wait();
            }
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(keeper) = self.keeper.as_mut() {
            keeper.stdin = None;
            let _ = keeper.child.kill();
            let _ = keeper.child.wait();
        }
    }
}

impl Keeper {
    /// `nsenter` into the keeper's mount namespace and root (and user namespace, if any).
    fn enter(&self) -> Command {
        let mut command = Command::new("nsenter");
        command.arg("-t").arg(self.pid.to_string());
        if self.user_namespace {
            command.args(["-U", "--preserve-credentials"]);
        }
        command.args(["-m", "-r"]);
        command
    }
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

/// The keeper's setup script. Paths arrive as positional parameters, never as shell text.
const KEEPER_SCRIPT: &str = r#"set -e
mount -t overlay overlay -o "lowerdir=/,upperdir=$1,workdir=$2" "$3"
for d in proc dev sys; do mount --rbind "/$d" "$3/$d"; done
echo "$$"
exec chroot "$3" /bin/sh -c 'echo ready; read -r line || true'
"#;

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
    command.args(["--mount", "--propagation", "private", "--fork"]);
    let user_namespace = !is_root();
    if user_namespace {
        command.arg("--map-root-user");
    }
    command
        .args(["--", "sh", "-c", KEEPER_SCRIPT, "pipec-keeper"])
        .arg(root)
        .arg(&work)
        .arg(&merged);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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
            "the mount namespace could not be set up: {}",
            reason.trim()
        ));
    };
    let namespace = process::mount_namespace(pid).ok_or("the keeper process vanished")?;
    if process::mount_namespace(std::process::id()).as_ref() == Some(&namespace) {
        return Err("the keeper did not get its own mount namespace".to_owned());
    }
    Ok(Keeper {
        child,
        user_namespace,
        stdin,
        pid,
        namespace,
    })
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
    /// namespace mode (so user names resolve against the instance's `/etc/passwd`), on the
    /// rewritten path otherwise.
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
