//! References between blocks: the primary logical id of each block, attribute references
//! (`repo.app.arn`) as `Fn::GetAtt`/`Ref`/`Fn::Sub`, `Text` values, IAM resource ARNs of
//! blocks, and the template's `Outputs`.

use pipec_ir::{AttrRef, IamResource, Kind, Text, TextPart};
use serde_json::{json, Map, Value};

use crate::ctx::{cfn_ref, get_att, pipeline_arn, sub, sub_escape, Ctx};

/// The logical id of the main resource of a block.
pub(crate) fn primary_id(ctx: &mut Ctx<'_>, kind: Kind, name: &str) -> String {
    match kind {
        Kind::Repo => ctx.lid("Repo", name, ""),
        Kind::Build => ctx.lid("Build", name, "Project"),
        Kind::Deploy => ctx.lid("Deploy", name, "Application"),
        Kind::Instance => ctx.lid("Instance", name, ""),
        Kind::Site => ctx.lid("Site", name, "Bucket"),
        Kind::Role => ctx.lid("Role", name, ""),
        Kind::Policy => ctx.lid("Policy", name, ""),
        Kind::Group => ctx.lid("Group", name, ""),
        Kind::User => ctx.lid("User", name, ""),
        Kind::Pipeline => ctx.lid("Pipeline", name, ""),
    }
}

/// The repository's name: `GetAtt Name` when created here, the literal otherwise.
pub(crate) fn repo_name(ctx: &mut Ctx<'_>, name: &str) -> Value {
    match ctx
        .program
        .repos
        .iter()
        .find(|repo| repo.origin.name == name)
    {
        Some(repo) if repo.create => {
            let id = primary_id(ctx, Kind::Repo, name);
            get_att(&id, "Name")
        }
        Some(repo) => json!(repo.aws_name),
        None => {
            ctx.bug(format!("unknown repo `{name}`"));
            json!("")
        }
    }
}

/// The repository's ARN.
pub(crate) fn repo_arn(ctx: &mut Ctx<'_>, name: &str) -> Value {
    match ctx
        .program
        .repos
        .iter()
        .find(|repo| repo.origin.name == name)
    {
        Some(repo) if repo.create => {
            let id = primary_id(ctx, Kind::Repo, name);
            get_att(&id, "Arn")
        }
        Some(repo) => sub(&format!(
            "arn:${{AWS::Partition}}:codecommit:${{AWS::Region}}:${{AWS::AccountId}}:{}",
            sub_escape(&repo.aws_name)
        )),
        None => {
            ctx.bug(format!("unknown repo `{name}`"));
            json!("")
        }
    }
}

