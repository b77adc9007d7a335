//! `pipec run --local` end to end: the real `pipec` binary runs the examples (copied into a
//! temporary directory, so the work directory `.pipec/run` lands there too) on this machine.
//! The printed report is snapshotted with durations, sandbox mode and ports masked.
//!
//! The binary is `target/debug/pipec` (or `$CARGO_TARGET_DIR/debug/pipec`). Cargo does not build
//! the binaries of dependencies, so run `cargo build -p pipec-cli` (or `cargo test --workspace`)
//! first; a missing or stale binary fails the tests with that advice.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use pipec_tests::repo_root;

/// The `pipec` binary, checked to exist and to be newer than the compiler's sources and the
/// standard library (which it embeds).
fn pipec() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from);
    let binary = target.join("debug").join("pipec");
    let built = std::fs::metadata(&binary)
        .and_then(|metadata| metadata.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is missing: run `cargo build -p pipec-cli` before these tests",
                binary.display()
            )
        });
    let newest = [repo_root().join("compiler"), repo_root().join("stdlib")]
        .iter()
        .filter_map(|dir| newest_source(dir))
        .max();
    if let Some((modified, path)) = newest {
        assert!(
            modified <= built,
            "{} is older than {}: run `cargo build -p pipec-cli` before these tests",
            binary.display(),
            path.display()
        );
    }
    binary
}

/// The most recently modified `.rs`/`.pipe`/`.toml` file under `dir` (skipping `target`).
fn newest_source(dir: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.filter_map(Result::ok) {
        let path = entry.path();
        let candidate = if path.is_dir() {
            if path.ends_with("target") {
                continue;
            }
            newest_source(&path)
        } else if path
            .extension()
            .is_some_and(|ext| ext == "rs" || ext == "pipe" || ext == "toml")
        {
            entry
                .metadata()
                .and_then(|metadata| metadata.modified())
                .ok()
                .map(|modified| (modified, path))
        } else {
            None
        };
        if let Some(candidate) = candidate {
            if newest.as_ref().is_none_or(|best| candidate.0 > best.0) {
                newest = Some(candidate);
            }
        }
    }
    newest
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Copies `examples/<name>` into `into/<name>`, without build products or work directories.
fn copy_example(name: &str, into: &Path) -> PathBuf {
    let target = into.join(name);
    copy_dir(&repo_root().join("examples").join(name), &target);
    target
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the example") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if [".pipec", "node_modules", "dist", "public"]
            .iter()
            .any(|skipped| name == *skipped)
        {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy a file");
        }
    }
}

/// Runs `pipec ARGS` in `cwd`. npm's cache and logs (builds inherit this environment) go to
/// `cwd` too, so nothing is written outside the temporary directory.
fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(pipec())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("npm_config_cache", cwd.join(".npm-cache"))
        .env("npm_config_update_notifier", "false")
        .output()
        .expect("run pipec")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The report with what changes between runs masked: durations, the sandbox mode and `port`.
fn masked(report: &str, port: Option<u16>) -> String {
    let mut out = mask_durations(report);
    for mode in ["mount namespace", "rewritten paths"] {
        out = out.replace(&format!("(sandbox: {mode})"), "(sandbox: [MODE])");
    }
    if let Some(port) = port {
        out = out.replace(&port.to_string(), "[PORT]");
    }
    out
}

/// `(1.23s)` → `(X.XXs)`.
fn mask_durations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let digits = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        let number = &after[..digits];
        if number.contains('.') && after[digits..].starts_with("s)") {
            out.push_str("(X.XXs)");
            rest = &after[digits + 2..];
        } else {
            out.push('(');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn snapshot(name: &str, value: &str) {
    insta::with_settings!({ snapshot_path => repo_root().join("tests/snapshots/run_cli"), prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, value);
    });
}

/// The step names of deploy `web`, in the order they were printed.
fn deploy_steps(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .skip_while(|line| *line != "deploy web")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect()
}

fn steps(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(name, status)| ((*name).to_owned(), (*status).to_owned()))
        .collect()
}

fn run_seed(dir: &Path, port: u16) -> Output {
    let var = format!("port={port}");
    run(
        dir,
        &[
            "run",
            "--local",
            "seed-ec2/pipeline.pipe",
            "--var",
            var.as_str(),
        ],
    )
}

