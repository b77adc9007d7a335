//! IR programs shaped like the seed example, built by hand: an EC2 program (repo, build, EC2
//! deploy with four hooks, instance with tags and a role with profile, IAM blocks, pipeline)
//! and an S3 site program. `nasty` puts hostile text into every data string.
#![allow(dead_code)]

use pipec_ir::*;
use pipec_span::{FileId, Span};

const FILE: &str = "examples/seed-ec2/pipeline.pipe";

fn origin(name: &str, line: u32) -> Origin {
    Origin {
        name: name.into(),
        span: span(),
        location: format!("{FILE}:{line}"),
    }
}

fn span() -> Span {
    Span {
        file: FileId(0),
        range: 0..0,
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

fn hook(
    event: &str,
    name: &str,
    commands: &[&str],
    timeout: Option<i64>,
    runas: Option<&str>,
    line: u32,
) -> Hook {
    Hook {
        event: event.into(),
        name: name.into(),
        commands: commands.iter().map(|c| c.to_string()).collect(),
        timeout,
        runas: runas.map(Into::into),
        needs: Vec::new(),
        span: span(),
        location: format!("{FILE}:{line}"),
    }
}

/// The seed-like EC2 program. `data` is inserted into every data string (paths, names of
/// files, env values, tags, descriptions); `""` gives the plain program.
pub fn ec2_program(data: &str) -> Program {
    // Tags are checked against AWS's tag charset before emit: only the allowed part of `data`.
    let tag_data: String = data
        .chars()
        .filter(|c| c.is_alphanumeric() || " _.:/=+-@".contains(*c))
        .collect();
    let tags = vec![
        tag("project", &format!("fe-server{tag_data}")),
        tag("env", "dev"),
    ];
    let mut instance_tags = tags.clone();
    instance_tags.push(tag("Name", &format!("fe-server-dev{tag_data}")));
    instance_tags.push(tag("role", "web"));
    Program {
        project: "fe-server".into(),
        env: Some("dev".into()),
        stack_name: "fe-server-dev".into(),
        source_name: FILE.into(),
        tags: tags.clone(),
        repos: vec![Repo {
            origin: origin("app", 14),
            aws_name: "fe-server-dev-app".into(),
            branch: "main".into(),
            description: Some(format!("Front-end server{data}")),
            create: true,
            tags: tags.clone(),
        }],
        builds: vec![Build {
            origin: origin("app", 30),
            aws_name: "fe-server-dev-app".into(),
            source: "app".into(),
            image: "aws/codebuild/standard:7.0".into(),
            compute: "BUILD_GENERAL1_SMALL".into(),
            environment_type: "LINUX_CONTAINER".into(),
            privileged: false,
            runtimes: vec![("nodejs".into(), "20".into()), ("python".into(), "3.10".into())],
            env: vec![
                EnvVar { name: "NODE_ENV".into(), kind: EnvKind::Plaintext, value: format!("production{data}") },
                EnvVar { name: "API_TOKEN".into(), kind: EnvKind::ParameterStore, value: "/fe/token".into() },
                EnvVar { name: "DB_PASSWORD".into(), kind: EnvKind::SecretsManager, value: "prod/db:password".into() },
            ],
            phases: vec![
                Phase {
                    name: "install".into(),
                    commands: vec!["npm ci".into()],
                    finally: vec![],
                    on_failure: Some("ABORT".into()),
                    run_as: None,
                },
                Phase {
                    name: "build".into(),
                    commands: vec!["npm run build".into(), "echo \"done: yes # really\"".into()],
                    finally: vec!["echo finished".into()],
                    on_failure: None,
                    run_as: None,
                },
            ],
            artifacts: Artifacts {
                files: vec!["**/*".into()],
                base_dir: Some(format!("dist{data}")),
                discard_paths: false,
                exclude: vec!["**/*.map".into()],
            },
            cache: vec!["node_modules/**/*".into()],
            timeout_minutes: 30,
            role: None,
            description: Some(format!("Builds the app{data}")),
            tags: tags.clone(),
        }],
        deploys: vec![Deploy {
            origin: origin("web", 40),
            from: "app".into(),
            target: Target::Ec2(Ec2Deploy {
            application_name: "fe-server-dev-web".into(),
            group_name: "fe-server-dev-web".into(),
            groups: vec![vec![TagFilter { key: "role".into(), value: "web".into() }]],
            config: "CodeDeployDefault.AllAtOnce".into(),
            files: vec![("/".into(), format!("/home/ubuntu/app{data}"))],
            file_exists: Some("OVERWRITE".into()),
            permissions: vec![Permission {
                object: format!("/home/ubuntu/app{data}"),
                pattern: Some("**".into()),
                except: vec![],
                owner: Some("ubuntu".into()),
                group: Some("ubuntu".into()),
                mode: Some("0755".into()),
                types: vec!["directory".into()],
            }],
            hooks: vec![
                hook("ApplicationStop", "stop", &["systemctl stop pipec-node || true"], Some(60), None, 42),
                hook(
                    "BeforeInstall",
                    "initialize",
                    &["mkdir -p /home/ubuntu/app", "apt-get install -y nodejs"],
                    Some(300),
                    None,
                    44,
                ),
                hook("AfterInstall", "install", &["cd /home/ubuntu/app", "npm ci --omit=dev"], Some(600), Some("ubuntu"), 46),
                hook("ApplicationStart", "start", &["systemctl restart pipec-node"], Some(120), None, 48),
            ],
            auto_rollback: true,
            role: None,
            }),
            tags: tags.clone(),
        }],
        instances: vec![Instance {
            origin: origin("web", 20),
            ami: "{{resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id}}"
                .into(),
            instance_type: "t3.micro".into(),
            role: Some("web".into()),
            agent: true,
            os: "ubuntu".into(),
            ingress: vec![Ingress { port: 80, cidr: "0.0.0.0/0".into() }],
            key_name: None,
            subnet: None,
            vpc: None,
            tags: instance_tags,
            software: vec!["node".into()],
            software_span: None,
        }],
        sites: vec![],
        roles: vec![Role {
            origin: origin("web", 24),
            aws_name: "fe-server-dev-web".into(),
            trust: vec!["ec2.amazonaws.com".into()],
            managed: vec![ManagedPolicy::Aws("AmazonSSMManagedInstanceCore".into())],
            statements: vec![],
            profile: true,
            boundary: None,
            description: Some(format!("Instance role{data}")),
            tags: tags.clone(),
        }],
        policies: vec![Policy {
            origin: origin("deployers", 60),
            aws_name: "fe-server-dev-deployers".into(),
            statements: vec![Statement {
                sid: Some("ReadRepo".into()),
                effect: Effect::Allow,
                actions: vec!["codecommit:GitPull".into(), "codecommit:GitPush".into()],
                resources: vec![
                    IamResource::Block(Kind::Repo, "app".into()),
                    IamResource::Text(Text::Parts(vec![
                        TextPart::Attr(AttrRef { kind: Kind::Build, name: "app".into(), attr: "arn".into(), cfn: Cfn::GetAtt("Arn") }),
                        TextPart::Literal("/*".into()),
                    ])),
                ],
                condition: vec![("Bool".into(), vec![("aws:MultiFactorAuthPresent".into(), vec!["true".into()])])],
            }],
            description: Some("People who push".into()),
        }],
        groups: vec![Group {
            origin: origin("deployers", 66),
            aws_name: "fe-server-dev-deployers".into(),
            policies: vec![ManagedPolicy::Declared("deployers".into())],
        }],
        users: vec![User {
            origin: origin("alice", 70),
            aws_name: "alice".into(),
            groups: vec!["deployers".into()],
            policies: vec![],
            tags: tags.clone(),
        }],
        pipelines: vec![Pipeline {
            origin: origin("main", 52),
            aws_name: "fe-server-dev-main".into(),
            stages: vec![
                Stage { name: "source".into(), actions: vec![Action::Source("app".into())], location: format!("{FILE}:53") },
                Stage { name: "build".into(), actions: vec![Action::Build("app".into())], location: format!("{FILE}:54") },
                Stage { name: "deploy".into(), actions: vec![Action::Deploy("web".into())], location: format!("{FILE}:55") },
            ],
            tags: tags.clone(),
        }],
        outputs: vec![
            Output {
                origin: origin("clone_url", 80),
                value: Text::Parts(vec![TextPart::Attr(AttrRef {
                    kind: Kind::Repo,
                    name: "app".into(),
                    attr: "clone_url_http".into(),
                    cfn: Cfn::GetAttOrExisting("CloneUrlHttp", "https://git-codecommit.${AWS::Region}.amazonaws.com/v1/repos/{}"),
                })]),
                description: Some("Clone URL".into()),
            },
            Output {
                origin: origin("site_url", 82),
                value: Text::Parts(vec![
                    TextPart::Literal("http://".into()),
                    TextPart::Attr(AttrRef { kind: Kind::Instance, name: "web".into(), attr: "public_dns".into(), cfn: Cfn::GetAtt("PublicDnsName") }),
                    TextPart::Literal(format!("/${{x}}{data}")),
                ]),
                description: None,
            },
        ],
    }
}

/// An S3 static-site program: repo, build, S3 deploy with a prefix, approval, site bucket.
pub fn site_program(data: &str) -> Program {
    let mut program = ec2_program(data);
    program.project = "docs".into();
    program.stack_name = "docs-dev".into();
    program.instances.clear();
    program.roles.clear();
    program.policies.clear();
    program.groups.clear();
    program.users.clear();
    program.builds[0].runtimes = vec![("python".into(), "3.12".into())];
    program.builds[0].env.truncate(1);
    program.builds[0].cache.clear();
    program.deploys = vec![Deploy {
        origin: origin("site", 40),
        from: "app".into(),
        target: Target::S3(S3Deploy {
            site: "docs".into(),
            prefix: Some("v1".into()),
        }),
        tags: program.tags.clone(),
    }];
    program.sites = vec![Site {
        origin: origin("docs", 36),
        bucket_name: None,
        index: "index.html".into(),
        error: Some("404.html".into()),
        tags: program.tags.clone(),
    }];
    program.pipelines[0].stages.insert(
        2,
        Stage {
            name: "approve".into(),
            actions: vec![Action::Approval],
            location: format!("{FILE}:55"),
        },
    );
    program.pipelines[0].stages[3].actions = vec![Action::Deploy("site".into())];
    program.outputs = vec![Output {
        origin: origin("url", 80),
        value: Text::Parts(vec![TextPart::Attr(AttrRef {
            kind: Kind::Site,
            name: "docs".into(),
            attr: "url".into(),
            cfn: Cfn::GetAtt("WebsiteURL"),
        })]),
        description: Some("Website".into()),
    }];
    program
}

/// Hostile text: command substitution, backticks, quotes, newline, `: `, `#`, non-ASCII.
pub const NASTY: &str = "$(touch x)`touch x`'\"\n: #ünï";
