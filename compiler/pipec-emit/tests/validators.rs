//! Runs the external validators on the emitted files of both sample programs: cfn-lint on the
//! template, yamllint (the repository's `.yamllint.yml`) on every YAML file, shellcheck on
//! every script and on the instance UserData. Needs `scripts/setup-test-tools.sh` to have
//! created `.venv`; fails (never skips) when it is missing.
// A test, not the crate: it writes the emitted files and runs the validators on them.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn tool(name: &str) -> PathBuf {
    let path = repo_root().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup-test-tools.sh once (it creates .venv with cfn-lint, yamllint and shellcheck)",
        path.display()
    );
    path
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {what}: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.trim().is_empty(),
        "{what} reported findings (status {}):\n{stdout}\n{stderr}",
        output.status
    );
}

fn write_all(program: &pipec_ir::Program) -> (tempfile::TempDir, Vec<PathBuf>, serde_json::Value) {
    let (artifacts, diags) = pipec_emit::emit(program);
    assert!(diags.is_empty(), "{diags:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut paths = Vec::new();
    for (path, bytes) in &artifacts.files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(&full, bytes).expect("write");
        paths.push(full);
    }
    (dir, paths, artifacts.template)
}

fn validate(program: &pipec_ir::Program) {
    let cfn_lint = tool("cfn-lint");
    let yamllint = tool("yamllint");
    let shellcheck = tool("shellcheck");
    let (dir, paths, template) = write_all(program);
    run(
        Command::new(&cfn_lint).arg(dir.path().join("template.json")),
        "cfn-lint template.json",
    );
    let config = repo_root().join(".yamllint.yml");
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
    {
        run(
            Command::new(&yamllint)
                .arg("-c")
                .arg(&config)
                .arg("-f")
                .arg("parsable")
                .arg(path),
            &format!("yamllint {}", path.display()),
        );
    }
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
    {
        run(
            Command::new(&shellcheck).arg(path),
            &format!("shellcheck {}", path.display()),
        );
    }
    // UserData is an Fn::Sub template; check it as the instance will see it.
    let resources = template["Resources"].as_object().expect("resources");
    for (id, resource) in resources {
        if let Some(script) = resource["Properties"]["UserData"]["Fn::Base64"]["Fn::Sub"].as_str() {
            let script = script
                .replace("${AWS::Region}", "eu-west-1")
                .replace("${AWS::URLSuffix}", "amazonaws.com");
            let path = dir.path().join(format!("{id}-userdata.sh"));
            std::fs::write(&path, script).expect("write");
            run(
                Command::new(&shellcheck).arg(&path),
                &format!("shellcheck UserData of {id}"),
            );
        }
    }
}

#[test]
fn seed_ec2_program_passes_validators() {
    validate(&common::ec2_program(""));
}

#[test]
fn s3_site_program_passes_validators() {
    validate(&common::site_program(""));
}

#[test]
fn hostile_data_still_passes_validators() {
    validate(&common::ec2_program(common::NASTY));
}
