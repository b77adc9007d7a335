//! CodeDeploy: an EC2 `deploy` becomes an application, a deployment group selecting instances
//! by tags, a generated service role, and the revision files `appspec.yml` and
//! `scripts/<Event>-<hook>.sh` (written to `deploys/<deploy>/` and carried by the build).
//! S3 deploys have no resource of their own: they are a pipeline action on the site bucket.

use pipec_ir::names::file_part;
use pipec_ir::{groups_select, Deploy, Ec2Deploy, Hook, Kind, TagFilter};
use serde_json::{json, Map, Value};
use serde_yaml_ng::{Mapping, Value as Yaml};

use crate::ctx::{get_att, put_tags, sub, sub_escape, Ctx, Owner};
use crate::ec2::stack_tag;
use crate::iam::{aws_managed, emit_generated_role, GeneratedRole};
use crate::text::primary_id;
use crate::yaml::{list, put, s};

/// The directory of a deploy's revision in the output.
pub(crate) fn deploy_dir(deploy: &Deploy) -> String {
    format!("deploys/{}", file_part(&deploy.origin.name))
}

/// The revision-relative path of a hook's script.
pub(crate) fn script_path(hook: &Hook) -> String {
    format!(
        "scripts/{}-{}.sh",
        file_part(&hook.event),
        file_part(&hook.name)
    )
}

/// Emits an EC2 deploy's resources; returns its revision files under `deploys/<deploy>/`.
pub(crate) fn emit_deploy(ctx: &mut Ctx<'_>, deploy: &Deploy) -> Vec<(String, Vec<u8>)> {
    let Some(ec2) = deploy.ec2() else {
        return Vec::new();
    };
    let groups = &ec2.groups;
    let owner = Owner::block(Kind::Deploy, &deploy.origin);
    let app_id = primary_id(ctx, Kind::Deploy, &deploy.origin.name);
    let mut props = Map::new();
    props.insert("ApplicationName".into(), json!(ec2.application_name));
    props.insert("ComputePlatform".into(), json!("Server"));
    put_tags(&mut props, &deploy.tags);
    ctx.add(
        &app_id,
        "AWS::CodeDeploy::Application",
        &owner,
        props,
        Map::new(),
    );

    let role_arn = match &ec2.role {
        Some(role) => get_att(&primary_id(ctx, Kind::Role, role), "Arn"),
        None => {
            let role_id = ctx.lid("Deploy", &deploy.origin.name, "Role");
            let policy_id = ctx.lid("Deploy", &deploy.origin.name, "RolePolicy");
            // AWS recommends its managed AWSCodeDeployRole for the CodeDeploy service role; it is
            // attached through ManagedPolicyArns, so it is in place when the role exists.
            emit_generated_role(
                ctx,
                GeneratedRole {
                    role_id: role_id.clone(),
                    policy_id,
                    owner: owner.clone(),
                    service: "codedeploy.amazonaws.com",
                    source_arn: Some(sub(&format!(
                        "arn:${{AWS::Partition}}:codedeploy:${{AWS::Region}}:${{AWS::AccountId}}:deploymentgroup:{}/{}",
                        sub_escape(&ec2.application_name),
                        sub_escape(&ec2.group_name)
                    ))),
                    purpose: format!(
                        "pipec: CodeDeploy service role of application {}",
                        ec2.application_name
                    ),
                    statements: Vec::new(),
                    managed: vec![aws_managed("service-role/AWSCodeDeployRole")],
                    tags: &deploy.tags,
                },
            );
            get_att(&role_id, "Arn")
        }
    };

    let group_id = ctx.lid("Deploy", &deploy.origin.name, "Group");
    let mut props = Map::new();
    props.insert("ApplicationName".into(), json!({ "Ref": app_id }));
    props.insert("DeploymentGroupName".into(), json!(ec2.group_name));
    props.insert("ServiceRoleArn".into(), role_arn);
    props.insert("DeploymentConfigName".into(), json!(ec2.config));
    props.insert(
        "DeploymentStyle".into(),
        json!({ "DeploymentType": "IN_PLACE", "DeploymentOption": "WITHOUT_TRAFFIC_CONTROL" }),
    );
    // Keep the selection to this stack's instances when it selects instances the program
    // declares (those carry `pipec:stack`); a selection of instances made elsewhere is left as
    // the user wrote it.
    let own = ctx
        .program
        .instances
        .iter()
        .any(|instance| groups_select(groups, &instance.tags));
    let mut groups = groups.clone();
    if own {
        let tag = stack_tag(ctx);
        groups.push(vec![TagFilter {
            key: tag.key,
            value: tag.value,
        }]);
    }
    match groups.as_slice() {
        [] => {}
        [single] => {
            props.insert(
                "Ec2TagFilters".into(),
                Value::Array(single.iter().map(tag_filter).collect()),
            );
        }
        many => {
            let list: Vec<Value> = many
                .iter()
                .map(|group| json!({ "Ec2TagGroup": group.iter().map(tag_filter).collect::<Vec<_>>() }))
                .collect();
            props.insert("Ec2TagSet".into(), json!({ "Ec2TagSetList": list }));
        }
    }
    if ec2.auto_rollback {
        props.insert(
            "AutoRollbackConfiguration".into(),
            json!({ "Enabled": true, "Events": ["DEPLOYMENT_FAILURE"] }),
        );
    }
    put_tags(&mut props, &deploy.tags);
    // The role is referenced by GetAtt; its only policy is managed and attached with it.
    ctx.add(
        &group_id,
        "AWS::CodeDeploy::DeploymentGroup",
        &owner,
        props,
        Map::new(),
    );

    let dir = deploy_dir(deploy);
    revision_files(ctx, deploy, ec2)
        .into_iter()
        .map(|(path, content)| (format!("{dir}/{path}"), content.into_bytes()))
        .collect()
}

