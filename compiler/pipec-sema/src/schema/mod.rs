//! The schema of every block kind: attributes with their types, defaults, allowed values (each
//! with the value AWS takes), documentation and the AWS property they become; nested blocks;
//! statements; exported attributes with their CloudFormation mapping; the deploy targets. It is
//! the one source: the checker enforces it, lowering reads defaults and choices from it, emit
//! reads exports through the IR, and the language server shows it (hover, completion).
//!
//! The tables are in `blocks.rs` (block kinds and targets) and `rules.rs` (value rules of string
//! attributes); this module holds the types and the lookups.

pub use pipec_ir::{Cfn, Kind};

mod blocks;
mod rules;

pub use blocks::{BLOCKS, COMPUTE, DEPLOY_CONFIGS, TARGETS};
pub use rules::{field_rule, is_bidi_control, FieldRule, FIELD_RULES};

/// One choice of an enumeration: what is written in pipe and what AWS takes.
#[derive(Debug)]
pub struct Choice {
    /// The pipe name (`small`).
    pub name: &'static str,
    /// The AWS value (`BUILD_GENERAL1_SMALL`).
    pub aws: &'static str,
}

/// What an attribute holds. The text users see ([`AttrType::display`]) derives from it.
#[derive(Debug)]
pub enum AttrType {
    /// A string.
    Str,
    /// `true` or `false`.
    Bool,
    /// A whole number in `min..=max`, counted in `unit`.
    Number {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
        /// What it counts (`minutes`).
        unit: &'static str,
    },
    /// One of the choices, written as a bare name.
    Enum(&'static [Choice]),
    /// A reference to a block of this kind (`role.deploy`).
    Ref(Kind),
    /// A list of strings.
    StrList,
    /// A list of references to blocks of this kind.
    RefList(Kind),
    /// A list of software names of the catalogue (`pipec_ir::software`).
    Software,
    /// A map of strings.
    StrMap,
    /// Build variables: strings, `ssm("…")` or `secret("…")`.
    EnvMap,
    /// A list of `policy` references or `aws_policy(…)`.
    Policies,
    /// A policy ARN as a string or `aws_policy(…)`.
    PolicyArn,
    /// A list of service principals (`service.ec2`).
    Services,
    /// A list of ports or `{ port, cidr }` maps.
    Ports,
    /// A list of tag maps.
    TagGroups,
    /// A deploy target: one of these value blocks (`ec2 { … }`, `s3 { … }`).
    Target(&'static [BlockSpec]),
}

impl AttrType {
    /// The type as shown to users (`number (minutes)`, `role reference`, `list of strings`).
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            AttrType::Str => "string".into(),
            AttrType::Bool => "bool".into(),
            AttrType::Number { unit, .. } => format!("number ({unit})"),
            AttrType::Enum(_) => "enum".into(),
            AttrType::Ref(kind) => format!("{} reference", kind.keyword()),
            AttrType::StrList | AttrType::Software => "list of strings".into(),
            AttrType::RefList(kind) => format!("list of {} references", kind.keyword()),
            AttrType::StrMap => "map of strings".into(),
            AttrType::EnvMap => "map".into(),
            AttrType::Policies => "list of policy references or aws_policy(…)".into(),
            AttrType::PolicyArn => "string or aws_policy(…)".into(),
            AttrType::Services => "list of service.NAME".into(),
            AttrType::Ports => "list of ports or { port, cidr }".into(),
            AttrType::TagGroups => "list of tag maps".into(),
            AttrType::Target(targets) => targets
                .iter()
                .map(|target| {
                    let first = target.attrs.first().map_or("", |attr| attr.name);
                    format!("{} {{ {first} }}", target.keyword)
                })
                .collect::<Vec<_>>()
                .join(" | "),
        }
    }

    /// The names a value may be (enumerations and software lists); empty for other types.
    #[must_use]
    pub fn values(&self) -> Vec<&'static str> {
        match self {
            AttrType::Enum(choices) => choices.iter().map(|choice| choice.name).collect(),
            AttrType::Software => pipec_ir::software::NAMES.to_vec(),
            _ => Vec::new(),
        }
    }

    /// The kind of block a reference here points at (`role reference` → `role`).
    #[must_use]
    pub fn reference_kind(&self) -> Option<Kind> {
        match self {
            AttrType::Ref(kind) | AttrType::RefList(kind) => Some(*kind),
            AttrType::Policies => Some(Kind::Policy),
            _ => None,
        }
    }

    /// The choices of an enumeration; empty for other types.
    #[must_use]
    pub fn choices(&self) -> &'static [Choice] {
        match self {
            AttrType::Enum(choices) => choices,
            _ => &[],
        }
    }
}