/// The value of an attribute reference.
pub(crate) fn attr_value(ctx: &mut Ctx<'_>, attr: &AttrRef) -> Value {
    let name = attr.name.as_str();
    let value = match (attr.kind, attr.attr.as_str()) {
        (Kind::Repo, "arn") => Some(repo_arn(ctx, name)),
        (Kind::Repo, "name") => Some(repo_name(ctx, name)),
        (Kind::Repo, "clone_url_http" | "clone_url_ssh") => {
            let (att, scheme) = if attr.attr == "clone_url_http" {
                ("CloneUrlHttp", "https")
            } else {
                ("CloneUrlSsh", "ssh")
            };
            match ctx
                .program
                .repos
                .iter()
                .find(|repo| repo.origin.name == name)
            {
                Some(repo) if repo.create => Some(get_att(&primary_id(ctx, Kind::Repo, name), att)),
                Some(repo) => Some(sub(&format!(
                    "{scheme}://git-codecommit.${{AWS::Region}}.amazonaws.com/v1/repos/{}",
                    sub_escape(&repo.aws_name)
                ))),
                None => None,
            }
        }
        (Kind::Build, "arn") => Some(get_att(&primary_id(ctx, Kind::Build, name), "Arn")),
        (Kind::Build, "name") => Some(cfn_ref(&primary_id(ctx, Kind::Build, name))),
        (Kind::Deploy, "application" | "name") => {
            Some(cfn_ref(&primary_id(ctx, Kind::Deploy, name)))
        }
        (Kind::Deploy, "group" | "deployment_group") => {
            Some(cfn_ref(&ctx.lid("Deploy", name, "Group")))
        }
        (Kind::Instance, "id") => Some(cfn_ref(&primary_id(ctx, Kind::Instance, name))),
        (Kind::Instance, attribute) => {
            let att = match attribute {
                "public_ip" => Some("PublicIp"),
                "public_dns" => Some("PublicDnsName"),
                "private_ip" => Some("PrivateIp"),
                "private_dns" => Some("PrivateDnsName"),
                "availability_zone" | "az" => Some("AvailabilityZone"),
                _ => None,
            };
            att.map(|att| get_att(&primary_id(ctx, Kind::Instance, name), att))
        }
        (Kind::Site, attribute) => {
            let id = primary_id(ctx, Kind::Site, name);
            match attribute {
                "url" | "website_url" => Some(get_att(&id, "WebsiteURL")),
                "bucket" | "name" | "bucket_name" => Some(cfn_ref(&id)),
                "arn" => Some(get_att(&id, "Arn")),
                "domain" | "domain_name" => Some(get_att(&id, "DomainName")),
                _ => None,
            }
        }
        (Kind::Role | Kind::Group | Kind::User, "arn") => {
            Some(get_att(&primary_id(ctx, attr.kind, name), "Arn"))
        }
        (Kind::Role | Kind::Group | Kind::User, "name") => {
            Some(cfn_ref(&primary_id(ctx, attr.kind, name)))
        }
        (Kind::Policy, "arn") => Some(cfn_ref(&primary_id(ctx, Kind::Policy, name))),
        (Kind::Pipeline, attribute) => {
            let aws_name = ctx
                .program
                .pipelines
                .iter()
                .find(|p| p.origin.name == name)
                .map(|p| p.aws_name.clone());
            match (attribute, aws_name) {
                ("name", Some(_)) => Some(cfn_ref(&primary_id(ctx, Kind::Pipeline, name))),
                ("arn", Some(aws_name)) => Some(pipeline_arn(&aws_name)),
                ("url", Some(aws_name)) => Some(sub(&format!(
                    "https://${{AWS::Region}}.console.aws.amazon.com/codesuite/codepipeline/pipelines/{}/view",
                    sub_escape(&aws_name)
                ))),
                _ => None,
            }
        }
        _ => None,
    };
    value.unwrap_or_else(|| {
        ctx.bug(format!(
            "no CloudFormation value for `{}.{}.{}`",
            attr.kind.keyword(),
            attr.name,
            attr.attr
        ));
        json!("")
    })
}

/// A `Text` as a CloudFormation value: a string, a single reference, or `Fn::Sub`.
pub(crate) fn text_value(ctx: &mut Ctx<'_>, text: &Text) -> Value {
    let parts = match text {
        Text::Literal(literal) => return json!(literal),
        Text::Parts(parts) => parts,
    };
    let mut values = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            TextPart::Literal(literal) => values.push(Value::String(literal.clone())),
            TextPart::Attr(attr) => values.push(attr_value(ctx, attr)),
        }
    }
    if values.len() == 1 {
        return values.remove(0);
    }
    if values.iter().all(Value::is_string) {
        return json!(values.iter().filter_map(Value::as_str).collect::<String>());
    }
    let mut template = String::new();
    let mut variables = Map::new();
    for (index, value) in values.into_iter().enumerate() {
        match reference_in_sub(&value) {
            Some(reference) => template.push_str(&reference),
            None => match value {
                Value::String(literal) => template.push_str(&sub_escape(&literal)),
                other => {
                    let var = format!("V{index}");
                    template.push_str(&format!("${{{var}}}"));
                    variables.insert(var, other);
                }
            },
        }
    }
    if variables.is_empty() {
        sub(&template)
    } else {
        json!({ "Fn::Sub": [template, Value::Object(variables)] })
    }
}

