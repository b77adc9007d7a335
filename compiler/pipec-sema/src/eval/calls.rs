//! Function calls (`ssm`, `secret`, `config_word`, …) and preset application: a preset's
//! parameters become a scope of their own for its body.

use std::collections::BTreeMap;

use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_span::Span;
use pipec_syntax::ast::{Body, Decl, Expr, ExprKind, Ident, Item, ItemKind};

use super::{config_word_breaker, Evaluator};
use crate::check::{DeclBody, ScopeId};
use crate::limits;
use crate::report::Report;
use crate::schema;
use crate::value::Value;

impl<'c, 'a> Evaluator<'c, 'a> {
    pub(super) fn eval_call(
        &mut self,
        name: &Ident,
        arguments: &[Expr],
        span: &Span,
        scope: ScopeId,
    ) -> Value {
        let Some((_, signature, _)) = schema::FUNCTIONS
            .iter()
            .find(|(function, _, _)| *function == name.name)
        else {
            let mut diag = Diagnostic::error(
                Code::UNKNOWN_FUNCTION,
                format!("unknown function `{}`", name.name),
            )
            .primary(name.span.clone(), "not a function");
            if let Some(best) = did_you_mean(
                &name.name,
                schema::FUNCTIONS.iter().map(|(function, _, _)| *function),
            ) {
                diag = diag.help(format!("did you mean `{best}`?")).fix(
                    format!("replace with `{best}`"),
                    name.span.clone(),
                    best,
                );
            } else {
                diag = diag.help(format!(
                    "functions: {}",
                    schema::FUNCTIONS
                        .iter()
                        .map(|(function, _, _)| *function)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            self.report(diag);
            return Value::Error;
        };
        let values: Vec<(Value, Span)> = arguments
            .iter()
            .map(|argument| (self.eval(argument, scope), argument.span.clone()))
            .collect();
        if values.iter().any(|(value, _)| *value == Value::Error) {
            return Value::Error;
        }
        let arity = if name.name == "join" { 2 } else { 1 };
        if values.len() != arity {
            self.report(
                Diagnostic::error(
                    Code::WRONG_ARGUMENTS,
                    format!(
                        "`{}` takes {arity} argument{}, found {}",
                        name.name,
                        if arity == 1 { "" } else { "s" },
                        values.len()
                    ),
                )
                .primary(span.clone(), "wrong number of arguments")
                .help(format!("call it as `{signature}`")),
            );
            return Value::Error;
        }
        let text_argument = |checker: &mut Self, index: usize| -> Option<String> {
            match &values[index] {
                (Value::Str(text), _) => Some(text.clone()),
                (other, span) => {
                    checker.report(
                        Diagnostic::error(
                            Code::WRONG_ARGUMENTS,
                            format!(
                                "`{}` expects a string, found {}",
                                name.name,
                                other.describe()
                            ),
                        )
                        .primary(span.clone(), "expected a string")
                        .help(format!("call it as `{signature}`")),
                    );
                    None
                }
            }
        };
        match name.name.as_str() {
            "aws_policy" => text_argument(self, 0).map_or(Value::Error, |text| {
                Value::Managed(
                    text.trim_start_matches("arn:aws:iam::aws:policy/")
                        .to_string(),
                )
            }),
            "ssm" => text_argument(self, 0).map_or(Value::Error, Value::Ssm),
            "secret" => text_argument(self, 0).map_or(Value::Error, Value::Secret),
            "lower" => {
                text_argument(self, 0).map_or(Value::Error, |text| Value::Str(text.to_lowercase()))
            }
            "upper" => {
                text_argument(self, 0).map_or(Value::Error, |text| Value::Str(text.to_uppercase()))
            }
            "config_word" => self.config_word(&values[0], &arguments[0], span, scope),
            "ssm_ami" => match text_argument(self, 0).map(|os| (schema::ssm_ami(&os), os)) {
                Some((Some(resolve), _)) => Value::Str(resolve.into()),
                Some((None, other)) => {
                    self.report(
                        Diagnostic::error(Code::INVALID_VALUE, format!("no AMI alias `{other}`"))
                            .primary(values[0].1.clone(), "unknown OS")
                            .help("use \"amazon_linux\" or \"ubuntu\""),
                    );
                    Value::Error
                }
                None => Value::Error,
            },
            "join" => {
                let Some(separator) = text_argument(self, 0) else {
                    return Value::Error;
                };
                match &values[1] {
                    (Value::List(items), _) => {
                        let mut parts = Vec::new();
                        for (item, item_span) in items {
                            match item {
                                Value::Str(text) => parts.push(text.clone()),
                                Value::Int(number) => parts.push(number.to_string()),
                                other => {
                                    self.report(
                                        Diagnostic::error(
                                            Code::WRONG_ARGUMENTS,
                                            format!(
                                                "`join` joins strings, found {}",
                                                other.describe()
                                            ),
                                        )
                                        .primary(item_span.clone(), "not a string")
                                        .help("join only strings and numbers"),
                                    );
                                    return Value::Error;
                                }
                            }
                        }
                        let length = parts
                            .iter()
                            .map(|part| part.len() + separator.len())
                            .fold(0usize, usize::saturating_add);
                        if length > limits::MAX_STRING_BYTES {
                            self.value_too_large(
                                span,
                                &format!(
                                    "the joined string would be longer than {} bytes (1 MiB)",
                                    limits::MAX_STRING_BYTES
                                ),
                            );
                            return Value::Error;
                        }
                        Value::Str(parts.join(&separator))
                    }
                    (other, other_span) => {
                        self.report(
                            Diagnostic::error(
                                Code::WRONG_ARGUMENTS,
                                format!("`join` expects a list, found {}", other.describe()),
                            )
                            .primary(other_span.clone(), "expected a list")
                            .help(format!("call it as `{signature}`")),
                        );
                        Value::Error
                    }
                }
            }
            _ => Value::Error,
        }
    }

    /// The items of a declared block, with the scope each evaluates in (preset applications
    /// bind the preset's parameters).
    pub(crate) fn decl_items(
        &mut self,
        body: &DeclBody<'a>,
        owner: &str,
    ) -> Vec<(&'a Item, ScopeId)> {
        match body {
            DeclBody::Block(block) => block.body.items.iter().map(|item| (item, 0)).collect(),
            DeclBody::Applied(decl) => self.apply_preset(&decl.value, owner).unwrap_or_default(),
        }
    }

    /// Expands `module.preset { args }` (or `module.preset`) into the preset's items, in a new
    /// scope, followed by the caller's non-parameter items.
    pub(crate) fn apply_preset(
        &mut self,
        value: &'a Expr,
        owner: &str,
    ) -> Option<Vec<(&'a Item, ScopeId)>> {
        let (path, args): (&[pipec_syntax::ast::Ident], Option<&'a Body>) = match &value.kind {
            ExprKind::Path(path) => (path, None),
            ExprKind::Apply(path, body) => (path, Some(body)),
            _ => {
                self.report(
                    Diagnostic::error(Code::TYPE_MISMATCH, format!("{owner} expects a preset after `=`"))
                        .primary(value.span.clone(), "not a preset")
                        .help("write `= module.preset { arg = value }`, or use a `{ … }` body instead of `=`"),
                );
                return None;
            }
        };
        let key = match path {
            [name] => (None, name.name.clone()),
            [namespace, name] => (Some(namespace.name.clone()), name.name.clone()),
            _ => (None, String::new()),
        };
        let path_span = path.first().map_or(value.span.clone(), |first| {
            first.span.to(&path[path.len() - 1].span)
        });
        let Some((preset, definition)) = self.names.preset(key.0.as_deref(), &key.1) else {
            let joined = path
                .iter()
                .map(|segment| segment.name.as_str())
                .collect::<Vec<_>>()
                .join(".");
            let known = self.names.preset_names();
            let mut diag =
                Diagnostic::error(Code::UNKNOWN_PRESET, format!("unknown preset `{joined}`"))
                    .primary(path_span.clone(), "no such preset");
            if let (Some(namespace), false) = (
                &key.0,
                self.names.is_imported(key.0.as_deref().unwrap_or("")),
            ) {
                diag = diag.help(format!("`{namespace}` is not imported: add `use std.hooks.{namespace}` (or the module that defines it)"));
            } else if let Some(best) = did_you_mean(&joined, known.iter().map(String::as_str)) {
                diag = diag.help(format!("did you mean `{best}`?")).fix(
                    format!("replace with `{best}`"),
                    path_span.clone(),
                    best,
                );
            } else if !known.is_empty() {
                diag = diag.help(format!("known presets: {}", known.join(", ")));
            }
            self.report(diag);
            return None;
        };
        if let Some(last) = path.last() {
            self.index
                .reference(last.span.clone(), path_span.clone(), definition);
        }
        // Bind parameters: `param name = default` items of the preset.
        let mut bound: BTreeMap<String, Value> = BTreeMap::new();
        let mut spans: BTreeMap<String, Span> = BTreeMap::new();
        let mut params: Vec<(&'a Decl, String)> = Vec::new();
        let mut items = Vec::new();
        for item in &preset.body.items {
            match &item.kind {
                ItemKind::Decl(decl) if decl.keyword.name == "param" => {
                    if let Some(label) = decl.labels.first() {
                        params.push((decl, label.text.clone()));
                    }
                }
                _ => items.push(item),
            }
        }
        let mut extra = Vec::new();
        if let Some(args) = args {
            for item in &args.items {
                if let ItemKind::Attr(attr) = &item.kind {
                    if params.iter().any(|(_, name)| *name == attr.key.text) {
                        let value = self.eval(&attr.value, 0);
                        bound.insert(attr.key.text.clone(), value);
                        spans.insert(attr.key.text.clone(), attr.value.span.clone());
                        continue;
                    }
                }
                extra.push(item);
            }
        }
        let scope = self.scopes.len();
        self.scopes.push(BTreeMap::new());
        for (name, span) in spans {
            self.arg_spans.insert((scope, name), span);
        }
        for (decl, name) in params {
            let value = match bound.remove(&name) {
                Some(value) => value,
                None => match crate::check::required_type(&decl.value) {
                    Some(ty) => {
                        self.report(
                            Diagnostic::error(
                                Code::MISSING_ATTRIBUTE,
                                format!("preset argument `{name}` is missing"),
                            )
                            .primary(path_span.clone(), format!("needs `{name}`"))
                            .secondary(decl.labels[0].span.clone(), "parameter declared here")
                            .help(format!("pass it: `{{ {name} = … }}` ({ty})")),
                        );
                        Value::Error
                    }
                    None => self.eval(&decl.value, scope),
                },
            };
            if let Some(map) = self.scopes.get_mut(scope) {
                map.insert(name, value);
            }
        }
        let mut out: Vec<(&'a Item, ScopeId)> =
            items.into_iter().map(|item| (item, scope)).collect();
        out.extend(extra.into_iter().map(|item| (item, 0)));
        Some(out)
    }

    /// `config_word(value)`: the value as text, when it is one word of a configuration file
    /// (P3023 at the place the value was written otherwise: the preset argument when the value
    /// is a preset parameter).
    pub(crate) fn config_word(
        &mut self,
        value: &(Value, Span),
        argument: &Expr,
        call: &Span,
        scope: ScopeId,
    ) -> Value {
        let text = match &value.0 {
            Value::Str(text) => text.clone(),
            Value::Int(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            other => {
                self.mismatch(
                    &value.1,
                    "a string",
                    other,
                    "call it as `config_word(\"value\")`",
                );
                return Value::Error;
            }
        };
        let Some(bad) = config_word_breaker(&text) else {
            return Value::Str(text);
        };
        let written = match &argument.kind {
            ExprKind::Path(path) if path.len() == 1 => self.arg_span(scope, &path[0].name),
            _ => None,
        };
        let what = if bad == '\n' {
            "a newline".to_string()
        } else if bad.is_control() || bad.is_whitespace() {
            format!("the character U+{:04X}", u32::from(bad))
        } else {
            format!("`{bad}`")
        };
        let mut diag = Diagnostic::error(
            Code::UNSAFE_CONFIG_VALUE,
            format!("this value is written into a configuration file and holds {what}"),
        );
        diag = match written {
            Some(span) => diag.primary(span, format!("holds {what}")).secondary(
                call.clone(),
                "written into one line of a configuration file here",
            ),
            None => diag.primary(value.1.clone(), format!("holds {what}")),
        };
        self.report(
            diag.note("a newline would add a directive (`ExecStartPre=…` in a systemd unit); blanks, quotes, `;`, `{`, `}`, `#`, `$`, `%` and `\\` are syntax in systemd units, nginx configuration or env files")
                .help("pass a value without blanks, control characters or `; { } # ' \" \\ $ %` and backticks"),
        );
        Value::Error
    }
}
