//! Runs `tests/lsp/` (pytest-lsp, a third-party LSP client announcing VS Code's and Neovim's
//! capabilities) against the server binary. The client lives in the project's `.venv`, made by
//! `scripts/setup-test-tools.sh`; without it this test fails and says so.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

#[test]
fn pytest_lsp_client_suite_passes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv/bin/python");
    let setup = "run `scripts/setup-test-tools.sh` once to install the test tools into .venv";
    assert!(python.exists(), "{} is missing: {setup}", python.display());
    let probe = Command::new(&python)
        .args(["-c", "import pytest_lsp"])
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "pytest-lsp is not installed in .venv: {setup}"
    );
    let output = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-c",
            "tests/lsp/pytest.ini",
            "tests/lsp",
        ])
        .current_dir(&root)
        .env("PIPEC_LSP", env!("CARGO_BIN_EXE_pipec-lsp"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "pytest-lsp failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" passed"), "pytest ran nothing:\n{stdout}");
}
