//! Lowering of each block kind to the IR, with its schema and AWS checks, and the checks that
//! span several blocks (pipeline structure, tag filters that match no instance, shared build
//! outputs, instance roles without a profile).

use std::collections::BTreeMap;

use pipec_diagnostics::{Code, Diagnostic};
use pipec_ir::{Kind, Origin, Output, Program, Tag, Text, TextPart};
use pipec_span::{SourceDb, Span};
use pipec_syntax::ast::{Expr, Item, ItemKind};

use crate::check::{read_fields, DeclBody, Fields, ScopeId};
use crate::eval::Evaluator;
use crate::report::Report;
use crate::schema::{self, AttrSpec, AttrType};
use crate::validate::{NameRule, Validate};
use crate::value::Value;

mod build;
mod command;
mod deploy;
mod hosts;
mod iam;
mod pipeline;
mod software;

struct Ctx {
    prefix: String,
    file_tags: Vec<Tag>,
}

/// One declared block, copied out of the checker's table.
struct Declared<'a> {
    kind: Kind,
    /// Its definition in the symbol index.
    definition: usize,
    name: String,
    name_span: Span,
    span: Span,
    body: DeclBody<'a>,
}

/// Lowering: turns the declarations its evaluator reads into a `Program`, evaluating values
/// through it and reporting where it reports.
pub(crate) struct Lowerer<'c, 'a> {
    db: &'c SourceDb,
    ev: Evaluator<'c, 'a>,
}

impl Report for Lowerer<'_, '_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.ev.report(diagnostic);
    }
}

impl<'c, 'a> Lowerer<'c, 'a> {
    /// A lowering of the program `ev` evaluates, whose files are in `db`.
    pub(crate) fn new(db: &'c SourceDb, ev: Evaluator<'c, 'a>) -> Self {
        Lowerer { db, ev }
    }

