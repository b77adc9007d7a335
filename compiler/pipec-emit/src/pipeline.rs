//! CodePipeline and CodeCommit: repositories, pipelines (V2, S3 artifact store) with their
//! generated service roles, and the EventBridge rules (with their role) that start a pipeline
//! on a push to its source branch instead of polling.

use pipec_ir::names::sanitize;
use pipec_ir::{Action, Kind, Pipeline, Repo, S3Deploy, Target};
use serde_json::{json, Map, Value};

use crate::ctx::{
    allow, cfn_ref, depends_on, get_att, pascal, pipeline_arn, put_tags, retain, sub, sub_escape,
    Ctx, Owner,
};
use crate::iam::{emit_generated_role, GeneratedRole};
use crate::s3::{artifact_bucket_arns, ARTIFACT_BUCKET};
use crate::text::{primary_id, repo_arn, repo_name};

/// Emits a repository that this program creates (an existing one emits nothing).
pub(crate) fn emit_repo(ctx: &mut Ctx<'_>, repo: &Repo) {
    if !repo.create {
        return;
    }
    let owner = Owner::block(Kind::Repo, &repo.origin);
    let id = primary_id(ctx, Kind::Repo, &repo.origin.name);
    let mut props = Map::new();
    props.insert("RepositoryName".into(), json!(repo.aws_name));
    if let Some(description) = &repo.description {
        props.insert("RepositoryDescription".into(), json!(description));
    }
    put_tags(&mut props, &repo.tags);
    ctx.add(&id, "AWS::CodeCommit::Repository", &owner, props, retain());
}

/// A pipeline artifact name: `[A-Za-z0-9_-]` only.
pub(crate) fn artifact_name(prefix: &str, name: &str) -> String {
    let cleaned = sanitize(name, "-_", '_');
    let mut full = format!("{prefix}_{cleaned}");
    full.truncate(100);
    full
}

/// An action name: `[A-Za-z0-9.@_-]`, at most 100 characters.
fn action_name(name: &str) -> String {
    let mut cleaned = sanitize(name, "-_.@", '_');
    cleaned.truncate(100);
    cleaned
}

