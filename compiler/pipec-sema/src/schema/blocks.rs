//! The tables of the schema: every block kind (top level and nested), the deploy targets, and
//! the enumerations whose choices carry their AWS values.

use pipec_ir::{Cfn, Kind};

use super::{AttrSpec, AttrType, BlockSpec, Choice, DefaultValue, Export, Literal};

macro_rules! attr {
    ($name:literal, $ty:expr, req, $doc:literal, $aws:literal) => {
        AttrSpec {
            name: $name,
            ty: $ty,
            required: true,
            default: None,
            doc: $doc,
            aws: $aws,
        }
    };
    ($name:literal, $ty:expr, $default:expr, $doc:literal, $aws:literal) => {
        AttrSpec {
            name: $name,
            ty: $ty,
            required: false,
            default: $default,
            doc: $doc,
            aws: $aws,
        }
    };
}

macro_rules! choices {
    ($($name:literal => $aws:literal),* $(,)?) => {
        &[$(Choice { name: $name, aws: $aws }),*]
    };
}

macro_rules! exports {
    ($($name:literal => $cfn:expr, $doc:literal);* $(;)?) => {
        &[$(Export { name: $name, doc: $doc, cfn: $cfn }),*]
    };
}

use AttrType::{
    Bool, Enum, EnvMap, Number, Policies, PolicyArn, Ports, Ref, RefList, Services, Software, Str,
    StrList, StrMap, TagGroups,
};
use DefaultValue::{Aws, Derived, Written};

const PREFIXED_NAME: Option<DefaultValue> = Some(Derived("<project>-<env>-<block name>"));

/// Compute sizes of a build: pipe name and CodeBuild name.
pub static COMPUTE: &[Choice] = choices![
    "small" => "BUILD_GENERAL1_SMALL",
    "medium" => "BUILD_GENERAL1_MEDIUM",
    "large" => "BUILD_GENERAL1_LARGE",
    "xlarge" => "BUILD_GENERAL1_XLARGE",
    "2xlarge" => "BUILD_GENERAL1_2XLARGE",
];

/// Deployment configs: pipe name and CodeDeploy name.
pub static DEPLOY_CONFIGS: &[Choice] = choices![
    "one_at_a_time" => "CodeDeployDefault.OneAtATime",
    "half_at_a_time" => "CodeDeployDefault.HalfAtATime",
    "all_at_once" => "CodeDeployDefault.AllAtOnce",
];

static ON_FAILURE: &[Choice] = choices!["abort" => "ABORT", "continue" => "CONTINUE"];

static FILE_EXISTS: &[Choice] = choices![
    "disallow" => "DISALLOW",
    "overwrite" => "OVERWRITE",
    "retain" => "RETAIN",
];

static AGENTS: &[Choice] = choices!["codedeploy" => "codedeploy", "none" => "none"];

static OS_FAMILIES: &[Choice] = choices!["amazon_linux" => "amazon_linux", "ubuntu" => "ubuntu"];

const TAGS: AttrSpec = attr!(
    "tags",
    StrMap,
    None,
    "Tags of this resource; they override file-wide `tags` with the same key.",
    "Tags"
);

const PHASE_ATTRS: &[AttrSpec] = &[
    attr!(
        "on_failure",
        Enum(ON_FAILURE),
        Some(Aws(Literal::Choice("abort"))),
        "What a failed command does to the build.",
        "on-failure"
    ),
    attr!("run_as", Str, None, "Linux user for this phase.", "run-as"),
];

/// Where a deploy goes: the blocks `target = …` takes.
pub static TARGETS: &[BlockSpec] = &[
    BlockSpec {
        keyword: "ec2",
        parent: "target",
        doc: "EC2 instances chosen by their tags: `ec2 { tags = { Deploy = \"web\" } }` (any tag matches) or `ec2 { tag_groups = [{ Role = \"web\" }, { Env = \"prod\" }] }` (one tag of every group must match).",
        aws: "AWS::CodeDeploy::DeploymentGroup Ec2TagFilters / Ec2TagSet, appspec.yml and hook scripts",
        attrs: &[
            attr!("tags", StrMap, None, "Tags that select instances; an instance with any of them is selected (`\"*\"` matches any value).", "Ec2TagFilters"),
            attr!("tag_groups", TagGroups, None, "At most 2 tag maps; an instance must match one tag of every group.", "Ec2TagSet"),
        ],
        blocks: &[],
        statements: &[],
        exports: exports![
            "name" => Cfn::Ref, "the CodeDeploy application name";
            "group" => Cfn::RefOf("Group"), "the CodeDeploy deployment group name";
        ],
    },
    BlockSpec {
        keyword: "s3",
        parent: "target",
        doc: "A `site` bucket: the build output is copied to it and extracted (`s3 { site = site.web }`).",
        aws: "a CodePipeline S3 deploy action",
        attrs: &[
            attr!("site", Ref(Kind::Site), req, "The site whose bucket receives the build output.", "BucketName"),
            attr!("prefix", Str, None, "Key prefix inside the bucket.", "ObjectKey"),
        ],
        blocks: &[],
        statements: &[],
        // A pipeline action, not a resource: nothing to read after deployment.
        exports: &[],
    },
];