    /// The program.
    pub(crate) fn lower_program(mut self) -> Program {
        let root_name = self.db.name(self.ev.names().root()).to_string();
        let stem = std::path::Path::new(&root_name)
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("pipe");
        let mut stem = pipec_ir::names::sanitize(stem, "", '-');
        if !stem.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
            stem.insert_str(0, "pipe-");
        }
        let (project, project_span) = match self.ev.names().project().cloned() {
            Some((project, span)) => (project, Some(span)),
            None => (stem, None),
        };
        let env = match self.ev.global_value("env") {
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
                .unwrap_or_else(|| Span::new(self.ev.names().root(), 0, 0));
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
            .ev
            .names()
            .blocks()
            .map(|decl| Declared {
                kind: decl.kind,
                definition: decl.definition,
                name: decl.name.clone(),
                name_span: decl.name_span.clone(),
                span: decl.span.clone(),
                body: match decl.body {
                    DeclBody::Block(block) => DeclBody::Block(block),
                    DeclBody::Applied(applied) => DeclBody::Applied(applied),
                },
            })
            .collect();
        for decl in &declared {
            let owner = format!("{} `{}`", decl.kind.keyword(), decl.name);
            let items = self.ev.decl_items(&decl.body, &owner);
            let fields = self.fields(items, schema::of_kind(decl.kind), &owner);
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
                Kind::User => program
                    .users
                    .push(self.lower_user(&ctx, decl, origin, &fields)),
                Kind::Pipeline => program
                    .pipelines
                    .push(self.lower_pipeline(&ctx, decl, origin, &fields)),
            }
        }
        let outputs = self.ev.names().outputs().to_vec();
        for decl in outputs {
            let value = self.ev.eval(&decl.value, 0);
            let text = match value {
                Value::Str(text) => Some(Text::Literal(text)),
                Value::Int(number) => Some(Text::Literal(number.to_string())),
                Value::Bool(flag) => Some(Text::Literal(flag.to_string())),
                Value::Text(parts) => Some(Text::Parts(parts)),
                Value::Attr(attr) => Some(Text::Parts(vec![TextPart::Attr(attr)])),
                Value::Error => None,
                other => {
                    self.ev.mismatch(
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
        self.resolve_software(&mut program);
        self.cross_checks(&program);
        program
    }

    /// Reads a body against `spec` (`read_fields`).
    fn fields(
        &mut self,
        items: Vec<(&'a Item, ScopeId)>,
        spec: &crate::schema::BlockSpec,
        owner: &str,
    ) -> Fields<'a> {
        read_fields(self, items, spec, owner)
    }

    fn location(&self, span: &Span) -> String {
        self.db.location(span)
    }

    fn file_tags(&mut self) -> Vec<Tag> {
        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        let blocks = self.ev.names().tag_blocks().to_vec();
        for block in blocks {
            for item in &block.body.items {
                match &item.kind {
                    ItemKind::Attr(attr) => {
                        if let Some(value) = self.ev.want_str(&attr.value, 0) {
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
                self.ev.want_map(expr, *scope).unwrap_or_default()
            {
                if let Some(value) = self.ev.value_str(&value, &value_span) {
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
            if let Some(name) = self.ev.want_str(expr, *scope) {
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
        self.ev.want_str(expr, *scope)
    }

    /// A string attribute checked against its field rule in `block` (`schema::FIELD_RULES`);
    /// `None` when missing or invalid (reported).
    fn attr_checked(&mut self, fields: &Fields<'a>, block: &str, name: &str) -> Option<String> {
        let (_, expr, scope) = fields.attrs.get(name)?;
        let text = self.ev.want_str(expr, *scope)?;
        match crate::schema::field_rule(block, name) {
            Some(rule) if !self.check_field(rule, &format!("`{name}`"), &text, &expr.span) => None,
            _ => Some(text),
        }
    }

    /// A list of strings checked against the field rule of `name` in `block`, with the number
    /// of items written; invalid items are reported and left out.
    fn attr_checked_list(
        &mut self,
        fields: &Fields<'a>,
        block: &str,
        name: &str,
    ) -> Option<(Vec<String>, usize)> {
        let (_, expr, scope) = fields.attrs.get(name)?;
        let items = self.ev.want_str_list(expr, *scope)?;
        let written = items.len();
        let rule = crate::schema::field_rule(block, name);
        let mut out = Vec::new();
        for (text, span) in items {
            if rule
                .is_none_or(|rule| self.check_field(rule, &format!("`{name}` item"), &text, &span))
            {
                out.push(text);
            }
        }
        Some((out, written))
    }

    /// A string attribute, or the default the schema gives it.
    fn attr_str_or_default(&mut self, fields: &Fields<'a>, attr: &'static AttrSpec) -> String {
        self.attr_str(fields, attr.name)
            .unwrap_or_else(|| attr.default_text().to_string())
    }

    /// A bool attribute, or the default the schema gives it (also when the value is invalid,
    /// which is reported).
    fn attr_bool(&mut self, fields: &Fields<'a>, attr: &'static AttrSpec) -> bool {
        match fields.attrs.get(attr.name) {
            Some((_, expr, scope)) => self
                .ev
                .want_bool(expr, *scope)
                .unwrap_or_else(|| attr.default_bool()),
            None => attr.default_bool(),
        }
    }

    /// A number attribute in the schema's range; `None` when not given or invalid (reported).
    fn attr_int(
        &mut self,
        fields: &Fields<'a>,
        attr: &'static AttrSpec,
        what: &str,
    ) -> Option<i64> {
        let (_, expr, scope) = fields.attrs.get(attr.name)?;
        let AttrType::Number { min, max, .. } = attr.ty else {
            return self.ev.want_int(expr, *scope, i64::MIN, i64::MAX, what);
        };
        self.ev.want_int(expr, *scope, min, max, what)
    }

    /// The AWS value of an enumeration attribute, or of its default in the schema.
    fn attr_choice(&mut self, fields: &Fields<'a>, attr: &'static AttrSpec) -> &'static str {
        self.attr_choice_opt(fields, attr)
            .unwrap_or_else(|| attr.default_text())
    }

    /// The AWS value of an enumeration attribute; `None` when not given or invalid (reported).
    fn attr_choice_opt(
        &mut self,
        fields: &Fields<'a>,
        attr: &'static AttrSpec,
    ) -> Option<&'static str> {
        let (_, expr, scope) = fields.attrs.get(attr.name)?;
        self.ev
            .want_enum(expr, *scope, attr.ty.choices(), attr.name)
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
            .ev
            .names()
            .blocks()
            .filter(|decl| decl.kind == kind)
            .map(|decl| &decl.name)
            .collect();
        match names.as_slice() {
            [one] => Some(format!("{}.{one}", kind.keyword())),
            _ => None,
        }
    }
}

enum HookBody<'a> {
    Block(&'a [Item], ScopeId),
    Preset(&'a Expr),
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
