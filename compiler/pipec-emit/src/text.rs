//! References between blocks: the primary logical id of each block, attribute references
//! (`repo.app.arn`) as `Fn::GetAtt`/`Ref`/`Fn::Sub`, `Text` values, IAM resource ARNs of
//! blocks, and the template's `Outputs`.

use pipec_ir::{AttrRef, Cfn, IamResource, Kind, Text, TextPart};
use serde_json::{json, Map, Value};

use crate::ctx::{cfn_ref, get_att, pipeline_arn, sub, sub_escape, Ctx};

/// The logical-id prefix and suffix of the main resource of a block of `kind`.
fn primary_parts(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Repo => ("Repo", ""),
        Kind::Build => ("Build", "Project"),
        Kind::Deploy => ("Deploy", "Application"),
        Kind::Instance => ("Instance", ""),
        Kind::Site => ("Site", "Bucket"),
        Kind::Role => ("Role", ""),
        Kind::Policy => ("Policy", ""),
        Kind::Group => ("Group", ""),
        Kind::User => ("User", ""),
        Kind::Pipeline => ("Pipeline", ""),
    }
}

/// The logical-id prefix of every resource of a block of `kind` (`Deploy`).
fn primary_prefix(kind: Kind) -> &'static str {
    primary_parts(kind).0
}

/// The logical id of the main resource of a block.
pub(crate) fn primary_id(ctx: &mut Ctx<'_>, kind: Kind, name: &str) -> String {
    let (prefix, suffix) = primary_parts(kind);
    ctx.lid(prefix, name, suffix)
}

/// The value of an attribute reference, from the mapping its export carries (`Cfn`).
pub(crate) fn attr_value(ctx: &mut Ctx<'_>, attr: &AttrRef) -> Value {
    let name = attr.name.as_str();
    let value = match attr.cfn {
        Cfn::Ref => Some(cfn_ref(&primary_id(ctx, attr.kind, name))),
        Cfn::RefOf(suffix) => {
            let prefix = primary_prefix(attr.kind);
            Some(cfn_ref(&ctx.lid(prefix, name, suffix)))
        }
        Cfn::GetAtt(att) => Some(get_att(&primary_id(ctx, attr.kind, name), att)),
        Cfn::GetAttOrExisting(att, existing) => match existing_name(ctx, attr.kind, name) {
            Some(Some(aws_name)) if existing == "{}" => Some(json!(aws_name)),
            Some(Some(aws_name)) => Some(sub(&existing.replace("{}", &sub_escape(&aws_name)))),
            Some(None) => Some(get_att(&primary_id(ctx, attr.kind, name), att)),
            None => None,
        },
        Cfn::Sub(template) => aws_name(ctx, attr.kind, name)
            .map(|aws_name| sub(&template.replace("{}", &sub_escape(&aws_name)))),
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

/// The AWS name of a block, for kinds whose exports are built from it.
fn aws_name(ctx: &Ctx<'_>, kind: Kind, name: &str) -> Option<String> {
    let program = ctx.program;
    match kind {
        Kind::Pipeline => program
            .pipelines
            .iter()
            .find(|pipeline| pipeline.origin.name == name)
            .map(|pipeline| pipeline.aws_name.clone()),
        Kind::Repo => program
            .repos
            .iter()
            .find(|repo| repo.origin.name == name)
            .map(|repo| repo.aws_name.clone()),
        _ => None,
    }
}

/// `Some(Some(name))` for a block that refers to an existing resource by its AWS name (a repo
/// with `create = false`), `Some(None)` for one this program creates, `None` when unknown.
fn existing_name(ctx: &Ctx<'_>, kind: Kind, name: &str) -> Option<Option<String>> {
    match kind {
        Kind::Repo => ctx
            .program
            .repos
            .iter()
            .find(|repo| repo.origin.name == name)
            .map(|repo| (!repo.create).then(|| repo.aws_name.clone())),
        _ => Some(None),
    }
}

/// The repository's name: `GetAtt Name` when created here, the name otherwise (the mapping of
/// its `name` export, `Cfn::REPO_NAME`).
pub(crate) fn repo_name(ctx: &mut Ctx<'_>, name: &str) -> Value {
    repo_attr(ctx, name, "name", Cfn::REPO_NAME)
}

/// The repository's ARN: `GetAtt Arn` when created here, built from its name otherwise (the
/// mapping of its `arn` export, `Cfn::REPO_ARN`).
pub(crate) fn repo_arn(ctx: &mut Ctx<'_>, name: &str) -> Value {
    repo_attr(ctx, name, "arn", Cfn::REPO_ARN)
}

/// The attribute `attr` of repository `name`, read through `cfn` as a reference would.
fn repo_attr(ctx: &mut Ctx<'_>, name: &str, attr: &str, cfn: Cfn) -> Value {
    attr_value(
        ctx,
        &AttrRef {
            kind: Kind::Repo,
            name: name.to_string(),
            attr: attr.to_string(),
            cfn,
        },
    )
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
        Kind::Deploy => match ctx
            .program
            .deploys
            .iter()
            .find(|d| d.origin.name == name)
            .and_then(|deploy| deploy.ec2())
        {
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
                ctx.bug(format!("no EC2 deploy `{name}` to grant on"));
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
