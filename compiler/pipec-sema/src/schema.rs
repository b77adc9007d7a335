//! The schema of every block kind: attributes with their types, defaults, allowed values,
//! documentation and the AWS property they become; nested blocks; statements; exported
//! attributes. The checker enforces it and the language server shows it (hover, completion).

/// One attribute of a block.
#[derive(Debug)]
pub struct AttrSpec {
    /// Attribute name.
    pub name: &'static str,
    /// Type, as shown to users.
    pub ty: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// Default, as shown to users.
    pub default: Option<&'static str>,
    /// Allowed values for enumerations.
    pub values: &'static [&'static str],
    /// What it does.
    pub doc: &'static str,
    /// The AWS property it becomes.
    pub aws: &'static str,
}

/// One block kind (top-level or nested).
#[derive(Debug)]
pub struct BlockSpec {
    /// The keyword.
    pub keyword: &'static str,
    /// Where it may appear: `""` for top level, otherwise the parent keyword.
    pub parent: &'static str,
    /// What it is.
    pub doc: &'static str,
    /// What it compiles to.
    pub aws: &'static str,
    /// Attributes.
    pub attrs: &'static [AttrSpec],
    /// Nested block keywords.
    pub blocks: &'static [&'static str],
    /// Statement keywords allowed in the body.
    pub statements: &'static [&'static str],
    /// Attributes readable by references (`repo.app.arn`) and what they are.
    pub exports: &'static [(&'static str, &'static str)],
}

macro_rules! attr {
    ($name:literal, $ty:literal, req, $doc:literal, $aws:literal) => {
        AttrSpec {
            name: $name,
            ty: $ty,
            required: true,
            default: None,
            values: &[],
            doc: $doc,
            aws: $aws,
        }
    };
    ($name:literal, $ty:literal, $default:expr, $doc:literal, $aws:literal) => {
        AttrSpec {
            name: $name,
            ty: $ty,
            required: false,
            default: $default,
            values: &[],
            doc: $doc,
            aws: $aws,
        }
    };
    ($name:literal, $ty:literal, $default:expr, $values:expr, $doc:literal, $aws:literal) => {
        AttrSpec {
            name: $name,
            ty: $ty,
            required: false,
            default: $default,
            values: $values,
            doc: $doc,
            aws: $aws,
        }
    };
}

const TAGS: AttrSpec = attr!(
    "tags",
    "map of strings",
    None,
    "Tags of this resource; they override file-wide `tags` with the same key.",
    "Tags"
);

/// Hook events a script may run in: pipe name and CodeDeploy name, in lifecycle order.
pub const HOOK_EVENTS: &[(&str, &str)] = &[
    ("before_block_traffic", "BeforeBlockTraffic"),
    ("after_block_traffic", "AfterBlockTraffic"),
    ("application_stop", "ApplicationStop"),
    ("before_install", "BeforeInstall"),
    ("after_install", "AfterInstall"),
    ("application_start", "ApplicationStart"),
    ("validate_service", "ValidateService"),
    ("before_allow_traffic", "BeforeAllowTraffic"),
    ("after_allow_traffic", "AfterAllowTraffic"),
];

/// Build phases in order.
pub const PHASES: &[&str] = &["install", "pre_build", "build", "post_build"];

/// Deployment configs: pipe name and CodeDeploy name.
pub const DEPLOY_CONFIGS: &[(&str, &str)] = &[
    ("one_at_a_time", "CodeDeployDefault.OneAtATime"),
    ("half_at_a_time", "CodeDeployDefault.HalfAtATime"),
    ("all_at_once", "CodeDeployDefault.AllAtOnce"),
];

/// Compute sizes: pipe name and CodeBuild name.
pub const COMPUTE: &[(&str, &str)] = &[
    ("small", "BUILD_GENERAL1_SMALL"),
    ("medium", "BUILD_GENERAL1_MEDIUM"),
    ("large", "BUILD_GENERAL1_LARGE"),
    ("xlarge", "BUILD_GENERAL1_XLARGE"),
    ("2xlarge", "BUILD_GENERAL1_2XLARGE"),
];

