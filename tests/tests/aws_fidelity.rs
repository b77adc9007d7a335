//! What a real account does that no validator or emulator shows (issue 10): each test reads the
//! templates pipec emits for every example and emit fixture and checks one documented AWS fact.
//! The facts and their sources are in `docs/emit.md` ("What a real account needs").

use std::path::{Path, PathBuf};

use pipec_tests::{render, repo_root, DirLoader};
use serde_json::Value;

/// Every example and emit fixture, compiled with `vars`, as `(case, template)`.
fn templates(vars: &[(&str, &str)]) -> Vec<(String, Value)> {
    let root = repo_root();
    let mut paths = vec![
        PathBuf::from("examples/seed-ec2/pipeline.pipe"),
        PathBuf::from("examples/seed-s3-site/pipeline.pipe"),
    ];
    let mut fixtures: Vec<_> = std::fs::read_dir(root.join("tests/fixtures/emit"))
        .expect("emit fixtures")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    fixtures.sort();
    paths.extend(
        fixtures
            .iter()
            .map(|name| PathBuf::from(format!("tests/fixtures/emit/{name}/main.pipe"))),
    );
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    paths
        .iter()
        .map(|path| (path.display().to_string(), template(&root, path, &vars)))
        .collect()
}

fn template(root: &Path, path: &Path, vars: &[(String, String)]) -> Value {
    let text = std::fs::read_to_string(root.join(path)).expect("read");
    let name = path.to_string_lossy().into_owned();
    let mut checked = pipec_driver::check(
        &name,
        text,
        &DirLoader {
            base: root.to_path_buf(),
        },
        vars,
    );
    let artifacts = pipec_driver::build(&mut checked);
    assert!(
        checked.diagnostics().is_empty(),
        "{name} is not clean:\n{}",
        render(&checked)
    );
    let artifacts = artifacts.unwrap_or_else(|| panic!("{name} did not build"));
    let (_, bytes) = artifacts
        .files
        .iter()
        .find(|(file, _)| file == "template.json")
        .expect("template.json");
    serde_json::from_slice(bytes).expect("template is JSON")
}

fn resources(template: &Value) -> impl Iterator<Item = (&String, &Value)> {
    template["Resources"].as_object().expect("Resources").iter()
}

/// aws-facts §9 "RetainExceptOnCreate": data is kept on delete and on replacement, but a failed
/// first create removes what it made, so a retry does not fail "already exists".
#[test]
fn data_resources_are_retained_except_on_a_failed_create() {
    let mut seen = 0;
    for (case, template) in templates(&[]) {
        for (id, resource) in resources(&template) {
            let kind = resource["Type"].as_str().unwrap_or_default();
            if !matches!(kind, "AWS::CodeCommit::Repository" | "AWS::S3::Bucket") {
                continue;
            }
            seen += 1;
            assert_eq!(
                resource["DeletionPolicy"], "RetainExceptOnCreate",
                "{case}: {id} ({kind})"
            );
            assert_eq!(resource["UpdateReplacePolicy"], "Retain", "{case}: {id}");
        }
    }
    assert!(seen >= 3, "expected repositories and buckets, saw {seen}");
}

/// aws-facts §9 "Confused deputy": every service trust (except EC2's, which sets no source
/// keys) is held to this account, and CodeBuild's and CodeDeploy's to their own project or
/// deployment group (both services document `aws:SourceArn` with those ARNs).
#[test]
fn service_trust_policies_are_held_to_the_account_and_resource() {
    let mut checked = 0;
    for (case, template) in templates(&[]) {
        let all: Vec<(&String, &Value)> = resources(&template).collect();
        for (id, resource) in &all {
            if resource["Type"] != "AWS::IAM::Role" {
                continue;
            }
            let statements = resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
                .as_array()
                .expect("statements");
            for statement in statements {
                let services: Vec<&str> = statement["Principal"]["Service"]
                    .as_array()
                    .map(|list| list.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let ec2 = services.iter().any(|s| s.starts_with("ec2."));
                if ec2 {
                    assert_eq!(services.len(), 1, "{case}: {id}: ec2 shares a statement");
                    continue;
                }
                checked += 1;
                assert_eq!(
                    statement["Condition"]["StringEquals"]["aws:SourceAccount"]["Ref"],
                    "AWS::AccountId",
                    "{case}: {id} trusts {services:?} without aws:SourceAccount"
                );
                let arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
                    .as_str()
                    .unwrap_or_default();
                // The role's user: the project or deployment group whose role it is.
                for (_, user) in &all {
                    let props = &user["Properties"];
                    let uses = props["ServiceRole"]["Fn::GetAtt"][0] == id.as_str()
                        || props["ServiceRoleArn"]["Fn::GetAtt"][0] == id.as_str();
                    if !uses {
                        continue;
                    }
                    match user["Type"].as_str() {
                        Some("AWS::CodeBuild::Project")
                            if services == ["codebuild.amazonaws.com"] =>
                        {
                            let name = props["Name"].as_str().expect("project name");
                            assert!(
                                arn.ends_with(&format!(":project/{name}")),
                                "{case}: {id}: SourceArn {arn} is not project {name}"
                            );
                        }
                        Some("AWS::CodeDeploy::DeploymentGroup")
                            if services == ["codedeploy.amazonaws.com"] =>
                        {
                            let group = props["DeploymentGroupName"].as_str().expect("group");
                            assert!(
                                arn.ends_with(&format!("/{group}"))
                                    && arn.contains(":deploymentgroup:"),
                                "{case}: {id}: SourceArn {arn} is not group {group}"
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(checked >= 4, "expected service roles, checked {checked}");
}
