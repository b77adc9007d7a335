//! The typed readers the lowering uses (`want_str`, `want_ref`, …): each reads a value where
//! the caller knows what it expects, reports a mismatch once, and returns `None` so that
//! nothing cascades.

use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::{Kind, ManagedPolicy};
use pipec_span::Span;
use pipec_syntax::ast::Expr;

use super::Evaluator;
use crate::check::ScopeId;
use crate::report::Report;
use crate::schema;
use crate::value::Value;

impl Evaluator<'_, '_> {
    pub(crate) fn mismatch(&mut self, span: &Span, expected: &str, found: &Value, help: &str) {
        if *found == Value::Error {
            return;
        }
        if let Value::Symbol(path) = found {
            self.unresolved_symbol(span, path, expected);
            return;
        }
        self.report(
            Diagnostic::error(
                Code::TYPE_MISMATCH,
                format!("expected {expected}, found {}", found.describe()),
            )
            .primary(span.clone(), format!("expected {expected}"))
            .help(help.to_string()),
        );
    }

    pub(super) fn unresolved_symbol(&mut self, span: &Span, path: &[String], expected: &str) {
        let joined = path.join(".");
        let mut candidates: Vec<String> = self.names.global_names().map(str::to_string).collect();
        candidates.extend(
            self.names
                .blocks()
                .map(|decl| format!("{}.{}", decl.kind.keyword(), decl.name)),
        );
        let mut diag = Diagnostic::error(
            Code::UNRESOLVED_REFERENCE,
            format!("`{joined}` is not defined"),
        )
        .primary(span.clone(), "not defined");
        if let Some(best) = did_you_mean(&joined, candidates.iter().map(String::as_str)) {
            diag = diag.help(format!("did you mean `{best}`?")).fix(
                format!("replace with `{best}`"),
                span.clone(),
                best,
            );
        } else if expected.contains("string") {
            diag = diag.help(format!("strings are written in quotes: \"{joined}\""));
        } else {
            diag = diag.help(format!("expected {expected}"));
        }
        self.report(diag);
    }

    /// A string known at compile time.
    pub(crate) fn want_str(&mut self, expr: &Expr, scope: ScopeId) -> Option<String> {
        let value = self.eval(expr, scope);
        self.value_str(&value, &expr.span)
    }

    pub(crate) fn value_str(&mut self, value: &Value, span: &Span) -> Option<String> {
        match value {
            Value::Str(text) => Some(text.clone()),
            Value::Text(_) | Value::Attr(_) => {
                self.report(
                    Diagnostic::error(Code::TYPE_MISMATCH, "this value must be known before deployment")
                        .primary(span.clone(), "depends on a deployed resource")
                        .help("use a literal, a `param` or a `let` here; resource attributes are only allowed in outputs and policies"),
                );
                None
            }
            other => {
                self.mismatch(span, "a string", other, "write the value in quotes");
                None
            }
        }
    }

    /// A whole number in `min..=max`.
    pub(crate) fn want_int(
        &mut self,
        expr: &Expr,
        scope: ScopeId,
        min: i64,
        max: i64,
        what: &str,
    ) -> Option<i64> {
        let value = self.eval(expr, scope);
        let number = match value {
            Value::Int(number) => number,
            Value::Str(ref text) => match text.parse::<i64>() {
                Ok(number) => number,
                Err(_) => {
                    self.mismatch(
                        &expr.span,
                        "a number",
                        &value,
                        "write a whole number without quotes",
                    );
                    return None;
                }
            },
            other => {
                self.mismatch(&expr.span, "a number", &other, "write a whole number");
                return None;
            }
        };
        if number < min || number > max {
            let code = if what.contains("timeout") && what.contains("hook") {
                Code::HOOK_TIMEOUT
            } else {
                Code::INVALID_VALUE
            };
            self.report(
                Diagnostic::error(
                    code,
                    format!("{what} must be between {min} and {max}, found {number}"),
                )
                .primary(expr.span.clone(), "out of range")
                .help(format!("use a value from {min} to {max}")),
            );
            return None;
        }
        Some(number)
    }

    pub(crate) fn want_bool(&mut self, expr: &Expr, scope: ScopeId) -> Option<bool> {
        match self.eval(expr, scope) {
            Value::Bool(flag) => Some(flag),
            other => {
                self.mismatch(
                    &expr.span,
                    "true or false",
                    &other,
                    "write `true` or `false`",
                );
                None
            }
        }
    }

