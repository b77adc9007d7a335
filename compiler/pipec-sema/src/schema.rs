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

/// What a string attribute may hold beyond being a string: what AWS accepts there and what a
/// shell or a path can carry safely. The checker enforces it (P3004, or P3008 for branch
/// names); hover and completion can show [`FieldRule::doc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRule {
    /// A git branch: 1–256 characters (CodeCommit, aws-facts §6) following git's ref rules.
    GitBranch,
    /// A Linux user or group name, as `su`/`chown` take it.
    LinuxUser,
    /// A description of at most this many characters (aws-facts §2 and §3: CodeBuild 255,
    /// CodeCommit 1,000, IAM roles and managed policies 1,000).
    Description(usize),
    /// An absolute path on the instance (appspec `destination`, permission `object`).
    InstancePath,
    /// A path or glob relative to the source or build output (`base_dir`, `files`, `cache`).
    RelativePath,
    /// The value of a build environment variable.
    EnvValue,
}

/// The field rules by block keyword and attribute (`""` attribute: the block's label or its
/// `source -> destination` lines, as named in the rule's doc).
pub const FIELD_RULES: &[(&str, &str, FieldRule)] = &[
    ("repo", "branch", FieldRule::GitBranch),
    ("repo", "description", FieldRule::Description(1000)),
    ("build", "description", FieldRule::Description(255)),
    ("build", "cache", FieldRule::RelativePath),
    ("build", "env", FieldRule::EnvValue),
    ("role", "description", FieldRule::Description(1000)),
    ("policy", "description", FieldRule::Description(1000)),
    ("artifacts", "base_dir", FieldRule::RelativePath),
    ("artifacts", "files", FieldRule::RelativePath),
    ("artifacts", "exclude", FieldRule::RelativePath),
    ("phase", "run_as", FieldRule::LinuxUser),
    ("hook", "runas", FieldRule::LinuxUser),
    ("permissions", "owner", FieldRule::LinuxUser),
    ("permissions", "group", FieldRule::LinuxUser),
    ("permissions", "pattern", FieldRule::RelativePath),
    ("permissions", "except", FieldRule::RelativePath),
    ("files", "destination", FieldRule::InstancePath),
    ("files", "source", FieldRule::RelativePath),
];

/// The rule of `attr` in blocks `block`, if it has one.
#[must_use]
pub fn field_rule(block: &str, attr: &str) -> Option<FieldRule> {
    FIELD_RULES
        .iter()
        .find(|(owner, name, _)| *owner == block && *name == attr)
        .map(|(_, _, rule)| *rule)
}

/// Bidirectional-text controls (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F):
/// they make text display in an order other than the one it is read in.
#[must_use]
pub fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

impl FieldRule {
    /// What the rule allows, for hover and help lines.
    #[must_use]
    pub fn doc(self) -> String {
        match self {
            FieldRule::GitBranch => "a git branch name: 1 to 256 characters, no spaces, control characters, `~ ^ : ? * [ \\`, `..`, `@{` or `//`, not starting with `-`, `/` or `.`, not ending with `/`, `.` or `.lock`".into(),
            FieldRule::LinuxUser => "a Linux user or group name: 1 to 32 letters, digits, `_`, `.` or `-`, starting with a letter or `_`".into(),
            FieldRule::Description(max) => format!("at most {max} characters, without control characters (tab and newline allowed) or bidirectional-text controls"),
            FieldRule::InstancePath => "an absolute path without `..` components, control characters or bidirectional-text controls".into(),
            FieldRule::RelativePath => "a relative path or glob without `..` components, a leading `-` or `/`, control characters or bidirectional-text controls".into(),
            FieldRule::EnvValue => "any text without control characters (tab allowed) or bidirectional-text controls, at most 4,096 characters; use `secret(\"…\")` for multi-line values".into(),
        }
    }

