//! IAM: the program's `role`, `policy`, `group` and `user` blocks, policy statements, and the
//! helper that creates a generated service role with its separately declared policy.

use pipec_ir::{Effect, Kind, ManagedPolicy, Statement, Tag};
use serde_json::{json, Map, Value};

use crate::ctx::{cfn_ref, document, put_tags, sub, sub_escape, trust, Ctx, Owner};
use crate::text::{iam_resources, primary_id};

/// Emits every declared role (with its instance profile), policy, group and user.
pub(crate) fn emit_declared(ctx: &mut Ctx<'_>) {
    let program = ctx.program;
    for role in &program.roles {
        let owner = Owner::block(Kind::Role, &role.origin);
        let id = primary_id(ctx, Kind::Role, &role.origin.name);
        let services: Vec<&str> = role.trust.iter().map(String::as_str).collect();
        let mut props = Map::new();
        props.insert("RoleName".into(), json!(role.aws_name));
        props.insert("AssumeRolePolicyDocument".into(), trust(&services, None));
        let managed = managed_arns(ctx, &role.managed);
        if !managed.is_empty() {
            props.insert("ManagedPolicyArns".into(), Value::Array(managed));
        }
        if !role.statements.is_empty() {
            let doc = statements_document(ctx, &role.statements);
            props.insert("Policies".into(), json!([{ "PolicyName": format!("{}-inline", role.aws_name), "PolicyDocument": doc }]));
        }
        if let Some(boundary) = &role.boundary {
            props.insert("PermissionsBoundary".into(), json!(boundary));
        }
        if let Some(description) = &role.description {
            props.insert("Description".into(), json!(description));
        }
        put_tags(&mut props, &role.tags);
        ctx.add(&id, "AWS::IAM::Role", &owner, props, Map::new());
        if role.profile {
            let profile_id = ctx.lid("Role", &role.origin.name, "Profile");
            let mut props = Map::new();
            props.insert("InstanceProfileName".into(), json!(role.aws_name));
            props.insert("Roles".into(), json!([cfn_ref(&id)]));
            ctx.add(
                &profile_id,
                "AWS::IAM::InstanceProfile",
                &owner,
                props,
                Map::new(),
            );
        }
    }
    for policy in &program.policies {
        let owner = Owner::block(Kind::Policy, &policy.origin);
        let id = primary_id(ctx, Kind::Policy, &policy.origin.name);
        let mut props = Map::new();
        props.insert("ManagedPolicyName".into(), json!(policy.aws_name));
        props.insert(
            "PolicyDocument".into(),
            statements_document(ctx, &policy.statements),
        );
        if let Some(description) = &policy.description {
            props.insert("Description".into(), json!(description));
        }
        ctx.add(&id, "AWS::IAM::ManagedPolicy", &owner, props, Map::new());
    }
    for group in &program.groups {
        let owner = Owner::block(Kind::Group, &group.origin);
        let id = primary_id(ctx, Kind::Group, &group.origin.name);
        let mut props = Map::new();
        props.insert("GroupName".into(), json!(group.aws_name));
        let managed = managed_arns(ctx, &group.policies);
        if !managed.is_empty() {
            props.insert("ManagedPolicyArns".into(), Value::Array(managed));
        }
        ctx.add(&id, "AWS::IAM::Group", &owner, props, Map::new());
    }
    for user in &program.users {
        let owner = Owner::block(Kind::User, &user.origin);
        let id = primary_id(ctx, Kind::User, &user.origin.name);
        let mut props = Map::new();
        props.insert("UserName".into(), json!(user.aws_name));
        if !user.groups.is_empty() {
            let groups: Vec<Value> = user
                .groups
                .iter()
                .map(|group| cfn_ref(&primary_id(ctx, Kind::Group, group)))
                .collect();
            props.insert("Groups".into(), Value::Array(groups));
        }
        let managed = managed_arns(ctx, &user.policies);
        if !managed.is_empty() {
            props.insert("ManagedPolicyArns".into(), Value::Array(managed));
        }
        put_tags(&mut props, &user.tags);
        ctx.add(&id, "AWS::IAM::User", &owner, props, Map::new());
    }
}

/// ARNs of attached managed policies: AWS ones through `${AWS::Partition}`, declared ones by
/// `Ref` (a ManagedPolicy's `Ref` is its ARN).
pub(crate) fn managed_arns(ctx: &mut Ctx<'_>, policies: &[ManagedPolicy]) -> Vec<Value> {
    policies
        .iter()
        .map(|policy| match policy {
            ManagedPolicy::Aws(name) => aws_managed(name),
            ManagedPolicy::Declared(name) => cfn_ref(&primary_id(ctx, Kind::Policy, name)),
        })
        .collect()
}