/// Emits a pipeline, its role and policy, its trigger rules and their role.
pub(crate) fn emit_pipeline(ctx: &mut Ctx<'_>, pipeline: &Pipeline) {
    let program = ctx.program;
    let owner = Owner::block(Kind::Pipeline, &pipeline.origin);
    let name = pipeline.origin.name.as_str();
    let id = primary_id(ctx, Kind::Pipeline, name);

    let mut stages = Vec::new();
    let mut sources: Vec<&Repo> = Vec::new();
    let mut permissions = Permissions::default();
    for stage in &pipeline.stages {
        let mut actions = Vec::new();
        let mut approvals = 0;
        for action in &stage.actions {
            let lowered = match action {
                Action::Source(repo_block) => {
                    let Some(repo) = program.repos.iter().find(|r| r.origin.name == *repo_block)
                    else {
                        ctx.bug(format!("unknown repo `{repo_block}`"));
                        continue;
                    };
                    sources.push(repo);
                    permissions.repos.push(repo_arn(ctx, repo_block));
                    json!({
                        "Name": action_name(repo_block),
                        "ActionTypeId": { "Category": "Source", "Owner": "AWS", "Provider": "CodeCommit", "Version": "1" },
                        "Configuration": {
                            "RepositoryName": repo_name(ctx, repo_block),
                            "BranchName": repo.branch,
                            "PollForSourceChanges": "false"
                        },
                        "OutputArtifacts": [{ "Name": artifact_name("Source", repo_block) }],
                        "RunOrder": 1
                    })
                }
                Action::Build(build_block) => {
                    let Some(build) = program
                        .builds
                        .iter()
                        .find(|b| b.origin.name == *build_block)
                    else {
                        ctx.bug(format!("unknown build `{build_block}`"));
                        continue;
                    };
                    let project = primary_id(ctx, Kind::Build, build_block);
                    permissions.projects.push(get_att(&project, "Arn"));
                    json!({
                        "Name": action_name(build_block),
                        "ActionTypeId": { "Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1" },
                        "Configuration": { "ProjectName": cfn_ref(&project) },
                        "InputArtifacts": [{ "Name": artifact_name("Source", &build.source) }],
                        "OutputArtifacts": [{ "Name": artifact_name("Build", build_block) }],
                        "RunOrder": 1
                    })
                }
                Action::Deploy(deploy_block) => {
                    let Some(deploy) = program
                        .deploys
                        .iter()
                        .find(|d| d.origin.name == *deploy_block)
                    else {
                        ctx.bug(format!("unknown deploy `{deploy_block}`"));
                        continue;
                    };
                    let (provider, configuration) = match &deploy.target {
                        Target::Ec2(ec2) => {
                            let app = primary_id(ctx, Kind::Deploy, deploy_block);
                            let group = ctx.lid("Deploy", deploy_block, "Group");
                            let (app_name, group_name) = (
                                sub_escape(&ec2.application_name),
                                sub_escape(&ec2.group_name),
                            );
                            let base =
                                "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}";
                            permissions.deploy_groups.push(sub(&format!(
                                "{base}:deploymentgroup:{app_name}/{group_name}"
                            )));
                            permissions
                                .applications
                                .push(sub(&format!("{base}:application:{app_name}")));
                            let config = sub(&format!(
                                "{base}:deploymentconfig:{}",
                                sub_escape(&ec2.config)
                            ));
                            if !permissions.configs.contains(&config) {
                                permissions.configs.push(config);
                            }
                            (
                                "CodeDeploy",
                                json!({ "ApplicationName": cfn_ref(&app), "DeploymentGroupName": cfn_ref(&group) }),
                            )
                        }
                        Target::S3(S3Deploy { site, prefix }) => {
                            let bucket = primary_id(ctx, Kind::Site, site);
                            permissions.sites.push(sub(&format!("${{{bucket}.Arn}}/*")));
                            permissions
                                .site_buckets
                                .push(sub(&format!("${{{bucket}.Arn}}")));
                            let mut configuration = Map::new();
                            configuration.insert("BucketName".into(), cfn_ref(&bucket));
                            configuration.insert("Extract".into(), json!("true"));
                            if let Some(prefix) = prefix {
                                configuration.insert("ObjectKey".into(), json!(prefix));
                            }
                            ("S3", Value::Object(configuration))
                        }
                    };
                    json!({
                        "Name": action_name(deploy_block),
                        "ActionTypeId": { "Category": "Deploy", "Owner": "AWS", "Provider": provider, "Version": "1" },
                        "Configuration": configuration,
                        "InputArtifacts": [{ "Name": artifact_name("Build", &deploy.from) }],
                        "RunOrder": 1
                    })
                }
                Action::Approval => {
                    approvals += 1;
                    let action = if approvals == 1 {
                        "approval".to_string()
                    } else {
                        format!("approval-{approvals}")
                    };
                    json!({
                        "Name": action,
                        "ActionTypeId": { "Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1" },
                        "RunOrder": 1
                    })
                }
            };
            actions.push(lowered);
        }
        stages.push(json!({ "Name": stage.name, "Actions": actions }));
    }

    let role_id = ctx.lid("Pipeline", name, "Role");
    let policy_id = ctx.lid("Pipeline", name, "RolePolicy");
    let statements = permissions.statements();
    let wait = emit_generated_role(
        ctx,
        GeneratedRole {
            role_id: role_id.clone(),
            policy_id,
            owner: owner.clone(),
            service: "codepipeline.amazonaws.com",
            source_arn: None,
            purpose: format!(
                "pipec: CodePipeline service role of pipeline {}",
                pipeline.aws_name
            ),
            statements,
            managed: Vec::new(),
            tags: &pipeline.tags,
        },
    );

    let mut props = Map::new();
    props.insert("Name".into(), json!(pipeline.aws_name));
    props.insert("PipelineType".into(), json!("V2"));
    props.insert("RoleArn".into(), get_att(&role_id, "Arn"));
    props.insert(
        "ArtifactStore".into(),
        json!({ "Type": "S3", "Location": cfn_ref(ARTIFACT_BUCKET) }),
    );
    props.insert("Stages".into(), Value::Array(stages));
    put_tags(&mut props, &pipeline.tags);
    let wait_for = if wait == role_id {
        Vec::new()
    } else {
        vec![wait]
    };
    ctx.add(
        &id,
        "AWS::CodePipeline::Pipeline",
        &owner,
        props,
        depends_on(&wait_for),
    );

    if !sources.is_empty() {
        emit_triggers(ctx, pipeline, &owner, &sources);
    }
}