    /// What is wrong with `text` under this rule, if anything (a short phrase).
    #[must_use]
    pub fn problem(self, text: &str) -> Option<String> {
        let control = |allowed: &str| {
            text.chars()
                .find(|ch| (ch.is_control() && !allowed.contains(*ch)) || is_bidi_control(*ch))
                .map(|ch| format!("it contains the control character U+{:04X}", u32::from(ch)))
        };
        match self {
            FieldRule::GitBranch => {
                let length = text.chars().count();
                if length == 0 || length > 256 {
                    return Some(format!("it is {length} characters long (1 to 256 allowed)"));
                }
                if let Some(problem) = control("") {
                    return Some(problem);
                }
                if let Some(ch) = text.chars().find(|ch| " ~^:?*[\\".contains(*ch)) {
                    return Some(format!("it contains `{ch}`"));
                }
                for bad in ["..", "@{", "//"] {
                    if text.contains(bad) {
                        return Some(format!("it contains `{bad}`"));
                    }
                }
                if text == "@" {
                    return Some("`@` alone is not a branch".into());
                }
                if text.starts_with(['-', '/', '.']) {
                    return Some("it starts with `-`, `/` or `.`".into());
                }
                if text.ends_with(['/', '.']) || text.ends_with(".lock") {
                    return Some("it ends with `/`, `.` or `.lock`".into());
                }
                if text.split('/').any(|part| part.starts_with('.')) {
                    return Some("a part of it starts with `.`".into());
                }
                None
            }
            FieldRule::LinuxUser => {
                let body = text.strip_suffix('$').unwrap_or(text);
                let length = text.chars().count();
                if length == 0 || length > 32 {
                    return Some(format!("it is {length} characters long (1 to 32 allowed)"));
                }
                if !body.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_') {
                    return Some("it does not start with a letter or `_`".into());
                }
                if let Some(ch) = body
                    .chars()
                    .find(|ch| !(ch.is_ascii_alphanumeric() || "_.-".contains(*ch)))
                {
                    return Some(format!("it contains {}", describe_char(ch)));
                }
                None
            }
            FieldRule::Description(max) => {
                let length = text.chars().count();
                if length > max {
                    return Some(format!("it is {length} characters long (at most {max})"));
                }
                control("\t\n\r")
            }
            FieldRule::InstancePath => {
                if let Some(problem) = control("") {
                    return Some(problem);
                }
                if text.split('/').any(|part| part == "..") {
                    return Some("it has a `..` component".into());
                }
                None
            }
            FieldRule::RelativePath => {
                if let Some(problem) = control("") {
                    return Some(problem);
                }
                if text.split(['/', '\\']).any(|part| part == "..") {
                    return Some("it has a `..` component".into());
                }
                if text.starts_with('-') {
                    return Some("it starts with `-`, which commands read as an option".into());
                }
                None
            }
            FieldRule::EnvValue => {
                let length = text.chars().count();
                if length > 4096 {
                    return Some(format!("it is {length} characters long (at most 4096)"));
                }
                control("\t")
            }
        }
    }
}

fn describe_char(ch: char) -> String {
    if ch.is_control() || ch.is_whitespace() || is_bidi_control(ch) {
        format!("the character U+{:04X}", u32::from(ch))
    } else {
        format!("`{ch}`")
    }
}

#[cfg(test)]
mod field_rule_tests {
    use super::*;

    #[test]
    fn rules_reject_what_aws_or_a_shell_would_not_take() {
        let branch = FieldRule::GitBranch;
        assert_eq!(branch.problem("release/1.2"), None);
        assert!(branch.problem("main\n").is_some());
        assert!(branch.problem("ma\u{202e}in").is_some());
        assert!(branch.problem("a..b").is_some());
        assert!(branch.problem("-x").is_some());
        assert!(branch.problem(&"b".repeat(257)).is_some());
        let user = FieldRule::LinuxUser;
        assert_eq!(user.problem("ec2-user"), None);
        assert!(user.problem("root\n").is_some());
        assert!(user.problem("r\u{200f}oot").is_some());
        assert!(user.problem("-rf").is_some());
        assert_eq!(FieldRule::Description(255).problem("ok\nfine"), None);
        assert!(FieldRule::Description(255)
            .problem(&"d".repeat(2000))
            .is_some());
        assert!(FieldRule::RelativePath.problem("-rf").is_some());
        assert!(FieldRule::RelativePath.problem("../../etc").is_some());
        assert_eq!(FieldRule::RelativePath.problem("dist/**/*"), None);
        assert!(FieldRule::InstancePath
            .problem("/../../../../tmp/x")
            .is_some());
        assert_eq!(FieldRule::InstancePath.problem("/srv/app"), None);
        assert!(FieldRule::EnvValue.problem("a\nb").is_some());
        assert_eq!(field_rule("hook", "runas"), Some(FieldRule::LinuxUser));
    }
}
