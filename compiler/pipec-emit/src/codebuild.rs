//! CodeBuild: a `build` block becomes an `AWS::CodeBuild::Project` whose `Source.BuildSpec`
//! holds the generated buildspec inline, its generated service role, and the file
//! `builds/<build>/buildspec.yml` (the same text). A build that feeds an EC2 deploy writes the
//! revision (appspec.yml and hook scripts) into its artifact in `post_build`.

use pipec_ir::names::file_part;
use pipec_ir::shell::quote;
use pipec_ir::{Build, EnvKind, Kind};
use serde_json::{json, Map, Value};
use serde_yaml_ng::{Mapping, Value as Yaml};

use crate::codedeploy::revision_files;
use crate::ctx::{allow, depends_on, get_att, put_tags, sub, sub_escape, Ctx, Owner};
use crate::iam::{emit_generated_role, GeneratedRole};
use crate::s3::{artifact_bucket_arns, has_artifact_bucket};
use crate::text::primary_id;
use crate::yaml::{base64_encode, list, put, s};

/// The file name of a build's buildspec in the output directory.
pub(crate) fn buildspec_path(build: &Build) -> String {
    format!("builds/{}/buildspec.yml", file_part(&build.origin.name))
}

/// Emits the project and its role; returns the buildspec file.
pub(crate) fn emit_build(ctx: &mut Ctx<'_>, build: &Build) -> Vec<(String, Vec<u8>)> {
    let owner = Owner::block(Kind::Build, &build.origin);
    let id = primary_id(ctx, Kind::Build, &build.origin.name);
    let buildspec = buildspec_text(ctx, build);

    let (role_arn, wait_for) = match &build.role {
        Some(role) => (
            get_att(&primary_id(ctx, Kind::Role, role), "Arn"),
            Vec::new(),
        ),
        None => {
            let role_id = ctx.lid("Build", &build.origin.name, "Role");
            let policy_id = ctx.lid("Build", &build.origin.name, "RolePolicy");
            let statements = role_statements(ctx, build);
            let wait = emit_generated_role(
                ctx,
                GeneratedRole {
                    role_id: role_id.clone(),
                    policy_id,
                    owner: owner.clone(),
                    service: "codebuild.amazonaws.com",
                    source_arn: Some(sub(&format!(
                        "arn:${{AWS::Partition}}:codebuild:${{AWS::Region}}:${{AWS::AccountId}}:project/{}",
                        sub_escape(&build.aws_name)
                    ))),
                    purpose: format!(
                        "pipec: CodeBuild service role of project {}",
                        build.aws_name
                    ),
                    statements,
                    managed: Vec::new(),
                    tags: &build.tags,
                },
            );
            (
                get_att(&role_id, "Arn"),
                if wait == role_id {
                    Vec::new()
                } else {
                    vec![wait]
                },
            )
        }
    };

    let mut props = Map::new();
    props.insert("Name".into(), json!(build.aws_name));
    if let Some(description) = &build.description {
        props.insert(
            "Description".into(),
            json!(crate::iam::truncate(description, 255)),
        );
    }
    props.insert(
        "Source".into(),
        json!({ "Type": "CODEPIPELINE", "BuildSpec": buildspec }),
    );
    props.insert("Artifacts".into(), json!({ "Type": "CODEPIPELINE" }));
    let variables: Vec<Value> = build
        .env
        .iter()
        .map(|var| json!({ "Name": var.name, "Type": var.kind.aws(), "Value": var.value }))
        .collect();
    let mut environment = Map::new();
    environment.insert("ComputeType".into(), json!(build.compute));
    environment.insert("Image".into(), json!(build.image));
    environment.insert("Type".into(), json!(build.environment_type));
    environment.insert("PrivilegedMode".into(), json!(build.privileged));
    if !variables.is_empty() {
        environment.insert("EnvironmentVariables".into(), Value::Array(variables));
    }
    props.insert("Environment".into(), Value::Object(environment));
    props.insert("ServiceRole".into(), role_arn);
    props.insert("TimeoutInMinutes".into(), json!(build.timeout_minutes));
    props.insert(
        "LogsConfig".into(),
        json!({ "CloudWatchLogs": { "Status": "ENABLED" } }),
    );
    if !build.cache.is_empty() {
        props.insert(
            "Cache".into(),
            json!({ "Type": "LOCAL", "Modes": ["LOCAL_CUSTOM_CACHE"] }),
        );
    }
    put_tags(&mut props, &build.tags);
    ctx.add(
        &id,
        "AWS::CodeBuild::Project",
        &owner,
        props,
        depends_on(&wait_for),
    );
    vec![(buildspec_path(build), buildspec.into_bytes())]
}

