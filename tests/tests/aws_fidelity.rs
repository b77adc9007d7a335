//! What a real account does that no validator or emulator shows (issue 10): each test reads the
//! templates pipec emits for every example and emit fixture and checks one documented AWS fact.
//! The facts and their sources are in `docs/emit.md` ("What a real account needs").

use std::path::{Path, PathBuf};

use pipec_tests::{render, repo_root, venv_tool, DirLoader};
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
        .filter(|path| {
            // `--var env=…` applies only to programs that declare an environment.
            vars.is_empty()
                || std::fs::read_to_string(root.join(path))
                    .is_ok_and(|text| text.contains("param env"))
        })
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

/// The names of `template`'s resources that AWS keeps account-wide (or, for buckets, global):
/// aws-facts §9 "IAM names are account-wide" and §6.
fn account_wide_names(template: &Value) -> Vec<(String, String)> {
    const NAMED: &[(&str, &str)] = &[
        ("AWS::CodeCommit::Repository", "RepositoryName"),
        ("AWS::CodeBuild::Project", "Name"),
        ("AWS::CodeDeploy::Application", "ApplicationName"),
        ("AWS::CodePipeline::Pipeline", "Name"),
        ("AWS::IAM::Role", "RoleName"),
        ("AWS::IAM::User", "UserName"),
        ("AWS::IAM::Group", "GroupName"),
        ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"),
        ("AWS::IAM::InstanceProfile", "InstanceProfileName"),
        ("AWS::S3::Bucket", "BucketName"),
    ];
    let mut names = Vec::new();
    for (_, resource) in resources(template) {
        let kind = resource["Type"].as_str().unwrap_or_default();
        for (named_kind, property) in NAMED {
            if kind == *named_kind {
                if let Some(name) = resource["Properties"][property].as_str() {
                    names.push((kind.to_string(), name.to_string()));
                }
            }
        }
    }
    names
}