#[test]
fn seed_example_runs_end_to_end() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_example("seed-ec2", temp.path());
    let port = free_port();
    let output = run_seed(temp.path(), port);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
    assert_eq!(
        deploy_steps(&stdout),
        steps(&[
            ("ApplicationStop", "skipped"),
            ("DownloadBundle", "ok"),
            ("BeforeInstall", "ok"),
            ("Install", "ok"),
            ("AfterInstall", "ok"),
            ("ApplicationStart", "ok"),
            ("ValidateService", "ok"),
        ])
    );
    let workdir = temp.path().join("seed-ec2/.pipec/run");
    for log in [
        "logs/build-app/INSTALL.log",
        "logs/build-app/BUILD.log",
        "logs/deploy-web/ValidateService.log",
        "build-output/manifest.json",
    ] {
        assert!(workdir.join(log).is_file(), "{log} is missing");
    }
    let build_log =
        std::fs::read_to_string(workdir.join("logs/build-app/BUILD.log")).expect("the BUILD log");
    assert!(build_log.contains("ok /health"), "{build_log}");
    assert!(
        !listening(port),
        "the server still listens on {port} after the run"
    );
    snapshot("seed_ec2_first_run", &masked(&stdout, Some(port)));
}

#[test]
fn seed_example_second_run_stops_the_first_revision() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_example("seed-ec2", temp.path());
    let port = free_port();
    let first = run_seed(temp.path(), port);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stdout));
    let second = run_seed(temp.path(), port);
    let stdout = text(&second.stdout);
    assert_eq!(
        second.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&second.stderr)
    );
    assert_eq!(
        deploy_steps(&stdout).first(),
        Some(&("ApplicationStop".to_owned(), "ok".to_owned())),
        "{stdout}"
    );
    assert!(stdout.contains("stop of the previous revision"), "{stdout}");
    assert!(!listening(port));
    snapshot("seed_ec2_second_run", &masked(&stdout, Some(port)));
}

#[test]
fn seed_example_keep_running_leaves_the_server_up_until_the_next_run() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_example("seed-ec2", temp.path());
    let port = free_port();
    let var = format!("port={port}");
    let kept = run(
        temp.path(),
        &[
            "run",
            "--local",
            "seed-ec2/pipeline.pipe",
            "--var",
            var.as_str(),
            "--keep-running",
        ],
    );
    let stdout = text(&kept.stdout);
    assert_eq!(kept.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("left running (--keep-running)"), "{stdout}");
    assert!(listening(port), "--keep-running stopped the server");
    // The next run's ApplicationStop stops it (and its own server is stopped at the end).
    let next = run_seed(temp.path(), port);
    assert_eq!(next.status.code(), Some(0), "{}", text(&next.stdout));
    assert!(!listening(port));
}

#[test]
fn s3_site_runs_locally() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_example("seed-s3-site", temp.path());
    let output = run(
        temp.path(),
        &["run", "--local", "seed-s3-site/pipeline.pipe"],
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
    let site = temp.path().join("seed-s3-site/.pipec/run/sites/web");
    let index = std::fs::read_to_string(site.join("index.html")).expect("index.html");
    assert!(index.starts_with("<!doctype html>"), "{index}");
    assert!(site.join("404.html").is_file());
    snapshot("seed_s3_site", &masked(&stdout, None));
}

#[test]
fn failing_hook_is_reported_at_its_pipe_line() {
    let temp = tempfile::tempdir().expect("tempdir");
    let example = copy_example("seed-ec2", temp.path());
    let pipe = example.join("pipeline.pipe");
    let original = std::fs::read_to_string(&pipe).expect("read the example");
    let broken = original.replace(
        "    run \"rm -rf ${app_dir}/dist\"\n",
        "    run \"rm -rf ${app_dir}/dist\"\n    run \"exit 7\"\n",
    );
    assert_ne!(broken, original, "the example's BeforeInstall hook changed");
    std::fs::write(&pipe, &broken).expect("write the broken example");
    let hook_line = broken
        .lines()
        .position(|line| line.contains("hook before_install \"initialize\""))
        .expect("the hook")
        + 1;
    let port = free_port();
    let output = run_seed(temp.path(), port);
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(7),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let at = format!("[at seed-ec2/pipeline.pipe:{hook_line}]");
    assert!(
        stdout
            .lines()
            .any(|line| line.contains("BeforeInstall") && line.contains(&at)),
        "{stdout}"
    );
    assert!(stderr.contains("error[P7003]"), "{stderr}");
    assert!(
        stderr.contains(&format!("seed-ec2/pipeline.pipe:{hook_line}:")),
        "{stderr}"
    );
    assert!(!listening(port));
    snapshot(
        "seed_ec2_failing_hook",
        &masked(
            &format!("--- stdout ---\n{stdout}--- stderr ---\n{stderr}"),
            Some(port),
        ),
    );
}

