//! Lowering of each block kind to the IR, with its schema and AWS checks, and the checks that
//! span several blocks (pipeline structure, tag filters that match no instance, shared build
//! outputs, instance roles without a profile).

use std::collections::{BTreeMap, BTreeSet};

use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::{
    Action, Artifacts, Build, Deploy, Effect, EnvKind, EnvVar, Group, Hook, IamResource, Ingress,
    Instance, Kind, ManagedPolicy, Origin, Output, Permission, Phase, Pipeline, Policy, Program,
    Repo, Role, Site, Stage, Statement, Tag, TagFilter, Target, Text, TextPart, User,
};
use pipec_span::Span;
use pipec_syntax::ast::{Expr, ExprKind, Item, ItemKind};

use crate::check::{nested_spec, spec, Checker, DeclBody, Fields, ScopeId};
use crate::eval::Value;
use crate::lints::StatementFacts;
use crate::schema;
use crate::validate::NameRule;

struct Ctx {
    prefix: String,
    file_tags: Vec<Tag>,
}

/// One declared block, copied out of the checker's table.
struct Declared<'a> {
    kind: Kind,
    name: String,
    name_span: Span,
    span: Span,
    keyword_span: Span,
    body: DeclBody<'a>,
}

impl<'a> Checker<'a> {
    pub(crate) fn lower_program(&mut self) -> Program {
        self.eval_all_globals();
        let root_name = self.db.name(self.root).to_string();
        let stem = std::path::Path::new(&root_name)
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("pipe");
        let mut stem: String = stem
            .chars()
            .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
            .collect();
        if !stem.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
            stem.insert_str(0, "pipe-");
        }
        let (project, project_span) = match self.project.clone() {
            Some((project, span)) => (project, Some(span)),
            None => (stem, None),
        };
        let env = match self.global_value("env") {
            Some(Value::Str(env)) => Some(env),
            _ => None,
        };
        let prefix = match &env {
            Some(env) => format!("{project}-{env}"),
            None => project.clone(),
        };
        let stack_name = prefix.clone();
        let stack_ok = stack_name.starts_with(|ch: char| ch.is_ascii_alphabetic())
            && stack_name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
            && stack_name.len() <= 128;
        if !stack_ok {
            let span = project_span
                .clone()
                .unwrap_or_else(|| Span::new(self.root, 0, 0));
            self.report(
                Diagnostic::error(Code::INVALID_NAME, format!("the stack name `{stack_name}` is not valid"))
                    .primary(span, "the stack name derives from `project` and `env`")
                    .note("CloudFormation stack names start with a letter and hold letters, digits and `-`, at most 128 characters.")
                    .help("set `project = \"my-app\"` with letters, digits and `-`"),
            );
        }
        let file_tags = self.file_tags();
        let ctx = Ctx {
            prefix,
            file_tags: file_tags.clone(),
        };
        let mut program = Program {
            project,
            env,
            stack_name,
            source_name: root_name,
            tags: file_tags,
            repos: Vec::new(),
            builds: Vec::new(),
            deploys: Vec::new(),
            instances: Vec::new(),
            sites: Vec::new(),
            roles: Vec::new(),
            policies: Vec::new(),
            groups: Vec::new(),
            users: Vec::new(),
            pipelines: Vec::new(),
            outputs: Vec::new(),
        };
        let declared: Vec<Declared<'a>> = self
            .blocks
            .values()
            .map(|decl| Declared {
                kind: decl.kind,
                name: decl.name.clone(),
                name_span: decl.name_span.clone(),
                span: decl.span.clone(),
                keyword_span: decl.keyword_span.clone(),
                body: match decl.body {
                    DeclBody::Block(block) => DeclBody::Block(block),
                    DeclBody::Applied(applied) => DeclBody::Applied(applied),
                },
            })
            .collect();
        for decl in &declared {
            let owner = format!("{} `{}`", decl.kind.keyword(), decl.name);
            let items = self.decl_items(&decl.body, &owner);
            let fields = self.fields(items, spec(decl.kind.keyword()), &owner);
            let origin = Origin {
                name: decl.name.clone(),
                span: decl.name_span.clone(),
                location: self.location(&decl.span),
            };
            match decl.kind {
                Kind::Repo => program
                    .repos
                    .push(self.lower_repo(&ctx, decl, origin, &fields)),
                Kind::Build => {
                    if let Some(build) = self.lower_build(&ctx, decl, origin, &fields) {
                        program.builds.push(build);
                    }
                }
                Kind::Deploy => {
                    if let Some(deploy) = self.lower_deploy(&ctx, decl, origin, &fields) {
                        program.deploys.push(deploy);
                    }
                }
                Kind::Instance => program
                    .instances
                    .push(self.lower_instance(&ctx, decl, origin, &fields)),
                Kind::Site => program
                    .sites
                    .push(self.lower_site(&ctx, decl, origin, &fields)),
                Kind::Role => {
                    if let Some(role) = self.lower_role(&ctx, decl, origin, &fields) {
                        program.roles.push(role);
                    }
                }
                Kind::Policy => program
                    .policies
                    .push(self.lower_policy(&ctx, decl, origin, &fields)),
                Kind::Group => program
                    .groups
                    .push(self.lower_group(&ctx, decl, origin, &fields)),
                Kind::User => program.users.push(self.lower_user(decl, origin, &fields)),
                Kind::Pipeline => program
                    .pipelines
                    .push(self.lower_pipeline(&ctx, decl, origin, &fields)),
            }
        }
        let outputs = self.outputs.clone();
        for decl in outputs {
            let value = self.eval(&decl.value, 0);
            let text = match value {
                Value::Str(text) => Some(Text::Literal(text)),
                Value::Int(number) => Some(Text::Literal(number.to_string())),
                Value::Bool(flag) => Some(Text::Literal(flag.to_string())),
                Value::Text(parts) => Some(Text::Parts(parts)),
                Value::Attr(attr) => Some(Text::Parts(vec![TextPart::Attr(attr)])),
                Value::Error => None,
                other => {
                    self.mismatch(
                        &decl.value.span,
                        "a string or a resource attribute",
                        &other,
                        "output a string or an attribute such as `repo.app.clone_url_http`",
                    );
                    None
                }
            };
            if let Some(value) = text {
                let span = decl.labels[0].span.clone();
                program.outputs.push(Output {
                    origin: Origin {
                        name: decl.labels[0].text.clone(),
                        location: self.location(&span),
                        span,
                    },
                    value,
                    description: None,
                });
            }
        }
        self.cross_checks(&program);
        program
    }

    fn file_tags(&mut self) -> Vec<Tag> {
        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        let blocks = self.tag_blocks.clone();
        for block in blocks {
            for item in &block.body.items {
                match &item.kind {
                    ItemKind::Attr(attr) => {
                        if let Some(value) = self.want_str(&attr.value, 0) {
                            if self.check_tag(
                                &attr.key.text,
                                &value,
                                &attr.key.span,
                                &attr.value.span,
                            ) {
                                tags.insert(attr.key.text.clone(), value);
                            }
                        }
                    }
                    _ => self.report(
                        Diagnostic::error(
                            Code::UNEXPECTED_ITEM,
                            "`tags` holds only `Key = \"value\"` entries",
                        )
                        .primary(item.span.clone(), "not a tag")
                        .help("write `Key = \"value\"`"),
                    ),
                }
            }
        }
        tags.into_iter()
            .map(|(key, value)| Tag { key, value })
            .collect()
    }

    fn tags(&mut self, ctx: &Ctx, fields: &Fields<'a>, span: &Span) -> Vec<Tag> {
        let mut tags: BTreeMap<String, String> = ctx
            .file_tags
            .iter()
            .map(|tag| (tag.key.clone(), tag.value.clone()))
            .collect();
        if let Some((_, expr, scope)) = fields.attrs.get("tags") {
            for (key, key_span, value, value_span) in
                self.want_map(expr, *scope).unwrap_or_default()
            {
                if let Some(value) = self.value_str(&value, &value_span) {
                    if self.check_tag(&key, &value, &key_span, &value_span) {
                        tags.insert(key, value);
                    }
                }
            }
        }
        let tags: Vec<Tag> = tags
            .into_iter()
            .map(|(key, value)| Tag { key, value })
            .collect();
        self.check_tag_count(&tags, span);
        tags
    }

    fn aws_name(
        &mut self,
        ctx: &Ctx,
        fields: &Fields<'a>,
        decl: &Declared<'a>,
        rule: NameRule,
        prefixed: bool,
    ) -> String {
        if let Some((_, expr, scope)) = fields.attrs.get("name") {
            if let Some(name) = self.want_str(expr, *scope) {
                self.check_name(&name, rule, &expr.span, false);
                return name;
            }
        }
        let base = decl.name.replace('_', "-");
        let mut name = if prefixed {
            format!("{}-{base}", ctx.prefix)
        } else {
            base
        };
        if matches!(rule, NameRule::Bucket) {
            name = name.to_ascii_lowercase();
        }
        self.check_name(&name, rule, &decl.name_span, true);
        name
    }

    fn attr_str(&mut self, fields: &Fields<'a>, name: &str) -> Option<String> {
        let (_, expr, scope) = fields.attrs.get(name)?;
        self.want_str(expr, *scope)
    }

    fn attr_bool(&mut self, fields: &Fields<'a>, name: &str, default: bool) -> bool {
        match fields.attrs.get(name) {
            Some((_, expr, scope)) => self.want_bool(expr, *scope).unwrap_or(default),
            None => default,
        }
    }

    fn attr_enum(
        &mut self,
        fields: &Fields<'a>,
        name: &str,
        choices: &[(&str, &'static str)],
        default: &'static str,
    ) -> &'static str {
        match fields.attrs.get(name) {
            Some((_, expr, scope)) => self
                .want_enum(expr, *scope, choices, name)
                .unwrap_or(default),
            None => default,
        }
    }

    fn missing(&mut self, decl: &Declared<'a>, attr: &str, example: &str) {
        let owner = format!("{} `{}`", decl.kind.keyword(), decl.name);
        let mut diag =
            Diagnostic::error(Code::MISSING_ATTRIBUTE, format!("{owner} needs `{attr}`"))
                .primary(decl.name_span.clone(), format!("`{attr}` is missing"))
                .help(format!("add `{attr} = {example}`"));
        if let DeclBody::Block(block) = &decl.body {
            // Insert after the opening brace.
            let at = block.body.span.start() + 1;
            let span = Span::new(block.body.span.file, at, at);
            diag = diag.fix(
                format!("add `{attr}`"),
                span,
                format!("\n  {attr} = {example}"),
            );
        }
        self.report(diag);
    }

    fn only_of_kind(&self, kind: Kind) -> Option<String> {
        let names: Vec<&String> = self
            .blocks
            .keys()
            .filter(|(other, _)| *other == kind)
            .map(|(_, name)| name)
            .collect();
        match names.as_slice() {
            [one] => Some(format!("{}.{one}", kind.keyword())),
            _ => None,
        }
    }

    // ------------------------------------------------------------------ repo

    fn lower_repo(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Repo {
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::Repo, true);
        let branch = self
            .attr_str(fields, "branch")
            .unwrap_or_else(|| "main".to_string());
        if branch.is_empty()
            || branch.len() > 256
            || branch.contains("..")
            || branch.contains(' ')
            || branch.ends_with('/')
        {
            if let Some((_, expr, _)) = fields.attrs.get("branch") {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_NAME,
                        format!("`{branch}` is not a valid branch name"),
                    )
                    .primary(expr.span.clone(), "invalid git branch")
                    .help("use 1 to 256 characters without spaces, `..` or a trailing `/`"),
                );
            }
        }
        let description = self.attr_str(fields, "description");
        let create = self.attr_bool(fields, "create", true);
        if !create && !fields.has_attr("name") {
            self.missing(decl, "name", "\"existing-repository\"");
        }
        let tags = self.tags(ctx, fields, &decl.name_span);
        Repo {
            origin,
            aws_name,
            branch,
            description,
            create,
            tags,
        }
    }

    // ------------------------------------------------------------------ build

    fn lower_build(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Option<Build> {
        let source = match fields.attrs.get("source") {
            Some((_, expr, scope)) => self.want_ref(expr, *scope, Kind::Repo),
            None => {
                let example = self
                    .only_of_kind(Kind::Repo)
                    .unwrap_or_else(|| "repo.NAME".to_string());
                self.missing(decl, "source", &example);
                None
            }
        };
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::Project, true);
        let image = self
            .attr_str(fields, "image")
            .unwrap_or_else(|| "aws/codebuild/standard:7.0".to_string());
        let compute = self
            .attr_enum(fields, "compute", schema::COMPUTE, "BUILD_GENERAL1_SMALL")
            .to_string();
        let environment_type = if image.contains("aarch64") {
            "ARM_CONTAINER"
        } else {
            "LINUX_CONTAINER"
        }
        .to_string();
        let privileged = self.attr_bool(fields, "privileged", false);
        let mut runtimes = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get("runtime") {
            for (name, name_span, value, value_span) in
                self.want_map(expr, *scope).unwrap_or_default()
            {
                let version = match value {
                    Value::Int(number) => Some(number.to_string()),
                    other => self.value_str(&other, &value_span),
                };
                let Some(version) = version else { continue };
                self.check_runtime(&image, &name, &version, &name_span, &value_span);
                runtimes.push((name, version));
            }
        }
        let mut env = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get("env") {
            for (name, name_span, value, value_span) in
                self.want_map(expr, *scope).unwrap_or_default()
            {
                if name.starts_with("CODEBUILD_")
                    || !name
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                {
                    self.report(
                        Diagnostic::error(
                            Code::INVALID_NAME,
                            format!("`{name}` cannot be a build variable name"),
                        )
                        .primary(name_span.clone(), "invalid variable name")
                        .help("use letters, digits and `_`, not starting with `CODEBUILD_`"),
                    );
                    continue;
                }
                let (kind, text) = match value {
                    Value::Str(text) => {
                        self.check_credential(&name, &text, &value_span);
                        (EnvKind::Plaintext, text)
                    }
                    Value::Int(number) => (EnvKind::Plaintext, number.to_string()),
                    Value::Bool(flag) => (EnvKind::Plaintext, flag.to_string()),
                    Value::Ssm(parameter) => (EnvKind::ParameterStore, parameter),
                    Value::Secret(secret) => (EnvKind::SecretsManager, secret),
                    other => {
                        self.mismatch(&value_span, "a string, `ssm(\"…\")` or `secret(\"…\")`", &other, "build variables are strings or references to SSM parameters and secrets");
                        continue;
                    }
                };
                env.push(EnvVar {
                    name,
                    kind,
                    value: text,
                });
            }
        }
        let timeout_minutes = match fields.attrs.get("timeout") {
            Some((_, expr, scope)) => self
                .want_int(expr, *scope, 5, 480, "a build timeout (minutes)")
                .unwrap_or(60),
            None => 60,
        };
        let cache = match fields.attrs.get("cache") {
            Some((_, expr, scope)) => self
                .want_str_list(expr, *scope)
                .unwrap_or_default()
                .into_iter()
                .map(|(path, _)| path)
                .collect(),
            None => Vec::new(),
        };
        let role = fields
            .attrs
            .get("role")
            .and_then(|(_, expr, scope)| self.want_ref(expr, *scope, Kind::Role));
        let description = self.attr_str(fields, "description");
        let mut phases: Vec<Phase> = Vec::new();
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut artifacts = Artifacts {
            files: vec!["**/*".to_string()],
            base_dir: None,
            discard_paths: false,
            exclude: Vec::new(),
        };
        let mut artifacts_seen: Option<Span> = None;
        for (block, scope) in &fields.blocks {
            let keyword = block.keyword.name.as_str();
            if let Some(first) = seen.get(keyword) {
                let first = first.clone();
                self.report(
                    Diagnostic::error(
                        Code::DUPLICATE_ATTRIBUTE,
                        format!("`{keyword}` appears twice"),
                    )
                    .primary(block.keyword.span.clone(), "again here")
                    .secondary(first, "first here")
                    .help("merge the two blocks"),
                );
                continue;
            }
            seen.insert(keyword.to_string(), block.keyword.span.clone());
            if let Some(label) = block.labels.first() {
                self.report(
                    Diagnostic::error(Code::UNEXPECTED_ITEM, format!("`{keyword}` takes no name"))
                        .primary(label.span.clone(), "remove this")
                        .help(format!("write `{keyword} {{ … }}`")),
                );
            }
            let items: Vec<(&'a Item, ScopeId)> =
                block.body.items.iter().map(|item| (item, *scope)).collect();
            if keyword == "artifacts" {
                artifacts_seen = Some(block.keyword.span.clone());
                let inner = self.fields(items, nested_spec("build", "artifacts"), "`artifacts`");
                if let Some((_, expr, scope)) = inner.attrs.get("files") {
                    let files: Vec<String> = self
                        .want_str_list(expr, *scope)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(file, _)| file)
                        .collect();
                    if files.is_empty() {
                        self.report(
                            Diagnostic::error(
                                Code::INVALID_VALUE,
                                "`files` must list at least one glob",
                            )
                            .primary(expr.span.clone(), "empty")
                            .help("write `files = [\"**/*\"]` to output everything"),
                        );
                    } else {
                        artifacts.files = files;
                    }
                }
                artifacts.base_dir = self.attr_str(&inner, "base_dir");
                artifacts.discard_paths = self.attr_bool(&inner, "discard_paths", false);
                if let Some((_, expr, scope)) = inner.attrs.get("exclude") {
                    artifacts.exclude = self
                        .want_str_list(expr, *scope)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(file, _)| file)
                        .collect();
                }
                continue;
            }
            let owner = format!("the `{keyword}` phase");
            let inner = self.fields(items, nested_spec("build", keyword), &owner);
            let commands = self.commands(&inner);
            let mut finally = Vec::new();
            for (finally_block, finally_scope) in &inner.blocks {
                let items = finally_block
                    .body
                    .items
                    .iter()
                    .map(|item| (item, *finally_scope))
                    .collect();
                let finally_fields =
                    self.fields(items, nested_spec("phase", "finally"), "`finally`");
                finally.extend(self.commands(&finally_fields));
            }
            if commands.is_empty() {
                self.report(
                    Diagnostic::error(
                        Code::MISSING_ATTRIBUTE,
                        format!("the `{keyword}` phase has no commands"),
                    )
                    .primary(block.keyword.span.clone(), "no `run` statement")
                    .help("add `run \"command\"`, or remove the phase"),
                );
            }
            let on_failure = fields_enum_opt(
                self,
                &inner,
                "on_failure",
                &[("abort", "ABORT"), ("continue", "CONTINUE")],
            );
            let run_as = self.attr_str(&inner, "run_as");
            phases.push(Phase {
                name: keyword.to_string(),
                commands,
                finally,
                on_failure,
                run_as,
            });
        }
        let _ = artifacts_seen;
        phases.sort_by_key(|phase| schema::PHASES.iter().position(|name| *name == phase.name));
        if phases.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MISSING_ATTRIBUTE,
                    format!("build `{}` has no phase", decl.name),
                )
                .primary(decl.name_span.clone(), "nothing to run")
                .help("add a phase, e.g. `build { run \"make\" }`"),
            );
        }
        let tags = self.tags(ctx, fields, &decl.name_span);
        Some(Build {
            origin,
            aws_name,
            source: source?,
            image,
            compute,
            environment_type,
            privileged,
            runtimes,
            env,
            phases,
            artifacts,
            cache,
            timeout_minutes,
            role,
            description,
            tags,
        })
    }

    fn check_runtime(
        &mut self,
        image: &str,
        name: &str,
        version: &str,
        name_span: &Span,
        value_span: &Span,
    ) {
        let Some((_, runtimes)) = schema::RUNTIMES.iter().find(|(known, _)| *known == image) else {
            return;
        };
        let Some((_, versions)) = runtimes.iter().find(|(runtime, _)| *runtime == name) else {
            let names: Vec<&str> = runtimes.iter().map(|(runtime, _)| *runtime).collect();
            let mut diag = Diagnostic::warning(
                Code::UNKNOWN_RUNTIME,
                format!("`{image}` has no runtime `{name}`"),
            )
            .primary(name_span.clone(), "unknown runtime");
            diag = match did_you_mean(name, names.iter().copied()) {
                Some(best) => diag.help(format!("did you mean `{best}`?")).fix(
                    format!("replace with `{best}`"),
                    name_span.clone(),
                    best,
                ),
                None => diag.help(format!("runtimes on this image: {}", names.join(", "))),
            };
            self.report(diag);
            return;
        };
        let matches = version == "latest"
            || version.starts_with('$')
            || versions.iter().any(|known| {
                *known == version
                    || version.strip_suffix(".x").is_some_and(|major| {
                        known.split('.').next() == Some(major) || *known == major
                    })
            });
        if !matches {
            self.report(
                Diagnostic::warning(
                    Code::UNKNOWN_RUNTIME,
                    format!("`{image}` does not list {name} {version}"),
                )
                .primary(value_span.clone(), "version not on this image")
                .help(format!("versions on this image: {}", versions.join(", "))),
            );
        }
    }

    fn commands(&mut self, fields: &Fields<'a>) -> Vec<String> {
        let mut commands = Vec::new();
        for (statement, scope) in Self::statements(fields, "run").collect::<Vec<_>>() {
            if let Some(clause) = statement.clauses.first() {
                self.report(
                    Diagnostic::error(
                        Code::UNEXPECTED_ITEM,
                        format!("`run` takes no `{}` clause", clause.keyword.name),
                    )
                    .primary(clause.keyword.span.clone(), "not allowed here")
                    .help("write `run \"command\"`"),
                );
            }
            let value = match &statement.argument.kind {
                ExprKind::Str(parts) => self.eval_string(parts, scope, true),
                _ => self.eval(&statement.argument, scope),
            };
            match value {
                Value::Str(command) => {
                    if command.trim().is_empty() {
                        self.report(
                            Diagnostic::error(Code::INVALID_VALUE, "empty command")
                                .primary(statement.argument.span.clone(), "nothing to run")
                                .help("remove the statement or write a command"),
                        );
                    } else {
                        commands.push(command);
                    }
                }
                Value::List(items) => {
                    for (item, span) in items {
                        if let Some(command) = self.value_str(&item, &span) {
                            commands.push(command);
                        }
                    }
                }
                other => self.mismatch(
                    &statement.argument.span,
                    "a command string",
                    &other,
                    "write `run \"command\"`",
                ),
            }
        }
        commands
    }

    // ------------------------------------------------------------------ deploy

    fn lower_deploy(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Option<Deploy> {
        let from = match fields.attrs.get("from") {
            Some((_, expr, scope)) => self.want_ref(expr, *scope, Kind::Build),
            None => {
                let example = self
                    .only_of_kind(Kind::Build)
                    .unwrap_or_else(|| "build.NAME".to_string());
                self.missing(decl, "from", &example);
                None
            }
        };
        let target = match fields.attrs.get("target") {
            Some((_, expr, scope)) => self.lower_target(expr, *scope),
            None => {
                self.missing(decl, "target", "ec2 { tags = { Deploy = \"web\" } }");
                None
            }
        };
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::CodeDeploy, true);
        let config = self
            .attr_enum(
                fields,
                "config",
                schema::DEPLOY_CONFIGS,
                "CodeDeployDefault.OneAtATime",
            )
            .to_string();
        let file_exists = fields_enum_opt(
            self,
            fields,
            "file_exists",
            &[
                ("disallow", "DISALLOW"),
                ("overwrite", "OVERWRITE"),
                ("retain", "RETAIN"),
            ],
        );
        let auto_rollback = self.attr_bool(fields, "auto_rollback", true);
        let role = fields
            .attrs
            .get("role")
            .and_then(|(_, expr, scope)| self.want_ref(expr, *scope, Kind::Role));
        let mut files = Vec::new();
        let mut permissions = Vec::new();
        let mut hooks: Vec<Hook> = Vec::new();
        let is_s3 = matches!(target, Some(Target::S3 { .. }));
        for (block, scope) in &fields.blocks {
            if is_s3 {
                self.report(
                    Diagnostic::error(
                        Code::UNEXPECTED_ITEM,
                        format!("`{}` applies only to EC2 deploys", block.keyword.name),
                    )
                    .primary(block.keyword.span.clone(), "not for an S3 target")
                    .help("an S3 deploy copies the build output to the bucket; remove this block"),
                );
                continue;
            }
            match block.keyword.name.as_str() {
                "files" => {
                    let items = block.body.items.iter().map(|item| (item, *scope)).collect();
                    let inner = self.fields(items, nested_spec("deploy", "files"), "`files`");
                    for (source, destination, scope) in &inner.exprs {
                        let Some(destination) = destination else {
                            self.report(
                                Diagnostic::error(
                                    Code::UNEXPECTED_ITEM,
                                    "a `files` entry maps a source to a destination",
                                )
                                .primary(source.span.clone(), "no `->`")
                                .help("write `\"source\" -> \"/absolute/destination\"`"),
                            );
                            continue;
                        };
                        let (Some(source_text), Some(destination_text)) = (
                            self.want_str(source, *scope),
                            self.want_str(destination, *scope),
                        ) else {
                            continue;
                        };
                        if !destination_text.starts_with('/') {
                            self.report(
                                Diagnostic::error(Code::INVALID_VALUE, format!("destination `{destination_text}` is not an absolute path"))
                                    .primary(destination.span.clone(), "must start with `/`")
                                    .help("CodeDeploy copies to absolute paths on the instance, e.g. \"/srv/app\""),
                            );
                            continue;
                        }
                        if source_text.starts_with('/') && source_text != "/" {
                            self.report(
                                Diagnostic::error(Code::INVALID_VALUE, format!("source `{source_text}` must be relative to the bundle root"))
                                    .primary(source.span.clone(), "absolute source")
                                    .help("write the path inside the build output, or \"/\" for all of it"),
                            );
                            continue;
                        }
                        files.push((source_text, destination_text));
                    }
                }
                "permissions" => {
                    let object = match block.labels.as_slice() {
                        [label] if label.quoted && label.text.starts_with('/') => {
                            Some(label.text.clone())
                        }
                        [label] => {
                            self.report(
                                Diagnostic::error(
                                    Code::INVALID_VALUE,
                                    "`permissions` takes an absolute path in quotes",
                                )
                                .primary(label.span.clone(), "expected \"/path\"")
                                .help("write `permissions \"/srv/app\" { owner = \"app\" }`"),
                            );
                            None
                        }
                        _ => {
                            self.report(
                                Diagnostic::error(
                                    Code::MISSING_ATTRIBUTE,
                                    "`permissions` needs the path it applies to",
                                )
                                .primary(block.keyword.span.clone(), "no path")
                                .help("write `permissions \"/srv/app\" { owner = \"app\" }`"),
                            );
                            None
                        }
                    };
                    let items = block.body.items.iter().map(|item| (item, *scope)).collect();
                    let inner =
                        self.fields(items, nested_spec("deploy", "permissions"), "`permissions`");
                    let mode = inner.attrs.get("mode").and_then(|(_, expr, scope)| {
                        let value = self.eval(expr, *scope);
                        let text = match value {
                            Value::Int(number) => Some(number.to_string()),
                            other => self.value_str(&other, &expr.span),
                        }?;
                        self.check_mode(&text, &expr.span).then_some(text)
                    });
                    let types: Vec<String> = match inner.attrs.get("type") {
                        Some((_, expr, scope)) => {
                            let mut types = Vec::new();
                            for (text, span) in self.want_str_list(expr, *scope).unwrap_or_default()
                            {
                                if text == "file" || text == "directory" {
                                    types.push(text);
                                } else {
                                    self.report(
                                        Diagnostic::error(
                                            Code::INVALID_VALUE,
                                            format!("`{text}` is not a permission type"),
                                        )
                                        .primary(span, "not allowed")
                                        .help("use \"file\" and/or \"directory\""),
                                    );
                                }
                            }
                            types
                        }
                        None => Vec::new(),
                    };
                    let except = match inner.attrs.get("except") {
                        Some((_, expr, scope)) => self
                            .want_str_list(expr, *scope)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(text, _)| text)
                            .collect(),
                        None => Vec::new(),
                    };
                    let permission = Permission {
                        object: object.clone().unwrap_or_default(),
                        pattern: self.attr_str(&inner, "pattern"),
                        except,
                        owner: self.attr_str(&inner, "owner"),
                        group: self.attr_str(&inner, "group"),
                        mode,
                        types,
                    };
                    if let Some(object) = object {
                        if permissions
                            .iter()
                            .any(|other: &Permission| other.object == object)
                        {
                            self.report(
                                Diagnostic::error(Code::DUPLICATE_ATTRIBUTE, format!("permissions for `{object}` are given twice"))
                                    .primary(block.labels[0].span.clone(), "again here")
                                    .help("CodeDeploy fails when one object is listed twice: merge the blocks"),
                            );
                        } else {
                            permissions.push(permission);
                        }
                    }
                }
                _ => {
                    if let Some(hook) = self.lower_hook(
                        block.keyword.span.clone(),
                        &block.labels,
                        HookBody::Block(&block.body.items, *scope),
                        block.keyword.span.to(&block.body.span),
                    ) {
                        hooks.push(hook);
                    }
                }
            }
        }
        for (decl_item, _) in &fields.decls {
            if is_s3 {
                self.report(
                    Diagnostic::error(Code::UNEXPECTED_ITEM, "hooks apply only to EC2 deploys")
                        .primary(decl_item.keyword.span.clone(), "not for an S3 target")
                        .help("remove the hook"),
                );
                continue;
            }
            let span = decl_item.keyword.span.to(&decl_item.value.span);
            if let Some(hook) = self.lower_hook(
                decl_item.keyword.span.clone(),
                &decl_item.labels,
                HookBody::Preset(&decl_item.value),
                span,
            ) {
                hooks.push(hook);
            }
        }
        self.check_hooks(&mut hooks);
        let tags = self.tags(ctx, fields, &decl.name_span);
        let _ = &decl.keyword_span;
        Some(Deploy {
            origin,
            application_name: aws_name.clone(),
            group_name: aws_name,
            from: from?,
            target: target?,
            config,
            files,
            file_exists,
            permissions,
            hooks,
            auto_rollback,
            role,
            tags,
        })
    }

    fn lower_target(&mut self, expr: &'a Expr, scope: ScopeId) -> Option<Target> {
        let ExprKind::Apply(path, body) = &expr.kind else {
            let value = self.eval(expr, scope);
            self.mismatch(&expr.span, "`ec2 { … }` or `s3 { … }`", &value, "write `target = ec2 { tags = { Deploy = \"web\" } }` or `target = s3 { site = site.NAME }`");
            return None;
        };
        let name = path
            .iter()
            .map(|segment| segment.name.as_str())
            .collect::<Vec<_>>()
            .join(".");
        let items: Vec<(&'a Item, ScopeId)> = body.items.iter().map(|item| (item, scope)).collect();
        match name.as_str() {
            "ec2" => {
                let mut groups = Vec::new();
                let mut given = false;
                for item in &body.items {
                    let ItemKind::Attr(attr) = &item.kind else {
                        self.report(
                            Diagnostic::error(
                                Code::UNEXPECTED_ITEM,
                                "`ec2` holds `tags` or `tag_groups`",
                            )
                            .primary(item.span.clone(), "not allowed here")
                            .help("write `ec2 { tags = { Key = \"value\" } }`"),
                        );
                        continue;
                    };
                    match attr.key.text.as_str() {
                        "tags" => {
                            given = true;
                            if let Some(group) = self.tag_group(&attr.value, scope) {
                                groups.push(group);
                            }
                        }
                        "tag_groups" => {
                            given = true;
                            let list = match &attr.value.kind {
                                ExprKind::List(elements) => elements.iter().collect::<Vec<_>>(),
                                _ => {
                                    let value = self.eval(&attr.value, scope);
                                    self.mismatch(&attr.value.span, "a list of tag maps", &value, "write `tag_groups = [{ Role = \"web\" }, { Env = \"prod\" }]`");
                                    Vec::new()
                                }
                            };
                            if list.len() > 3 {
                                self.report(
                                    Diagnostic::error(Code::INVALID_VALUE, format!("{} tag groups; CodeDeploy allows at most 3", list.len()))
                                        .primary(attr.value.span.clone(), "too many groups")
                                        .help("merge groups: an instance must match one tag of every group"),
                                );
                            }
                            for element in list {
                                if let Some(group) = self.tag_group(element, scope) {
                                    groups.push(group);
                                }
                            }
                        }
                        other => {
                            let mut diag = Diagnostic::error(
                                Code::UNKNOWN_ATTRIBUTE,
                                format!("`ec2` has no attribute `{other}`"),
                            )
                            .primary(attr.key.span.clone(), "unknown attribute");
                            if let Some(best) = did_you_mean(other, ["tags", "tag_groups"]) {
                                diag = diag.help(format!("did you mean `{best}`?")).fix(
                                    format!("replace with `{best}`"),
                                    attr.key.span.clone(),
                                    best,
                                );
                            } else {
                                diag = diag.help("`ec2` takes `tags` (any tag matches) or `tag_groups` (one tag of every group must match)");
                            }
                            self.report(diag);
                        }
                    }
                }
                if !given {
                    self.report(
                        Diagnostic::error(
                            Code::MISSING_ATTRIBUTE,
                            "`ec2` needs the tags that select instances",
                        )
                        .primary(expr.span.clone(), "no `tags`")
                        .help("write `ec2 { tags = { Deploy = \"web\" } }`"),
                    );
                }
                (!groups.is_empty()).then_some(Target::Ec2 { groups })
            }
            "s3" => {
                let s3_spec = schema::BlockSpec {
                    keyword: "s3",
                    parent: "deploy",
                    doc: "",
                    aws: "",
                    attrs: &[
                        schema::AttrSpec {
                            name: "site",
                            ty: "site reference",
                            required: true,
                            default: None,
                            values: &[],
                            doc: "",
                            aws: "BucketName",
                        },
                        schema::AttrSpec {
                            name: "prefix",
                            ty: "string",
                            required: false,
                            default: None,
                            values: &[],
                            doc: "",
                            aws: "ObjectKey",
                        },
                    ],
                    blocks: &[],
                    statements: &[],
                    exports: &[],
                };
                let inner = self.fields(items, &s3_spec, "`s3`");
                let site = match inner.attrs.get("site") {
                    Some((_, expr, scope)) => self.want_ref(expr, *scope, Kind::Site),
                    None => {
                        let example = self
                            .only_of_kind(Kind::Site)
                            .unwrap_or_else(|| "site.NAME".to_string());
                        self.report(
                            Diagnostic::error(
                                Code::MISSING_ATTRIBUTE,
                                "`s3` needs the `site` to deploy to",
                            )
                            .primary(expr.span.clone(), "no `site`")
                            .help(format!("write `s3 {{ site = {example} }}`")),
                        );
                        None
                    }
                };
                let prefix = self.attr_str(&inner, "prefix");
                Some(Target::S3 {
                    site: site?,
                    prefix,
                })
            }
            other => {
                let mut diag = Diagnostic::error(
                    Code::INVALID_VALUE,
                    format!("`{other}` is not a deploy target"),
                )
                .primary(expr.span.clone(), "unknown target");
                if let Some(best) = did_you_mean(other, ["ec2", "s3"]) {
                    diag = diag.help(format!("did you mean `{best}`?"));
                } else {
                    diag = diag.help("targets are `ec2 { tags = … }` and `s3 { site = … }`");
                }
                self.report(diag);
                None
            }
        }
    }

    fn tag_group(&mut self, expr: &Expr, scope: ScopeId) -> Option<Vec<TagFilter>> {
        let entries = self.want_map(expr, scope)?;
        if entries.is_empty() {
            self.report(
                Diagnostic::error(Code::INVALID_VALUE, "an empty tag filter selects nothing")
                    .primary(expr.span.clone(), "no tags")
                    .help("write at least one `Key = \"value\"`"),
            );
            return None;
        }
        if entries.len() > 10 {
            self.report(
                Diagnostic::error(
                    Code::INVALID_VALUE,
                    format!("{} tags in one group; CodeDeploy allows 10", entries.len()),
                )
                .primary(expr.span.clone(), "too many tags")
                .help("use fewer tags, or split them into `tag_groups`"),
            );
        }
        let mut filters = Vec::new();
        for (key, key_span, value, value_span) in entries {
            let Some(value) = self.value_str(&value, &value_span) else {
                continue;
            };
            let value = if value == "*" { String::new() } else { value };
            if self.check_tag(&key, &value, &key_span, &value_span) {
                filters.push(TagFilter { key, value });
            }
        }
        Some(filters)
    }

    fn lower_hook(
        &mut self,
        keyword_span: Span,
        labels: &'a [pipec_syntax::ast::Label],
        body: HookBody<'a>,
        span: Span,
    ) -> Option<Hook> {
        let (event_label, name_label) = match labels {
            [event, name] => (event, name),
            _ => {
                self.report(
                    Diagnostic::error(
                        Code::SYNTAX_ERROR,
                        "a hook names its lifecycle event and itself",
                    )
                    .primary(keyword_span, "expected `hook EVENT \"name\"`")
                    .help("write `hook application_start \"start\" { run \"…\" }`"),
                );
                return None;
            }
        };
        let event = match schema::HOOK_EVENTS
            .iter()
            .find(|(name, aws)| *name == event_label.text || *aws == event_label.text)
        {
            Some((_, aws)) => Some(*aws),
            None => {
                let names: Vec<&str> = schema::HOOK_EVENTS.iter().map(|(name, _)| *name).collect();
                let reserved = [
                    "install",
                    "download_bundle",
                    "block_traffic",
                    "allow_traffic",
                    "Install",
                    "DownloadBundle",
                    "BlockTraffic",
                    "AllowTraffic",
                ];
                let mut diag = Diagnostic::error(
                    Code::UNKNOWN_HOOK_EVENT,
                    format!(
                        "`{}` is not a lifecycle event hooks can run in",
                        event_label.text
                    ),
                )
                .primary(event_label.span.clone(), "unknown event");
                if reserved.contains(&event_label.text.as_str()) {
                    diag = diag.note("This event is reserved for the CodeDeploy agent itself.");
                }
                diag = match did_you_mean(&event_label.text, names.iter().copied()) {
                    Some(best) if !reserved.contains(&event_label.text.as_str()) => {
                        diag.help(format!("did you mean `{best}`?")).fix(
                            format!("replace with `{best}`"),
                            event_label.span.clone(),
                            best,
                        )
                    }
                    _ => diag.help(format!("events: {}", names.join(", "))),
                };
                self.report(diag);
                None
            }
        };
        let name = name_label.text.clone();
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            self.report(
                Diagnostic::error(Code::INVALID_NAME, format!("hook name `{name}` cannot name a script file"))
                    .primary(name_label.span.clone(), "letters, digits, `-` and `_`")
                    .help("the hook becomes scripts/<Event>-<name>.sh: use 1 to 64 letters, digits, `-` or `_`"),
            );
        }
        let items = match body {
            HookBody::Block(items, scope) => items.iter().map(|item| (item, scope)).collect(),
            HookBody::Preset(value) => self.apply_preset(value, "a hook")?,
        };
        let fields = self.fields(items, nested_spec("deploy", "hook"), "a hook");
        let commands = self.commands(&fields);
        if commands.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MISSING_ATTRIBUTE,
                    format!("hook `{name}` has no commands"),
                )
                .primary(name_label.span.clone(), "nothing to run")
                .help("add `run \"command\"`, or apply a preset: `= node.start { … }`"),
            );
        }
        let timeout = fields.attrs.get("timeout").and_then(|(_, expr, scope)| {
            self.want_int(expr, *scope, 1, 3600, "a hook timeout (seconds)")
        });
        let runas = self.attr_str(&fields, "runas");
        Some(Hook {
            event: event?.to_string(),
            name,
            commands,
            timeout,
            runas,
            location: self.location(&span),
            span: name_label.span.clone(),
        })
    }

    fn check_hooks(&mut self, hooks: &mut [Hook]) {
        let mut seen: BTreeMap<(String, String), Span> = BTreeMap::new();
        let mut totals: BTreeMap<String, i64> = BTreeMap::new();
        for hook in hooks.iter() {
            let key = (hook.event.clone(), hook.name.clone());
            if let Some(first) = seen.get(&key) {
                let first = first.clone();
                self.report(
                    Diagnostic::error(
                        Code::DUPLICATE_HOOK,
                        format!("two `{}` hooks are named `{}`", hook.event, hook.name),
                    )
                    .primary(hook.span.clone(), "declared again here")
                    .secondary(first, "first declared here")
                    .help("rename one of them, or merge their commands"),
                );
            } else {
                seen.insert(key, hook.span.clone());
            }
            let total = totals.entry(hook.event.clone()).or_insert(0);
            *total += hook.timeout.unwrap_or(3600);
            let all_have_timeouts = true;
            if *total > 3600 && all_have_timeouts {
                self.report(
                    Diagnostic::error(Code::HOOK_TIMEOUT, format!("the `{}` hooks add up to {total} seconds", hook.event))
                        .primary(hook.span.clone(), "exceeds the 3600-second limit of one lifecycle event")
                        .note("A hook without `timeout` counts as 3600 seconds, the agent's default.")
                        .help("give each hook a `timeout` so that the event's total stays within 3600 seconds"),
                );
                *total = i64::MIN / 2;
            }
        }
        hooks.sort_by_key(|hook| {
            schema::HOOK_EVENTS
                .iter()
                .position(|(_, aws)| *aws == hook.event)
        });
    }

    // ------------------------------------------------------------------ instance, site

    fn lower_instance(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Instance {
        let ami = self.attr_str(fields, "ami").unwrap_or_else(|| "{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}".to_string());
        if !(ami.starts_with("ami-") || ami.starts_with("{{resolve:ssm:")) {
            if let Some((_, expr, _)) = fields.attrs.get("ami") {
                self.report(
                    Diagnostic::error(Code::INVALID_VALUE, format!("`{ami}` is not an AMI id"))
                        .primary(expr.span.clone(), "expected `ami-…`")
                        .help("write an AMI id like \"ami-0c9c942bd7bf113a2\", or `ssm_ami(\"amazon_linux\")`"),
                );
            }
        }
        let instance_type = self
            .attr_str(fields, "type")
            .unwrap_or_else(|| "t3.micro".to_string());
        if !instance_type.contains('.')
            || !instance_type
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '-')
        {
            if let Some((_, expr, _)) = fields.attrs.get("type") {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_VALUE,
                        format!("`{instance_type}` is not an instance type"),
                    )
                    .primary(expr.span.clone(), "expected a type like \"t3.micro\"")
                    .help("write a family and a size, e.g. \"t3.micro\""),
                );
            }
        }
        let role = fields
            .attrs
            .get("role")
            .and_then(|(_, expr, scope)| self.want_ref(expr, *scope, Kind::Role));
        let agent = self.attr_enum(
            fields,
            "agent",
            &[("codedeploy", "codedeploy"), ("none", "none")],
            "codedeploy",
        ) == "codedeploy";
        let os = self
            .attr_enum(
                fields,
                "os",
                &[("amazon_linux", "amazon_linux"), ("ubuntu", "ubuntu")],
                "amazon_linux",
            )
            .to_string();
        let mut ingress = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get("ingress") {
            for (value, span) in self.want_list(expr, *scope).unwrap_or_default() {
                match value {
                    Value::Int(port) if (0..=65535).contains(&port) => ingress.push(Ingress {
                        port,
                        cidr: "0.0.0.0/0".to_string(),
                    }),
                    Value::Map(entries) => {
                        let mut port = None;
                        let mut cidr = "0.0.0.0/0".to_string();
                        for (key, key_span, value, value_span) in entries {
                            match (key.as_str(), value) {
                                ("port", Value::Int(number)) if (0..=65535).contains(&number) => {
                                    port = Some(number)
                                }
                                ("cidr", Value::Str(text)) if text.contains('/') => cidr = text,
                                (_, value) => self.mismatch(
                                    &value_span,
                                    "`port = 0..65535` or `cidr = \"a.b.c.d/n\"`",
                                    &value,
                                    "write `{ port = 443, cidr = \"10.0.0.0/8\" }`",
                                ),
                            }
                            let _ = key_span;
                        }
                        match port {
                            Some(port) => ingress.push(Ingress { port, cidr }),
                            None => self.report(
                                Diagnostic::error(
                                    Code::MISSING_ATTRIBUTE,
                                    "an ingress rule needs `port`",
                                )
                                .primary(span, "no port")
                                .help("write `{ port = 443 }`"),
                            ),
                        }
                    }
                    other => self.mismatch(
                        &span,
                        "a port number or `{ port, cidr }`",
                        &other,
                        "write `ingress = [80, { port = 22, cidr = \"10.0.0.0/8\" }]`",
                    ),
                }
            }
        }
        let key_name = self.attr_str(fields, "key_name");
        let subnet = self.attr_str(fields, "subnet");
        let mut tags = self.tags(ctx, fields, &decl.name_span);
        if !tags.iter().any(|tag| tag.key == "Name") {
            tags.push(Tag {
                key: "Name".into(),
                value: format!("{}-{}", ctx.prefix, decl.name.replace('_', "-")),
            });
            tags.sort();
        }
        Instance {
            origin,
            ami,
            instance_type,
            role,
            agent,
            os,
            ingress,
            key_name,
            subnet,
            tags,
        }
    }

    fn lower_site(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Site {
        let bucket_name = fields.attrs.get("bucket").and_then(|(_, expr, scope)| {
            let name = self.want_str(expr, *scope)?;
            self.check_name(&name, NameRule::Bucket, &expr.span, false);
            Some(name)
        });
        let index = self
            .attr_str(fields, "index")
            .unwrap_or_else(|| "index.html".to_string());
        let error = self.attr_str(fields, "error");
        let tags = self.tags(ctx, fields, &decl.name_span);
        Site {
            origin,
            bucket_name,
            index,
            error,
            tags,
        }
    }

    // ------------------------------------------------------------------ IAM

    fn lower_role(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Option<Role> {
        let mut trust = Vec::new();
        match fields.attrs.get("trust") {
            Some((_, expr, scope)) => {
                for (value, span) in self.want_list(expr, *scope).unwrap_or_default() {
                    match value {
                        Value::Symbol(path) if path.len() == 2 && path[0] == "service" => {
                            match schema::SERVICES.iter().find(|(name, _)| *name == path[1]) {
                                Some((_, principal)) => trust.push((*principal).to_string()),
                                None => {
                                    let names: Vec<&str> =
                                        schema::SERVICES.iter().map(|(name, _)| *name).collect();
                                    let mut diag = Diagnostic::error(
                                        Code::INVALID_VALUE,
                                        format!("unknown service `{}`", path[1]),
                                    )
                                    .primary(span.clone(), "not a known service");
                                    diag = match did_you_mean(&path[1], names.iter().copied()) {
                                        Some(best) => diag.help(format!("did you mean `service.{best}`?")).fix(format!("replace with `service.{best}`"), span, format!("service.{best}")),
                                        None => diag.help(format!("services: {}; or write the principal as a string, \"x.amazonaws.com\"", names.join(", "))),
                                    };
                                    self.report(diag);
                                }
                            }
                        }
                        Value::Str(principal) if principal.ends_with(".amazonaws.com") => {
                            trust.push(principal)
                        }
                        other => self.mismatch(
                            &span,
                            "`service.NAME`",
                            &other,
                            "write `trust = [service.ec2]`",
                        ),
                    }
                }
                if trust.is_empty()
                    && !self.diagnostics.iter().any(|diag| {
                        diag.primary_span()
                            .is_some_and(|span| expr.span.contains(span.start()))
                    })
                {
                    self.report(
                        Diagnostic::error(
                            Code::INVALID_VALUE,
                            "`trust` is empty: nothing could assume this role",
                        )
                        .primary(expr.span.clone(), "no principal")
                        .help("write `trust = [service.ec2]`"),
                    );
                }
            }
            None => self.missing(decl, "trust", "[service.ec2]"),
        }
        let mut managed = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get("managed") {
            for (value, span) in self.want_list(expr, *scope).unwrap_or_default() {
                if let Some(policy) = self.managed_policy(&value, &span) {
                    if let ManagedPolicy::Aws(name) = &policy {
                        self.lint_admin_managed(name, &span);
                    }
                    managed.push(policy);
                }
            }
            if managed.len() > 10 {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_VALUE,
                        format!(
                            "{} managed policies; a role takes at most 10 by default",
                            managed.len()
                        ),
                    )
                    .primary(expr.span.clone(), "too many")
                    .help("merge policies into fewer customer-managed ones"),
                );
            }
        }
        let profile = self.attr_bool(fields, "profile", false);
        let boundary = fields.attrs.get("boundary").and_then(|(_, expr, scope)| {
            match self.eval(expr, *scope) {
                Value::Managed(name) => Some(format!("arn:aws:iam::aws:policy/{name}")),
                Value::Str(arn) if arn.starts_with("arn:") => Some(arn),
                other => {
                    self.mismatch(
                        &expr.span,
                        "a policy ARN or `aws_policy(…)`",
                        &other,
                        "write `boundary = aws_policy(\"PowerUserAccess\")` or an ARN",
                    );
                    None
                }
            }
        });
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::IamRole, true);
        let description = self.attr_str(fields, "description");
        let statements = self.policy_statements(fields);
        let tags = self.tags(ctx, fields, &decl.name_span);
        if trust.is_empty() {
            return None;
        }
        Some(Role {
            origin,
            aws_name,
            trust,
            managed,
            statements,
            profile,
            boundary,
            description,
            tags,
        })
    }

    fn policy_statements(&mut self, fields: &Fields<'a>) -> Vec<Statement> {
        let mut statements = Vec::new();
        let mut sids: BTreeMap<String, Span> = BTreeMap::new();
        let all: Vec<_> = fields.statements.clone();
        for (statement, scope) in all {
            let effect = if statement.keyword.name == "allow" {
                Effect::Allow
            } else {
                Effect::Deny
            };
            let mut actions: Vec<(String, Span)> = Vec::new();
            match self.eval(&statement.argument, scope) {
                Value::List(items) => {
                    for (item, span) in items {
                        if let Some(action) = self.value_str(&item, &span) {
                            if self.check_action(&action, &span) {
                                actions.push((action, span));
                            }
                        }
                    }
                }
                Value::Str(action) => {
                    if self.check_action(&action, &statement.argument.span) {
                        actions.push((action, statement.argument.span.clone()));
                    }
                }
                other => self.mismatch(
                    &statement.argument.span,
                    "a list of actions",
                    &other,
                    "write `allow [\"s3:GetObject\"] on [site.web]`",
                ),
            }
            let mut resources = Vec::new();
            let mut resources_any = None;
            let mut condition = Vec::new();
            let mut sid = None;
            let mut has_on = false;
            for clause in &statement.clauses {
                match clause.keyword.name.as_str() {
                    "on" => {
                        has_on = true;
                        let items = match self.eval(&clause.value, scope) {
                            Value::List(items) => items,
                            Value::Error => Vec::new(),
                            single => vec![(single, clause.value.span.clone())],
                        };
                        for (item, span) in items {
                            match item {
                                Value::Str(text) => {
                                    if text == "*" {
                                        resources_any = Some(span.clone());
                                    } else if !text.starts_with("arn:") {
                                        self.report(
                                            Diagnostic::error(Code::INVALID_VALUE, format!("`{text}` is not an ARN"))
                                                .primary(span.clone(), "expected `arn:…` or `*`")
                                                .help("write an ARN, `\"*\"`, or a reference like `repo.app`"),
                                        );
                                        continue;
                                    }
                                    resources.push(IamResource::Literal(text));
                                }
                                Value::Block(kind, name) => {
                                    if matches!(kind, Kind::Deploy) {
                                        self.report(
                                            Diagnostic::error(Code::WRONG_REFERENCE_KIND, "a deploy has no single ARN to grant on")
                                                .primary(span.clone(), "not a resource with an ARN")
                                                .help("grant on the repo, build, pipeline, site, role, group or user instead"),
                                        );
                                        continue;
                                    }
                                    resources.push(IamResource::Block(kind, name));
                                }
                                Value::Text(parts) => {
                                    resources.push(IamResource::Text(Text::Parts(parts)))
                                }
                                Value::Attr(attr) => {
                                    resources.push(IamResource::Text(Text::Parts(vec![
                                        TextPart::Attr(attr),
                                    ])))
                                }
                                other => self.mismatch(
                                    &span,
                                    "an ARN or a reference",
                                    &other,
                                    "write `on [repo.app, \"arn:aws:s3:::bucket/*\"]`",
                                ),
                            }
                        }
                    }
                    "when" => match self.eval(&clause.value, scope) {
                        Value::Map(operators) => {
                            for (operator, operator_span, keys, keys_span) in operators {
                                if !valid_condition_operator(&operator) {
                                    self.report(
                                        Diagnostic::error(Code::INVALID_VALUE, format!("`{operator}` is not an IAM condition operator"))
                                            .primary(operator_span, "unknown operator")
                                            .help("use an operator like StringEquals, StringLike, ArnLike, Bool, IpAddress (optionally with IfExists)"),
                                    );
                                    continue;
                                }
                                let Value::Map(keys) = keys else {
                                    self.mismatch(&keys_span, "a map of condition keys", &keys, "write `when { StringEquals = { \"aws:PrincipalTag/team\" = \"web\" } }`");
                                    continue;
                                };
                                let mut entries = Vec::new();
                                for (key, _, value, value_span) in keys {
                                    let values = match value {
                                        Value::Str(text) => vec![text],
                                        Value::Bool(flag) => vec![flag.to_string()],
                                        Value::Int(number) => vec![number.to_string()],
                                        Value::List(items) => items
                                            .into_iter()
                                            .filter_map(|(item, span)| self.value_str(&item, &span))
                                            .collect(),
                                        other => {
                                            self.mismatch(
                                                &value_span,
                                                "a string or a list of strings",
                                                &other,
                                                "write the condition's value(s) as strings",
                                            );
                                            continue;
                                        }
                                    };
                                    entries.push((key, values));
                                }
                                condition.push((operator, entries));
                            }
                        }
                        other => self.mismatch(
                            &clause.value.span,
                            "a map of condition operators",
                            &other,
                            "write `when { Bool = { \"aws:SecureTransport\" = \"true\" } }`",
                        ),
                    },
                    "sid" => {
                        if let Some(text) = self.want_str(&clause.value, scope) {
                            if self.check_sid(&text, &clause.value.span) {
                                if let Some(first) = sids.get(&text) {
                                    let first = first.clone();
                                    self.report(
                                        Diagnostic::error(
                                            Code::INVALID_SID,
                                            format!("statement id `{text}` is used twice"),
                                        )
                                        .primary(clause.value.span.clone(), "again here")
                                        .secondary(first, "first here")
                                        .help("statement ids must be unique within a policy"),
                                    );
                                } else {
                                    sids.insert(text.clone(), clause.value.span.clone());
                                    sid = Some(text);
                                }
                            }
                        }
                    }
                    other => self.report(
                        Diagnostic::error(
                            Code::UNEXPECTED_ITEM,
                            format!("`{other}` is not a clause of `{}`", statement.keyword.name),
                        )
                        .primary(clause.keyword.span.clone(), "not allowed here")
                        .help("statements take `on`, `when` and `sid`"),
                    ),
                }
            }
            if !has_on {
                self.report(
                    Diagnostic::error(
                        Code::MISSING_ATTRIBUTE,
                        format!(
                            "`{}` needs the resources it applies to",
                            statement.keyword.name
                        ),
                    )
                    .primary(statement.keyword.span.clone(), "no `on` clause")
                    .help(
                        "add `on [resource]`, e.g. `on [repo.app]` (or `on [\"*\"]` deliberately)",
                    ),
                );
            }
            let span = statement.keyword.span.to(&statement.argument.span);
            self.lint_statement(&StatementFacts {
                allow: effect == Effect::Allow,
                actions: &actions,
                resources_any,
                span,
            });
            if !actions.is_empty() && has_on {
                statements.push(Statement {
                    sid,
                    effect,
                    actions: actions.into_iter().map(|(action, _)| action).collect(),
                    resources,
                    condition,
                });
            }
        }
        statements
    }

    fn lower_policy(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Policy {
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::IamLong, true);
        let description = self.attr_str(fields, "description");
        let statements = self.policy_statements(fields);
        if fields.statements.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MISSING_ATTRIBUTE,
                    format!("policy `{}` has no statements", decl.name),
                )
                .primary(decl.name_span.clone(), "grants nothing")
                .help("add `allow [\"service:Action\"] on [resource]`"),
            );
        }
        Policy {
            origin,
            aws_name,
            statements,
            description,
        }
    }

    fn policy_list(&mut self, fields: &Fields<'a>, attr: &str) -> Vec<(ManagedPolicy, Span)> {
        let mut out = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get(attr) {
            for (value, span) in self.want_list(expr, *scope).unwrap_or_default() {
                if let Some(policy) = self.managed_policy(&value, &span) {
                    if let ManagedPolicy::Aws(name) = &policy {
                        self.lint_admin_managed(name, &span);
                    }
                    out.push((policy, span));
                }
            }
        }
        out
    }

    fn lower_group(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Group {
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::IamLong, true);
        let policies = self
            .policy_list(fields, "policies")
            .into_iter()
            .map(|(policy, _)| policy)
            .collect();
        Group {
            origin,
            aws_name,
            policies,
        }
    }

    fn lower_user(&mut self, decl: &Declared<'a>, origin: Origin, fields: &Fields<'a>) -> User {
        let ctx = Ctx {
            prefix: String::new(),
            file_tags: self.file_tags_cached(),
        };
        let aws_name = self.aws_name(&ctx, fields, decl, NameRule::IamUser, false);
        let mut groups = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get("groups") {
            let items = self.want_list(expr, *scope).unwrap_or_default();
            if items.len() > 10 {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_VALUE,
                        format!("{} groups; a user can be in at most 10", items.len()),
                    )
                    .primary(expr.span.clone(), "too many groups")
                    .help("merge groups"),
                );
            }
            for (value, span) in items {
                if let Some(group) = self.value_ref(&value, &span, Kind::Group) {
                    groups.push(group);
                }
            }
        }
        let policies: Vec<ManagedPolicy> = self
            .policy_list(fields, "policies")
            .into_iter()
            .map(|(policy, span)| {
                self.lint_user_policy(&span, &decl.name);
                policy
            })
            .collect();
        let tags = self.tags(&ctx, fields, &decl.name_span);
        User {
            origin,
            aws_name,
            groups,
            policies,
            tags,
        }
    }

    fn file_tags_cached(&self) -> Vec<Tag> {
        Vec::new()
    }

    // ------------------------------------------------------------------ pipeline

    fn lower_pipeline(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Pipeline {
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::Pipeline, true);
        let mut stages: Vec<Stage> = Vec::new();
        let mut stage_spans: Vec<Span> = Vec::new();
        let mut action_spans: Vec<Vec<Span>> = Vec::new();
        for (block, scope) in &fields.blocks {
            let Some(label) = self.single_label(&block.keyword.span, &block.labels, "stage") else {
                continue;
            };
            if let Some(index) = stages.iter().position(|stage| stage.name == label.text) {
                let first = stage_spans[index].clone();
                self.report(
                    Diagnostic::error(
                        Code::DUPLICATE_DECLARATION,
                        format!("stage `{}` appears twice", label.text),
                    )
                    .primary(label.span.clone(), "again here")
                    .secondary(first, "first here")
                    .help("stage names are unique within a pipeline"),
                );
                continue;
            }
            let items = block.body.items.iter().map(|item| (item, *scope)).collect();
            let inner = self.fields(items, nested_spec("pipeline", "stage"), "a stage");
            let mut actions = Vec::new();
            let mut spans = Vec::new();
            for (expr, target, scope) in &inner.exprs {
                if let Some(target) = target {
                    self.report(
                        Diagnostic::error(Code::UNEXPECTED_ITEM, "`->` is not used in stages")
                            .primary(target.span.clone(), "unexpected")
                            .help(
                                "list the blocks the stage runs, e.g. `stage build { build.app }`",
                            ),
                    );
                }
                let action = match self.eval(expr, *scope) {
                    Value::Block(Kind::Repo, name) => Some(Action::Source(name)),
                    Value::Block(Kind::Build, name) => Some(Action::Build(name)),
                    Value::Block(Kind::Deploy, name) => Some(Action::Deploy(name)),
                    Value::Symbol(path) if path == ["approval"] => Some(Action::Approval),
                    Value::Block(kind, name) => {
                        self.report(
                            Diagnostic::error(
                                Code::WRONG_REFERENCE_KIND,
                                format!("{} cannot be a pipeline action", kind.article()),
                            )
                            .primary(expr.span.clone(), format!("{} {name}", kind.keyword()))
                            .help("stages run repos (sources), builds, deploys and `approval`"),
                        );
                        None
                    }
                    other => {
                        self.mismatch(
                            &expr.span,
                            "a repo, build or deploy reference, or `approval`",
                            &other,
                            "write `stage build { build.app }`",
                        );
                        None
                    }
                };
                if let Some(action) = action {
                    actions.push(action);
                    spans.push(expr.span.clone());
                }
            }
            if actions.is_empty() && inner.exprs.is_empty() {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_PIPELINE,
                        format!("stage `{}` has no actions", label.text),
                    )
                    .primary(label.span.clone(), "empty stage")
                    .help("list what the stage runs, e.g. `stage build { build.app }`"),
                );
            }
            let location = self.location(&block.keyword.span);
            stages.push(Stage {
                name: label.text.clone(),
                actions,
                location,
            });
            stage_spans.push(label.span.clone());
            action_spans.push(spans);
        }
        self.check_pipeline(decl, &stages, &stage_spans, &action_spans);
        let tags = self.tags(ctx, fields, &decl.name_span);
        Pipeline {
            origin,
            aws_name,
            stages,
            tags,
        }
    }

    fn check_pipeline(
        &mut self,
        decl: &Declared<'a>,
        stages: &[Stage],
        stage_spans: &[Span],
        action_spans: &[Vec<Span>],
    ) {
        if stages.len() < 2 {
            self.report(
                Diagnostic::error(
                    Code::INVALID_PIPELINE,
                    format!("pipeline `{}` needs at least two stages", decl.name),
                )
                .primary(
                    decl.name_span.clone(),
                    format!(
                        "{} stage{}",
                        stages.len(),
                        if stages.len() == 1 { "" } else { "s" }
                    ),
                )
                .help("start with `stage source { repo.NAME }`, then `stage build { build.NAME }`"),
            );
        }
        let mut sources: BTreeSet<String> = BTreeSet::new();
        let mut builds: BTreeSet<String> = BTreeSet::new();
        for (index, stage) in stages.iter().enumerate() {
            for (action, span) in stage.actions.iter().zip(&action_spans[index]) {
                match action {
                    Action::Source(repo) => {
                        if index != 0 {
                            self.report(
                                Diagnostic::error(
                                    Code::INVALID_PIPELINE,
                                    "sources must be in the first stage",
                                )
                                .primary(span.clone(), "a source in a later stage")
                                .secondary(stage_spans[0].clone(), "first stage")
                                .help("move it into the first stage"),
                            );
                        }
                        sources.insert(repo.clone());
                    }
                    other if index == 0 => {
                        let _ = other;
                        self.report(
                            Diagnostic::error(
                                Code::INVALID_PIPELINE,
                                "the first stage holds only sources",
                            )
                            .primary(span.clone(), "not a source")
                            .help(
                                "put repos in the first stage and builds or deploys in later ones",
                            ),
                        );
                    }
                    Action::Build(build) => {
                        let source = self.blocks_build_source(build);
                        if let Some(source) = source {
                            if !sources.contains(&source) {
                                self.report(
                                    Diagnostic::error(Code::INVALID_PIPELINE, format!("build `{build}` reads repo `{source}`, which no earlier stage provides"))
                                        .primary(span.clone(), "input not available here")
                                        .help(format!("add `repo.{source}` to the first stage")),
                                );
                            }
                        }
                        builds.insert(build.clone());
                    }
                    Action::Deploy(deploy) => {
                        if let Some(from) = self.blocks_deploy_from(deploy) {
                            if !builds.contains(&from) {
                                self.report(
                                    Diagnostic::error(Code::INVALID_PIPELINE, format!("deploy `{deploy}` takes build `{from}`, which no earlier stage runs"))
                                        .primary(span.clone(), "input not available here")
                                        .help(format!("run `build.{from}` in an earlier stage")),
                                );
                            }
                        }
                    }
                    Action::Approval => {}
                }
            }
        }
    }

    /// The `source` a build block names, read from its syntax (used before lowering finishes).
    fn blocks_build_source(&self, build: &str) -> Option<String> {
        self.attr_reference(Kind::Build, build, "source")
    }

    fn blocks_deploy_from(&self, deploy: &str) -> Option<String> {
        self.attr_reference(Kind::Deploy, deploy, "from")
    }

    fn attr_reference(&self, kind: Kind, name: &str, attr: &str) -> Option<String> {
        let decl = self.blocks.get(&(kind, name.to_string()))?;
        let DeclBody::Block(block) = decl.body else {
            return None;
        };
        block.body.items.iter().find_map(|item| match &item.kind {
            ItemKind::Attr(found) if found.key.text == attr => found
                .value
                .as_path()
                .and_then(|path| path.get(1))
                .map(|segment| segment.name.clone()),
            _ => None,
        })
    }

    // ------------------------------------------------------------------ cross checks

    fn cross_checks(&mut self, program: &Program) {
        for instance in &program.instances {
            if let Some(role_name) = &instance.role {
                if let Some(role) = program
                    .roles
                    .iter()
                    .find(|role| role.origin.name == *role_name)
                {
                    if !role.profile {
                        self.report(
                            Diagnostic::error(
                                Code::INVALID_VALUE,
                                format!("role `{role_name}` has no instance profile"),
                            )
                            .primary(instance.origin.span.clone(), "instance uses it")
                            .secondary(role.origin.span.clone(), "role declared here")
                            .help("set `profile = true` in the role"),
                        );
                    }
                    if !role
                        .trust
                        .iter()
                        .any(|principal| principal.starts_with("ec2."))
                    {
                        self.report(
                            Diagnostic::error(
                                Code::INVALID_VALUE,
                                format!("role `{role_name}` does not trust EC2"),
                            )
                            .primary(instance.origin.span.clone(), "instance uses it")
                            .secondary(role.origin.span.clone(), "role declared here")
                            .help("add `service.ec2` to the role's `trust`"),
                        );
                    }
                }
            }
        }
        let mut feeders: BTreeMap<&str, &Deploy> = BTreeMap::new();
        for deploy in &program.deploys {
            let Target::Ec2 { groups } = &deploy.target else {
                continue;
            };
            if let Some(first) = feeders.get(deploy.from.as_str()) {
                self.report(
                    Diagnostic::error(Code::SHARED_BUILD_OUTPUT, format!("deploys `{}` and `{}` both take build `{}`", first.origin.name, deploy.origin.name, deploy.from))
                        .primary(deploy.origin.span.clone(), "second EC2 deploy of the same build")
                        .secondary(first.origin.span.clone(), "first one")
                        .note("The bundle's appspec.yml must sit at the root of the build output, so one build output carries one deploy's appspec.")
                        .help("declare one build per EC2 deploy"),
                );
            } else {
                feeders.insert(deploy.from.as_str(), deploy);
                if let Some(build) = program
                    .builds
                    .iter()
                    .find(|build| build.origin.name == deploy.from)
                {
                    let problem = if build.artifacts.discard_paths {
                        Some("`discard_paths = true` would flatten the bundle's `scripts/` folder")
                    } else if build
                        .artifacts
                        .base_dir
                        .as_deref()
                        .is_some_and(|dir| dir.contains(['*', '?', '[']))
                    {
                        Some(
                            "a glob `base_dir` leaves no single folder to write `appspec.yml` into",
                        )
                    } else {
                        None
                    };
                    if let Some(problem) = problem {
                        self.report(
                            Diagnostic::error(Code::INVALID_VALUE, format!("build `{}` cannot carry the bundle of deploy `{}`", build.origin.name, deploy.origin.name))
                                .primary(build.origin.span.clone(), problem)
                                .secondary(deploy.origin.span.clone(), "EC2 deploy of this build")
                                .note("The bundle's appspec.yml and scripts/ are written into the build output's root.")
                                .help("remove `discard_paths`, or use a plain `base_dir`"),
                        );
                    }
                }
            }
            let matched = program.instances.iter().any(|instance| {
                groups.iter().all(|group| {
                    group.iter().any(|filter| {
                        instance.tags.iter().any(|tag| {
                            (filter.key.is_empty() || tag.key == filter.key)
                                && (filter.value.is_empty() || tag.value == filter.value)
                        })
                    })
                })
            });
            if !matched {
                let wanted: Vec<String> = groups
                    .iter()
                    .flatten()
                    .map(|filter| format!("{}={}", filter.key, filter.value))
                    .collect();
                self.report(
                    Diagnostic::warning(Code::UNMATCHED_TAG_FILTER, format!("no instance of this program carries the tags deploy `{}` selects", deploy.origin.name))
                        .primary(deploy.origin.span.clone(), format!("selects {}", wanted.join(", ")))
                        .help("fix the tag filter or tag an `instance`; ignore this if the instances are managed elsewhere"),
                );
            }
        }
    }
}

enum HookBody<'a> {
    Block(&'a [Item], ScopeId),
    Preset(&'a Expr),
}

fn fields_enum_opt<'a>(
    checker: &mut Checker<'a>,
    fields: &Fields<'a>,
    name: &str,
    choices: &[(&str, &'static str)],
) -> Option<String> {
    let (_, expr, scope) = fields.attrs.get(name)?;
    checker
        .want_enum(expr, *scope, choices, name)
        .map(str::to_string)
}

fn valid_condition_operator(operator: &str) -> bool {
    const BASE: &[&str] = &[
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    ];
    let operator = operator
        .strip_prefix("ForAllValues:")
        .or_else(|| operator.strip_prefix("ForAnyValue:"))
        .unwrap_or(operator);
    if operator == "Null" {
        return true;
    }
    let operator = operator.strip_suffix("IfExists").unwrap_or(operator);
    BASE.contains(&operator)
}