    /// One of `choices` (pipe name → AWS name), written as a bare name or a string.
    pub(crate) fn want_enum(
        &mut self,
        expr: &Expr,
        scope: ScopeId,
        choices: &'static [schema::Choice],
        what: &str,
    ) -> Option<&'static str> {
        let value = self.eval(expr, scope);
        let written = match &value {
            Value::Symbol(path) if path.len() == 1 => path[0].clone(),
            Value::Str(text) => text.clone(),
            Value::Error => return None,
            other => {
                let names: Vec<&str> = choices.iter().map(|choice| choice.name).collect();
                self.mismatch(
                    &expr.span,
                    &format!("one of {}", names.join(", ")),
                    other,
                    "write one of the listed names",
                );
                return None;
            }
        };
        if let Some(choice) = choices
            .iter()
            .find(|choice| choice.name == written || choice.aws.eq_ignore_ascii_case(&written))
        {
            return Some(choice.aws);
        }
        let names: Vec<&str> = choices.iter().map(|choice| choice.name).collect();
        let mut diag = Diagnostic::error(
            Code::INVALID_VALUE,
            format!("`{written}` is not a valid {what}"),
        )
        .primary(expr.span.clone(), "not allowed");
        if let Some(best) = did_you_mean(&written, names.iter().copied()) {
            diag = diag
                .help(format!(
                    "did you mean `{best}`? ({} are allowed)",
                    names.join(", ")
                ))
                .fix(format!("replace with `{best}`"), expr.span.clone(), best);
        } else {
            diag = diag.help(format!("use one of {}", names.join(", ")));
        }
        self.report(diag);
        None
    }

    /// A reference to a block of `kind`.
    pub(crate) fn want_ref(&mut self, expr: &Expr, scope: ScopeId, kind: Kind) -> Option<String> {
        let value = self.eval(expr, scope);
        self.value_ref(&value, &expr.span, kind)
    }

    pub(crate) fn value_ref(&mut self, value: &Value, span: &Span, kind: Kind) -> Option<String> {
        match value {
            Value::Block(found, name) if *found == kind => Some(name.clone()),
            Value::Block(found, name) => {
                let target_span = self
                    .names
                    .block(*found, name)
                    .map(|decl| decl.name_span.clone());
                let mut diag = Diagnostic::error(
                    Code::WRONG_REFERENCE_KIND,
                    format!("expected {}, found {}", kind.article(), found.article()),
                )
                .primary(span.clone(), format!("this is {}", found.article()));
                if let Some(target_span) = target_span {
                    diag = diag.secondary(
                        target_span,
                        format!("{} {name} declared here", found.keyword()),
                    );
                }
                let candidates: Vec<String> = self
                    .names
                    .blocks()
                    .filter(|decl| decl.kind == kind)
                    .map(|decl| format!("{}.{}", kind.keyword(), decl.name))
                    .collect();
                diag = match candidates.first() {
                    Some(first) if candidates.len() == 1 => diag.help(format!(
                        "refer to {}, for example `{first}`",
                        kind.article()
                    )),
                    _ => diag.help(format!(
                        "refer to {} with `{}.NAME`",
                        kind.article(),
                        kind.keyword()
                    )),
                };
                self.report(diag);
                None
            }
            Value::Str(text) => {
                self.report(
                    Diagnostic::error(
                        Code::TYPE_MISMATCH,
                        format!("expected a reference to {}, found a string", kind.article()),
                    )
                    .primary(span.clone(), "a string")
                    .help(format!(
                        "refer to the block without quotes: `{}.{}`",
                        kind.keyword(),
                        crate::check::sanitize_ident(text)
                    )),
                );
                None
            }
            other => {
                self.mismatch(
                    span,
                    &format!("a reference to {}", kind.article()),
                    other,
                    &format!("write `{}.NAME`", kind.keyword()),
                );
                None
            }
        }
    }

    /// A list; each element is returned with its span.
    pub(crate) fn want_list(&mut self, expr: &Expr, scope: ScopeId) -> Option<Vec<(Value, Span)>> {
        match self.eval(expr, scope) {
            Value::List(items) => Some(items),
            other => {
                self.mismatch(
                    &expr.span,
                    "a list",
                    &other,
                    "write a list in brackets: [a, b]",
                );
                None
            }
        }
    }

    pub(crate) fn want_str_list(
        &mut self,
        expr: &Expr,
        scope: ScopeId,
    ) -> Option<Vec<(String, Span)>> {
        let items = self.want_list(expr, scope)?;
        let mut out = Vec::new();
        for (value, span) in items {
            if let Some(text) = self.value_str(&value, &span) {
                out.push((text, span));
            }
        }
        Some(out)
    }

    /// A map; values are returned evaluated.
    pub(crate) fn want_map(
        &mut self,
        expr: &Expr,
        scope: ScopeId,
    ) -> Option<Vec<(String, Span, Value, Span)>> {
        match self.eval(expr, scope) {
            Value::Map(entries) => Some(entries),
            other => {
                self.mismatch(
                    &expr.span,
                    "a map",
                    &other,
                    "write a map in braces: { key = \"value\" }",
                );
                None
            }
        }
    }

    pub(crate) fn managed_policy(&mut self, value: &Value, span: &Span) -> Option<ManagedPolicy> {
        match value {
            Value::Managed(name) => Some(ManagedPolicy::Aws(name.clone())),
            Value::Block(Kind::Policy, name) => Some(ManagedPolicy::Declared(name.clone())),
            other => {
                let other = other.clone();
                if let Value::Block(..) = other {
                    self.value_ref(&other, span, Kind::Policy);
                } else {
                    self.mismatch(span, "a policy", &other, "refer to `policy.NAME` or an AWS managed policy with `aws_policy(\"Name\")`");
                }
                None
            }
        }
    }
}