/// Least privilege for a project run by CodePipeline: its own log group, the artifact bucket,
/// and exactly the parameters and secrets its environment names.
fn role_statements(ctx: &mut Ctx<'_>, build: &Build) -> Vec<Value> {
    let project = sub_escape(&build.aws_name);
    let log_group = format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/codebuild/{project}");
    let mut statements = vec![allow(
        "Logs",
        &[
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ],
        vec![sub(&log_group), sub(&format!("{log_group}:*"))],
    )];
    if has_artifact_bucket(ctx) {
        let (bucket, objects) = artifact_bucket_arns();
        statements.push(allow(
            "ArtifactObjects",
            &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            vec![objects],
        ));
        statements.push(allow(
            "ArtifactBucket",
            &["s3:GetBucketAcl", "s3:GetBucketLocation"],
            vec![bucket],
        ));
    }
    let parameters: Vec<Value> = build
        .env
        .iter()
        .filter(|var| var.kind == EnvKind::ParameterStore)
        .map(|var| parameter_arn(&var.value))
        .collect();
    if !parameters.is_empty() {
        statements.push(allow("Parameters", &["ssm:GetParameters"], parameters));
    }
    let secrets: Vec<Value> = build
        .env
        .iter()
        .filter(|var| var.kind == EnvKind::SecretsManager)
        .map(|var| secret_arn(&var.value))
        .collect();
    if !secrets.is_empty() {
        statements.push(allow(
            "Secrets",
            &["secretsmanager:GetSecretValue"],
            secrets,
        ));
    }
    statements
}

/// The ARN of an SSM parameter given by name (`/fe/token`) or ARN.
fn parameter_arn(name: &str) -> Value {
    if name.starts_with("arn:") {
        return json!(name);
    }
    let path = sub_escape(name.trim_start_matches('/'));
    sub(&format!(
        "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/{path}"
    ))
}

/// The ARN pattern of a secret reference `secret-id:json-key:stage:version` (secret-id may be an
/// ARN). Secret ARNs end with `-` and six random characters.
fn secret_arn(reference: &str) -> Value {
    if reference.starts_with("arn:") {
        let arn: Vec<&str> = reference.split(':').take(7).collect();
        return json!(arn.join(":"));
    }
    let id = reference.split(':').next().unwrap_or_default();
    sub(&format!(
        "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{}-??????",
        sub_escape(id)
    ))
}

