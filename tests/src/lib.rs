//! Shared helpers of the end-to-end tests: the repository root, a loader rooted at a fixture
//! directory, and diagnostics rendered as the CLI prints them (without color).

use std::path::{Path, PathBuf};

pub mod generate;

use pipec_driver::{Checked, FileLoader};

/// The repository root.
#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Reads `use`d files relative to `base` (file names in the database stay relative, so that
/// snapshots do not depend on the machine).
pub struct DirLoader {
    /// Directory that relative names are resolved against.
    pub base: PathBuf,
}

impl FileLoader for DirLoader {
    fn load(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(self.base.join(path)).map_err(|_| "no such file".to_string())
    }
}

/// `// vars: a=b c=d` on the first line of a fixture sets `--var`s.
#[must_use]
pub fn fixture_vars(text: &str) -> Vec<(String, String)> {
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("// vars:"))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|pair| pair.split_once('='))
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the fixture `name` (relative to `base`).
///
/// # Panics
/// When the fixture cannot be read.
#[must_use]
pub fn check_fixture(base: &Path, name: &str) -> (String, Checked) {
    let text = std::fs::read_to_string(base.join(name))
        .unwrap_or_else(|error| panic!("read {name}: {error}"));
    let vars = fixture_vars(&text);
    let checked = pipec_driver::check(
        name,
        text.clone(),
        &DirLoader {
            base: base.to_path_buf(),
        },
        &vars,
    );
    (text, checked)
}

/// Diagnostics as `pipec check` prints them, without color.
#[must_use]
pub fn render(checked: &Checked) -> String {
    let mut buffer = termcolor::NoColor::new(Vec::new());
    let _ = pipec_diagnostics::render_human(&checked.db, checked.diagnostics(), &mut buffer);
    String::from_utf8_lossy(&buffer.into_inner()).into_owned()
}

/// The `pipec` binary of this build (`target/debug/pipec`, next to the test executable's
/// `deps/` directory). `cargo test --workspace` builds it; a lone `cargo test -p pipec-tests`
/// may not, hence the message.
///
/// # Panics
/// When the binary is missing.
#[must_use]
pub fn pipec_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map_or_else(|| repo_root().join("target/debug"), Path::to_path_buf);
    let binary = profile_dir.join(format!("pipec{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} does not exist: run `cargo build -p pipec-cli` (or `cargo test --workspace`) first",
        binary.display()
    );
    binary
}

/// A moto server on a loopback port (with the placeholder models of
/// `tests/moto/moto_with_placeholders.py`); killed on drop.
pub struct MotoServer {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test tools' virtualenv: `$PIPEC_VENV`, else `<repo>/.venv` (see
/// `scripts/setup-test-tools.sh`).
#[must_use]
pub fn test_venv() -> Option<PathBuf> {
    std::env::var_os("PIPEC_VENV")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo_root().join(".venv")])
        .find(|venv| venv.join("bin/moto_server").exists())
}

/// Starts moto on a free 127.0.0.1 port with dummy credentials and waits until it answers.
///
/// # Panics
/// When the venv is missing or moto does not start within 90 s (a loaded 2-core machine can
/// take more than 30 s to import moto).
#[must_use]
pub fn start_moto() -> MotoServer {
    let venv = test_venv().unwrap_or_else(|| {
        panic!("moto_server not found: run scripts/setup-test-tools.sh (or set PIPEC_VENV)")
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("no free port: {error}"));
    let child = std::process::Command::new(venv.join("bin/python"))
        .arg(repo_root().join("tests/moto/moto_with_placeholders.py"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start moto: {error}"));
    let server = MotoServer {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "moto did not start on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server
}

/// Replaces each run's variable parts of deploy output with placeholders: durations
/// (`in 1.5 s`), change set names (`pipec-<digits>`), ARNs, generated physical ids
/// (`…-artifactbucket-<suffix>`), loopback ports and `dir`.
#[must_use]
pub fn normalize_deploy_output(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "<tmp>");
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<String> = line
            .split(' ')
            .map(|word| {
                let bare = word.trim_matches(|c: char| "`(),.:".contains(c));
                let replacement = if bare.starts_with("arn:aws:") {
                    Some("<arn>")
                } else if bare.starts_with("pipec-")
                    && bare.len() > 12
                    && bare["pipec-".len()..].chars().all(|c| c.is_ascii_digit())
                {
                    Some("pipec-<id>")
                } else if bare.contains("-artifactbucket-") {
                    Some("<bucket>")
                } else if bare.starts_with("127.0.0.1") || bare.starts_with("http://127.0.0.1") {
                    Some("<endpoint>")
                } else {
                    None
                };
                match replacement {
                    Some(replacement) if !bare.is_empty() => word.replacen(bare, replacement, 1),
                    _ => word.to_string(),
                }
            })
            .collect();
        let mut line = words.join(" ");
        // `in 1.5 s` / `after 0.2 s`
        for marker in [" in ", " after "] {
            if let Some(start) = line.find(marker) {
                let rest = &line[start + marker.len()..];
                if let Some(end) = rest.find(" s") {
                    let number = &rest[..end];
                    if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.')
                    {
                        line = format!("{}{marker}<secs>{}", &line[..start], &rest[end..]);
                    }
                }
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The path of an external validator installed by `scripts/setup-test-tools.sh` (`$PIPEC_VENV`
/// or `<repo>/.venv`).
///
/// # Panics
/// When the tool is missing: the test must fail, telling how to install it.
#[must_use]
pub fn venv_tool(name: &str) -> PathBuf {
    let venv =
        std::env::var_os("PIPEC_VENV").map_or_else(|| repo_root().join(".venv"), PathBuf::from);
    let path = venv.join("bin").join(name);
    assert!(path.exists(), "{} is missing: run scripts/setup-test-tools.sh once (it installs the test tools into .venv)", path.display());
    path
}

/// What the `pipec` binary did: its exit code and its normalized output.
pub struct CliRun {
    /// Exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output, through [`normalize_deploy_output`].
    pub stdout: String,
    /// Standard error, through [`normalize_deploy_output`].
    pub stderr: String,
}

/// Runs the real `pipec` in `dir` against the emulator at `endpoint` (`us-east-1`), with dummy
/// credentials, no AWS variables of this machine's environment, empty AWS config files, and no
/// colour; its output is normalized with [`normalize_deploy_output`].
///
/// # Panics
/// When the binary cannot be run.
#[must_use]
pub fn pipec_against(dir: &Path, endpoint: &str, args: &[&str]) -> CliRun {
    let empty = dir.join("aws-empty");
    std::fs::write(&empty, "").unwrap_or_else(|error| panic!("write {}: {error}", empty.display()));
    let mut command = std::process::Command::new(pipec_binary());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            command.env_remove(key);
        }
    }
    let output = command
        .current_dir(dir)
        .args(args)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run pipec: {error}"));
    CliRun {
        code: output.status.code().unwrap_or(-1),
        stdout: normalize_deploy_output(&String::from_utf8_lossy(&output.stdout), dir),
        stderr: normalize_deploy_output(&String::from_utf8_lossy(&output.stderr), dir),
    }
}
