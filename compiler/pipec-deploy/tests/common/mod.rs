//! Shared test helpers: the fixture, diagnostics as plain text, and the moto server harness
//! (loopback only, dummy credentials, killed when the guard drops).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pipec_deploy::{Diagnostic, Manifest};

/// The fixture's template with `STACK` replaced (role and parameter names are account-global).
pub fn fixture(stack: &str) -> (String, Manifest) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small");
    let template = std::fs::read_to_string(dir.join("template.json"))
        .unwrap()
        .replace("STACK", stack);
    let mut manifest =
        Manifest::from_json(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    manifest.stack_name = stack.to_string();
    (template, manifest)
}

/// Diagnostics as the CLI would show them without source text (no labels here).
pub fn diagnostics_text(diagnostics: &[Diagnostic]) -> String {
    let db = pipec_span::SourceDb::default();
    let mut out = termcolor::NoColor::new(Vec::new());
    pipec_diagnostics::render_human(&db, diagnostics, &mut out).unwrap();
    String::from_utf8(out.into_inner()).unwrap()
}

/// A running moto server; killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_binary() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = std::env::var_os("PIPEC_VENV")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo.join(".venv")])
        .map(|venv| venv.join("bin/moto_server"));
    for candidate in candidates {
        if candidate.exists() {
            return candidate;
        }
    }
    panic!("moto_server not found: run scripts/setup-test-tools.sh (or set PIPEC_VENV)");
}

/// Sets the process environment the SDK reads: dummy static credentials, no IMDS, no user
/// config files. Call before any client exists (single-threaded moment of the test).
pub fn isolate_aws_environment() {
    let vars = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/pipec-test-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/pipec-test-credentials",
        ),
    ];
    for (key, value) in vars {
        std::env::set_var(key, value);
    }
    std::env::remove_var("AWS_PROFILE");
}

/// Starts moto on a free loopback port and waits until it answers.
pub fn start_moto() -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(moto_binary())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}
