//! The IR: the resolved, typed model of a program's resources, produced by pipec-sema and
//! lowered to CloudFormation by pipec-emit. Every value here is already checked; emit never
//! reports user errors, only compiler bugs. References between resources are by block name
//! within their kind; the emitter turns them into `Ref`/`Fn::GetAtt`.
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod glob;
pub mod names;
pub mod shell;
pub mod software;

use pipec_span::Span;
use serde::Serialize;

/// The kinds of blocks that become resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `repo`.
    Repo,
    /// `build`.
    Build,
    /// `deploy`.
    Deploy,
    /// `instance`.
    Instance,
    /// `site`.
    Site,
    /// `role`.
    Role,
    /// `policy`.
    Policy,
    /// `group`.
    Group,
    /// `user`.
    User,
    /// `pipeline`.
    Pipeline,
}

impl Kind {
    /// Every kind, in the order resources are listed.
    pub const ALL: [Kind; 10] = [
        Kind::Repo,
        Kind::Build,
        Kind::Deploy,
        Kind::Instance,
        Kind::Site,
        Kind::Role,
        Kind::Policy,
        Kind::Group,
        Kind::User,
        Kind::Pipeline,
    ];

    /// The keyword.
    #[must_use]
    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Repo => "repo",
            Kind::Build => "build",
            Kind::Deploy => "deploy",
            Kind::Instance => "instance",
            Kind::Site => "site",
            Kind::Role => "role",
            Kind::Policy => "policy",
            Kind::Group => "group",
            Kind::User => "user",
            Kind::Pipeline => "pipeline",
        }
    }

    /// The kind named by `keyword`.
    #[must_use]
    pub fn from_keyword(keyword: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.keyword() == keyword)
    }

    /// "a repo", "an instance": for messages.
    #[must_use]
    pub fn article(self) -> &'static str {
        match self {
            Kind::Repo => "a repo",
            Kind::Build => "a build",
            Kind::Deploy => "a deploy",
            Kind::Instance => "an instance",
            Kind::Site => "a site",
            Kind::Role => "a role",
            Kind::Policy => "a policy",
            Kind::Group => "a group",
            Kind::User => "a user",
            Kind::Pipeline => "a pipeline",
        }
    }
}

/// Where a declaration came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The block's name (its label).
    pub name: String,
    /// The block's span.
    #[serde(skip)]
    pub span: Span,
    /// `file:line`, one-based, as written into template metadata.
    pub location: String,
}

/// A key/value tag.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// A string that may hold values known only after deployment (`${repo.app.arn}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Text {
    /// Known now.
    Literal(String),
    /// Literal parts and attributes of resources, concatenated.
    Parts(Vec<TextPart>),
}

/// A piece of a `Text`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TextPart {
    /// Known now.
    Literal(String),
    /// An attribute of a declared resource.
    Attr(AttrRef),
}

/// An attribute of a declared resource: `repo.app.arn`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttrRef {
    /// The kind.
    pub kind: Kind,
    /// The block's name.
    pub name: String,
    /// The attribute (`arn`, `name`, `clone_url_http`, …).
    pub attr: String,
    /// How CloudFormation reads it (from the schema's export).
    pub cfn: Cfn,
}

