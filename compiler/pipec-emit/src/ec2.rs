//! EC2: an `instance` becomes an `AWS::EC2::Instance` (IMDSv2 required, CodeDeploy agent
//! installed from UserData), an optional security group for its ingress rules, and — when it
//! has no role but runs the agent — a generated instance role and profile. Instance roles get
//! read access to the artifact bucket and the CodeDeploy resource kit bucket.

use pipec_ir::shell::quote;
use pipec_ir::{groups_select, software, Deploy, Instance, Kind, Tag};
use serde_json::{json, Map, Value};

use crate::ctx::{allow, cfn_ref, depends_on, get_att, put_tags, sub, Ctx, Owner};
use crate::iam::{emit_generated_role, emit_policy, GeneratedRole};
use crate::s3::{artifact_bucket_arns, has_artifact_bucket};
use crate::text::primary_id;

/// Emits an instance and what it needs.
pub(crate) fn emit_instance(ctx: &mut Ctx<'_>, instance: &Instance) {
    let owner = Owner::block(Kind::Instance, &instance.origin);
    let name = instance.origin.name.as_str();
    let id = primary_id(ctx, Kind::Instance, name);
    let mut wait_for = Vec::new();

    let profile = match &instance.role {
        Some(role) => {
            if is_deploy_target(ctx, &instance.tags) {
                let role_id = primary_id(ctx, Kind::Role, role);
                let policy_id = ctx.lid("Role", role, "RevisionAccess");
                if !ctx.resources.contains_key(&policy_id) {
                    let role_owner = match ctx.program.roles.iter().find(|r| r.origin.name == *role)
                    {
                        Some(declared) => Owner::block(Kind::Role, &declared.origin),
                        None => owner.clone(),
                    };
                    emit_policy(
                        ctx,
                        &policy_id,
                        &role_owner,
                        &role_id,
                        instance_statements(ctx),
                    );
                }
                wait_for.push(policy_id);
            }
            Some(cfn_ref(&ctx.lid("Role", role, "Profile")))
        }
        None if instance.agent => {
            let role_id = ctx.lid("Instance", name, "Role");
            let policy_id = ctx.lid("Instance", name, "RolePolicy");
            let statements = instance_statements(ctx);
            let wait = emit_generated_role(
                ctx,
                GeneratedRole {
                    role_id: role_id.clone(),
                    policy_id,
                    owner: owner.clone(),
                    service: "ec2.amazonaws.com",
                    source_arn: None,
                    purpose: format!(
                        "pipec: role of instance {name} (CodeDeploy agent reads revisions)"
                    ),
                    statements,
                    managed: Vec::new(),
                    tags: &instance.tags,
                },
            );
            if wait != role_id {
                wait_for.push(wait);
            }
            let profile_id = ctx.lid("Instance", name, "Profile");
            let mut props = Map::new();
            props.insert("Roles".into(), json!([cfn_ref(&role_id)]));
            ctx.add(
                &profile_id,
                "AWS::IAM::InstanceProfile",
                &owner,
                props,
                Map::new(),
            );
            Some(cfn_ref(&profile_id))
        }
        None => None,
    };

    let mut props = Map::new();
    props.insert("ImageId".into(), json!(instance.ami));
    props.insert("InstanceType".into(), json!(instance.instance_type));
    if let Some(profile) = profile {
        props.insert("IamInstanceProfile".into(), profile);
    }
    if !instance.ingress.is_empty() {
        let sg_id = ctx.lid("Instance", name, "SecurityGroup");
        let rules: Vec<Value> = instance
            .ingress
            .iter()
            .map(|rule| json!({ "IpProtocol": "tcp", "FromPort": rule.port, "ToPort": rule.port, "CidrIp": rule.cidr }))
            .collect();
        let mut sg = Map::new();
        sg.insert(
            "GroupDescription".into(),
            json!(format!(
                "pipec ingress for instance {}",
                description_safe(name)
            )),
        );
        sg.insert("SecurityGroupIngress".into(), Value::Array(rules));
        if let Some(vpc) = &instance.vpc {
            sg.insert("VpcId".into(), json!(vpc));
        }
        put_tags(&mut sg, &instance.tags);
        ctx.add(&sg_id, "AWS::EC2::SecurityGroup", &owner, sg, Map::new());
        props.insert(
            "SecurityGroupIds".into(),
            json!([get_att(&sg_id, "GroupId")]),
        );
    }
    if let Some(key) = &instance.key_name {
        props.insert("KeyName".into(), json!(key));
    }
    if let Some(subnet) = &instance.subnet {
        props.insert("SubnetId".into(), json!(subnet));
    }
    props.insert(
        "MetadataOptions".into(),
        json!({ "HttpTokens": "required", "HttpEndpoint": "enabled" }),
    );
    let mut extra = depends_on(&wait_for);
    if instance.agent {
        props.insert(
            "UserData".into(),
            json!({ "Fn::Base64": sub(&user_data(instance, &id)) }),
        );
        // The stack waits for the bootstrap's own verdict (aws-facts §9 "Bootstrap signal").
        extra.insert(
            "CreationPolicy".into(),
            json!({ "ResourceSignal": { "Count": 1, "Timeout": BOOTSTRAP_TIMEOUT } }),
        );
    }
    let mut tags = instance.tags.clone();
    tags.push(stack_tag(ctx));
    put_tags(&mut props, &tags);
    ctx.add(&id, "AWS::EC2::Instance", &owner, props, extra);
}