/// Service principals usable in `trust`: `service.NAME`.
pub const SERVICES: &[(&str, &str)] = &[
    ("ec2", "ec2.amazonaws.com"),
    ("codebuild", "codebuild.amazonaws.com"),
    ("codedeploy", "codedeploy.amazonaws.com"),
    ("codepipeline", "codepipeline.amazonaws.com"),
    ("events", "events.amazonaws.com"),
    ("lambda", "lambda.amazonaws.com"),
    ("ecs_tasks", "ecs-tasks.amazonaws.com"),
    ("cloudformation", "cloudformation.amazonaws.com"),
];

/// Runtimes the CodeBuild standard images list (aws-facts §2.4), by image.
pub const RUNTIMES: &[(&str, &[(&str, &[&str])])] = &[
    (
        "aws/codebuild/standard:7.0",
        &[
            (
                "java",
                &[
                    "corretto8",
                    "corretto11",
                    "corretto17",
                    "corretto21",
                    "corretto25",
                ],
            ),
            (
                "golang",
                &["1.20", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26"],
            ),
            ("python", &["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]),
            ("php", &["8.2", "8.3", "8.4", "8.5"]),
            ("ruby", &["3.1", "3.2", "3.3", "3.4", "4.0"]),
            ("nodejs", &["18", "20", "22", "24"]),
            ("dotnet", &["6.0", "8.0", "10.0"]),
        ],
    ),
    (
        "aws/codebuild/standard:8.0",
        &[
            (
                "java",
                &[
                    "corretto8",
                    "corretto11",
                    "corretto17",
                    "corretto21",
                    "corretto25",
                ],
            ),
            ("golang", &["1.24", "1.25", "1.26"]),
            ("rust", &["1.93"]),
            ("python", &["3.11", "3.12", "3.13", "3.14"]),
            ("php", &["8.2", "8.3", "8.4", "8.5"]),
            ("ruby", &["3.3", "3.4", "4.0"]),
            ("nodejs", &["22", "24"]),
            ("dotnet", &["8.0", "10.0"]),
        ],
    ),
];

/// Built-in functions: name, signature, description.
pub const FUNCTIONS: &[(&str, &str, &str)] = &[
    ("aws_policy", "aws_policy(name: string)", "An AWS managed policy by path and name, e.g. `aws_policy(\"service-role/AWSCodeDeployRole\")`."),
    ("ssm", "ssm(parameter: string)", "A build variable read from SSM Parameter Store at build time."),
    ("secret", "secret(reference: string)", "A build variable read from Secrets Manager at build time (`secret-id[:json-key[:stage[:version]]]`)."),
    ("lower", "lower(text: string)", "The text in lower case."),
    ("upper", "upper(text: string)", "The text in upper case."),
    ("join", "join(separator: string, items: list)", "The items joined by the separator."),
    ("config_word", "config_word(value: string)", "The value, checked to be one word of a configuration file (a systemd unit, an nginx server block, an env file): no blank, control character or `; { } # ' \" \\ $ % `` ` `` (P3023)."),
    ("ssm_ami", "ssm_ami(os: string)", "The latest AMI of `amazon_linux` or `ubuntu`, resolved by CloudFormation from the public SSM parameter."),
];

/// Every block kind.
pub static BLOCKS: &[BlockSpec] = &[
    BlockSpec {
        keyword: "repo",
        parent: "",
        doc: "A CodeCommit repository: the pipeline's source.",
        aws: "AWS::CodeCommit::Repository (Retain), the source action, an EventBridge rule on push",
        attrs: &[
            attr!("name", "string", Some("<project>-<env>-<block name>"), "Repository name (1–100 of `A-Za-z0-9._-`).", "RepositoryName"),
            attr!("branch", "string", Some("\"main\""), "The branch whose pushes start the pipeline.", "BranchName"),
            attr!("description", "string", None, "Description.", "RepositoryDescription"),
            attr!("create", "bool", Some("true"), "`false` refers to an existing repository by `name` instead of creating one.", "-"),
            TAGS,
        ],
        blocks: &[],
        statements: &[],
        exports: &[("arn", "the repository ARN"), ("name", "the repository name"), ("clone_url_http", "HTTPS clone URL"), ("clone_url_ssh", "SSH clone URL")],
    },
    BlockSpec {
        keyword: "build",
        parent: "",
        doc: "A CodeBuild project and its generated buildspec.yml.",
        aws: "AWS::CodeBuild::Project + builds/<name>/buildspec.yml",
        attrs: &[
            attr!("source", "repo reference", req, "The repository it builds.", "Source (CODEPIPELINE)"),
            attr!("name", "string", Some("<project>-<env>-<block name>"), "Project name (2–255 of `A-Za-z0-9_-`).", "Name"),
            attr!("image", "string", Some("\"aws/codebuild/standard:7.0\""), "Build image.", "Environment.Image"),
            attr!("compute", "enum", Some("small"), &["small", "medium", "large", "xlarge", "2xlarge"], "Compute size.", "Environment.ComputeType"),
            attr!("privileged", "bool", Some("false"), "Docker-in-Docker.", "Environment.PrivilegedMode"),
            attr!("runtime", "map of strings", None, "runtime-versions of the install phase, e.g. `{ nodejs = \"20\" }`.", "buildspec phases.install.runtime-versions"),
            attr!("env", "map", None, "Environment variables: strings, `ssm(\"/name\")` or `secret(\"id\")`.", "Environment.EnvironmentVariables"),
            attr!("timeout", "number (minutes)", Some("60"), "Build timeout, 5–480 minutes.", "TimeoutInMinutes"),
            attr!("cache", "list of strings", None, "Paths cached between builds (local cache).", "Cache + buildspec cache.paths"),
            attr!("role", "role reference", None, "Use this role instead of the generated least-privilege one.", "ServiceRole"),
            attr!("description", "string", None, "Description.", "Description"),
            TAGS,
        ],
        blocks: &["install", "pre_build", "build", "post_build", "artifacts"],
        statements: &[],
        exports: &[("arn", "the project ARN"), ("name", "the project name")],
    },
    BlockSpec {
        keyword: "install",
        parent: "build",
        doc: "The install phase: commands run in one shell session with the other phases.",
        aws: "buildspec phases.install",
        attrs: &[
            attr!("on_failure", "enum", Some("abort"), &["abort", "continue"], "What a failed command does to the build.", "on-failure"),
            attr!("run_as", "string", None, "Linux user for this phase.", "run-as"),
        ],
        blocks: &["finally"],
        statements: &["run"],
        exports: &[],
    },
    BlockSpec { keyword: "pre_build", parent: "build", doc: "The pre_build phase.", aws: "buildspec phases.pre_build", attrs: PHASE_ATTRS, blocks: &["finally"], statements: &["run"], exports: &[] },
    BlockSpec { keyword: "build", parent: "build", doc: "The build phase.", aws: "buildspec phases.build", attrs: PHASE_ATTRS, blocks: &["finally"], statements: &["run"], exports: &[] },
    BlockSpec { keyword: "post_build", parent: "build", doc: "The post_build phase (runs even when build failed).", aws: "buildspec phases.post_build", attrs: PHASE_ATTRS, blocks: &["finally"], statements: &["run"], exports: &[] },
    BlockSpec { keyword: "finally", parent: "phase", doc: "Commands that run after the phase's commands, even when one failed.", aws: "buildspec phases.<phase>.finally", attrs: &[], blocks: &[], statements: &["run"], exports: &[] },
    BlockSpec {
        keyword: "artifacts",
        parent: "build",
        doc: "What the build outputs.",
        aws: "buildspec artifacts",
        attrs: &[
            attr!("files", "list of strings", Some("[\"**/*\"]"), "Globs of files to output.", "artifacts.files"),
            attr!("base_dir", "string", None, "Directory whose contents become the output root.", "artifacts.base-directory"),
            attr!("discard_paths", "bool", Some("false"), "Flatten paths.", "artifacts.discard-paths"),
            attr!("exclude", "list of strings", None, "Globs to leave out.", "artifacts.exclude-paths"),
        ],
        blocks: &[],
        statements: &[],
        exports: &[],
    },
    BlockSpec {
        keyword: "deploy",
        parent: "",
        doc: "A CodeDeploy deployment of a build's output to EC2 instances chosen by tags, or to an S3 site.",
        aws: "AWS::CodeDeploy::Application + DeploymentGroup, appspec.yml and hook scripts; or an S3 deploy action",
        attrs: &[
            attr!("from", "build reference", req, "The build whose output is deployed.", "the deploy action's input artifact"),
            attr!("target", "ec2 { tags } | s3 { site }", req, "Where: `ec2 { tags = { K = \"v\" } }` or `s3 { site = site.web }`.", "Ec2TagFilters / Ec2TagSet, or the S3 action's BucketName"),
            attr!("config", "enum", Some("one_at_a_time"), &["one_at_a_time", "half_at_a_time", "all_at_once"], "How many instances at a time.", "DeploymentConfigName"),
            attr!("file_exists", "enum", None, &["disallow", "overwrite", "retain"], "What to do with files that exist at a destination.", "appspec file_exists_behavior"),
            attr!("auto_rollback", "bool", Some("true"), "Redeploy the last good revision when a deployment fails.", "AutoRollbackConfiguration"),
            attr!("name", "string", Some("<project>-<env>-<block name>"), "CodeDeploy application and deployment group name.", "ApplicationName, DeploymentGroupName"),
            attr!("role", "role reference", None, "Use this CodeDeploy service role instead of the generated one.", "ServiceRoleArn"),
            TAGS,
        ],
        blocks: &["files", "permissions", "hook"],
        statements: &[],
        exports: &[("name", "the application name"), ("group", "the deployment group name")],
    },
    BlockSpec { keyword: "files", parent: "deploy", doc: "What the Install event copies: `\"source\" -> \"/destination\"` lines.", aws: "appspec files", attrs: &[], blocks: &[], statements: &[], exports: &[] },
    BlockSpec {
        keyword: "permissions",
        parent: "deploy",
        doc: "Ownership and mode of installed files: `permissions \"/path\" { owner = \"ubuntu\" mode = \"0755\" }`.",
        aws: "appspec permissions",
        attrs: &[
            attr!("owner", "string", None, "Owner.", "owner"),
            attr!("group", "string", None, "Group.", "group"),
            attr!("mode", "string", None, "Octal mode, e.g. \"0755\".", "mode"),
            attr!("pattern", "string", Some("\"**\""), "Glob below the object.", "pattern"),
            attr!("except", "list of strings", None, "Globs excluded.", "except"),
            attr!("type", "list of strings", None, "`file` and/or `directory`.", "type"),
        ],
        blocks: &[],
        statements: &[],
        exports: &[],
    },
    BlockSpec {
        keyword: "hook",
        parent: "deploy",
        doc: "A lifecycle hook: `hook EVENT \"name\" { run \"…\" }` or `hook EVENT \"name\" = preset { args }`.",
        aws: "appspec hooks.<Event> + scripts/<Event>-<name>.sh",
        attrs: &[
            attr!("timeout", "number (seconds)", Some("3600"), "Seconds before the agent kills the script (1–3600; all hooks of one event together at most 3600).", "timeout"),
            attr!("runas", "string", None, "Run the script as this user.", "runas"),
            attr!("needs", "list of strings", None, pipec_ir::software::NAMES, "Software the commands need on the instance; the instances the deploy selects install it at first boot (P4007 when one never does).", "UserData"),
        ],
        blocks: &[],
        statements: &["run"],
        exports: &[],
    },
    BlockSpec {
        keyword: "instance",
        parent: "",
        doc: "An EC2 instance to deploy to, with the CodeDeploy agent installed at first boot.",
        aws: "AWS::EC2::Instance (+ security group)",
        attrs: &[
            attr!("ami", "string", Some("ssm_ami(\"amazon_linux\")"), "AMI id, or `ssm_ami(\"amazon_linux\" | \"ubuntu\")`.", "ImageId"),
            attr!("type", "string", Some("\"t3.micro\""), "Instance type.", "InstanceType"),
            attr!("role", "role reference", None, "A role with `profile = true`; the instance gets its profile. Without it, a least-privilege role is generated when `agent = codedeploy`.", "IamInstanceProfile"),
            attr!("agent", "enum", Some("codedeploy"), &["codedeploy", "none"], "Install and start the CodeDeploy agent from UserData.", "UserData"),
            attr!("os", "enum", Some("amazon_linux"), &["amazon_linux", "ubuntu"], "The AMI's OS family (decides how the agent is installed).", "UserData"),
            attr!("ingress", "list of ports or { port, cidr }", None, "Open these TCP ports in a generated security group.", "SecurityGroupIngress"),
            attr!("key_name", "string", None, "EC2 key pair name.", "KeyName"),
            attr!("subnet", "string", None, "Subnet id.", "SubnetId"),
            attr!("vpc", "string", None, "VPC id of the generated security group; required with `subnet` and `ingress`.", "SecurityGroup.VpcId"),
            attr!("software", "list of strings", None, pipec_ir::software::NAMES, "Software the UserData installs at first boot (packages for the instance's `os`). Without it: what the hooks that target the instance need.", "UserData"),
            TAGS,
        ],
        blocks: &[],
        statements: &[],
        exports: &[("id", "the instance id"), ("public_ip", "public IP"), ("public_dns", "public DNS name"), ("private_ip", "private IP")],
    },
    BlockSpec {
        keyword: "site",
        parent: "",
        doc: "An S3 bucket serving a public static website.",
        aws: "AWS::S3::Bucket (website, Retain) + AWS::S3::BucketPolicy",
        attrs: &[
            attr!("bucket", "string", None, "Bucket name (3–63 of `a-z0-9.-`); generated when omitted.", "BucketName"),
            attr!("index", "string", Some("\"index.html\""), "Index document.", "WebsiteConfiguration.IndexDocument"),
            attr!("error", "string", None, "Error document.", "WebsiteConfiguration.ErrorDocument"),
            TAGS,
        ],
        blocks: &[],
        statements: &[],
        exports: &[("arn", "bucket ARN"), ("name", "bucket name"), ("url", "website URL")],
    },
    BlockSpec {
        keyword: "role",
        parent: "",
        doc: "An IAM role: who may assume it, its policies, and optionally an instance profile.",
        aws: "AWS::IAM::Role (+ AWS::IAM::InstanceProfile)",
        attrs: &[
            attr!("trust", "list of service.NAME", req, "Services that may assume the role, e.g. `[service.ec2]`.", "AssumeRolePolicyDocument"),
            attr!("managed", "list of policy references or aws_policy(…)", None, "Managed policies.", "ManagedPolicyArns"),
            attr!("profile", "bool", Some("false"), "Also create an instance profile.", "AWS::IAM::InstanceProfile"),
            attr!("boundary", "string or aws_policy(…)", None, "Permissions boundary.", "PermissionsBoundary"),
            attr!("name", "string", Some("<project>-<env>-<block name>"), "Role name (1–64 of `A-Za-z0-9+=,.@_-`).", "RoleName"),
            attr!("description", "string", None, "Description.", "Description"),
            TAGS,
        ],
        blocks: &[],
        statements: &["allow", "deny"],
        exports: &[("arn", "role ARN"), ("name", "role name")],
    },
    BlockSpec {
        keyword: "policy",
        parent: "",
        doc: "A customer-managed IAM policy: `allow [actions] on [resources]` and `deny …` statements.",
        aws: "AWS::IAM::ManagedPolicy",
        attrs: &[
            attr!("name", "string", Some("<project>-<env>-<block name>"), "Policy name (1–128).", "ManagedPolicyName"),
            attr!("description", "string", None, "Description.", "Description"),
        ],
        blocks: &[],
        statements: &["allow", "deny"],
        exports: &[("arn", "policy ARN")],
    },
    BlockSpec {
        keyword: "group",
        parent: "",
        doc: "An IAM group.",
        aws: "AWS::IAM::Group",
        attrs: &[
            attr!("policies", "list of policy references or aws_policy(…)", None, "Attached policies.", "ManagedPolicyArns"),
            attr!("name", "string", Some("<project>-<env>-<block name>"), "Group name (1–128).", "GroupName"),
        ],
        blocks: &[],
        statements: &[],
        exports: &[("arn", "group ARN"), ("name", "group name")],
    },
    BlockSpec {
        keyword: "user",
        parent: "",
        doc: "An IAM user (no console password or access keys are created).",
        aws: "AWS::IAM::User",
        attrs: &[
            attr!("groups", "list of group references", None, "Groups the user belongs to (at most 10).", "Groups"),
            attr!("policies", "list of policy references or aws_policy(…)", None, "Policies attached directly (prefer groups).", "ManagedPolicyArns"),
            attr!("name", "string", Some("<block name>"), "User name (1–64).", "UserName"),
            TAGS,
        ],
        blocks: &[],
        statements: &[],
        exports: &[("arn", "user ARN"), ("name", "user name")],
    },
    BlockSpec {
        keyword: "pipeline",
        parent: "",
        doc: "A CodePipeline (V2): stages of sources, builds, approvals and deploys, started on every push.",
        aws: "AWS::CodePipeline::Pipeline + artifact bucket (Retain) + roles",
        attrs: &[
            attr!("name", "string", Some("<project>-<env>-<block name>"), "Pipeline name.", "Name"),
            TAGS,
        ],
        blocks: &["stage"],
        statements: &[],
        exports: &[("name", "pipeline name"), ("arn", "pipeline ARN")],
    },
    BlockSpec {
        keyword: "stage",
        parent: "pipeline",
        doc: "A stage: references to `repo`, `build` and `deploy` blocks (run in parallel), or `approval`.",
        aws: "Stages[]",
        attrs: &[],
        blocks: &[],
        statements: &[],
        exports: &[],
    },
    BlockSpec {
        keyword: "tags",
        parent: "",
        doc: "Tags applied to every taggable resource of the program.",
        aws: "Tags",
        attrs: &[],
        blocks: &[],
        statements: &[],
        exports: &[],
    },
    BlockSpec {
        keyword: "preset",
        parent: "",
        doc: "A reusable body with parameters: `preset start { param dir = string  run \"cd ${dir}\" }`, applied as `= module.start { dir = \"/srv\" }`.",
        aws: "-",
        attrs: &[],
        blocks: &[],
        statements: &["run", "allow", "deny"],
        exports: &[],
    },
];

const PHASE_ATTRS: &[AttrSpec] = &[
    attr!(
        "on_failure",
        "enum",
        Some("abort"),
        &["abort", "continue"],
        "What a failed command does to the build.",
        "on-failure"
    ),
    attr!(
        "run_as",
        "string",
        None,
        "Linux user for this phase.",
        "run-as"
    ),
];

/// Top-level keywords that are not resource blocks.
pub const TOP_LEVEL_EXTRA: &[(&str, &str)] = &[
    (
        "use",
        "Import a stdlib module (`use std.hooks.node`) or a file (`use \"./common.pipe\"`).",
    ),
    (
        "param",
        "A compile-time value overridable with `--var name=value`.",
    ),
    ("let", "A named compile-time value."),
    (
        "output",
        "A value shown after apply (a CloudFormation output).",
    ),
    (
        "project",
        "`project = \"name\"`: the prefix of generated names and the stack name.",
    ),
];

/// The spec of a top-level block kind.
#[must_use]
pub fn top_level(keyword: &str) -> Option<&'static BlockSpec> {
    BLOCKS
        .iter()
        .find(|spec| spec.parent.is_empty() && spec.keyword == keyword)
}

/// The spec of a nested block kind under `parent`.
#[must_use]
pub fn nested(parent: &str, keyword: &str) -> Option<&'static BlockSpec> {
    BLOCKS
        .iter()
        .find(|spec| spec.parent == parent && spec.keyword == keyword)
}

/// Known IAM service prefixes (for action syntax checks).
pub const IAM_SERVICES: &[&str] = &[
    "access-analyzer",
    "acm",
    "apigateway",
    "application-autoscaling",
    "appsync",
    "athena",
    "autoscaling",
    "backup",
    "batch",
    "budgets",
    "ce",
    "cloud9",
    "cloudformation",
    "cloudfront",
    "cloudtrail",
    "cloudwatch",
    "codeartifact",
    "codebuild",
    "codecommit",
    "codeconnections",
    "codedeploy",
    "codeguru",
    "codepipeline",
    "codestar",
    "codestar-connections",
    "codestar-notifications",
    "cognito-identity",
    "cognito-idp",
    "config",
    "datasync",
    "dax",
    "dms",
    "ds",
    "dynamodb",
    "ebs",
    "ec2",
    "ec2messages",
    "ecr",
    "ecr-public",
    "ecs",
    "eks",
    "elasticache",
    "elasticbeanstalk",
    "elasticfilesystem",
    "elasticloadbalancing",
    "elasticmapreduce",
    "es",
    "events",
    "firehose",
    "glacier",
    "glue",
    "guardduty",
    "iam",
    "identitystore",
    "imagebuilder",
    "inspector2",
    "iot",
    "kafka",
    "kinesis",
    "kms",
    "lambda",
    "lightsail",
    "logs",
    "organizations",
    "pipes",
    "quicksight",
    "ram",
    "rds",
    "rds-data",
    "redshift",
    "resource-groups",
    "route53",
    "route53domains",
    "s3",
    "s3-object-lambda",
    "sagemaker",
    "scheduler",
    "schemas",
    "secretsmanager",
    "securityhub",
    "servicecatalog",
    "servicequotas",
    "ses",
    "shield",
    "sns",
    "sqs",
    "ssm",
    "ssmmessages",
    "sso",
    "states",
    "sts",
    "support",
    "tag",
    "transfer",
    "waf",
    "wafv2",
    "xray",
];