/// The ARN of an AWS managed policy (`service-role/AWSCodeDeployRole`).
pub(crate) fn aws_managed(name: &str) -> Value {
    sub(&format!(
        "arn:${{AWS::Partition}}:iam::aws:policy/{}",
        sub_escape(name)
    ))
}

/// A policy document from IR statements.
pub(crate) fn statements_document(ctx: &mut Ctx<'_>, statements: &[Statement]) -> Value {
    let lowered = statements
        .iter()
        .map(|statement| lower_statement(ctx, statement))
        .collect();
    document(lowered)
}

fn lower_statement(ctx: &mut Ctx<'_>, statement: &Statement) -> Value {
    let mut out = Map::new();
    if let Some(sid) = &statement.sid {
        out.insert("Sid".into(), json!(sid));
    }
    let effect = match statement.effect {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    };
    out.insert("Effect".into(), json!(effect));
    out.insert("Action".into(), json!(statement.actions));
    let resources: Vec<Value> = statement
        .resources
        .iter()
        .flat_map(|resource| iam_resources(ctx, resource))
        .collect();
    out.insert("Resource".into(), Value::Array(resources));
    if !statement.condition.is_empty() {
        let mut condition = Map::new();
        for (operator, keys) in &statement.condition {
            let mut entries = Map::new();
            for (key, values) in keys {
                entries.insert(key.clone(), json!(values));
            }
            condition.insert(operator.clone(), Value::Object(entries));
        }
        out.insert("Condition".into(), Value::Object(condition));
    }
    Value::Object(out)
}

/// A role generated for a service, with no explicit name (so it needs only
/// `CAPABILITY_IAM`).
pub(crate) struct GeneratedRole<'a> {
    /// Logical id of the role.
    pub(crate) role_id: String,
    /// Logical id of its `AWS::IAM::Policy` (unused when `statements` is empty).
    pub(crate) policy_id: String,
    /// The block it serves.
    pub(crate) owner: Owner,
    /// Trusted service principal.
    pub(crate) service: &'a str,
    /// The resource the service acts for (`aws:SourceArn` in the trust policy), when the
    /// service documents it.
    pub(crate) source_arn: Option<Value>,
    /// What it is for, for the Description.
    pub(crate) purpose: String,
    /// Least-privilege statements.
    pub(crate) statements: Vec<Value>,
    /// Managed policy ARNs.
    pub(crate) managed: Vec<Value>,
    /// Tags.
    pub(crate) tags: &'a [Tag],
}

/// Emits a generated role and, when it has statements, its `AWS::IAM::Policy`. Returns the
/// logical id to `DependsOn` so that users of the role wait for its permissions.
pub(crate) fn emit_generated_role(ctx: &mut Ctx<'_>, role: GeneratedRole<'_>) -> String {
    let mut props = Map::new();
    props.insert(
        "AssumeRolePolicyDocument".into(),
        trust(&[role.service], role.source_arn.as_ref()),
    );
    props.insert("Description".into(), json!(truncate(&role.purpose, 1000)));
    if !role.managed.is_empty() {
        props.insert("ManagedPolicyArns".into(), Value::Array(role.managed));
    }
    put_tags(&mut props, role.tags);
    ctx.add(
        &role.role_id,
        "AWS::IAM::Role",
        &role.owner,
        props,
        Map::new(),
    );
    if role.statements.is_empty() {
        return role.role_id;
    }
    emit_policy(
        ctx,
        &role.policy_id,
        &role.owner,
        &role.role_id,
        role.statements,
    );
    role.policy_id
}

/// Emits an `AWS::IAM::Policy` attached to the role `role_id`.
pub(crate) fn emit_policy(
    ctx: &mut Ctx<'_>,
    policy_id: &str,
    owner: &Owner,
    role_id: &str,
    statements: Vec<Value>,
) {
    let mut props = Map::new();
    props.insert("PolicyName".into(), json!(policy_id));
    props.insert("PolicyDocument".into(), document(statements));
    props.insert("Roles".into(), json!([cfn_ref(role_id)]));
    ctx.add(policy_id, "AWS::IAM::Policy", owner, props, Map::new());
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    let mut cut = text.len().min(max);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_string()
}
