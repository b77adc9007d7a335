//! Lowering of the IAM blocks `role`, `policy`, `group` and `user`.

use super::Lowerer;
use super::{valid_condition_operator, Ctx, Declared};
use crate::check::{Fields, ScopeId};
use crate::lints::{Lint, StatementFacts};
use crate::report::Report;
use crate::schema;
use crate::validate::{NameRule, Validate};
use crate::value::Value;
use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::{
    Effect, Group, IamResource, Kind, ManagedPolicy, Origin, Policy, Role, Statement, Text,
    TextPart, User,
};
use pipec_span::Span;
use pipec_syntax::ast::{Expr, Statement as StatementItem};
use std::collections::BTreeMap;

impl<'a> Lowerer<'_, 'a> {
    pub(super) fn lower_role(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Option<Role> {
        let mut trust = Vec::new();
        match fields.attrs.get("trust") {
            Some((_, expr, scope)) => {
                for (value, span) in self.ev.want_list(expr, *scope).unwrap_or_default() {
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
                        other => self.ev.mismatch(
                            &span,
                            "`service.NAME`",
                            &other,
                            "write `trust = [service.ec2]`",
                        ),
                    }
                }
                if trust.is_empty()
                    && !self.ev.reported(|diag| {
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
            for (value, span) in self.ev.want_list(expr, *scope).unwrap_or_default() {
                if let Some(policy) = self.ev.managed_policy(&value, &span) {
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
        let profile = self.attr_bool(fields, schema::of_kind(Kind::Role).attr("profile"));
        let boundary = fields.attrs.get("boundary").and_then(|(_, expr, scope)| {
            match self.ev.eval(expr, *scope) {
                Value::Managed(name) => Some(format!("arn:aws:iam::aws:policy/{name}")),
                Value::Str(arn) if arn.starts_with("arn:") => Some(arn),
                other => {
                    self.ev.mismatch(
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
        let description = self.attr_checked(fields, "role", "description");
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

    pub(super) fn policy_statements(&mut self, fields: &Fields<'a>) -> Vec<Statement> {
        let mut statements = Vec::new();
        let mut sids: BTreeMap<String, Span> = BTreeMap::new();
        let all: Vec<_> = fields.statements.clone();
        for (statement, scope) in all {
            let effect = if statement.keyword.name == "allow" {
                Effect::Allow
            } else {
                Effect::Deny
            };
            let actions = self.statement_actions(statement, scope);
            let mut resources = Vec::new();
            let mut resources_any = None;
            let mut condition = Vec::new();
            let mut sid = None;
            let mut has_on = false;
            for clause in &statement.clauses {
                match clause.keyword.name.as_str() {
                    "on" => {
                        has_on = true;
                        self.statement_resources(
                            &clause.value,
                            scope,
                            &mut resources,
                            &mut resources_any,
                        );
                    }
                    "when" => match self.ev.eval(&clause.value, scope) {
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
                                    self.ev.mismatch(&keys_span, "a map of condition keys", &keys, "write `when { StringEquals = { \"aws:PrincipalTag/team\" = \"web\" } }`");
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
                                            .filter_map(|(item, span)| {
                                                self.ev.value_str(&item, &span)
                                            })
                                            .collect(),
                                        other => {
                                            self.ev.mismatch(
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
                        other => self.ev.mismatch(
                            &clause.value.span,
                            "a map of condition operators",
                            &other,
                            "write `when { Bool = { \"aws:SecureTransport\" = \"true\" } }`",
                        ),
                    },
                    "sid" => {
                        if let Some(text) = self.ev.want_str(&clause.value, scope) {
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

    /// The actions of an `allow`/`deny` statement, each checked (invalid ones are reported and
    /// left out).
    fn statement_actions(
        &mut self,
        statement: &StatementItem,
        scope: ScopeId,
    ) -> Vec<(String, Span)> {
        let mut actions: Vec<(String, Span)> = Vec::new();
        match self.ev.eval(&statement.argument, scope) {
            Value::List(items) => {
                for (item, span) in items {
                    if let Some(action) = self.ev.value_str(&item, &span) {
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
            other => self.ev.mismatch(
                &statement.argument.span,
                "a list of actions",
                &other,
                "write `allow [\"s3:GetObject\"] on [site.web]`",
            ),
        }
        actions
    }

    /// The resources of an `on` clause, appended to `resources`; `resources_any` is where `"*"`
    /// was written.
    fn statement_resources(
        &mut self,
        value: &Expr,
        scope: ScopeId,
        resources: &mut Vec<IamResource>,
        resources_any: &mut Option<Span>,
    ) {
        let items = match self.ev.eval(value, scope) {
            Value::List(items) => items,
            Value::Error => Vec::new(),
            single => vec![(single, value.span.clone())],
        };
        for (item, span) in items {
            match item {
                Value::Str(text) => {
                    if text == "*" {
                        *resources_any = Some(span.clone());
                    } else if !text.starts_with("arn:") {
                        self.report(
                            Diagnostic::error(
                                Code::INVALID_VALUE,
                                format!("`{text}` is not an ARN"),
                            )
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
                Value::Text(parts) => resources.push(IamResource::Text(Text::Parts(parts))),
                Value::Attr(attr) => {
                    resources.push(IamResource::Text(Text::Parts(vec![TextPart::Attr(attr)])))
                }
                other => self.ev.mismatch(
                    &span,
                    "an ARN or a reference",
                    &other,
                    "write `on [repo.app, \"arn:aws:s3:::bucket/*\"]`",
                ),
            }
        }
    }

    pub(super) fn lower_policy(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Policy {
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::IamLong, true);
        let description = self.attr_checked(fields, "policy", "description");
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

    pub(super) fn policy_list(
        &mut self,
        fields: &Fields<'a>,
        attr: &str,
    ) -> Vec<(ManagedPolicy, Span)> {
        let mut out = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get(attr) {
            for (value, span) in self.ev.want_list(expr, *scope).unwrap_or_default() {
                if let Some(policy) = self.ev.managed_policy(&value, &span) {
                    if let ManagedPolicy::Aws(name) = &policy {
                        self.lint_admin_managed(name, &span);
                    }
                    out.push((policy, span));
                }
            }
        }
        out
    }

    pub(super) fn lower_group(
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

    /// A user's name follows the rule of every other block: `<project>-<env>-<name>` unless
    /// `name = …` is given. IAM user names are account-wide (aws-facts §9), so a name without
    /// the environment would make a second environment's stack fail "already exists".
    pub(super) fn lower_user(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> User {
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::IamUser, true);
        let mut groups = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get("groups") {
            let items = self.ev.want_list(expr, *scope).unwrap_or_default();
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
                if let Some(group) = self.ev.value_ref(&value, &span, Kind::Group) {
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
        let tags = self.tags(ctx, fields, &decl.name_span);
        User {
            origin,
            aws_name,
            groups,
            policies,
            tags,
        }
    }
}