/// How CloudFormation reads an exported attribute of a block, relative to the block's main
/// resource (the schema gives one per export; emit turns it into `Ref`, `Fn::GetAtt` or
/// `Fn::Sub`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Cfn {
    /// `Ref` of the block's main resource.
    Ref,
    /// `Ref` of another resource of the block, named by its logical-id suffix (`Group`).
    RefOf(&'static str),
    /// `Fn::GetAtt` of the block's main resource.
    GetAtt(&'static str),
    /// `Fn::GetAtt` of the main resource when the program creates it; for a resource that is
    /// only referred to (`create = false`), `Fn::Sub` of the template with `{}` replaced by
    /// its name (the template `{}` alone is the name as a plain string).
    GetAttOrExisting(&'static str, &'static str),
    /// `Fn::Sub` of the template with `{}` replaced by the block's AWS name.
    Sub(&'static str),
}

impl Cfn {
    /// A repository's ARN (`repo.app.arn`): its `Arn` when the program creates it, built from
    /// its name for an existing one (`create = false`). The schema's export and the ARN emit
    /// writes for a repository in IAM statements and pipeline permissions are both this.
    pub const REPO_ARN: Cfn = Cfn::GetAttOrExisting(
        "Arn",
        "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:{}",
    );

    /// A repository's name (`repo.app.name`): its `Name` when the program creates it, the name
    /// as written for an existing one.
    pub const REPO_NAME: Cfn = Cfn::GetAttOrExisting("Name", "{}");
}

/// A resource in an IAM statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum IamResource {
    /// A literal ARN or `*`.
    Literal(String),
    /// The ARN of a declared resource (`repo.app`, `site.web` also covers its objects).
    Block(Kind, String),
    /// A string with attributes of resources.
    Text(Text),
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
}

/// The keys and values of one condition operator: `key → values`.
pub type ConditionValues = Vec<(String, Vec<String>)>;

/// One IAM policy statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// Optional statement id (`[A-Za-z0-9]+`).
    pub sid: Option<String>,
    /// Allow or deny.
    pub effect: Effect,
    /// `service:Action` patterns.
    pub actions: Vec<String>,
    /// What they apply to.
    pub resources: Vec<IamResource>,
    /// `operator → key → values`.
    pub condition: Vec<(String, ConditionValues)>,
}

/// A managed policy attached to a role, group or user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ManagedPolicy {
    /// An AWS managed policy by its path and name (`service-role/AWSCodeDeployRole`).
    Aws(String),
    /// A `policy` block of this program.
    Declared(String),
}

/// `repo`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Repo {
    /// Origin.
    pub origin: Origin,
    /// Repository name.
    pub aws_name: String,
    /// Branch that triggers pipelines.
    pub branch: String,
    /// Description.
    pub description: Option<String>,
    /// False when the repository exists already and is only referred to.
    pub create: bool,
    /// Tags (file-wide merged with the block's).
    pub tags: Vec<Tag>,
}

/// A CodeBuild environment variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// `PLAINTEXT`, `PARAMETER_STORE` or `SECRETS_MANAGER`.
    pub kind: EnvKind,
    /// Value, parameter name or secret reference.
    pub value: String,
}

/// Where a build variable's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EnvKind {
    /// A literal.
    Plaintext,
    /// An SSM parameter name.
    ParameterStore,
    /// A Secrets Manager reference.
    SecretsManager,
}

impl EnvKind {
    /// The CodeBuild spelling.
    #[must_use]
    pub fn aws(self) -> &'static str {
        match self {
            EnvKind::Plaintext => "PLAINTEXT",
            EnvKind::ParameterStore => "PARAMETER_STORE",
            EnvKind::SecretsManager => "SECRETS_MANAGER",
        }
    }
}

/// A build phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Phase {
    /// `install`, `pre_build`, `build` or `post_build`.
    pub name: String,
    /// Commands, in order.
    pub commands: Vec<String>,
    /// Commands that always run after `commands`.
    pub finally: Vec<String>,
    /// `ABORT` or `CONTINUE`.
    pub on_failure: Option<String>,
    /// Linux user for this phase.
    pub run_as: Option<String>,
}

/// Build output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Artifacts {
    /// Globs.
    pub files: Vec<String>,
    /// Base directory.
    pub base_dir: Option<String>,
    /// Flatten paths.
    pub discard_paths: bool,
    /// Globs to leave out.
    pub exclude: Vec<String>,
}

/// `build`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Build {
    /// Origin.
    pub origin: Origin,
    /// Project name.
    pub aws_name: String,
    /// The repo it builds (a `repo` block name).
    pub source: String,
    /// Image.
    pub image: String,
    /// Compute type (`BUILD_GENERAL1_SMALL`, …).
    pub compute: String,
    /// Environment type (`LINUX_CONTAINER`, …).
    pub environment_type: String,
    /// Docker-in-docker.
    pub privileged: bool,
    /// `runtime-versions`.
    pub runtimes: Vec<(String, String)>,
    /// Environment variables.
    pub env: Vec<EnvVar>,
    /// Phases in order.
    pub phases: Vec<Phase>,
    /// Output.
    pub artifacts: Artifacts,
    /// Cached paths.
    pub cache: Vec<String>,
    /// Minutes, 5–480.
    pub timeout_minutes: i64,
    /// A user role to use instead of the generated one.
    pub role: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// A CodeDeploy EC2 tag filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TagFilter {
    /// Key (empty for `VALUE_ONLY`).
    pub key: String,
    /// Value (empty for `KEY_ONLY`).
    pub value: String,
}

