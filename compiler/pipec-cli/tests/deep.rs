//! `pipec check --deep` with the `deep` feature (off by default and in CI):
//! `cargo test -p pipec-cli --features deep --ignore-rust-version --test deep`.
#![cfg(feature = "deep")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pipec(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipec"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pipec")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The exit code and every P5003 of `check --deep --format json` on `file`.
fn deep_findings(file: &str) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = pipec(&["check", "--deep", "--format", "json", file], &repo());
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let findings: Vec<serde_json::Value> = parsed
        .as_array()
        .expect("an array")
        .iter()
        .filter(|diagnostic| diagnostic["code"] == "P5003")
        .cloned()
        .collect();
    (out.status.code(), findings)
}

#[test]
fn the_examples_pass_deep_validation() {
    for file in [
        "examples/seed-ec2/pipeline.pipe",
        "examples/seed-s3-site/pipeline.pipe",
    ] {
        let (code, findings) = deep_findings(file);
        let errors: Vec<_> = findings
            .iter()
            .filter(|finding| finding["severity"] == "error")
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
        assert_eq!(code, Some(0), "{file}: {findings:#?}");
    }
}

#[test]
fn a_program_with_errors_is_not_validated() {
    let out = pipec(
        &[
            "check",
            "--deep",
            "tests/fixtures/diagnostics/P2003_unresolved_reference.pipe",
        ],
        &repo(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("P5003"));
}
