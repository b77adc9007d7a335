//! Hostile user data (`$(touch x)`, backticks, quotes, newlines, `: `, `#`, non-ASCII) reaches
//! YAML and shell only as inert data: YAML values parse back unchanged, and the generated
//! shell that writes the revision creates no `x` and writes exactly the emitted files.
// A test, not the crate: it runs the generated shell in a scratch directory.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::process::Command;

use common::NASTY;
use pipec_emit::emit;
use serde_yaml_ng::Value;

/// The EC2 deploy of `common::ec2_program`.
fn ec2(program: &mut pipec_ir::Program) -> &mut pipec_ir::Ec2Deploy {
    match &mut program.deploys[0].target {
        pipec_ir::Target::Ec2(ec2) => ec2,
        pipec_ir::Target::S3(_) => panic!("ec2_program deploys to EC2"),
    }
}

fn yaml(artifacts: &pipec_emit::Artifacts, path: &str) -> Value {
    let text = std::str::from_utf8(artifacts.file(path).expect(path)).expect("utf-8");
    serde_yaml_ng::from_str(text).expect("valid YAML")
}

#[test]
fn yaml_values_round_trip() {
    let (artifacts, _) = emit(&common::ec2_program(NASTY));
    let appspec = yaml(&artifacts, "deploys/web/appspec.yml");
    assert_eq!(
        appspec["version"],
        Value::Number(0.0.into()),
        "version must be the float 0.0"
    );
    assert_eq!(appspec["os"].as_str(), Some("linux"));
    assert_eq!(
        appspec["files"][0]["destination"].as_str(),
        Some(format!("/home/ubuntu/app{NASTY}").as_str())
    );
    assert_eq!(
        appspec["permissions"][0]["object"].as_str(),
        Some(format!("/home/ubuntu/app{NASTY}").as_str())
    );
    assert_eq!(
        appspec["permissions"][0]["mode"].as_str(),
        Some("0755"),
        "mode must stay a string"
    );

    let buildspec = yaml(&artifacts, "builds/app/buildspec.yml");
    assert_eq!(buildspec["version"], Value::Number(0.2.into()));
    assert_eq!(
        buildspec["artifacts"]["base-directory"].as_str(),
        Some(format!("dist{NASTY}").as_str())
    );
    assert_eq!(
        buildspec["phases"]["install"]["runtime-versions"]["python"].as_str(),
        Some("3.10")
    );
    assert_eq!(
        buildspec["phases"]["build"]["commands"][1].as_str(),
        Some("echo \"done: yes # really\"")
    );

    // The inline buildspec in the template is the same text as the file.
    let inline = artifacts.template["Resources"]["BuildAppProject"]["Properties"]["Source"]
        ["BuildSpec"]
        .as_str();
    let file = std::str::from_utf8(
        artifacts
            .file("builds/app/buildspec.yml")
            .expect("buildspec"),
    )
    .ok();
    assert_eq!(inline, file);
}

#[test]
fn plain_strings_that_look_like_other_yaml_types_stay_strings() {
    let mut program = common::ec2_program("");
    ec2(&mut program).permissions[0].owner = Some("yes".into());
    ec2(&mut program).permissions[0].group = Some("0644".into());
    ec2(&mut program).files[0].1 = "null".into();
    let (artifacts, _) = emit(&program);
    let appspec = yaml(&artifacts, "deploys/web/appspec.yml");
    assert_eq!(appspec["permissions"][0]["owner"].as_str(), Some("yes"));
    assert_eq!(appspec["permissions"][0]["group"].as_str(), Some("0644"));
    assert_eq!(appspec["files"][0]["destination"].as_str(), Some("null"));
}

#[test]
fn template_carries_data_verbatim() {
    let (artifacts, _) = emit(&common::ec2_program(NASTY));
    let env = &artifacts.template["Resources"]["BuildAppProject"]["Properties"]["Environment"]
        ["EnvironmentVariables"];
    assert_eq!(
        env[0]["Value"].as_str(),
        Some(format!("production{NASTY}").as_str())
    );
    let description =
        &artifacts.template["Resources"]["RepoApp"]["Properties"]["RepositoryDescription"];
    assert_eq!(
        description.as_str(),
        Some(format!("Front-end server{NASTY}").as_str())
    );
    // A literal `${` inside Fn::Sub is escaped, so CloudFormation does not substitute it.
    let output = artifacts.template["Outputs"]["OutputSiteUrl"]["Value"]["Fn::Sub"]
        .as_str()
        .expect("Fn::Sub");
    assert!(output.contains("/${!x}"), "{output}");
}