impl TagFilter {
    /// True when this filter matches one of `tags` (an empty key or value matches any).
    #[must_use]
    pub fn matches(&self, tags: &[Tag]) -> bool {
        tags.iter().any(|tag| {
            (self.key.is_empty() || self.key == tag.key)
                && (self.value.is_empty() || self.value == tag.value)
        })
    }
}

/// CodeDeploy's tag selection (aws-facts §9): an instance is selected when every tag group has
/// a filter that matches one of its tags. No groups select nothing.
#[must_use]
pub fn groups_select(groups: &[Vec<TagFilter>], tags: &[Tag]) -> bool {
    !groups.is_empty()
        && groups
            .iter()
            .all(|group| group.iter().any(|filter| filter.matches(tags)))
}

/// A lifecycle hook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hook {
    /// CodeDeploy event name (`BeforeInstall`).
    pub event: String,
    /// The hook's name.
    pub name: String,
    /// Shell commands.
    pub commands: Vec<String>,
    /// Seconds.
    pub timeout: Option<i64>,
    /// User.
    pub runas: Option<String>,
    /// Software its commands need on the instance ([`software::CATALOG`] names).
    pub needs: Vec<String>,
    /// Where it was declared.
    #[serde(skip)]
    pub span: Span,
    /// `file:line`.
    pub location: String,
}

/// An appspec `permissions` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Permission {
    /// Path.
    pub object: String,
    /// Glob.
    pub pattern: Option<String>,
    /// Exceptions.
    pub except: Vec<String>,
    /// Owner.
    pub owner: Option<String>,
    /// Group.
    pub group: Option<String>,
    /// Octal mode.
    pub mode: Option<String>,
    /// `file` / `directory`.
    pub types: Vec<String>,
}

/// `deploy`: what every target shares, and the target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Deploy {
    /// Origin.
    pub origin: Origin,
    /// The build it deploys.
    pub from: String,
    /// Where, with what only that target has.
    pub target: Target,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Deploy {
    /// The EC2 deploy, if that is the target.
    #[must_use]
    pub fn ec2(&self) -> Option<&Ec2Deploy> {
        match &self.target {
            Target::Ec2(ec2) => Some(ec2),
            Target::S3(_) => None,
        }
    }
}

/// Where a deploy goes: one struct per target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Target {
    /// EC2 instances chosen by tags, through CodeDeploy.
    Ec2(Ec2Deploy),
    /// A `site` bucket, through CodePipeline's S3 deploy action.
    S3(S3Deploy),
}

/// A CodeDeploy deployment to EC2 instances chosen by tags: one group (any filter matches) or
/// up to three groups (an instance must match a filter of every group).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ec2Deploy {
    /// CodeDeploy application name.
    pub application_name: String,
    /// Deployment group name.
    pub group_name: String,
    /// Tag groups; one group is emitted as `Ec2TagFilters`, more as `Ec2TagSet`.
    pub groups: Vec<Vec<TagFilter>>,
    /// Deployment config (`CodeDeployDefault.OneAtATime`).
    pub config: String,
    /// `source → destination`.
    pub files: Vec<(String, String)>,
    /// `DISALLOW`, `OVERWRITE`, `RETAIN`.
    pub file_exists: Option<String>,
    /// Permissions.
    pub permissions: Vec<Permission>,
    /// Hooks in lifecycle order, then declaration order.
    pub hooks: Vec<Hook>,
    /// Roll back on failure.
    pub auto_rollback: bool,
    /// A user CodeDeploy service role to use instead of the generated one.
    pub role: Option<String>,
}

/// A deployment of the build output to a `site` bucket.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct S3Deploy {
    /// The site block name.
    pub site: String,
    /// Key prefix.
    pub prefix: Option<String>,
}

/// An ingress rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ingress {
    /// Port.
    pub port: i64,
    /// CIDR.
    pub cidr: String,
}

