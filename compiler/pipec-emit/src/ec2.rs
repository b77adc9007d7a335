//! EC2: an `instance` becomes an `AWS::EC2::Instance` (IMDSv2 required, CodeDeploy agent
//! installed from UserData), an optional security group for its ingress rules, and — when it
//! has no role but runs the agent — a generated instance role and profile. Instance roles get
//! read access to the artifact bucket and the CodeDeploy resource kit bucket.

use pipec_ir::{Instance, Kind, Tag, TagFilter, Target};
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
    if instance.agent {
        props.insert(
            "UserData".into(),
            json!({ "Fn::Base64": sub(&user_data(&instance.os)) }),
        );
    }
    let mut tags = instance.tags.clone();
    tags.push(stack_tag(ctx));
    put_tags(&mut props, &tags);
    ctx.add(
        &id,
        "AWS::EC2::Instance",
        &owner,
        props,
        depends_on(&wait_for),
    );
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
        .any(|deploy| match &deploy.target {
            Target::Ec2 { groups } => {
                !groups.is_empty()
                    && groups
                        .iter()
                        .all(|group| group.iter().any(|filter| matches(filter, tags)))
            }
            Target::S3 { .. } => false,
        })
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

/// True when `filter` matches one of `tags`.
pub(crate) fn matches(filter: &TagFilter, tags: &[Tag]) -> bool {
    tags.iter().any(|tag| {
        (filter.key.is_empty() || filter.key == tag.key)
            && (filter.value.is_empty() || filter.value == tag.value)
    })
}

/// A security group description may only use a restricted character set.
fn description_safe(text: &str) -> String {
    text.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || "._-".contains(ch) {
                ch
            } else {
                '-'
            }
        })
        .collect()
}

/// The UserData script (an `Fn::Sub` template): install Ruby and wget, fetch the CodeDeploy
/// agent installer for this region, install and start it. Shell variables would be `${!VAR}`;
/// this script needs none.
fn user_data(os: &str) -> String {
    let packages = if os == "ubuntu" {
        "export DEBIAN_FRONTEND=noninteractive\napt-get update -y\napt-get install -y ruby-full wget\n"
    } else {
        "if command -v dnf >/dev/null 2>&1; then\n  dnf install -y ruby wget\nelse\n  yum install -y ruby wget\nfi\n"
    };
    format!(
        "#!/bin/bash\nset -euxo pipefail\n{packages}cd /tmp\n\
         wget -q -O install https://aws-codedeploy-${{AWS::Region}}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/latest/install\n\
         chmod +x ./install\n./install auto > /tmp/codedeploy-agent-install.log 2>&1\n\
         systemctl enable --now codedeploy-agent\n"
    )
}
