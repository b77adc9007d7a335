//! One bash session for all commands of a build, as buildspec 0.2 runs them: `cd` and `export`
//! persist across commands and phases.
//!
//! Protocol: bash reads its script from a pipe. Each user command is written to its own file
//! `cmd-NNNN.sh`, and the session is sent two lines of our own text: `. FILE` (with stdin from
//! `/dev/null`, output appended to the phase log, and fd 3 closed) and `printf "$?" >&3`. Fd 3
//! is a FIFO this process reads, so every command's exit status comes back on a channel of its
//! own, separate from the command's output. User text is never spliced into the shell's input;
//! paths are quoted with [`crate::shell::quote`].

use std::fs::File;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::process;
use crate::shell::quote;

/// How one command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CommandResult {
    /// It ran; its exit status.
    Exited(i32),
    /// The shell itself ended (the command ran `exit`, or bash died); its status.
    ShellEnded(i32),
    /// The build's deadline passed; the session was killed.
    TimedOut,
    /// The run was cancelled; the session was killed.
    Interrupted,
}

/// A running bash session.
pub(crate) struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    statuses: Receiver<i32>,
    control: PathBuf,
    fifo: PathBuf,
    counter: u32,
    ended: bool,
}

impl Session {
    /// Starts bash in `cwd` with exactly the environment `env`. `control` holds the FIFO and
    /// the command files; the shell's own output goes to `shell_log`.
    pub(crate) fn start(
        shell: &str,
        control: &Path,
        cwd: &Path,
        env: &[(String, String)],
        shell_log: &Path,
    ) -> std::io::Result<Session> {
        std::fs::create_dir_all(control)?;
        let fifo = control.join("status.fifo");
        let _ = std::fs::remove_file(&fifo);
        let made = Command::new("mkfifo")
            .arg(&fifo)
            .stdin(Stdio::null())
            .status()?;
        if !made.success() {
            return Err(std::io::Error::other("mkfifo failed"));
        }
        let log = File::options().create(true).append(true).open(shell_log)?;
        let mut command = Command::new(shell);
        if shell.ends_with("bash") {
            command.args(["--noprofile", "--norc"]);
        }
        command
            .current_dir(cwd)
            .env_clear()
            .envs(env.iter().map(|(name, value)| (name, value)))
            .env(process::RUN_ID_VARIABLE, process::run_id())
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .process_group(0);
        let mut child = command.spawn()?;
        let mut stdin = child.stdin.take();
        if let Some(input) = stdin.as_mut() {
            // Without the status channel nothing could be reported: end the session at once.
            writeln!(
                input,
                "exec 3>{} || exit 125",
                quote(&fifo.to_string_lossy())
            )?;
        }
        let (sender, statuses) = mpsc::channel();
        let reader_fifo = fifo.clone();
        std::thread::spawn(move || {
            let Ok(file) = File::open(&reader_fifo) else {
                return;
            };
            for line in BufReader::new(file).lines() {
                let Ok(line) = line else {
                    break;
                };
                if let Ok(code) = line.trim().parse::<i32>() {
                    if sender.send(code).is_err() {
                        break;
                    }
                }
            }
        });
        Ok(Session {
            child,
            stdin,
            statuses,
            control: control.to_path_buf(),
            fifo,
            counter: 0,
            ended: false,
        })
    }