/// `instance`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Instance {
    /// Origin.
    pub origin: Origin,
    /// AMI id or `{{resolve:ssm:…}}`.
    pub ami: String,
    /// Instance type.
    pub instance_type: String,
    /// Role (a `role` block with `profile = true`).
    pub role: Option<String>,
    /// Install the CodeDeploy agent.
    pub agent: bool,
    /// `amazon_linux` or `ubuntu`.
    pub os: String,
    /// Ingress rules of a generated security group.
    pub ingress: Vec<Ingress>,
    /// Key pair.
    pub key_name: Option<String>,
    /// Subnet.
    pub subnet: Option<String>,
    /// VPC of the generated security group (needed with `subnet`).
    pub vpc: Option<String>,
    /// Tags (include `Name` if given).
    pub tags: Vec<Tag>,
    /// Software its UserData installs ([`software::CATALOG`] names, sorted): the `software`
    /// attribute, or else what the hooks of the deploys that select it need.
    pub software: Vec<String>,
    /// Where `software = [...]` was written; `None` when pipec inferred the list.
    #[serde(skip)]
    pub software_span: Option<Span>,
}

/// `site`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Site {
    /// Origin.
    pub origin: Origin,
    /// Bucket name, when fixed.
    pub bucket_name: Option<String>,
    /// Index document.
    pub index: String,
    /// Error document.
    pub error: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// `role`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Role {
    /// Origin.
    pub origin: Origin,
    /// Role name.
    pub aws_name: String,
    /// Service principals (`ec2.amazonaws.com`).
    pub trust: Vec<String>,
    /// Managed policies.
    pub managed: Vec<ManagedPolicy>,
    /// Inline statements.
    pub statements: Vec<Statement>,
    /// Create an instance profile.
    pub profile: bool,
    /// Permissions boundary ARN.
    pub boundary: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// `policy`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policy {
    /// Origin.
    pub origin: Origin,
    /// Policy name.
    pub aws_name: String,
    /// Statements.
    pub statements: Vec<Statement>,
    /// Description.
    pub description: Option<String>,
}

/// `group`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// Origin.
    pub origin: Origin,
    /// Group name.
    pub aws_name: String,
    /// Attached policies.
    pub policies: Vec<ManagedPolicy>,
}

/// `user`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct User {
    /// Origin.
    pub origin: Origin,
    /// User name.
    pub aws_name: String,
    /// Groups (block names).
    pub groups: Vec<String>,
    /// Attached policies.
    pub policies: Vec<ManagedPolicy>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// A pipeline action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Action {
    /// A repo source.
    Source(String),
    /// A build.
    Build(String),
    /// A deploy.
    Deploy(String),
    /// A manual approval.
    Approval,
}

/// A pipeline stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// Name.
    pub name: String,
    /// Actions, run in parallel.
    pub actions: Vec<Action>,
    /// Where it was declared.
    pub location: String,
}

/// `pipeline`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pipeline {
    /// Origin.
    pub origin: Origin,
    /// Pipeline name.
    pub aws_name: String,
    /// Stages.
    pub stages: Vec<Stage>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// `output`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Output {
    /// Origin.
    pub origin: Origin,
    /// Value.
    pub value: Text,
    /// Description.
    pub description: Option<String>,
}

/// A whole checked program.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Program {
    /// `project` (defaults to the file's stem).
    pub project: String,
    /// The `env` parameter's value, if declared.
    pub env: Option<String>,
    /// Default stack name.
    pub stack_name: String,
    /// The root file's name.
    pub source_name: String,
    /// File-wide tags.
    pub tags: Vec<Tag>,
    /// Repos.
    pub repos: Vec<Repo>,
    /// Builds.
    pub builds: Vec<Build>,
    /// Deploys.
    pub deploys: Vec<Deploy>,
    /// Instances.
    pub instances: Vec<Instance>,
    /// Sites.
    pub sites: Vec<Site>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Policies.
    pub policies: Vec<Policy>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Users.
    pub users: Vec<User>,
    /// Pipelines.
    pub pipelines: Vec<Pipeline>,
    /// Outputs.
    pub outputs: Vec<Output>,
}