/// Runs the post_build commands pipec added (from `mkdir -p` on) with bash in a temp dir.
#[test]
fn revision_writing_commands_are_inert_and_exact() {
    let program = common::ec2_program(NASTY);
    let (artifacts, _) = emit(&program);
    let buildspec = yaml(&artifacts, "builds/app/buildspec.yml");
    let commands: Vec<&str> = buildspec["phases"]["post_build"]["commands"]
        .as_sequence()
        .expect("post_build commands")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let start = commands
        .iter()
        .position(|c| c.starts_with("mkdir -p "))
        .expect("bundle commands");
    let temp = tempfile::tempdir().expect("temp dir");
    // CODEBUILD_SRC_DIR with a space and a `$`: the variable must expand once, as one word.
    let dir_path = temp.path().join("src dir $HOME");
    let base = dir_path.join(format!("dist{NASTY}"));
    std::fs::create_dir_all(&base).expect("mkdir");
    // The commands run after a `cd` elsewhere (buildspec 0.2: one shell for every phase), and
    // still write into the artifact's base directory.
    let elsewhere = dir_path.join("sub");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let script = format!("set -euo pipefail\n{}\n", commands[start..].join("\n"));
    let status = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&elsewhere)
        .env("CODEBUILD_SRC_DIR", &dir_path)
        .status()
        .expect("bash");
    assert!(status.success());
    for entry in walk(temp.path()) {
        assert_ne!(
            entry.file_name().and_then(|n| n.to_str()),
            Some("x"),
            "hostile text ran: {}",
            entry.display()
        );
    }
    let written = std::fs::read(base.join("appspec.yml")).expect("appspec written");
    assert_eq!(
        written.as_slice(),
        artifacts.file("deploys/web/appspec.yml").expect("appspec")
    );
    for hook in &program.deploys[0].ec2().expect("EC2").hooks {
        let name = format!("scripts/{}-{}.sh", hook.event, hook.name);
        let written = std::fs::read(base.join(&name)).expect("script written");
        assert_eq!(
            written.as_slice(),
            artifacts
                .file(&format!("deploys/web/{name}"))
                .expect("script")
        );
    }
}

/// Hook and deploy names become file names and a comment line; they can break neither.
#[test]
fn hostile_names_are_sanitized_in_paths_and_scripts() {
    let mut program = common::ec2_program("");
    ec2(&mut program).hooks[0].name = NASTY.into();
    ec2(&mut program).hooks[0].commands = vec!["true".into()];
    let (artifacts, _) = emit(&program);
    let scripts: Vec<&(String, Vec<u8>)> = artifacts
        .files
        .iter()
        .filter(|(path, _)| path.starts_with("deploys/web/scripts/"))
        .collect();
    assert_eq!(scripts.len(), 4);
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, bytes) in scripts {
        let file_name = path.trim_start_matches("deploys/web/scripts/");
        assert!(
            file_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{path}"
        );
        let text = std::str::from_utf8(bytes).expect("utf-8");
        assert!(text.starts_with("#!/bin/bash\n"));
        if file_name.starts_with("ApplicationStop") {
            let target = dir.path().join("hook.sh");
            std::fs::write(&target, bytes).expect("write");
            let status = Command::new("bash")
                .arg(&target)
                .current_dir(dir.path())
                .status()
                .expect("bash");
            assert!(status.success());
        }
    }
    assert!(!dir.path().join("x").exists(), "hostile hook name ran");
}

fn walk(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            out.push(path);
        }
    }
    out
}

/// The CodeDeploy agent parses with Ruby Psych (YAML 1.1): `yes`, `on`, `y` and leading-zero
/// numbers must be quoted in the text, not only round-trip under YAML 1.2.
#[test]
fn yaml_1_1_lookalikes_are_quoted_in_the_text() {
    let mut program = common::ec2_program("");
    for (index, word) in ["yes", "on", "y", "0644", "off", "~"]
        .into_iter()
        .enumerate()
    {
        ec2(&mut program)
            .files
            .push((format!("src{index}"), word.into()));
    }
    let (artifacts, _) = emit(&program);
    let text = std::str::from_utf8(artifacts.file("deploys/web/appspec.yml").expect("appspec"))
        .expect("utf-8");
    for word in ["yes", "on", "y", "0644", "off", "~"] {
        assert!(
            text.contains(&format!("destination: '{word}'")),
            "`{word}` unquoted in:\n{text}"
        );
    }
}
