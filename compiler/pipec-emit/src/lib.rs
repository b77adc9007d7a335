//! Lowers a checked [`pipec_ir::Program`] to the build output described in
//! `docs/build-output.md`: a CloudFormation template, one buildspec per build, one appspec and
//! hook scripts per EC2 deploy, and `manifest.json`.
//!
//! Emit is pure: it does no IO and is deterministic: every JSON value is sorted before it is
//! written (`ctx::to_json_bytes` calls `sort_all_objects`, so the bytes do not depend on
//! serde_json's `preserve_order` feature), and every YAML map is built in a fixed order. The IR
//! is already checked, so the only diagnostics are the template quotas (P5001, P5002) and
//! compiler bugs (P9000). References between blocks (`repo.app.arn`) carry the
//! CloudFormation mapping of their export (`pipec_ir::Cfn`, from the schema in pipec-sema);
//! `text.rs` turns it into `Ref`, `Fn::GetAtt` or `Fn::Sub`.
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod codebuild;
mod codedeploy;
mod ctx;
mod ec2;
mod graph;
mod iam;
mod manifest;
mod pipeline;
mod refs;
mod s3;
mod text;
mod yaml;

use pipec_diagnostics::{Code, Diagnostic};
use pipec_ir::Program;
use serde_json::{json, Map, Value};

pub use graph::{graph, GraphFormat};
pub use yaml::base64_encode;

/// CloudFormation accepts a template body of at most this many bytes in the request itself.
pub const MAX_INLINE_TEMPLATE_BYTES: usize = 51_200;
/// CloudFormation's limit on resources per template.
pub const MAX_RESOURCES: usize = 500;

/// Everything `pipec build` writes, in a fixed order, plus what the deploy step needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Artifacts {
    /// `(relative path, content)`: `template.json`, `manifest.json`, then every buildspec,
    /// then every deploy's appspec and scripts, in program order.
    pub files: Vec<(String, Vec<u8>)>,
    /// `[]`, `["CAPABILITY_IAM"]` or `["CAPABILITY_NAMED_IAM"]`.
    pub capabilities: Vec<String>,
    /// The template, as written to `template.json`.
    pub template: Value,
}

impl Artifacts {
    /// The content of the file at `path`, if emitted.
    #[must_use]
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(name, _)| name == path)
            .map(|(_, bytes)| bytes.as_slice())
    }
}

/// Lowers `program` to its build output. Pure and deterministic.
#[must_use]
pub fn emit(program: &Program) -> (Artifacts, Vec<Diagnostic>) {
    let mut ctx = ctx::Ctx::new(program);
    s3::emit_artifact_bucket(&mut ctx);
    iam::emit_declared(&mut ctx);
    for repo in &program.repos {
        pipeline::emit_repo(&mut ctx, repo);
    }
    let mut side_files = Vec::new();
    for build in &program.builds {
        side_files.push(codebuild::emit_build(&mut ctx, build));
    }
    for deploy in &program.deploys {
        side_files.push(codedeploy::emit_deploy(&mut ctx, deploy));
    }
    for site in &program.sites {
        s3::emit_site(&mut ctx, site);
    }
    for instance in &program.instances {
        ec2::emit_instance(&mut ctx, instance);
    }
    for pipe in &program.pipelines {
        pipeline::emit_pipeline(&mut ctx, pipe);
    }
    let outputs = text::emit_outputs(&mut ctx);

    let capabilities = ctx.capabilities();
    let mut template = Map::new();
    template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    template.insert("Description".into(), json!(description(program)));
    template.insert(
        "Resources".into(),
        Value::Object(std::mem::take(&mut ctx.resources)),
    );
    if !outputs.is_empty() {
        template.insert("Outputs".into(), Value::Object(outputs));
    }
    let mut template = Value::Object(template);
    for problem in refs::dangling(&template) {
        ctx.diags.push(Diagnostic::bug(format!(
            "the template refers to something it does not declare ({problem})"
        )));
    }
    let template_bytes = ctx::to_json_bytes(&mut template, &mut ctx.diags);

    let n_resources = ctx.meta.len();
    if n_resources > MAX_RESOURCES {
        ctx.diags.push(
            Diagnostic::new(
                Code::TOO_MANY_RESOURCES,
                format!("the template has {n_resources} resources; CloudFormation allows {MAX_RESOURCES}"),
            )
            .help("split the program into several stacks"),
        );
    }
    let needs_upload = template_bytes.len() > MAX_INLINE_TEMPLATE_BYTES;
    if needs_upload {
        ctx.diags.push(
            Diagnostic::new(
                Code::TEMPLATE_TOO_LARGE,
                format!(
                    "the template is {} bytes, over the {MAX_INLINE_TEMPLATE_BYTES} bytes CloudFormation accepts inline",
                    template_bytes.len()
                ),
            )
            .note("The deploy step uploads it to S3 first (manifest `needs_upload: true`)."),
        );
    }

    // The side files are built; sort nothing: the order is program order.
    let side_files: Vec<(String, Vec<u8>)> = side_files.into_iter().flatten().collect();
    let mut manifest = manifest::build(
        &mut ctx,
        &capabilities,
        &template_bytes,
        needs_upload,
        &side_files,
    );
    let manifest_bytes = ctx::to_json_bytes(&mut manifest, &mut ctx.diags);

    let mut files = Vec::with_capacity(side_files.len() + 2);
    files.push(("template.json".to_string(), template_bytes));
    files.push(("manifest.json".to_string(), manifest_bytes));
    files.extend(side_files);
    let diags = std::mem::take(&mut ctx.diags);
    (
        Artifacts {
            files,
            capabilities,
            template,
        },
        diags,
    )
}

/// The template's Description: at most 1,024 bytes.
fn description(program: &Program) -> String {
    let mut text = format!(
        "pipec: project {} from {}",
        program.project, program.source_name
    );
    if text.len() > 1024 {
        let mut cut = 1024;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}