#[test]
fn source_can_be_another_directory_or_a_git_ref() {
    let temp = tempfile::tempdir().expect("tempdir");
    // The pipeline alone in one directory, the application in another.
    let example = copy_example("seed-ec2", temp.path());
    let pipe_dir = temp.path().join("pipe-only");
    std::fs::create_dir_all(&pipe_dir).expect("mkdir");
    std::fs::rename(
        example.join("pipeline.pipe"),
        pipe_dir.join("pipeline.pipe"),
    )
    .expect("move the pipeline");
    std::fs::rename(&example, temp.path().join("app")).expect("move the app");
    let port = free_port();
    let var = format!("port={port}");
    let args = |source: &'static str| {
        vec![
            "run".to_owned(),
            "--local".to_owned(),
            "pipe-only/pipeline.pipe".to_owned(),
            "--var".to_owned(),
            var.clone(),
            "--source".to_owned(),
            source.to_owned(),
        ]
    };
    let run_with = |source: &'static str| {
        let owned = args(source);
        let borrowed: Vec<&str> = owned.iter().map(String::as_str).collect();
        run(temp.path(), &borrowed)
    };

    let output = run_with("app");
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("DOWNLOAD_SOURCE    ok"), "{stdout}");
    assert!(stdout.contains("directory app ("), "{stdout}");
    assert!(!listening(port));

    // The same application as a git repository: the committed tree at a ref is built.
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(temp.path().join("app"))
            .env("GIT_AUTHOR_NAME", "pipec tests")
            .env("GIT_AUTHOR_EMAIL", "tests@pipec.invalid")
            .env("GIT_COMMITTER_NAME", "pipec tests")
            .env("GIT_COMMITTER_EMAIL", "tests@pipec.invalid")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", temp.path())
            .output()
            .expect("run git");
        assert!(
            status.status.success(),
            "git {args:?}: {}",
            text(&status.stderr)
        );
    };
    git(&["init", "--quiet", "--initial-branch=release"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "app"]);
    let output = run_with("app@release");
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("git app @ release ("), "{stdout}");
    assert!(!listening(port));

    // Anything that is not local is refused before a build starts.
    let output = run_with("https://example.com/app.git@main");
    let stderr = text(&output.stderr);
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr.contains("error[P7006]"), "{stderr}");
    snapshot(
        "remote_source_refused",
        &masked(
            &format!(
                "--- stdout ---\n{}--- stderr ---\n{stderr}",
                text(&output.stdout)
            ),
            Some(port),
        ),
    );
}

#[test]
fn run_without_local_is_a_usage_error() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_example("seed-s3-site", temp.path());
    let output = run(temp.path(), &["run", "seed-s3-site/pipeline.pipe"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("only local runs exist"), "{stderr}");
    assert!(!temp.path().join("seed-s3-site/.pipec").exists());
}

// Issue 9: the work directory, the sandbox and the processes of a run. Each test keeps a canary
// on the host (files outside the sandbox, a process, `/dev/shm`) and checks it afterwards.

/// Copies `tests/fixtures/run/<name>` into `into/<name>`.
fn copy_fixture(name: &str, into: &Path) -> PathBuf {
    let target = into.join(name);
    copy_dir(&repo_root().join("tests/fixtures/run").join(name), &target);
    target
}

/// A number for `sleep NUMBER` that no other test and no earlier run uses.
fn unique_marker() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    format!(
        "{}",
        700_000 + (std::process::id() % 1000) * 100 + nanos % 97
    )
}