/// `${Id}` for a `Ref`, `${Id.Attr}` for a `GetAtt`, the template itself for a plain `Fn::Sub`.
fn reference_in_sub(value: &Value) -> Option<String> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    if let Some(id) = object.get("Ref").and_then(Value::as_str) {
        return Some(format!("${{{id}}}"));
    }
    if let Some([id, att]) = object
        .get("Fn::GetAtt")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return Some(format!("${{{}.{}}}", id.as_str()?, att.as_str()?));
    }
    object
        .get("Fn::Sub")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The ARNs an IAM statement means by a resource.
pub(crate) fn iam_resources(ctx: &mut Ctx<'_>, resource: &IamResource) -> Vec<Value> {
    match resource {
        IamResource::Literal(literal) => vec![json!(literal)],
        IamResource::Text(text) => vec![text_value(ctx, text)],
        IamResource::Block(kind, name) => block_arns(ctx, *kind, name),
    }
}

/// The ARNs of a block: a site means its bucket and its objects.
pub(crate) fn block_arns(ctx: &mut Ctx<'_>, kind: Kind, name: &str) -> Vec<Value> {
    match kind {
        Kind::Repo => vec![repo_arn(ctx, name)],
        Kind::Build | Kind::Role | Kind::Group | Kind::User => {
            vec![get_att(&primary_id(ctx, kind, name), "Arn")]
        }
        Kind::Policy => vec![cfn_ref(&primary_id(ctx, kind, name))],
        Kind::Site => {
            let id = primary_id(ctx, kind, name);
            vec![get_att(&id, "Arn"), sub(&format!("${{{id}.Arn}}/*"))]
        }
        Kind::Pipeline => match ctx.program.pipelines.iter().find(|p| p.origin.name == name) {
            Some(pipeline) => vec![pipeline_arn(&pipeline.aws_name.clone())],
            None => {
                ctx.bug(format!("unknown pipeline `{name}`"));
                Vec::new()
            }
        },
        Kind::Instance => {
            let id = primary_id(ctx, kind, name);
            vec![sub(&format!("arn:${{AWS::Partition}}:ec2:${{AWS::Region}}:${{AWS::AccountId}}:instance/${{{id}}}"))]
        }
        Kind::Deploy => match ctx.program.deploys.iter().find(|d| d.origin.name == name) {
            Some(deploy) => {
                let (app, group) = (
                    sub_escape(&deploy.application_name),
                    sub_escape(&deploy.group_name),
                );
                vec![
                    sub(&format!("arn:${{AWS::Partition}}:codedeploy:${{AWS::Region}}:${{AWS::AccountId}}:application:{app}")),
                    sub(&format!(
                        "arn:${{AWS::Partition}}:codedeploy:${{AWS::Region}}:${{AWS::AccountId}}:deploymentgroup:{app}/{group}"
                    )),
                ]
            }
            None => {
                ctx.bug(format!("unknown deploy `{name}`"));
                Vec::new()
            }
        },
    }
}

/// The template's `Outputs`.
pub(crate) fn emit_outputs(ctx: &mut Ctx<'_>) -> Map<String, Value> {
    let mut outputs = Map::new();
    for output in &ctx.program.outputs {
        let id = ctx.lid("Output", &output.origin.name, "");
        let value = text_value(ctx, &output.value);
        let mut entry = Map::new();
        entry.insert("Value".into(), value);
        if let Some(description) = &output.description {
            entry.insert("Description".into(), json!(description));
        }
        outputs.insert(id, Value::Object(entry));
    }
    outputs
}

/// `Output` + PascalCase name: used by the manifest.
pub(crate) fn output_id(ctx: &mut Ctx<'_>, name: &str) -> String {
    ctx.lid("Output", name, "")
}