/// A value written in the schema: a default.
#[derive(Debug)]
pub enum Literal {
    /// A string.
    Str(&'static str),
    /// A bool.
    Bool(bool),
    /// A number.
    Int(i64),
    /// The pipe name of a choice of the attribute's enumeration.
    Choice(&'static str),
    /// A list of strings.
    StrList(&'static [&'static str]),
    /// The latest AMI of an OS family (`ssm_ami("amazon_linux")`, see [`SSM_AMIS`]).
    SsmAmi(&'static str),
}

impl Literal {
    /// As written in pipe (`"main"`, `small`, `["**/*"]`).
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Literal::Str(text) => format!("\"{text}\""),
            Literal::Bool(flag) => flag.to_string(),
            Literal::Int(number) => number.to_string(),
            Literal::Choice(name) => (*name).to_string(),
            Literal::StrList(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|item| format!("\"{item}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Literal::SsmAmi(os) => format!("ssm_ami(\"{os}\")"),
        }
    }
}

/// What an attribute means when it is not written.
#[derive(Debug)]
pub enum DefaultValue {
    /// pipec writes this value (lowering reads it from here).
    Written(Literal),
    /// pipec writes nothing and AWS (or the CodeDeploy agent) applies this value.
    Aws(Literal),
    /// Derived from other names, described for users (`<project>-<env>-<block name>`).
    Derived(&'static str),
}

impl DefaultValue {
    /// As shown to users.
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            DefaultValue::Written(literal) | DefaultValue::Aws(literal) => literal.display(),
            DefaultValue::Derived(text) => (*text).to_string(),
        }
    }
}

/// One attribute of a block.
#[derive(Debug)]
pub struct AttrSpec {
    /// Attribute name.
    pub name: &'static str,
    /// Type.
    pub ty: AttrType,
    /// Whether it must be given.
    pub required: bool,
    /// What it means when not given.
    pub default: Option<DefaultValue>,
    /// What it does.
    pub doc: &'static str,
    /// The AWS property it becomes.
    pub aws: &'static str,
}

impl AttrSpec {
    /// The value pipec writes when the attribute is not given, if it writes one.
    #[must_use]
    pub fn written_default(&self) -> Option<&Literal> {
        match &self.default {
            Some(DefaultValue::Written(literal)) => Some(literal),
            _ => None,
        }
    }

