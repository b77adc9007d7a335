//! Snapshots of every emitted file of the sample programs, and determinism.

mod common;

use pipec_emit::emit;

fn snapshot_all(case: &str, program: &pipec_ir::Program) {
    let (artifacts, diags) = emit(program);
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:?}");
    for (path, bytes) in &artifacts.files {
        let text = String::from_utf8(bytes.clone()).expect("utf-8 output");
        let name = format!("{case}__{}", path.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, text);
    }
    insta::assert_snapshot!(
        format!("{case}__capabilities"),
        artifacts.capabilities.join(",")
    );
}

#[test]
fn seed_ec2_program() {
    snapshot_all("ec2", &common::ec2_program(""));
}

#[test]
fn s3_site_program() {
    snapshot_all("site", &common::site_program(""));
}

#[test]
fn emit_is_byte_identical_across_runs() {
    for program in [
        common::ec2_program(""),
        common::site_program(""),
        common::ec2_program(common::NASTY),
    ] {
        let (first, _) = emit(&program);
        let (second, _) = emit(&program.clone());
        assert_eq!(first.files, second.files);
        assert_eq!(first.template, second.template);
    }
}

#[test]
fn files_come_in_contract_order() {
    let (artifacts, _) = emit(&common::ec2_program(""));
    let paths: Vec<&str> = artifacts
        .files
        .iter()
        .map(|(path, _)| path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "template.json",
            "manifest.json",
            "builds/app/buildspec.yml",
            "deploys/web/appspec.yml",
            "deploys/web/scripts/ApplicationStop-stop.sh",
            "deploys/web/scripts/BeforeInstall-initialize.sh",
            "deploys/web/scripts/AfterInstall-install.sh",
            "deploys/web/scripts/ApplicationStart-start.sh",
        ]
    );
}

#[test]
fn every_text_file_ends_with_a_newline() {
    let (artifacts, _) = emit(&common::ec2_program(""));
    for (path, bytes) in &artifacts.files {
        assert_eq!(bytes.last(), Some(&b'\n'), "{path}");
    }
}

#[test]
fn quotas_are_reported() {
    let mut program = common::ec2_program("");
    let template = program.builds[0].clone();
    for index in 0..200 {
        let mut build = template.clone();
        build.origin.name = format!("b{index}");
        build.aws_name = format!("fe-b{index}");
        program.builds.push(build);
    }
    let (artifacts, diags) = emit(&program);
    let codes: Vec<&str> = diags.iter().map(|diag| diag.code.number()).collect();
    assert_eq!(codes, ["P5002", "P5001"], "{diags:?}");
    let manifest: serde_json::Value =
        serde_json::from_slice(artifacts.file("manifest.json").expect("manifest")).expect("json");
    assert_eq!(manifest["template"]["needs_upload"], true);
}

#[test]
fn logical_id_collisions_get_a_stable_number() {
    let mut program = common::ec2_program("");
    let mut twin = program.users[0].clone();
    twin.origin.name = "ali-ce".into();
    program.users[0].origin.name = "ali_ce".into();
    twin.aws_name = "alice2".into();
    program.users.push(twin);
    let (artifacts, _) = emit(&program);
    let resources = artifacts.template["Resources"]
        .as_object()
        .expect("resources");
    assert!(resources.contains_key("UserAliCe") && resources.contains_key("UserAliCe2"));
}