/// Every block kind.
pub static BLOCKS: &[BlockSpec] = &[
    BlockSpec {
        keyword: "repo",
        parent: "",
        doc: "A CodeCommit repository: the pipeline's source.",
        aws: "AWS::CodeCommit::Repository (Retain), the source action, an EventBridge rule on push",
        attrs: &[
            attr!("name", Str, PREFIXED_NAME, "Repository name (1–100 of `A-Za-z0-9._-`).", "RepositoryName"),
            attr!("branch", Str, Some(Written(Literal::Str("main"))), "The branch whose pushes start the pipeline.", "BranchName"),
            attr!("description", Str, None, "Description.", "RepositoryDescription"),
            attr!("create", Bool, Some(Written(Literal::Bool(true))), "`false` refers to an existing repository by `name` instead of creating one.", "-"),
            TAGS,
        ],
        blocks: &[],
        statements: &[],
        exports: exports![
            "arn" => Cfn::REPO_ARN, "the repository ARN";
            "name" => Cfn::REPO_NAME, "the repository name";
            "clone_url_http" => Cfn::GetAttOrExisting("CloneUrlHttp", "https://git-codecommit.${AWS::Region}.amazonaws.com/v1/repos/{}"), "HTTPS clone URL";
            "clone_url_ssh" => Cfn::GetAttOrExisting("CloneUrlSsh", "ssh://git-codecommit.${AWS::Region}.amazonaws.com/v1/repos/{}"), "SSH clone URL";
        ],
    },
    BlockSpec {
        keyword: "build",
        parent: "",
        doc: "A CodeBuild project and its generated buildspec.yml.",
        aws: "AWS::CodeBuild::Project + builds/<name>/buildspec.yml",
        attrs: &[
            attr!("source", Ref(Kind::Repo), req, "The repository it builds.", "Source (CODEPIPELINE)"),
            attr!("name", Str, PREFIXED_NAME, "Project name (2–255 of `A-Za-z0-9_-`).", "Name"),
            attr!("image", Str, Some(Written(Literal::Str("aws/codebuild/standard:7.0"))), "Build image.", "Environment.Image"),
            attr!("compute", Enum(COMPUTE), Some(Written(Literal::Choice("small"))), "Compute size.", "Environment.ComputeType"),
            attr!("privileged", Bool, Some(Written(Literal::Bool(false))), "Docker-in-Docker.", "Environment.PrivilegedMode"),
            attr!("runtime", StrMap, None, "runtime-versions of the install phase, e.g. `{ nodejs = \"20\" }`.", "buildspec phases.install.runtime-versions"),
            attr!("env", EnvMap, None, "Environment variables: strings, `ssm(\"/name\")` or `secret(\"id\")`.", "Environment.EnvironmentVariables"),
            attr!("timeout", Number { min: 5, max: 480, unit: "minutes" }, Some(Written(Literal::Int(60))), "Build timeout, 5–480 minutes.", "TimeoutInMinutes"),
            attr!("cache", StrList, None, "Paths cached between builds (local cache).", "Cache + buildspec cache.paths"),
            attr!("role", Ref(Kind::Role), None, "Use this role instead of the generated least-privilege one.", "ServiceRole"),
            attr!("description", Str, None, "Description.", "Description"),
            TAGS,
        ],
        blocks: &["install", "pre_build", "build", "post_build", "artifacts"],
        statements: &[],
        exports: exports![
            "arn" => Cfn::GetAtt("Arn"), "the project ARN";
            "name" => Cfn::Ref, "the project name";
        ],
    },
    BlockSpec {
        keyword: "install",
        parent: "build",
        doc: "The install phase: commands run in one shell session with the other phases.",
        aws: "buildspec phases.install",
        attrs: PHASE_ATTRS,
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
            attr!("files", StrList, Some(Written(Literal::StrList(&["**/*"]))), "Globs of files to output.", "artifacts.files"),
            attr!("base_dir", Str, None, "Directory whose contents become the output root.", "artifacts.base-directory"),
            attr!("discard_paths", Bool, Some(Written(Literal::Bool(false))), "Flatten paths.", "artifacts.discard-paths"),
            attr!("exclude", StrList, None, "Globs to leave out.", "artifacts.exclude-paths"),
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
            attr!("from", Ref(Kind::Build), req, "The build whose output is deployed.", "the deploy action's input artifact"),
            attr!("target", AttrType::Target(TARGETS), req, "Where: `ec2 { tags = { K = \"v\" } }` or `s3 { site = site.web }`.", "Ec2TagFilters / Ec2TagSet, or the S3 action's BucketName"),
            attr!("config", Enum(DEPLOY_CONFIGS), Some(Written(Literal::Choice("one_at_a_time"))), "How many instances at a time.", "DeploymentConfigName"),
            attr!("file_exists", Enum(FILE_EXISTS), None, "What to do with files that exist at a destination.", "appspec file_exists_behavior"),
            attr!("auto_rollback", Bool, Some(Written(Literal::Bool(true))), "Redeploy the last good revision when a deployment fails.", "AutoRollbackConfiguration"),
            attr!("name", Str, PREFIXED_NAME, "CodeDeploy application and deployment group name.", "ApplicationName, DeploymentGroupName"),
            attr!("role", Ref(Kind::Role), None, "Use this CodeDeploy service role instead of the generated one.", "ServiceRoleArn"),
            TAGS,
        ],
        blocks: &["files", "permissions", "hook"],
        statements: &[],
        // What a deploy exports depends on its target: see `TARGETS`.
        exports: &[],
    },
    BlockSpec { keyword: "files", parent: "deploy", doc: "What the Install event copies: `\"source\" -> \"/destination\"` lines.", aws: "appspec files", attrs: &[], blocks: &[], statements: &[], exports: &[] },
    BlockSpec {
        keyword: "permissions",
        parent: "deploy",
        doc: "Ownership and mode of installed files: `permissions \"/path\" { owner = \"ubuntu\" mode = \"0755\" }`.",
        aws: "appspec permissions",
        attrs: &[
            attr!("owner", Str, None, "Owner.", "owner"),
            attr!("group", Str, None, "Group.", "group"),
            attr!("mode", Str, None, "Octal mode, e.g. \"0755\".", "mode"),
            attr!("pattern", Str, Some(Aws(Literal::Str("**"))), "Glob below the object.", "pattern"),
            attr!("except", StrList, None, "Globs excluded.", "except"),
            attr!("type", StrList, None, "`file` and/or `directory`.", "type"),
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
            attr!("timeout", Number { min: 1, max: 3600, unit: "seconds" }, Some(Aws(Literal::Int(3600))), "Seconds before the agent kills the script (1–3600; all hooks of one event together at most 3600).", "timeout"),
            attr!("runas", Str, None, "Run the script as this user.", "runas"),
            attr!("needs", Software, None, "Software the commands need on the instance; the instances the deploy selects install it at first boot (P4007 when one never does).", "UserData"),
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
            attr!("ami", Str, Some(Written(Literal::SsmAmi("amazon_linux"))), "AMI id, or `ssm_ami(\"amazon_linux\" | \"ubuntu\")`.", "ImageId"),
            attr!("type", Str, Some(Written(Literal::Str("t3.micro"))), "Instance type.", "InstanceType"),
            attr!("role", Ref(Kind::Role), None, "A role with `profile = true`; the instance gets its profile. Without it, a least-privilege role is generated when `agent = codedeploy`.", "IamInstanceProfile"),
            attr!("agent", Enum(AGENTS), Some(Written(Literal::Choice("codedeploy"))), "Install and start the CodeDeploy agent from UserData.", "UserData"),
            attr!("os", Enum(OS_FAMILIES), Some(Written(Literal::Choice("amazon_linux"))), "The AMI's OS family (decides how the agent is installed).", "UserData"),
            attr!("ingress", Ports, None, "Open these TCP ports in a generated security group.", "SecurityGroupIngress"),
            attr!("key_name", Str, None, "EC2 key pair name.", "KeyName"),
            attr!("subnet", Str, None, "Subnet id.", "SubnetId"),
            attr!("vpc", Str, None, "VPC id of the generated security group; required with `subnet` and `ingress`.", "SecurityGroup.VpcId"),
            attr!("software", Software, None, "Software the UserData installs at first boot (packages for the instance's `os`). Without it: what the hooks that target the instance need.", "UserData"),
            TAGS,
        ],
        blocks: &[],
        statements: &[],
        exports: exports![
            "id" => Cfn::Ref, "the instance id";
            "public_ip" => Cfn::GetAtt("PublicIp"), "public IP";
            "public_dns" => Cfn::GetAtt("PublicDnsName"), "public DNS name";
            "private_ip" => Cfn::GetAtt("PrivateIp"), "private IP";
        ],
    },
    BlockSpec {
        keyword: "site",
        parent: "",
        doc: "An S3 bucket serving a public static website.",
        aws: "AWS::S3::Bucket (website, Retain) + AWS::S3::BucketPolicy",
        attrs: &[
            attr!("bucket", Str, None, "Bucket name (3–63 of `a-z0-9.-`); generated when omitted.", "BucketName"),
            attr!("index", Str, Some(Written(Literal::Str("index.html"))), "Index document.", "WebsiteConfiguration.IndexDocument"),
            attr!("error", Str, None, "Error document.", "WebsiteConfiguration.ErrorDocument"),
            TAGS,
        ],
        blocks: &[],
        statements: &[],
        exports: exports![
            "arn" => Cfn::GetAtt("Arn"), "bucket ARN";
            "name" => Cfn::Ref, "bucket name";
            "url" => Cfn::GetAtt("WebsiteURL"), "website URL";
        ],
    },
    BlockSpec {
        keyword: "role",
        parent: "",
        doc: "An IAM role: who may assume it, its policies, and optionally an instance profile.",
        aws: "AWS::IAM::Role (+ AWS::IAM::InstanceProfile)",
        attrs: &[
            attr!("trust", Services, req, "Services that may assume the role, e.g. `[service.ec2]`.", "AssumeRolePolicyDocument"),
            attr!("managed", Policies, None, "Managed policies.", "ManagedPolicyArns"),
            attr!("profile", Bool, Some(Written(Literal::Bool(false))), "Also create an instance profile.", "AWS::IAM::InstanceProfile"),
            attr!("boundary", PolicyArn, None, "Permissions boundary.", "PermissionsBoundary"),
            attr!("name", Str, PREFIXED_NAME, "Role name (1–64 of `A-Za-z0-9+=,.@_-`).", "RoleName"),
            attr!("description", Str, None, "Description.", "Description"),
            TAGS,
        ],
        blocks: &[],
        statements: &["allow", "deny"],
        exports: exports![
            "arn" => Cfn::GetAtt("Arn"), "role ARN";
            "name" => Cfn::Ref, "role name";
        ],
    },
    BlockSpec {
        keyword: "policy",
        parent: "",
        doc: "A customer-managed IAM policy: `allow [actions] on [resources]` and `deny …` statements.",
        aws: "AWS::IAM::ManagedPolicy",
        attrs: &[
            attr!("name", Str, PREFIXED_NAME, "Policy name (1–128).", "ManagedPolicyName"),
            attr!("description", Str, None, "Description.", "Description"),
        ],
        blocks: &[],
        statements: &["allow", "deny"],
        exports: exports!["arn" => Cfn::Ref, "policy ARN"],
    },
    BlockSpec {
        keyword: "group",
        parent: "",
        doc: "An IAM group.",
        aws: "AWS::IAM::Group",
        attrs: &[
            attr!("policies", Policies, None, "Attached policies.", "ManagedPolicyArns"),
            attr!("name", Str, PREFIXED_NAME, "Group name (1–128).", "GroupName"),
        ],
        blocks: &[],
        statements: &[],
        exports: exports![
            "arn" => Cfn::GetAtt("Arn"), "group ARN";
            "name" => Cfn::Ref, "group name";
        ],
    },
    BlockSpec {
        keyword: "user",
        parent: "",
        doc: "An IAM user (no console password or access keys are created).",
        aws: "AWS::IAM::User",
        attrs: &[
            attr!("groups", RefList(Kind::Group), None, "Groups the user belongs to (at most 10).", "Groups"),
            attr!("policies", Policies, None, "Policies attached directly (prefer groups).", "ManagedPolicyArns"),
            attr!("name", Str, Some(Derived("<block name>")), "User name (1–64).", "UserName"),
            TAGS,
        ],
        blocks: &[],
        statements: &[],
        exports: exports![
            "arn" => Cfn::GetAtt("Arn"), "user ARN";
            "name" => Cfn::Ref, "user name";
        ],
    },
    BlockSpec {
        keyword: "pipeline",
        parent: "",
        doc: "A CodePipeline (V2): stages of sources, builds, approvals and deploys, started on every push.",
        aws: "AWS::CodePipeline::Pipeline + artifact bucket (Retain) + roles",
        attrs: &[
            attr!("name", Str, PREFIXED_NAME, "Pipeline name.", "Name"),
            TAGS,
        ],
        blocks: &["stage"],
        statements: &[],
        exports: exports![
            "name" => Cfn::Ref, "pipeline name";
            "arn" => Cfn::Sub("arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:{}"), "pipeline ARN";
        ],
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