/// An EC2 tag filter: an empty value matches the key only, an empty key the value only.
fn tag_filter(filter: &TagFilter) -> Value {
    match (filter.key.is_empty(), filter.value.is_empty()) {
        (false, true) => json!({ "Key": filter.key, "Type": "KEY_ONLY" }),
        (true, false) => json!({ "Value": filter.value, "Type": "VALUE_ONLY" }),
        _ => json!({ "Key": filter.key, "Value": filter.value, "Type": "KEY_AND_VALUE" }),
    }
}

/// The revision of an EC2 deploy, relative to its root: `appspec.yml`, then one script per
/// hook in lifecycle order.
pub(crate) fn revision_files(
    ctx: &mut Ctx<'_>,
    deploy: &Deploy,
    ec2: &Ec2Deploy,
) -> Vec<(String, String)> {
    let mut files = vec![("appspec.yml".to_string(), appspec_text(ctx, ec2))];
    for hook in &ec2.hooks {
        files.push((script_path(hook), script_text(deploy, hook)));
    }
    files
}

/// The appspec: `version: 0.0` as an unquoted float, permissions' modes as strings.
fn appspec_text(ctx: &mut Ctx<'_>, ec2: &Ec2Deploy) -> String {
    let mut root = Mapping::new();
    put(&mut root, "version", Yaml::Number(0.0.into()));
    put(&mut root, "os", s("linux"));
    if !ec2.files.is_empty() {
        let files = ec2
            .files
            .iter()
            .map(|(source, destination)| {
                let mut entry = Mapping::new();
                put(&mut entry, "source", s(source));
                put(&mut entry, "destination", s(destination));
                Yaml::Mapping(entry)
            })
            .collect();
        put(&mut root, "files", Yaml::Sequence(files));
    }
    if let Some(behavior) = &ec2.file_exists {
        put(&mut root, "file_exists_behavior", s(behavior));
    }
    if !ec2.permissions.is_empty() {
        let permissions = ec2
            .permissions
            .iter()
            .map(|permission| {
                let mut entry = Mapping::new();
                put(&mut entry, "object", s(&permission.object));
                if let Some(pattern) = &permission.pattern {
                    put(&mut entry, "pattern", s(pattern));
                }
                if !permission.except.is_empty() {
                    put(&mut entry, "except", list(&permission.except));
                }
                if let Some(owner) = &permission.owner {
                    put(&mut entry, "owner", s(owner));
                }
                if let Some(group) = &permission.group {
                    put(&mut entry, "group", s(group));
                }
                if let Some(mode) = &permission.mode {
                    put(&mut entry, "mode", s(mode));
                }
                if !permission.types.is_empty() {
                    put(&mut entry, "type", list(&permission.types));
                }
                Yaml::Mapping(entry)
            })
            .collect();
        put(&mut root, "permissions", Yaml::Sequence(permissions));
    }
    if !ec2.hooks.is_empty() {
        // Hooks arrive in lifecycle order; group them by event keeping that order.
        let mut events: Vec<(String, Vec<Yaml>)> = Vec::new();
        for hook in &ec2.hooks {
            let mut entry = Mapping::new();
            put(&mut entry, "location", s(&script_path(hook)));
            if let Some(timeout) = hook.timeout {
                put(&mut entry, "timeout", Yaml::Number(timeout.into()));
            }
            if let Some(runas) = &hook.runas {
                put(&mut entry, "runas", s(runas));
            }
            match events.iter_mut().find(|(event, _)| *event == hook.event) {
                Some((_, entries)) => entries.push(Yaml::Mapping(entry)),
                None => events.push((hook.event.clone(), vec![Yaml::Mapping(entry)])),
            }
        }
        let mut hooks = Mapping::new();
        for (event, entries) in events {
            put(&mut hooks, &event, Yaml::Sequence(entries));
        }
        put(&mut root, "hooks", Yaml::Mapping(hooks));
    }
    crate::yaml::to_string(&Yaml::Mapping(root), &mut ctx.diags)
}

/// A hook script: shebang, strict mode, then the user's commands (already shell).
fn script_text(deploy: &Deploy, hook: &Hook) -> String {
    let mut text = String::from("#!/bin/bash\n");
    text.push_str(&format!(
        "# Generated by pipec: {} hook {} of deploy {}.\n",
        file_part(&hook.event),
        file_part(&hook.name),
        file_part(&deploy.origin.name)
    ));
    text.push_str("set -euo pipefail\n");
    for command in &hook.commands {
        text.push_str(command.trim_end_matches('\n'));
        text.push('\n');
    }
    text
}