/// The instance role's statements: read revisions from the artifact bucket and the agent's
/// resource kit from `aws-codedeploy-<region>`.
fn instance_statements(ctx: &Ctx<'_>) -> Vec<Value> {
    let kit = sub("arn:${AWS::Partition}:s3:::aws-codedeploy-${AWS::Region}/*");
    if !has_artifact_bucket(ctx) {
        return vec![allow(
            "AgentKit",
            &["s3:GetObject", "s3:GetObjectVersion"],
            vec![kit],
        )];
    }
    let (bucket, objects) = artifact_bucket_arns();
    vec![
        allow(
            "Revisions",
            &["s3:GetObject", "s3:GetObjectVersion"],
            vec![objects, kit],
        ),
        allow("RevisionBucket", &["s3:ListBucket"], vec![bucket]),
    ]
}

/// True when some EC2 deploy selects an instance with these tags: every tag group has a
/// filter matching one of them.
fn is_deploy_target(ctx: &Ctx<'_>, tags: &[Tag]) -> bool {
    ctx.program
        .deploys
        .iter()
        .filter_map(Deploy::ec2)
        .any(|ec2| groups_select(&ec2.groups, tags))
}

/// The tag that ties an instance to the stack (the program's environment) that made it.
/// CodeDeploy's tag groups are AND-ed (aws-facts §9 "Tag selection semantics"), so a deployment
/// group that adds this tag as a group of its own selects only its own environment's
/// instances, even when another environment's instances carry the same user tags.
pub(crate) const STACK_TAG_KEY: &str = "pipec:stack";

/// `pipec:stack = <stack name>`.
pub(crate) fn stack_tag(ctx: &Ctx<'_>) -> Tag {
    Tag {
        key: STACK_TAG_KEY.to_string(),
        value: ctx.program.stack_name.clone(),
    }
}

/// A security group description may only use a restricted character set.
fn description_safe(text: &str) -> String {
    pipec_ir::names::sanitize(text, "._-", '-')
}

/// How long CloudFormation waits for the instance's bootstrap signal (`CreationPolicy`).
pub(crate) const BOOTSTRAP_TIMEOUT: &str = "PT20M";