    /// The written default as the text lowering uses: a string, a choice's AWS value, or the
    /// resolution an `ssm_ami(…)` stands for.
    ///
    /// # Panics
    /// When the attribute has no such default (a schema bug the schema tests catch).
    #[must_use]
    pub fn default_text(&'static self) -> &'static str {
        let text = match &self.default {
            Some(DefaultValue::Written(Literal::Str(text))) => Some(*text),
            Some(DefaultValue::Written(Literal::Choice(name))) => self
                .ty
                .choices()
                .iter()
                .find(|choice| choice.name == *name)
                .map(|choice| choice.aws),
            Some(DefaultValue::Written(Literal::SsmAmi(os))) => ssm_ami(os),
            _ => None,
        };
        match text {
            Some(text) => text,
            None => panic!("schema: `{}` has no text default", self.name),
        }
    }

    /// The written default of a bool attribute.
    ///
    /// # Panics
    /// When the attribute has no bool default (a schema bug the schema tests catch).
    #[must_use]
    pub fn default_bool(&self) -> bool {
        match &self.default {
            Some(DefaultValue::Written(Literal::Bool(flag))) => *flag,
            _ => panic!("schema: `{}` has no bool default", self.name),
        }
    }

    /// The written default of a number attribute.
    ///
    /// # Panics
    /// When the attribute has no number default (a schema bug the schema tests catch).
    #[must_use]
    pub fn default_int(&self) -> i64 {
        match &self.default {
            Some(DefaultValue::Written(Literal::Int(number))) => *number,
            _ => panic!("schema: `{}` has no number default", self.name),
        }
    }

    /// The written default of a list attribute.
    ///
    /// # Panics
    /// When the attribute has no list default (a schema bug the schema tests catch).
    #[must_use]
    pub fn default_list(&self) -> &'static [&'static str] {
        match &self.default {
            Some(DefaultValue::Written(Literal::StrList(items))) => items,
            _ => panic!("schema: `{}` has no list default", self.name),
        }
    }
}

/// An attribute readable by references (`repo.app.arn`).
#[derive(Debug)]
pub struct Export {
    /// Its name.
    pub name: &'static str,
    /// What it is.
    pub doc: &'static str,
    /// How CloudFormation reads it.
    pub cfn: Cfn,
}

/// One block kind (top-level, nested, or a deploy target).
#[derive(Debug)]
pub struct BlockSpec {
    /// The keyword.
    pub keyword: &'static str,
    /// Where it may appear: `""` for top level, `"target"` for deploy targets, otherwise the
    /// parent keyword.
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
    /// Attributes readable by references (`repo.app.arn`). A deploy target's are what a deploy
    /// with that target exports (see [`exports`]).
    pub exports: &'static [Export],
}

impl BlockSpec {
    /// The attribute `name`. Lowering asks only for names the table declares (the schema tests
    /// compile every kind), so a missing one is a bug in pipec.
    ///
    /// # Panics
    /// When the spec has no attribute `name`.
    #[must_use]
    pub fn attr(&'static self, name: &str) -> &'static AttrSpec {
        match self.attrs.iter().find(|attr| attr.name == name) {
            Some(attr) => attr,
            None => panic!("schema: `{}` has no attribute `{name}`", self.keyword),
        }
    }

    /// The export `name`, if the kind has it.
    #[must_use]
    pub fn export(&'static self, name: &str) -> Option<&'static Export> {
        self.exports.iter().find(|export| export.name == name)
    }
}

/// The attributes a reference can read from a block of `kind` (`repo.app.arn`): those of its
/// spec, and for a kind with a target attribute (a deploy) those of its target, `target` (a
/// keyword of `TARGETS`), or of every target when the target is not known (`None`).
#[must_use]
pub fn exports(kind: Kind, target: Option<&str>) -> Vec<&'static Export> {
    let spec = of_kind(kind);
    let mut out: Vec<&'static Export> = spec.exports.iter().collect();
    for attr in spec.attrs {
        let AttrType::Target(targets) = &attr.ty else {
            continue;
        };
        for target_spec in targets
            .iter()
            .filter(|target_spec| target.is_none_or(|keyword| target_spec.keyword == keyword))
        {
            for export in target_spec.exports {
                if !out.iter().any(|known| known.name == export.name) {
                    out.push(export);
                }
            }
        }
    }
    out
}

/// The spec of a top-level block kind.
#[must_use]
pub fn top_level(keyword: &str) -> Option<&'static BlockSpec> {
    BLOCKS
        .iter()
        .find(|spec| spec.parent.is_empty() && spec.keyword == keyword)
}

/// The spec of a resource kind (every kind has one; the schema tests check it).
///
/// # Panics
/// When the table lacks the kind, which the schema tests rule out.
#[must_use]
pub fn of_kind(kind: Kind) -> &'static BlockSpec {
    match top_level(kind.keyword()) {
        Some(spec) => spec,
        None => panic!("schema: no spec for `{}`", kind.keyword()),
    }
}

/// The spec of a nested block kind under `parent` (`"phase"` for what every build phase holds).
#[must_use]
pub fn nested(parent: &str, keyword: &str) -> Option<&'static BlockSpec> {
    BLOCKS
        .iter()
        .find(|spec| spec.parent == parent && spec.keyword == keyword)
}

/// The spec of the deploy target `keyword` (`ec2`, `s3`).
#[must_use]
pub fn target(keyword: &str) -> Option<&'static BlockSpec> {
    TARGETS.iter().find(|spec| spec.keyword == keyword)
}

/// The AMIs `ssm_ami(os)` resolves to: OS family and CloudFormation's SSM resolution.
pub const SSM_AMIS: &[(&str, &str)] = &[
    (
        "amazon_linux",
        "{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}",
    ),
    (
        "ubuntu",
        "{{resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id}}",
    ),
];

/// The SSM resolution `ssm_ami(os)` stands for.
#[must_use]
pub fn ssm_ami(os: &str) -> Option<&'static str> {
    SSM_AMIS
        .iter()
        .find(|(name, _)| *name == os)
        .map(|(_, resolve)| *resolve)
}

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
