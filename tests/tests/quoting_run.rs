//! Invariant 7 through `pipec run --local`: hostile `--var` values in `run` commands, in every
//! quoting context, are printed exactly by the build and by a hook, and the canary they try to
//! create exists nowhere (not on the host, not in the instance sandbox under the work directory).
//!
//! Needs `target/debug/pipec` (`cargo build -p pipec-cli`).

use std::path::{Path, PathBuf};
use std::process::Command;

use pipec_tests::repo_root;

fn pipec() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from);
    let binary = target.join("debug").join("pipec");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build -p pipec-cli` before these tests",
        binary.display()
    );
    binary
}

/// Every file named `name` under `dir`.
fn find(dir: &Path, name: &str, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if entry.file_name() == name {
            found.push(path.clone());
        }
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            find(&path, name, found);
        }
    }
}

const PROGRAM: &str = r#"project = "q"
param a = "v"
param b = "v"
param c = "v"
param d = "v"

repo app {}

build app {
  source = repo.app
  build {
    run "printf '[%s]\n' ${a} \"${a}\" '${a}' ${b} \"${b}\" '${b}'"
    run "printf '[%s]\n' ${c} \"${c}\" '${c}' ${d} \"${d}\" '${d}'"
  }
}

instance web {
  tags = { Role = "web" }
}

deploy web {
  from = build.app
  target = ec2 { tags = { Role = "web" } }
  hook after_install "show" {
    run "printf '[%s]\n' ${a} \"${a}\" '${a}' ${b} \"${b}\" '${b}'"
    run "printf '[%s]\n' ${c} \"${c}\" '${c}' ${d} \"${d}\" '${d}'"
    timeout = 60
  }
}

pipeline main {
  stage source { repo.app }
  stage build { build.app }
  stage deploy { deploy.web }
}
"#;

#[test]
fn hostile_vars_stay_inert_through_pipec_run_local() {
    let temp = tempfile::tempdir().expect("tempdir");
    let project = temp.path().join("q");
    std::fs::create_dir_all(&project).expect("project dir");
    std::fs::write(project.join("q.pipe"), PROGRAM).expect("write the program");
    let canary = temp.path().join("CANARY");
    let canary = canary.to_string_lossy();
    let values = [
        format!("$(touch {canary})"),
        format!("`touch {canary}`"),
        format!("'; touch {canary}; '"),
        format!("\"; touch {canary}; \" \\"),
    ];
    let vars: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .zip(&values)
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let mut command = Command::new(pipec());
    command
        .args(["run", "--local", "q/q.pipe"])
        .current_dir(temp.path())
        .env("NO_COLOR", "1");
    for var in &vars {
        command.args(["--var", var]);
    }
    let output = command.output().expect("run pipec");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let want: String = values
        .iter()
        .flat_map(|value| std::iter::repeat_n(format!("[{value}]\n"), 3))
        .collect();
    let workdir = project.join(".pipec/run");
    for log in [
        "logs/build-app/BUILD.log",
        "logs/deploy-web/AfterInstall.log",
    ] {
        let text = std::fs::read_to_string(workdir.join(log))
            .unwrap_or_else(|error| panic!("{log}: {error}\n{stdout}"));
        assert!(
            text.contains(&want),
            "{log} does not hold the values:\n{text}"
        );
    }
    let mut found = Vec::new();
    find(temp.path(), "CANARY", &mut found);
    assert!(found.is_empty(), "a value ran: {found:?}");
}