/// The UserData script (an `Fn::Sub` template; shell variables are written `${!VAR}`, and the
/// script uses none, only `$1`/`$?`-style parameters that `Fn::Sub` leaves alone).
///
/// 1. Installs CloudFormation's helper scripts, so the outcome can be reported: AL2023's
///    `aws-cfn-bootstrap` package gives `/opt/aws/bin/cfn-signal`; Ubuntu gets AWS's py3 tarball
///    in a virtual environment (aws-facts §9 "Bootstrap signal").
/// 2. In a subshell that stops at the first failure: the packages (`apt-get update` first on
///    Ubuntu), a Ruby the agent's installer accepts (≤ 3.2, aws-facts §7.1: AL2023 `ruby3.2`,
///    Ubuntu 24.04's `ruby-full` is 3.2), the instance's software, a check that each command
///    the software provides is on `PATH`, then the CodeDeploy agent, installed and running.
/// 3. `cfn-signal` with the subshell's exit status, so that a failed bootstrap fails the stack
///    (`CreationPolicy`) at the instance instead of showing up later as a deployment stuck on
///    instances. Everything is logged to `/var/log/cloud-init-output.log` by cloud-init.
fn user_data(instance: &Instance, logical_id: &str) -> String {
    let software = software::packages(&instance.os, &instance.software);
    let commands = software::commands(&instance.software);
    let mut script = String::from("#!/bin/bash\nset -uo pipefail\n");
    if instance.os == "ubuntu" {
        script.push_str(
            "export DEBIAN_FRONTEND=noninteractive\n\
             apt-get update -y\n\
             apt-get install -y python3-venv\n\
             python3 -m venv /opt/aws/cfn-bootstrap-venv\n\
             /opt/aws/cfn-bootstrap-venv/bin/pip install https://s3.amazonaws.com/cloudformation-examples/aws-cfn-bootstrap-py3-latest.tar.gz\n\
             mkdir -p /opt/aws/bin\n\
             ln -sf /opt/aws/cfn-bootstrap-venv/bin/cfn-signal /opt/aws/bin/cfn-signal\n",
        );
    } else {
        script.push_str("dnf install -y aws-cfn-bootstrap\n");
    }
    script.push_str("(\n  set -euxo pipefail\n");
    let mut packages: Vec<&str> = vec!["wget"];
    if instance.os == "ubuntu" {
        packages.push("ruby-full");
    }
    packages.extend(software.iter().copied());
    let list = packages
        .iter()
        .map(|package| quote(package))
        .collect::<Vec<_>>()
        .join(" ");
    if instance.os == "ubuntu" {
        script.push_str(&format!("  apt-get install -y {list}\n"));
    } else {
        script.push_str(&format!("  dnf install -y {list}\n"));
        // AL2023 namespaces runtimes (`ruby3.2`, `node-20`); the plain names come from
        // `alternatives` where the package sets it up, else from a link made here.
        script.push_str("  dnf install -y ruby3.2 || dnf install -y ruby\n");
        script.push_str("  command -v ruby || ln -sf \"$(command -v ruby3.2)\" /usr/bin/ruby\n");
        for (plain, namespaced) in software::amazon_linux_links(&instance.software) {
            script.push_str(&format!(
                "  command -v {plain} || ln -sf \"$(command -v {namespaced})\" /usr/bin/{plain}\n"
            ));
        }
    }
    // The agent's installer refuses Ruby 3.3 and later (aws-facts §7.1).
    script.push_str(
        "  ruby -e 'exit(Gem::Version.new(RUBY_VERSION) < Gem::Version.new(\"3.3\") ? 0 : 1)'\n",
    );
    for command in commands {
        script.push_str(&format!("  command -v {}\n", quote(command)));
    }
    script.push_str(
        "  cd /tmp\n  \
         wget -q -O install https://aws-codedeploy-${AWS::Region}.s3.${AWS::Region}.${AWS::URLSuffix}/latest/install\n  \
         chmod +x ./install\n  \
         ./install auto\n  \
         systemctl enable --now codedeploy-agent\n  \
         systemctl is-active codedeploy-agent\n\
         )\n",
    );
    script.push_str(&format!(
        "/opt/aws/bin/cfn-signal -e \"$?\" --stack \"${{AWS::StackName}}\" --resource {logical_id} --region \"${{AWS::Region}}\"\n"
    ));
    script
}