/// Live (not zombie) processes with `marker` as one of their arguments.
fn processes_with_argument(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|byte| byte.is_ascii_digit()) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| {
                stat.rsplit_once(')')
                    .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if !zombie
            && cmdline
                .split(|byte| *byte == 0)
                .any(|argument| argument == marker.as_bytes())
        {
            found.push(format!("{name}: {}", text(&cmdline).replace('\0', " ")));
        }
    }
    found
}

/// Stops what a failing test left behind, so that one failure does not leak processes.
fn kill_leftovers(marker: &str) {
    for line in processes_with_argument(marker) {
        if let Some((pid, _)) = line.split_once(':') {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
    }
}

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn hooks_cannot_reach_the_host_from_the_namespace_sandbox() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_fixture("hostile", temp.path());
    // The canary: what the hooks aim at through links, `/proc/*/root` and `/dev/shm`.
    let canary = temp.path().join("canary");
    std::fs::create_dir_all(canary.join("dir/pipeline.pipe")).expect("mkdir");
    std::fs::write(canary.join("dir/index.html"), "host\n").expect("write");
    std::fs::write(canary.join("dir/pipeline.pipe/keep.txt"), "keep\n").expect("write");
    std::fs::write(canary.join("file.txt"), "secret\n").expect("write");
    std::fs::set_permissions(
        canary.join("file.txt"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod");
    let mut victim = Command::new("sleep").arg("600").spawn().expect("sleep");
    let marker = unique_marker();
    let shm = PathBuf::from(format!("/dev/shm/pipec-canary-{marker}"));
    let vars = [
        format!("canary={}", canary.display()),
        format!("marker={marker}"),
        format!("victim={}", victim.id()),
    ];
    let output = run(
        temp.path(),
        &[
            "run",
            "--local",
            "hostile/pipeline.pipe",
            "--sandbox",
            "namespace",
            "--var",
            &vars[0],
            "--var",
            &vars[1],
            "--var",
            &vars[2],
        ],
    );
    let leftovers = processes_with_argument(&marker);
    kill_leftovers(&marker);
    let victim_alive = victim.try_wait().expect("try_wait").is_none();
    let _ = victim.kill();
    let _ = victim.wait();
    let shm_written = shm.exists();
    let _ = std::fs::remove_file(&shm);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
    // Install and permissions followed the hook's links inside the sandbox, not to the host.
    let mut files: Vec<String> = walk_names(&canary);
    files.sort();
    assert_eq!(
        files,
        [
            "dir",
            "dir/index.html",
            "dir/pipeline.pipe",
            "dir/pipeline.pipe/keep.txt",
            "file.txt"
        ],
        "the hooks changed the host"
    );
    assert_eq!(
        std::fs::read_to_string(canary.join("dir/index.html")).expect("read"),
        "host\n"
    );
    assert_eq!(mode_of(&canary.join("file.txt")), 0o600);
    // The files did land: in the instance, under the link's target.
    let instance = temp
        .path()
        .join("hostile/.pipec/run/instances/web/root")
        .join(canary.strip_prefix("/").expect("absolute"));
    assert!(instance.join("dir/index.html").is_file());
    // A PID namespace of its own: no process of the host is visible or can be signalled.
    assert!(victim_alive, "a hook killed a host process");
    let seen = std::fs::read_to_string(
        temp.path()
            .join("hostile/.pipec/run/instances/web/root/tmp/processes.txt"),
    )
    .expect("the hook's process list");
    assert!(
        seen.lines().count() <= 4,
        "hooks see processes outside the sandbox:\n{seen}"
    );
    assert!(!shm_written, "/dev/shm of the host was written");
    assert!(leftovers.is_empty(), "left running: {leftovers:?}");
    assert!(stdout.contains("stopped 3 process(es)"), "{stdout}");
    snapshot("hostile_namespace", &masked(&stdout, None));
}

/// Paths below `dir`, relative, directories included.
fn walk_names(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        names.push(name.clone());
        if path.is_dir() && !path.is_symlink() {
            names.extend(
                walk_names(&path)
                    .into_iter()
                    .map(|inner| format!("{name}/{inner}")),
            );
        }
    }
    names
}

fn run_linger(dir: &Path, marker: &str, sandbox: &str) -> Output {
    let var = format!("marker={marker}");
    run(
        dir,
        &[
            "run",
            "--local",
            "linger/pipeline.pipe",
            "--sandbox",
            sandbox,
            "--var",
            &var,
        ],
    )
}

#[test]
fn no_process_outlives_a_run_in_either_sandbox_mode() {
    for sandbox in ["namespace", "rewrite"] {
        let temp = tempfile::tempdir().expect("tempdir");
        copy_fixture("linger", temp.path());
        let marker = unique_marker();
        let output = run_linger(temp.path(), &marker, sandbox);
        let leftovers = processes_with_argument(&marker);
        kill_leftovers(&marker);
        let stdout = text(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{sandbox}: stdout:\n{stdout}\nstderr:\n{}",
            text(&output.stderr)
        );
        assert!(
            leftovers.is_empty(),
            "{sandbox}: left running: {leftovers:?}\n{stdout}"
        );
        assert!(stdout.contains("cleanup web"), "{stdout}");
    }
}

/// Starts the `linger` fixture with a long ApplicationStart, sends `signal` to `pipec` once the
/// hook runs, and returns the output.
fn interrupt_linger(dir: &Path, marker: &str, sandbox: &str, signal: &str) -> Output {
    let var = format!("marker={marker}");
    let mut child = Command::new(pipec())
        .args([
            "run",
            "--local",
            "linger/pipeline.pipe",
            "--sandbox",
            sandbox,
            "--var",
            &var,
            "--var",
            "hold=300",
        ])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start pipec");
    let log = dir.join("linger/.pipec/run/logs/deploy-web/ApplicationStart.log");
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&log).is_ok_and(|log| log.contains("started")) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "ApplicationStart never started"
        );
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "pipec ended early"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(sent.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().expect("try_wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            kill_leftovers(marker);
            panic!("pipec did not end within 30 s of SIG{signal}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn sigint_mid_hook_stops_every_process_and_prints_the_summary() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_fixture("linger", temp.path());
    let marker = unique_marker();
    let output = interrupt_linger(temp.path(), &marker, "namespace", "INT");
    let leftovers = processes_with_argument(&marker);
    kill_leftovers(&marker);
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(130),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(leftovers.is_empty(), "left running: {leftovers:?}");
    assert!(stdout.contains("run INTERRUPTED by SIGINT"), "{stdout}");
    assert!(stderr.contains("error[P7013]"), "{stderr}");
    snapshot(
        "linger_sigint",
        &masked(
            &format!("--- stdout ---\n{stdout}--- stderr ---\n{stderr}"),
            None,
        ),
    );
}

#[test]
fn sigterm_mid_hook_in_rewrite_mode_stops_every_process() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_fixture("linger", temp.path());
    let marker = unique_marker();
    let output = interrupt_linger(temp.path(), &marker, "rewrite", "TERM");
    let leftovers = processes_with_argument(&marker);
    kill_leftovers(&marker);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(143),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
    assert!(leftovers.is_empty(), "left running: {leftovers:?}");
    assert!(stdout.contains("run INTERRUPTED by SIGTERM"), "{stdout}");
}

#[test]
fn workdir_overlapping_the_source_is_refused_before_anything_is_touched() {
    let temp = tempfile::tempdir().expect("tempdir");
    let source = copy_fixture("linger", temp.path());
    // The user's own folders with the names a run deletes.
    for folder in ["source", "builds", "logs", "artifacts"] {
        std::fs::create_dir_all(source.join(folder)).expect("mkdir");
        std::fs::write(source.join(folder).join("keep.txt"), "mine\n").expect("write");
    }
    std::os::unix::fs::symlink("linger", temp.path().join("alias")).expect("symlink");
    let before = {
        let mut names = walk_names(temp.path());
        names.sort();
        names
    };
    let mut first_stderr = String::new();
    for workdir in ["linger", ".", "linger/out", "alias", "linger/../alias/logs"] {
        let output = run(
            temp.path(),
            &[
                "run",
                "--local",
                "linger/pipeline.pipe",
                "--workdir",
                workdir,
            ],
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{workdir}: {stderr}");
        assert!(stderr.contains("error[P7011]"), "{workdir}: {stderr}");
        if first_stderr.is_empty() {
            first_stderr = stderr;
        }
    }
    let mut after = walk_names(temp.path());
    after.sort();
    assert_eq!(before, after, "a refused run changed files");
    let root = temp.path().canonicalize().expect("canonical");
    snapshot(
        "workdir_is_the_source",
        &first_stderr.replace(&root.display().to_string(), "[TMP]"),
    );
}

#[test]
fn workdir_not_made_by_pipec_is_refused_and_kept() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_fixture("linger", temp.path());
    let mine = temp.path().join("mine");
    std::fs::create_dir_all(mine.join("logs")).expect("mkdir");
    std::fs::write(mine.join("logs/keep.txt"), "mine\n").expect("write");
    std::fs::write(mine.join("notes.txt"), "mine\n").expect("write");
    let output = run(
        temp.path(),
        &[
            "run",
            "--local",
            "linger/pipeline.pipe",
            "--workdir",
            "mine",
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error[P7012]"), "{stderr}");
    let mut names = walk_names(&mine);
    names.sort();
    assert_eq!(names, ["logs", "logs/keep.txt", "notes.txt"]);
    snapshot("workdir_not_pipecs", &stderr);

    // A new directory becomes pipec's, and a second run may use it.
    let marker = unique_marker();
    let var = format!("marker={marker}");
    for _ in 0..2 {
        let output = run(
            temp.path(),
            &[
                "run",
                "--local",
                "linger/pipeline.pipe",
                "--sandbox",
                "rewrite",
                "--var",
                &var,
                "--workdir",
                "fresh/run",
            ],
        );
        kill_leftovers(&marker);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    assert!(temp.path().join("fresh/run/.pipec-workdir").is_file());
}

#[test]
fn sigkill_of_pipec_still_ends_the_namespace_sandbox() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_fixture("linger", temp.path());
    let marker = unique_marker();
    // SIGKILL cannot be handled: the keeper notices that its pipe from `pipec` closed and
    // ends, and the kernel kills everything in its PID namespace.
    let output = interrupt_linger(temp.path(), &marker, "namespace", "KILL");
    assert_eq!(output.status.code(), None, "pipec was not killed");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let in_sandbox = || {
        processes_with_argument(&marker)
            .into_iter()
            .filter(|line| {
                let pid = line.split(':').next().unwrap_or_default();
                std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|status| {
                    status.lines().any(|line| {
                        line.starts_with("NSpid:") && line.split_whitespace().count() > 2
                    })
                })
            })
            .collect::<Vec<_>>()
    };
    while !in_sandbox().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let left = in_sandbox();
    // The build's daemon ran outside any sandbox: only an orderly end stops it.
    kill_leftovers(&marker);
    assert!(left.is_empty(), "left running in the sandbox: {left:?}");
}

/// The bundle is written under `$CODEBUILD_SRC_DIR`: a `cd` in the build phase (one shell for
/// every phase) does not move `appspec.yml` and `scripts/` out of the artifact, and an
/// `exclude` of other shell scripts leaves them in. The hook checks what was deployed.
#[test]
fn bundle_survives_a_cd_in_the_build_and_an_exclude() {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_fixture("bundle-cd", temp.path());
    let output = run(temp.path(), &["run", "--local", "bundle-cd/pipeline.pipe"]);
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let artifact = temp.path().join("bundle-cd/.pipec/run/artifacts/app");
    assert!(artifact.join("appspec.yml").is_file());
    assert!(artifact.join("scripts/AfterInstall-check.sh").is_file());
    assert!(!artifact.join("sub/appspec.yml").exists());
    assert!(!artifact.join("src/tool.sh").exists());
    assert_eq!(
        deploy_steps(&stdout)
            .iter()
            .find(|(name, _)| name == "AfterInstall")
            .map(|(_, status)| status.as_str()),
        Some("ok"),
        "{stdout}"
    );

    // `**/*.sh` would drop the hook scripts: refused before anything runs.
    let pipe = temp.path().join("bundle-cd/pipeline.pipe");
    let original = std::fs::read_to_string(&pipe).expect("read the fixture");
    let broad = original.replace("\"src/**/*.sh\"", "\"**/*.sh\"");
    assert_ne!(broad, original);
    std::fs::write(&pipe, broad).expect("write the fixture");
    let output = run(temp.path(), &["run", "--local", "bundle-cd/pipeline.pipe"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[P4008]"), "{stderr}");
    assert!(stderr.contains("scripts/AfterInstall-check.sh"), "{stderr}");
}

/// Hooks see only the software their instance has: `node` is hidden from an instance that
/// installs nothing (Amazon Linux 2023 ships no Node.js), in both sandbox modes, even though this
/// machine has it; `curl`, part of the image, stays. With `software = ["node"]` the hook passes.
#[test]
fn hooks_see_only_the_software_their_instance_installs() {
    let temp = tempfile::tempdir().expect("tempdir");
    let fixture = copy_fixture("software", temp.path());
    let pipe = fixture.join("pipeline.pipe");
    let original = std::fs::read_to_string(&pipe).expect("read the fixture");
    let hook_line = original
        .lines()
        .position(|line| line.contains("hook after_install \"version\""))
        .expect("the hook")
        + 1;
    for sandbox in ["namespace", "rewrite"] {
        let output = run(
            temp.path(),
            &[
                "run",
                "--local",
                "software/pipeline.pipe",
                "--sandbox",
                sandbox,
            ],
        );
        let stdout = text(&output.stdout);
        let stderr = text(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(127),
            "{sandbox}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        let at = format!("[at software/pipeline.pipe:{hook_line}]");
        assert!(
            stdout.lines().any(|line| line.contains("AfterInstall")
                && line.contains("exit 127")
                && line.contains(&at)),
            "{sandbox}: {stdout}"
        );
        assert_eq!(
            deploy_steps(&stdout)
                .iter()
                .find(|(name, _)| name == "BeforeInstall")
                .map(|(_, status)| status.as_str()),
            Some("ok"),
            "{sandbox}: curl is part of the image\n{stdout}"
        );
        assert!(stderr.contains("error[P7003]"), "{stderr}");
        assert!(
            stderr.contains(
                "node: command not found (instance web does not install `node`; add it to `software` or use a preset that needs it)"
            ),
            "{sandbox}: {stderr}"
        );
        if sandbox == "namespace" {
            snapshot(
                "software_not_installed",
                &masked(
                    &format!("--- stdout ---\n{stdout}--- stderr ---\n{stderr}"),
                    None,
                ),
            );
        }
    }
    // The build (CodeBuild's image, here this machine) still has node.
    assert!(fixture
        .join(".pipec/run/artifacts/app/node-version.txt")
        .is_file());

    let installed = original.replace("software = []", "software = [\"node\"]");
    assert_ne!(installed, original);
    std::fs::write(&pipe, installed).expect("write the fixture");
    let output = run(temp.path(), &["run", "--local", "software/pipeline.pipe"]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
}

/// `static.nginx` + `static.reload` + `static.health` on this machine's nginx (Debian's package,
/// laid out like Ubuntu's; installed by scripts/setup-test-packages.sh), inside the namespace
/// sandbox. The fixture's first hook recreates Ubuntu's or Amazon Linux 2023's default server on
/// the test's port; the last hook fails unless the site's own index is what answers.
#[test]
fn static_nginx_preset_serves_the_site_not_the_default_page() {
    assert!(
        ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .iter()
            .any(|path| Path::new(path).is_file()),
        "nginx is missing: run scripts/setup-test-packages.sh"
    );
    for layout in ["ubuntu", "al2023"] {
        serve_static_site(layout);
    }
}

fn serve_static_site(layout: &str) {
    let temp = tempfile::tempdir().expect("tempdir");
    copy_fixture("static-nginx", temp.path());
    let port = free_port();
    let var = format!("port={port}");
    let layout_var = format!("layout={layout}");
    let output = run(
        temp.path(),
        &[
            "run",
            "--local",
            "static-nginx/pipeline.pipe",
            "--sandbox",
            "namespace",
            "--var",
            var.as_str(),
            "--var",
            layout_var.as_str(),
        ],
    );
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{layout}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(
        deploy_steps(&stdout),
        steps(&[
            ("ApplicationStop", "skipped"),
            ("DownloadBundle", "ok"),
            ("BeforeInstall", "ok"),
            ("Install", "ok"),
            ("AfterInstall", "ok"),
            ("ApplicationStart", "ok"),
            ("ValidateService", "ok"),
            ("ValidateService", "ok"),
        ]),
        "{stdout}"
    );
    // The sandbox's nginx ended with the run; the host's configuration is untouched.
    assert!(!listening(port));
    let host_default =
        std::fs::read_to_string("/etc/nginx/sites-enabled/default").unwrap_or_default();
    assert!(!host_default.contains(&port.to_string()));
}