/// One EventBridge rule per source repository, sharing one role that may only start this
/// pipeline.
fn emit_triggers(ctx: &mut Ctx<'_>, pipeline: &Pipeline, owner: &Owner, sources: &[&Repo]) {
    let name = pipeline.origin.name.as_str();
    let role_id = ctx.lid("Pipeline", name, "EventsRole");
    let policy_id = ctx.lid("Pipeline", name, "EventsRolePolicy");
    let arn = pipeline_arn(&pipeline.aws_name);
    let wait = emit_generated_role(
        ctx,
        GeneratedRole {
            role_id: role_id.clone(),
            policy_id,
            owner: owner.clone(),
            service: "events.amazonaws.com",
            source_arn: None,
            purpose: format!(
                "pipec: lets EventBridge start pipeline {}",
                pipeline.aws_name
            ),
            statements: vec![allow(
                "StartPipeline",
                &["codepipeline:StartPipelineExecution"],
                vec![arn.clone()],
            )],
            managed: Vec::new(),
            tags: &pipeline.tags,
        },
    );
    let mut target_id = sanitize(&format!("pipeline-{}", pipeline.aws_name), ".-_", '_');
    target_id.truncate(64);
    for repo in sources {
        let rule_id = ctx.lid(
            "Pipeline",
            name,
            &format!("Trigger{}", pascal(&repo.origin.name)),
        );
        if ctx.resources.contains_key(&rule_id) {
            continue;
        }
        let mut props = Map::new();
        props.insert(
            "Description".into(),
            json!(format!(
                "pipec: start pipeline on push to a branch of repo {}",
                repo.origin.name
            )
            .chars()
            .take(512)
            .collect::<String>()),
        );
        props.insert(
            "EventPattern".into(),
            json!({
                "source": ["aws.codecommit"],
                "detail-type": ["CodeCommit Repository State Change"],
                "resources": [repo_arn(ctx, &repo.origin.name)],
                "detail": {
                    "event": ["referenceCreated", "referenceUpdated"],
                    "referenceType": ["branch"],
                    "referenceName": [repo.branch]
                }
            }),
        );
        props.insert("State".into(), json!("ENABLED"));
        props.insert(
            "Targets".into(),
            json!([{ "Arn": arn, "Id": target_id, "RoleArn": get_att(&role_id, "Arn") }]),
        );
        let wait_for = if wait == role_id {
            Vec::new()
        } else {
            vec![wait.clone()]
        };
        ctx.add(
            &rule_id,
            "AWS::Events::Rule",
            owner,
            props,
            depends_on(&wait_for),
        );
    }
}

/// What a pipeline's actions touch, for its role's policy.
#[derive(Default)]
struct Permissions {
    repos: Vec<Value>,
    projects: Vec<Value>,
    deploy_groups: Vec<Value>,
    applications: Vec<Value>,
    configs: Vec<Value>,
    sites: Vec<Value>,
    site_buckets: Vec<Value>,
}

impl Permissions {
    fn statements(self) -> Vec<Value> {
        let (bucket, objects) = artifact_bucket_arns();
        let mut statements = vec![
            // AWS's "CodePipeline service role policy" page lists these for the artifact
            // store, `PutObjectAcl` and `GetBucketAcl` included (aws-facts §4.3).
            allow(
                "ArtifactObjects",
                &[
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:PutObjectAcl",
                ],
                vec![objects],
            ),
            allow(
                "ArtifactBucket",
                &[
                    "s3:GetBucketAcl",
                    "s3:GetBucketLocation",
                    "s3:GetBucketVersioning",
                ],
                vec![bucket],
            ),
        ];
        if !self.repos.is_empty() {
            statements.push(allow(
                "Source",
                &[
                    "codecommit:GetBranch",
                    "codecommit:GetCommit",
                    "codecommit:GetRepository",
                    "codecommit:UploadArchive",
                    "codecommit:GetUploadArchiveStatus",
                    "codecommit:CancelUploadArchive",
                ],
                self.repos,
            ));
        }
        if !self.projects.is_empty() {
            statements.push(allow(
                "Build",
                &["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
                self.projects,
            ));
        }
        if !self.deploy_groups.is_empty() {
            statements.push(allow(
                "Deployments",
                &["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
                self.deploy_groups,
            ));
            statements.push(allow(
                "Applications",
                &[
                    "codedeploy:GetApplication",
                    "codedeploy:GetApplicationRevision",
                    "codedeploy:RegisterApplicationRevision",
                ],
                self.applications,
            ));
            statements.push(allow(
                "DeploymentConfigs",
                &["codedeploy:GetDeploymentConfig"],
                self.configs,
            ));
        }
        if !self.sites.is_empty() {
            // The S3 deploy action reference lists the writes on the objects and these reads
            // on the bucket; the site buckets enforce bucket-owner ownership, so no ACL is
            // written and `PutObjectAcl` is not needed (aws-facts §4.3).
            statements.push(allow("Sites", &["s3:PutObject"], self.sites));
            statements.push(allow(
                "SiteBuckets",
                &[
                    "s3:GetBucketAcl",
                    "s3:GetBucketLocation",
                    "s3:GetBucketVersioning",
                ],
                self.site_buckets,
            ));
        }
        statements
    }
}