/// The buildspec YAML.
pub(crate) fn buildspec_text(ctx: &mut Ctx<'_>, build: &Build) -> String {
    let mut root = Mapping::new();
    put(&mut root, "version", Yaml::Number(0.2.into()));

    let mut phases: Vec<(String, Mapping)> = Vec::new();
    if !build.runtimes.is_empty() && !build.phases.iter().any(|phase| phase.name == "install") {
        phases.push(("install".to_string(), Mapping::new()));
    }
    for phase in &build.phases {
        let mut body = Mapping::new();
        if let Some(run_as) = &phase.run_as {
            put(&mut body, "run-as", s(run_as));
        }
        if let Some(on_failure) = &phase.on_failure {
            put(&mut body, "on-failure", s(on_failure));
        }
        if !phase.commands.is_empty() || phase.name != "install" {
            put(&mut body, "commands", list(&phase.commands));
        }
        if !phase.finally.is_empty() {
            put(&mut body, "finally", list(&phase.finally));
        }
        phases.push((phase.name.clone(), body));
    }
    if !build.runtimes.is_empty() {
        let mut runtimes = Mapping::new();
        for (runtime, version) in &build.runtimes {
            put(&mut runtimes, runtime, s(version));
        }
        if let Some((_, install)) = phases.iter_mut().find(|(name, _)| name == "install") {
            let mut with_runtimes = Mapping::new();
            put(
                &mut with_runtimes,
                "runtime-versions",
                Yaml::Mapping(runtimes),
            );
            with_runtimes.extend(std::mem::take(install));
            *install = with_runtimes;
        }
    }

    let mut files = build.artifacts.files.clone();
    if let Some(bundle) = bundle_commands(ctx, build) {
        if !phases.iter().any(|(name, _)| name == "post_build") {
            phases.push(("post_build".to_string(), Mapping::new()));
        }
        if let Some((_, post)) = phases.iter_mut().find(|(name, _)| name == "post_build") {
            let key = s("commands");
            let mut commands = match post.remove(&key) {
                Some(Yaml::Sequence(existing)) => existing,
                _ => Vec::new(),
            };
            commands.extend(bundle.iter().map(|command| s(command)));
            // `commands` goes before `finally`: rebuild the phase in key order.
            let mut rebuilt = Mapping::new();
            let finally = post.remove(s("finally"));
            rebuilt.extend(std::mem::take(post));
            put(&mut rebuilt, "commands", Yaml::Sequence(commands));
            if let Some(finally) = finally {
                put(&mut rebuilt, "finally", finally);
            }
            *post = rebuilt;
        }
        for extra in ["appspec.yml", "scripts/**/*"] {
            if !files.iter().any(|file| file == extra) {
                files.push(extra.to_string());
            }
        }
    }
    let mut phase_map = Mapping::new();
    for (name, body) in phases {
        put(&mut phase_map, &name, Yaml::Mapping(body));
    }
    put(&mut root, "phases", Yaml::Mapping(phase_map));

    if files.is_empty() {
        files.push("**/*".to_string());
    }
    let mut artifacts = Mapping::new();
    put(&mut artifacts, "files", list(&files));
    if let Some(base) = &build.artifacts.base_dir {
        put(&mut artifacts, "base-directory", s(base));
    }
    if build.artifacts.discard_paths {
        put(&mut artifacts, "discard-paths", Yaml::Bool(true));
    }
    if !build.artifacts.exclude.is_empty() {
        put(
            &mut artifacts,
            "exclude-paths",
            list(&build.artifacts.exclude),
        );
    }
    put(&mut root, "artifacts", Yaml::Mapping(artifacts));
    if !build.cache.is_empty() {
        let mut cache = Mapping::new();
        put(&mut cache, "paths", list(&build.cache));
        put(&mut root, "cache", Yaml::Mapping(cache));
    }
    crate::yaml::to_string(&Yaml::Mapping(root), &mut ctx.diags)
}

/// For a build feeding an EC2 deploy: the commands that write the revision into the artifact's
/// base directory. Contents travel base64-encoded; every path goes through `shell::quote`.
///
/// Paths are absolute under `$CODEBUILD_SRC_DIR`, the directory CodeBuild resolves `artifacts`
/// (and `base-directory`) against (aws-facts §2.2, §2.3): buildspec 0.2 runs every command in
/// one shell (§2.1), so a `cd` in an earlier command or phase would otherwise move relative
/// paths out of the artifact. The variable stays outside the quotes, in `"…"`, so the build's
/// shell expands it (and does not split it); the user's `base_dir` is quoted as one word.
fn bundle_commands(ctx: &mut Ctx<'_>, build: &Build) -> Option<Vec<String>> {
    let (deploy, ec2) = ctx.program.deploys.iter().find_map(|deploy| {
        let ec2 = deploy.ec2()?;
        (deploy.from == build.origin.name).then_some((deploy, ec2))
    })?;
    let base = build.artifacts.base_dir.clone().unwrap_or_default();
    let base = base.trim_matches('/').trim_start_matches("./");
    let join = |path: &str| {
        let relative = if base.is_empty() || base == "." {
            path.to_string()
        } else {
            format!("{base}/{path}")
        };
        format!("\"$CODEBUILD_SRC_DIR\"/{}", quote(&relative))
    };
    let mut commands = vec![format!("mkdir -p {}", join("scripts"))];
    for (path, content) in revision_files(ctx, deploy, ec2) {
        let target = join(&path);
        commands.push(format!(
            "printf '%s' {} | base64 -d > {target}",
            quote(&base64_encode(content.as_bytes()))
        ));
        if path.ends_with(".sh") {
            commands.push(format!("chmod 755 {target}"));
        }
    }
    Some(commands)
}
