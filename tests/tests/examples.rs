//! Every example and every emit fixture (`tests/fixtures/emit/<case>/main.pipe`) compiles with
//! no diagnostic, every emitted file is snapshotted, and the real validators accept them all:
//! cfn-lint on the template, yamllint (plus a parse back) on the YAML, shellcheck on the
//! scripts.

use std::path::{Path, PathBuf};
use std::process::Command;

use pipec_tests::{render, repo_root, venv_tool, DirLoader};

fn cases() -> Vec<(String, PathBuf)> {
    let root = repo_root();
    let mut cases = vec![
        (
            "seed-ec2".to_string(),
            PathBuf::from("examples/seed-ec2/pipeline.pipe"),
        ),
        (
            "seed-s3-site".to_string(),
            PathBuf::from("examples/seed-s3-site/pipeline.pipe"),
        ),
    ];
    let mut fixtures: Vec<_> = std::fs::read_dir(root.join("tests/fixtures/emit"))
        .expect("emit fixtures")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    fixtures.sort();
    for name in fixtures {
        cases.push((
            format!("emit-{name}"),
            PathBuf::from(format!("tests/fixtures/emit/{name}/main.pipe")),
        ));
    }
    cases
}

fn emit(path: &Path) -> pipec_driver::Artifacts {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join(path)).expect("read");
    let name = path.to_string_lossy().into_owned();
    let mut checked = pipec_driver::check(&name, text, &DirLoader { base: root }, &[]);
    let artifacts = pipec_driver::build(&mut checked);
    assert!(
        checked.diagnostics().is_empty(),
        "{name} is not clean:\n{}",
        render(&checked)
    );
    artifacts.unwrap_or_else(|| panic!("{name} did not build"))
}

#[test]
fn emitted_files_are_snapshotted() {
    for (case, path) in cases() {
        let artifacts = emit(&path);
        for (file, bytes) in &artifacts.files {
            let text = String::from_utf8(bytes.clone()).expect("emitted files are UTF-8");
            let snapshot = format!("{case}__{}", file.replace('/', "__"));
            insta::with_settings!({ snapshot_path => repo_root().join("tests/snapshots/emit"), prepend_module_to_snapshot => false }, {
                insta::assert_snapshot!(snapshot, text);
            });
        }
    }
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {what}: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.trim().is_empty(),
        "{what} found problems:\n{stdout}\n{stderr}"
    );
}

#[test]
fn validators_accept_every_emitted_file() {
    let cfn_lint = venv_tool("cfn-lint");
    let yamllint = venv_tool("yamllint");
    let shellcheck = venv_tool("shellcheck");
    let config = repo_root().join(".yamllint.yml");
    for (case, path) in cases() {
        let artifacts = emit(&path);
        let dir = tempfile::tempdir().expect("tempdir");
        let mut yaml = Vec::new();
        let mut scripts = Vec::new();
        for (file, bytes) in &artifacts.files {
            let target = dir.path().join(file);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::write(&target, bytes).expect("write");
            if file.ends_with(".yml") {
                yaml.push(target);
            } else if file.ends_with(".sh") {
                scripts.push(target);
            }
        }
        run(
            Command::new(&cfn_lint).arg(dir.path().join("template.json")),
            &format!("cfn-lint on {case}"),
        );
        if !yaml.is_empty() {
            run(
                Command::new(&yamllint)
                    .arg("-f")
                    .arg("parsable")
                    .arg("-c")
                    .arg(&config)
                    .args(&yaml),
                &format!("yamllint on {case}"),
            );
            let python = venv_tool("python");
            for file in &yaml {
                run(
                    Command::new(&python)
                        .arg("-c")
                        .arg("import sys, yaml; yaml.safe_load(open(sys.argv[1]))")
                        .arg(file),
                    &format!("parsing {} back", file.display()),
                );
            }
        }
        if !scripts.is_empty() {
            run(
                Command::new(&shellcheck).args(&scripts),
                &format!("shellcheck on {case}"),
            );
        }
    }
}
