//! `manifest.json` (format 1, see docs/build-output.md): what was written with sizes and
//! SHA-256 hashes, every resource's origin, and the maps that deploy and local runs consume.

use pipec_ir::{Action, Ec2Deploy, Kind, S3Deploy, Target};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::codebuild::buildspec_path;
use crate::codedeploy::{deploy_dir, script_path};
use crate::ctx::Ctx;
use crate::text::{output_id, primary_id};

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The program's instances that an EC2 deploy selects by tags (every tag group matched), with
/// their OS and the software their UserData installs: `pipec run --local` gives its sandbox
/// exactly that software (docs/run-local.md).
fn selected_instances(program: &pipec_ir::Program, ec2: &Ec2Deploy) -> Vec<Value> {
    let groups = &ec2.groups;
    program
        .instances
        .iter()
        .filter(|instance| pipec_ir::groups_select(groups, &instance.tags))
        .map(|instance| {
            json!({
                "name": instance.origin.name,
                "os": instance.os,
                "agent": instance.agent,
                "software": instance.software,
                "source": instance.origin.location,
            })
        })
        .collect()
}

/// Builds the manifest.
pub(crate) fn build(
    ctx: &mut Ctx<'_>,
    capabilities: &[String],
    template: &[u8],
    needs_upload: bool,
    files: &[(String, Vec<u8>)],
) -> Value {
    let program = ctx.program;
    let mut resources = Map::new();
    for (id, meta) in &ctx.meta {
        resources.insert(
            id.clone(),
            json!({ "type": meta.kind, "block": meta.block, "source": meta.source, "data": meta.data }),
        );
    }
    let mut outputs = Map::new();
    for output in &program.outputs {
        let id = output_id(ctx, &output.origin.name);
        outputs.insert(
            output.origin.name.clone(),
            json!({ "logical_id": id, "source": output.origin.location }),
        );
    }
    let mut pipelines = Map::new();
    for pipeline in &program.pipelines {
        let stages: Vec<Value> = pipeline
            .stages
            .iter()
            .map(|stage| {
                let actions: Vec<Value> = stage
                    .actions
                    .iter()
                    .map(|action| match action {
                        Action::Source(repo) => {
                            let branch = program.repos.iter().find(|r| r.origin.name == *repo).map(|r| r.branch.clone());
                            json!({ "kind": "source", "block": format!("repo.{repo}"), "branch": branch })
                        }
                        Action::Build(build) => json!({ "kind": "build", "block": format!("build.{build}") }),
                        Action::Deploy(deploy) => json!({ "kind": "deploy", "block": format!("deploy.{deploy}") }),
                        Action::Approval => json!({ "kind": "approval" }),
                    })
                    .collect();
                json!({ "name": stage.name, "actions": actions })
            })
            .collect();
        let id = primary_id(ctx, Kind::Pipeline, &pipeline.origin.name);
        pipelines.insert(
            pipeline.origin.name.clone(),
            json!({ "logical_id": id, "name": pipeline.aws_name, "source": pipeline.origin.location, "stages": stages }),
        );
    }
    let mut builds = Map::new();
    for build in &program.builds {
        let environment: Vec<Value> = build
            .env
            .iter()
            .map(|var| json!({ "name": var.name, "type": var.kind.aws(), "value": var.value }))
            .collect();
        builds.insert(
            build.origin.name.clone(),
            json!({
                "buildspec": buildspec_path(build),
                "image": build.image,
                "compute": build.compute,
                "timeout_minutes": build.timeout_minutes,
                "input": format!("repo.{}", build.source),
                "environment": environment,
                "source": build.origin.location,
            }),
        );
    }
    let mut deploys = Map::new();
    for deploy in &program.deploys {
        let entry = match &deploy.target {
            Target::Ec2(ec2) => {
                let hooks: Vec<Value> = ec2
                    .hooks
                    .iter()
                    .map(|hook| {
                        json!({
                            "event": hook.event,
                            "name": hook.name,
                            "script": script_path(hook),
                            "timeout": hook.timeout,
                            "runas": hook.runas,
                            "source": hook.location,
                        })
                    })
                    .collect();
                json!({
                    "kind": "ec2",
                    "from": deploy.from,
                    "dir": deploy_dir(deploy),
                    "application": ec2.application_name,
                    "deployment_group": ec2.group_name,
                    "bucket": null,
                    "hooks": hooks,
                    "instances": selected_instances(program, ec2),
                    "source": deploy.origin.location,
                })
            }
            Target::S3(S3Deploy { site, prefix }) => {
                let bucket = primary_id(ctx, Kind::Site, site);
                json!({
                    "kind": "s3",
                    "from": deploy.from,
                    "dir": null,
                    "application": null,
                    "deployment_group": null,
                    "bucket": bucket,
                    "prefix": prefix,
                    "hooks": [],
                    "source": deploy.origin.location,
                })
            }
        };
        deploys.insert(deploy.origin.name.clone(), entry);
    }
    let listed: Vec<Value> = files
        .iter()
        .map(|(path, bytes)| json!({ "path": path, "bytes": bytes.len(), "sha256": sha256_hex(bytes) }))
        .collect();
    json!({
        "format": 1,
        "pipec": env!("CARGO_PKG_VERSION"),
        "input": program.source_name,
        "stack_name": program.stack_name,
        "capabilities": capabilities,
        "template": {
            "path": "template.json",
            "bytes": template.len(),
            "sha256": sha256_hex(template),
            "needs_upload": needs_upload,
        },
        "files": listed,
        "resources": resources,
        "outputs": outputs,
        "pipelines": pipelines,
        "builds": builds,
        "deploys": deploys,
    })
}