/// The tags of every instance in `template`.
fn instance_tags(template: &Value) -> Vec<Vec<(String, String)>> {
    resources(template)
        .filter(|(_, resource)| resource["Type"] == "AWS::EC2::Instance")
        .map(|(_, resource)| {
            resource["Properties"]["Tags"]
                .as_array()
                .map(|tags| {
                    tags.iter()
                        .map(|tag| {
                            (
                                tag["Key"].as_str().unwrap_or_default().to_string(),
                                tag["Value"].as_str().unwrap_or_default().to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// CodeDeploy's tag selection (aws-facts §9): the filters of `Ec2TagFilters` are OR-ed; the groups
/// of `Ec2TagSet` are AND-ed, each group's filters OR-ed.
fn selects(group: &Value, tags: &[(String, String)]) -> bool {
    let filter_matches = |filter: &Value| {
        let key = filter["Key"].as_str().unwrap_or_default();
        let value = filter["Value"].as_str().unwrap_or_default();
        tags.iter().any(|(k, v)| match filter["Type"].as_str() {
            Some("KEY_ONLY") => k == key,
            Some("VALUE_ONLY") => v == value,
            _ => k == key && v == value,
        })
    };
    let props = &group["Properties"];
    if let Some(filters) = props["Ec2TagFilters"].as_array() {
        return filters.iter().any(filter_matches);
    }
    if let Some(sets) = props["Ec2TagSet"]["Ec2TagSetList"].as_array() {
        return sets.iter().all(|set| {
            set["Ec2TagGroup"]
                .as_array()
                .is_some_and(|filters| filters.iter().any(filter_matches))
        });
    }
    false
}

/// Two environments of one program live in one account (product.md "what done means"): no
/// account-wide name is shared, and no deployment group of one selects the other's instances,
/// while each still selects its own.
#[test]
fn two_environments_share_no_name_and_no_instance() {
    let a = templates(&[("env", "a")]);
    let b = templates(&[("env", "b")]);
    assert!(a.len() >= 2, "both examples declare `param env`");
    let mut groups_checked = 0;
    for ((case, ta), (_, tb)) in a.iter().zip(&b) {
        let names_b = account_wide_names(tb);
        for (kind, name) in account_wide_names(ta) {
            assert!(
                !names_b.iter().any(|(_, other)| *other == name),
                "{case}: {kind} `{name}` is the same in env a and env b"
            );
        }
        for (env, mine, other) in [("a", ta, tb), ("b", tb, ta)] {
            let own_instances = instance_tags(mine);
            let other_instances = instance_tags(other);
            for (id, group) in resources(mine) {
                if group["Type"] != "AWS::CodeDeploy::DeploymentGroup" {
                    continue;
                }
                groups_checked += 1;
                for tags in &other_instances {
                    assert!(
                        !selects(group, tags),
                        "{case}: env {env}'s {id} selects the other environment's instance {tags:?}"
                    );
                }
                if !own_instances.is_empty() {
                    assert!(
                        own_instances.iter().any(|tags| selects(group, tags)),
                        "{case}: env {env}'s {id} selects none of its own instances"
                    );
                }
            }
        }
    }
    assert!(groups_checked >= 2, "no deployment group was checked");
}

/// The seed's instance installs what its hooks need (aws-facts §9: AL2023 ships no Node.js),
/// checks that the commands exist, waits for its bootstrap signal, and signals with the
/// bootstrap's own status.
#[test]
fn instances_install_what_their_hooks_need_and_signal_their_bootstrap() {
    let (_, seed) = templates(&[]).into_iter().next().expect("the seed");
    let instance = &seed["Resources"]["InstanceWeb"];
    assert_eq!(
        instance["CreationPolicy"]["ResourceSignal"]["Count"], 1,
        "the stack waits for the bootstrap"
    );
    let script = instance["Properties"]["UserData"]["Fn::Base64"]["Fn::Sub"]
        .as_str()
        .expect("UserData");
    assert!(script.contains("nodejs20 nodejs20-npm"), "{script}");
    assert!(script.contains("command -v node\n"), "{script}");
    assert!(
        script.contains("--resource InstanceWeb "),
        "the signal names the instance's own logical id:\n{script}"
    );
}

/// Runs the seed's UserData under bash with every system command replaced by a stub in a
/// scratch directory, and checks the status it signals: 0 when every step works, non-zero when
/// the software does not provide its command, so a broken bootstrap fails the stack.
#[test]
fn bootstrap_signals_its_own_failure() {
    let (_, seed) = templates(&[]).into_iter().next().expect("the seed");
    let script = seed["Resources"]["InstanceWeb"]["Properties"]["UserData"]["Fn::Base64"]
        ["Fn::Sub"]
        .as_str()
        .expect("UserData")
        .to_string();
    for (with_node, expected) in [(true, "0"), (false, "1")] {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).expect("bin");
        let log = dir.path().join("signal");
        let stub = |name: &str, body: &str| {
            let path = bin.join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("stub");
            std::process::Command::new("chmod")
                .arg("+x")
                .arg(&path)
                .status()
                .expect("chmod");
        };
        // Only the stubs are on PATH: the host's own `node` must not count.
        for name in ["dnf", "systemctl", "ruby", "curl", "npm", "ln", "chmod"] {
            stub(name, "exit 0");
        }
        if with_node {
            stub("node", "exit 0");
        }
        stub(
            "wget",
            "printf '#!/bin/sh\\nexit 0\\n' > install && /bin/chmod +x install",
        );
        stub("cfn-signal", &format!("echo \"$2\" > {}", log.display()));
        let resolved = script
            .replace("${AWS::Region}", "us-east-1")
            .replace("${AWS::URLSuffix}", "amazonaws.com")
            .replace("${AWS::StackName}", "stack")
            .replace(
                "/opt/aws/bin/cfn-signal",
                &bin.join("cfn-signal").display().to_string(),
            )
            .replace("cd /tmp", &format!("cd {}", dir.path().display()));
        assert!(
            !resolved.contains("${"),
            "unresolved substitution:\n{resolved}"
        );
        let checked = dir.path().join("user-data.sh");
        std::fs::write(&checked, &resolved).expect("write");
        let lint = std::process::Command::new(venv_tool("shellcheck"))
            .arg(&checked)
            .output()
            .expect("shellcheck (scripts/setup-test-tools.sh installs it)");
        assert!(
            lint.status.success(),
            "shellcheck on the UserData:\n{}",
            String::from_utf8_lossy(&lint.stdout)
        );
        let output = std::process::Command::new("/bin/bash")
            .arg("-c")
            .arg(&resolved)
            .env("PATH", &bin)
            .output()
            .expect("bash");
        let signalled = std::fs::read_to_string(&log).unwrap_or_default();
        assert_eq!(
            signalled.trim(),
            expected,
            "with node: {with_node}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The actions of every statement of `template`'s `AWS::IAM::Policy` resources whose resources
/// mention `needle`.
fn actions_on(template: &Value, needle: &str) -> Vec<String> {
    let mut actions = Vec::new();
    for (_, resource) in resources(template) {
        if resource["Type"] != "AWS::IAM::Policy" {
            continue;
        }
        let statements = resource["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for statement in statements {
            if statement["Resource"].to_string().contains(needle) {
                for action in statement["Action"].as_array().into_iter().flatten() {
                    actions.push(action.as_str().unwrap_or_default().to_string());
                }
            }
        }
    }
    actions
}

/// aws-facts §4.3: the CodePipeline service role has on the artifact store what AWS's
/// "CodePipeline service role policy" page lists, and on a site bucket what the S3 deploy
/// action reference lists.
#[test]
fn pipeline_roles_have_the_documented_s3_minimum() {
    let all = templates(&[]);
    let (_, seed) = &all[0];
    let artifact = actions_on(seed, "ArtifactBucket");
    for action in [
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:PutObjectAcl",
        "s3:GetBucketAcl",
        "s3:GetBucketLocation",
        "s3:GetBucketVersioning",
    ] {
        assert!(
            artifact.iter().any(|a| a == action),
            "artifact store lacks {action}: {artifact:?}"
        );
    }
    let (_, site) = &all[1];
    let site_actions = actions_on(site, "SiteWebBucket");
    for action in [
        "s3:PutObject",
        "s3:GetBucketAcl",
        "s3:GetBucketLocation",
        "s3:GetBucketVersioning",
    ] {
        assert!(
            site_actions.iter().any(|a| a == action),
            "site bucket lacks {action}: {site_actions:?}"
        );
    }
}