    /// True once the shell has ended; later commands need a new session.
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }

    /// Runs one user command in the session, appending its output to `log`.
    pub(crate) fn run(
        &mut self,
        command_text: &str,
        log: &Path,
        deadline: Instant,
    ) -> CommandResult {
        self.counter += 1;
        let file = self.control.join(format!("cmd-{:04}.sh", self.counter));
        if std::fs::write(&file, format!("{command_text}\n")).is_err() {
            return CommandResult::Exited(126);
        }
        let line = format!(
            ". {} </dev/null >>{} 2>&1 3>&-\nprintf '%s\\n' \"$?\" >&3\n",
            quote(&file.to_string_lossy()),
            quote(&log.to_string_lossy())
        );
        let written = self.stdin.as_mut().is_some_and(|stdin| {
            stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.flush())
                .is_ok()
        });
        if !written {
            return self.shell_ended();
        }
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self
                .statuses
                .recv_timeout(remaining.min(Duration::from_millis(100)))
            {
                Ok(code) => return CommandResult::Exited(code),
                Err(RecvTimeoutError::Disconnected) => return self.shell_ended(),
                Err(RecvTimeoutError::Timeout) => {
                    if crate::process::cancelled().is_some() {
                        self.kill();
                        return CommandResult::Interrupted;
                    }
                    if let Ok(Some(_)) = self.child.try_wait() {
                        // A status sent just before the end still counts.
                        if let Ok(code) = self.statuses.recv_timeout(Duration::from_millis(50)) {
                            return CommandResult::Exited(code);
                        }
                        return self.shell_ended();
                    }
                    if remaining.is_zero() {
                        self.kill();
                        return CommandResult::TimedOut;
                    }
                }
            }
        }
    }

    /// Exports a variable into the session (our own text; the value is quoted).
    pub(crate) fn export(&mut self, name: &str, value: &str, deadline: Instant) -> CommandResult {
        let log = self.control.join("internal.log");
        self.run(&format!("export {name}={}", quote(value)), &log, deadline)
    }

    fn shell_ended(&mut self) -> CommandResult {
        self.ended = true;
        self.stdin = None;
        let status = process::wait_until(&mut self.child, Instant::now() + Duration::from_secs(5));
        CommandResult::ShellEnded(status.map_or(1, process::exit_code))
    }

    fn kill(&mut self) {
        self.ended = true;
        self.stdin = None;
        process::stop_group(self.child.id());
        let _ = self.child.wait();
    }

    /// Ends the session and everything it started in its process group.
    pub(crate) fn close(mut self) {
        self.stdin = None;
        if process::wait_until(&mut self.child, Instant::now() + Duration::from_secs(5)).is_none() {
            process::stop_group(self.child.id());
            let _ = self.child.wait();
        }
        // Background jobs of the build end with it, as the build container would.
        let group = self.child.id();
        if !process::processes_where(|info| info.group == group).is_empty() {
            process::stop_group(group);
        }
        // Unblocks the status reader if bash ended before opening the FIFO.
        unblock_reader(&self.fifo);
    }
}

/// Opens the FIFO for writing without blocking (fails harmlessly when nobody reads it).
fn unblock_reader(fifo: &Path) {
    use std::os::unix::fs::OpenOptionsExt as _;
    const O_NONBLOCK: i32 = 0o4000;
    let _ = File::options()
        .write(true)
        .custom_flags(O_NONBLOCK)
        .open(fifo);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Vec<(String, String)> {
        vec![("PATH".to_owned(), std::env::var("PATH").unwrap_or_default())]
    }

    #[test]
    fn state_persists_and_statuses_come_back() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("out.log");
        let mut session = Session::start(
            "bash",
            &dir.path().join("ctl"),
            dir.path(),
            &env(),
            &dir.path().join("shell.log"),
        )?;
        let deadline = Instant::now() + Duration::from_secs(20);
        assert_eq!(
            session.run("mkdir sub && cd sub", &log, deadline),
            CommandResult::Exited(0)
        );
        assert_eq!(
            session.run("export GREETING='it'\"'\"'s'", &log, deadline),
            CommandResult::Exited(0)
        );
        assert_eq!(
            session.run("echo \"$GREETING in $(basename \"$PWD\")\"", &log, deadline),
            CommandResult::Exited(0)
        );
        assert_eq!(
            session.run("(exit 3)", &log, deadline),
            CommandResult::Exited(3)
        );
        assert_eq!(
            session.run("read line", &log, deadline),
            CommandResult::Exited(1)
        );
        assert_eq!(
            session.run("echo \"read:$line\"", &log, deadline),
            CommandResult::Exited(0)
        );
        assert_eq!(
            session.run("exit 4", &log, deadline),
            CommandResult::ShellEnded(4)
        );
        assert!(session.ended());
        session.close();
        let output = std::fs::read_to_string(&log)?;
        assert_eq!(output, "it's in sub\nread:\n");
        Ok(())
    }

    #[test]
    fn deadline_kills_the_session() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("out.log");
        let mut session = Session::start(
            "bash",
            &dir.path().join("ctl"),
            dir.path(),
            &env(),
            &dir.path().join("shell.log"),
        )?;
        let started = Instant::now();
        assert_eq!(
            session.run("sleep 30", &log, started + Duration::from_millis(300)),
            CommandResult::TimedOut
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        session.close();
        Ok(())
    }
}
