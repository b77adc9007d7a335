//! Evaluation of values (`Evaluator`): references (a deploy's exports are its target's),
//! `param`/`let` values (computed once, with cycle detection), preset application (its
//! parameters become a scope), string interpolation, function calls (`config_word` among them),
//! and the typed readers the lowering uses (`want_str`, …), which report type mismatches once
//! and return `None` so that nothing cascades. It reads the declarations of `Names` and does not
//! change them.

use std::collections::BTreeMap;

use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::{AttrRef, Kind, TextPart};
use pipec_span::Span;
use pipec_syntax::ast::{Expr, ExprKind, Ident, Item, ItemKind, StrPart};

use crate::check::{BlockDecl, DeclBody, Names, ScopeId};
use crate::index::SymbolIndex;
use crate::limits;
use crate::report::{Report, Sink};
use crate::schema::{self, BlockSpec};
use crate::value::{Interpolated, Value};

mod calls;
mod readers;

/// Where the value of a `param` or `let` stands (one not yet started has no entry).
enum GlobalState {
    InProgress,
    Done(Value),
}

/// Evaluation: reads the declarations in `names`, records references in `index`, reports to
/// `sink`, and owns what it computes: the value of each `param` and `let` (computed once), the
/// scopes of preset arguments, and the budget of `limits.rs`.
pub(crate) struct Evaluator<'c, 'a> {
    names: &'c Names<'a>,
    index: &'c mut SymbolIndex,
    sink: &'c mut Sink,
    globals: BTreeMap<String, GlobalState>,
    /// Scope 0 is the file's; each preset application adds one with its parameters.
    scopes: Vec<BTreeMap<String, Value>>,
    /// Where each preset argument was written: `(scope, parameter) → its value's span`.
    arg_spans: BTreeMap<(ScopeId, String), Span>,
    budget: limits::Budget,
}

impl Report for Evaluator<'_, '_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.sink.report(diagnostic);
    }
}

impl<'c, 'a> Evaluator<'c, 'a> {
    /// An evaluator of the program declared in `names`, with no value computed yet.
    pub(crate) fn new(
        names: &'c Names<'a>,
        index: &'c mut SymbolIndex,
        sink: &'c mut Sink,
    ) -> Self {
        Evaluator {
            names,
            index,
            sink,
            globals: BTreeMap::new(),
            scopes: vec![BTreeMap::new()],
            arg_spans: BTreeMap::new(),
            budget: limits::Budget::default(),
        }
    }

    /// The declarations being evaluated.
    pub(crate) fn names(&self) -> &'c Names<'a> {
        self.names
    }

    /// Records in the symbol index that the deploy of `definition` goes to `target`.
    pub(crate) fn record_target(&mut self, definition: usize, target: &'static str) {
        self.index.set_target(definition, target);
    }

    /// True when a diagnostic already reported satisfies `predicate`.
    pub(crate) fn reported(&self, predicate: impl Fn(&Diagnostic) -> bool) -> bool {
        self.sink.any(predicate)
    }

    /// True when `name` is a preset parameter of `scope`.
    pub(crate) fn is_local(&self, scope: ScopeId, name: &str) -> bool {
        self.scopes
            .get(scope)
            .is_some_and(|locals| locals.contains_key(name))
    }

    /// Where the preset argument `name` of `scope` was written, when it was.
    pub(crate) fn arg_span(&self, scope: ScopeId, name: &str) -> Option<Span> {
        self.arg_spans.get(&(scope, name.to_string())).cloned()
    }

    /// Evaluates `expr` in `scope`, within the size limits of `limits.rs`: a value that would
    /// exceed them is reported (P3026) at `expr` and becomes `Value::Error`.
    pub(crate) fn eval(&mut self, expr: &Expr, scope: ScopeId) -> Value {
        if self.budget.is_spent() {
            return Value::Error;
        }
        let value = self.eval_unbounded(expr, scope);
        if value == Value::Error {
            return value;
        }
        let size = limits::measure(&value);
        let excess = match &value {
            Value::Str(text) if text.len() > limits::MAX_STRING_BYTES => Some(format!(
                "the string is {} bytes long, more than the {} allowed (1 MiB)",
                text.len(),
                limits::MAX_STRING_BYTES
            )),
            _ => size.excess(),
        };
        if let Some(excess) = excess {
            self.value_too_large(&expr.span, &excess);
            return Value::Error;
        }
        // Count what this expression allocated: a copy of a named value in full, a new list or
        // map its items (their contents were counted when they were evaluated).
        let cost = match (&expr.kind, &value) {
            (ExprKind::List(_), Value::List(items)) => items.len() * limits::ITEM_BYTES,
            (ExprKind::Object(_), Value::Map(entries)) => entries
                .iter()
                .map(|entry| entry.0.len() + limits::ITEM_BYTES)
                .sum(),
            _ => size.bytes,
        };
        if !self.budget.charge(cost) {
            self.value_too_large(
                &expr.span,
                &format!(
                    "the program's values add up to more than {} MiB",
                    limits::MAX_TOTAL_BYTES >> 20
                ),
            );
            return Value::Error;
        }
        value
    }

    /// Reports a value beyond the limits of `limits.rs`.
    fn value_too_large(&mut self, span: &Span, excess: &str) {
        self.report(
            Diagnostic::error(Code::VALUE_TOO_LARGE, format!("value too large: {excess}"))
                .primary(span.clone(), "this value exceeds pipec's size limits")
                .note(format!(
                    "Strings hold at most 1 MiB and a value at most {} list items or map entries, nested at most {} deep; nothing larger can be deployed (a CloudFormation template is at most 1 MB).",
                    limits::MAX_VALUE_ITEMS,
                    limits::MAX_VALUE_DEPTH
                ))
                .help("build smaller values: large data belongs in files of the repository, not in the pipeline's definition"),
        );
    }

    fn eval_unbounded(&mut self, expr: &Expr, scope: ScopeId) -> Value {
        match &expr.kind {
            ExprKind::Str(parts) => self.eval_string(parts, scope),
            ExprKind::Int(value) => Value::Int(*value),
            ExprKind::Bool(value) => Value::Bool(*value),
            ExprKind::List(elements) => {
                let items: Vec<(Value, Span)> = elements
                    .iter()
                    .map(|element| (self.eval(element, scope), element.span.clone()))
                    .collect();
                // A list of nothing but failures is a failure: `[a, a]` of a value already
                // reported must not grow into a new error.
                if !items.is_empty() && items.iter().all(|(item, _)| *item == Value::Error) {
                    Value::Error
                } else {
                    Value::List(items)
                }
            }
            ExprKind::Object(body) => {
                let mut entries: Vec<(String, Span, Value, Span)> = Vec::new();
                for item in &body.items {
                    if let ItemKind::Attr(attr) = &item.kind {
                        if let Some(first) = entries.iter().find(|entry| entry.0 == attr.key.text) {
                            let first_span = first.1.clone();
                            self.report(
                                Diagnostic::error(
                                    Code::DUPLICATE_ATTRIBUTE,
                                    format!("key `{}` appears twice", attr.key.text),
                                )
                                .primary(attr.key.span.clone(), "again here")
                                .secondary(first_span, "first here")
                                .help("remove one of them"),
                            );
                            continue;
                        }
                        let value = self.eval(&attr.value, scope);
                        entries.push((
                            attr.key.text.clone(),
                            attr.key.span.clone(),
                            value,
                            attr.value.span.clone(),
                        ));
                    } else {
                        self.report(
                            Diagnostic::error(
                                Code::UNEXPECTED_ITEM,
                                "a map holds only `key = value` entries",
                            )
                            .primary(item.span.clone(), "not a `key = value` entry")
                            .help("write `{ key = \"value\", other = 1 }`"),
                        );
                    }
                }
                if !entries.is_empty() && entries.iter().all(|entry| entry.2 == Value::Error) {
                    Value::Error
                } else {
                    Value::Map(entries)
                }
            }
            ExprKind::Path(path) => self.eval_path(path, &expr.span, scope),
            ExprKind::Call(name, arguments) => self.eval_call(name, arguments, &expr.span, scope),
            ExprKind::Apply(path, _) => {
                let joined = path
                    .iter()
                    .map(|segment| segment.name.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                self.report(
                    Diagnostic::error(Code::TYPE_MISMATCH, format!("`{joined} {{ … }}` is not a value here"))
                        .primary(expr.span.clone(), "unexpected body")
                        .help("a body after a name is only used for `target = ec2 { … }` and preset applications"),
                );
                Value::Error
            }
            ExprKind::Error => Value::Error,
        }
    }

    /// Evaluates a string.
    pub(crate) fn eval_string(&mut self, parts: &[StrPart], scope: ScopeId) -> Value {
        let mut out: Vec<TextPart> = Vec::new();
        let mut failed = false;
        let mut length = 0usize;
        for part in parts {
            match part {
                StrPart::Text(text) => {
                    length = length.saturating_add(text.len());
                    push_literal(&mut out, text);
                }
                StrPart::Interp(expr) => match self.eval_interpolation(expr, scope, true) {
                    Interpolated::Text(text) => {
                        length = length.saturating_add(text.len());
                        if length > limits::MAX_STRING_BYTES {
                            self.value_too_large(
                                &expr.span,
                                &format!(
                                    "the string would be longer than {} bytes (1 MiB)",
                                    limits::MAX_STRING_BYTES
                                ),
                            );
                            return Value::Error;
                        }
                        push_literal(&mut out, &text);
                    }
                    Interpolated::Attr(attr) => out.push(TextPart::Attr(attr)),
                    Interpolated::Failed => failed = true,
                },
            }
        }
        if failed {
            return Value::Error;
        }
        match out.as_slice() {
            [] => Value::Str(String::new()),
            [TextPart::Literal(text)] => Value::Str(text.clone()),
            _ => Value::Text(out),
        }
    }

    /// Evaluates the expression of one `${…}`: a string, number or boolean as text, an attribute
    /// known after deployment only when `allow_attr`; anything else is reported.
    pub(crate) fn eval_interpolation(
        &mut self,
        expr: &Expr,
        scope: ScopeId,
        allow_attr: bool,
    ) -> Interpolated {
        let value = self.eval(expr, scope);
        match value {
            Value::Str(text) => Interpolated::Text(text),
            Value::Int(number) => Interpolated::Text(number.to_string()),
            Value::Bool(flag) => Interpolated::Text(flag.to_string()),
            Value::Attr(attr) if allow_attr => Interpolated::Attr(attr),
            Value::Error => Interpolated::Failed,
            Value::Symbol(path) => {
                self.unresolved_symbol(&expr.span, &path, "a string");
                Interpolated::Failed
            }
            other => {
                let hint = match &other {
                    Value::Block(kind, name) => format!("interpolate an attribute, for example `${{{}.{name}.{}}}`", kind.keyword(), default_export(*kind)),
                    Value::Attr(_) => "values known only after deployment cannot be used in commands; pass them as build variables".to_string(),
                    _ => "only strings, numbers and booleans can be interpolated".to_string(),
                };
                self.report(
                    Diagnostic::error(
                        Code::TYPE_MISMATCH,
                        format!("cannot interpolate {}", other.describe()),
                    )
                    .primary(expr.span.clone(), "not a string")
                    .help(hint),
                );
                Interpolated::Failed
            }
        }
    }

    fn eval_path(&mut self, path: &[Ident], span: &Span, scope: ScopeId) -> Value {
        let Some(first) = path.first() else {
            return Value::Error;
        };
        if let Some(kind) = Kind::from_keyword(&first.name) {
            let Some(name) = path.get(1) else {
                self.report(
                    Diagnostic::error(
                        Code::UNRESOLVED_REFERENCE,
                        format!("`{}` needs a name", first.name),
                    )
                    .primary(span.clone(), "incomplete reference")
                    .help(format!("write `{}.NAME`", first.name)),
                );
                return Value::Error;
            };
            let Some(target) = self.names.block(kind, &name.name) else {
                let candidates: Vec<String> = self
                    .names
                    .blocks()
                    .filter(|decl| decl.kind == kind)
                    .map(|decl| decl.name.clone())
                    .collect();
                let mut diag = Diagnostic::error(
                    Code::UNRESOLVED_REFERENCE,
                    format!("no {} named `{}`", kind.keyword(), name.name),
                )
                .primary(name.span.clone(), "not declared");
                if let Some(best) = did_you_mean(&name.name, candidates.iter().map(String::as_str))
                {
                    diag = diag
                        .help(format!("did you mean `{}.{best}`?", kind.keyword()))
                        .fix(format!("replace with `{best}`"), name.span.clone(), best);
                } else if candidates.is_empty() {
                    diag = diag.help(format!(
                        "declare it: `{} {} {{ … }}`",
                        kind.keyword(),
                        name.name
                    ));
                } else {
                    diag = diag.help(format!(
                        "declared: {}",
                        candidates
                            .iter()
                            .map(|name| format!("{}.{name}", kind.keyword()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                self.report(diag);
                return Value::Error;
            };
            let definition = target.definition;
            let target: &'c BlockDecl<'a> = target;
            let path_span = first.span.to(&path[path.len() - 1].span);
            self.index
                .reference(name.span.clone(), path_span, definition);
            return match path.get(2) {
                None => Value::Block(kind, name.name.clone()),
                Some(attr) => {
                    let Some(export) = self.export(target, attr, path.len() <= 3) else {
                        return Value::Error;
                    };
                    Value::Attr(AttrRef {
                        kind,
                        name: name.name.clone(),
                        attr: attr.name.clone(),
                        cfn: export.cfn,
                    })
                }
            };
        }
        if path.len() == 1 {
            if let Some(value) = self
                .scopes
                .get(scope)
                .and_then(|locals| locals.get(&first.name))
            {
                return value.clone();
            }
            if self.names.global(&first.name).is_some() {
                return self.eval_global(&first.name, &first.span);
            }
        }
        Value::Symbol(path.iter().map(|segment| segment.name.clone()).collect())
    }

    /// The export `attr` of the block `decl` (`repo.app.arn`); P3018 when it has none (or the
    /// path goes on past it, `!last`). What a deploy exports depends on its target.
    fn export(
        &mut self,
        decl: &BlockDecl<'a>,
        attr: &Ident,
        last: bool,
    ) -> Option<&'static schema::Export> {
        let kind = decl.kind;
        let target = self.written_target(decl);
        let exports = schema::exports(kind, target.as_ref().map(|(spec, _)| spec.keyword));
        if let Some(export) = exports.iter().find(|export| export.name == attr.name) {
            if last {
                return Some(export);
            }
        }
        let names: Vec<&str> = exports.iter().map(|export| export.name).collect();
        let Some((target, target_span)) = target else {
            let mut diag = Diagnostic::error(
                Code::UNKNOWN_ATTRIBUTE_OF_REFERENCE,
                format!("{} has no attribute `{}`", kind.article(), attr.name),
            )
            .primary(attr.span.clone(), "not exported");
            if let Some(best) = did_you_mean(&attr.name, names.iter().copied()) {
                diag = diag.help(format!("did you mean `{best}`?")).fix(
                    format!("replace with `{best}`"),
                    attr.span.clone(),
                    best,
                );
            } else {
                diag = diag.help(format!("{} exports {}", kind.article(), names.join(", ")));
            }
            self.report(diag);
            return None;
        };
        // A deploy: what it exports is its target's.
        let keyword = target.keyword;
        let mut diag = Diagnostic::error(
            Code::UNKNOWN_ATTRIBUTE_OF_REFERENCE,
            format!("a deploy to `{keyword}` has no attribute `{}`", attr.name),
        )
        .primary(
            attr.span.clone(),
            format!("not exported by a deploy to `{keyword}`"),
        )
        .secondary(
            target_span,
            format!("`{}` deploys to `{keyword}` here", decl.name),
        );
        let elsewhere: Vec<String> = schema::TARGETS
            .iter()
            .filter(|other| other.exports.iter().any(|export| export.name == attr.name))
            .map(|other| format!("`target = {} {{ … }}`", other.keyword))
            .collect();
        let elsewhere = if elsewhere.is_empty() {
            String::new()
        } else {
            format!(
                " (`{}` is exported by a deploy with {})",
                attr.name,
                elsewhere.join(" or ")
            )
        };
        diag = match did_you_mean(&attr.name, names.iter().copied()) {
            Some(best) => diag.help(format!("did you mean `{best}`?")).fix(
                format!("replace with `{best}`"),
                attr.span.clone(),
                best,
            ),
            None if names.is_empty() => diag.help(format!(
                "remove the reference: a deploy to `{keyword}` exports nothing{elsewhere}"
            )),
            None => diag.help(format!(
                "a deploy to `{keyword}` exports {}{elsewhere}",
                names.join(", ")
            )),
        };
        if names.is_empty() {
            diag = diag.note(format!(
                "A deploy to `{keyword}` becomes {}: it creates no resource that a reference could read.",
                target.aws
            ));
        }
        self.report(diag);
        None
    }

    /// The target written in the deploy `decl` (`target = s3 { … }`) and its span, read from
    /// the syntax so that a reference can be checked before (or without) the deploy being
    /// lowered: its body's `target`, or for a preset application the arguments' `target`, else
    /// the preset's (the precedence `read_fields` gives them). `None` for a block without a
    /// target attribute, and when the target is missing or not one the schema knows (that is
    /// reported where the deploy is lowered).
    fn written_target(&self, decl: &BlockDecl<'a>) -> Option<(&'static BlockSpec, Span)> {
        let spec = schema::of_kind(decl.kind);
        let attr = spec
            .attrs
            .iter()
            .find(|attr| matches!(attr.ty, schema::AttrType::Target(_)))?;
        let find = |items: &'a [Item]| {
            items.iter().find_map(|item| match &item.kind {
                ItemKind::Attr(found) if found.key.text == attr.name => Some(&found.value),
                _ => None,
            })
        };
        let expr = match decl.body {
            DeclBody::Block(block) => find(&block.body.items),
            DeclBody::Applied(applied) => {
                let (path, args) = match &applied.value.kind {
                    ExprKind::Path(path) => (path, None),
                    ExprKind::Apply(path, args) => (path, Some(args)),
                    _ => return None,
                };
                let (namespace, name) = match path.as_slice() {
                    [name] => (None, name),
                    [namespace, name] => (Some(namespace.name.as_str()), name),
                    _ => return None,
                };
                args.and_then(|args| find(&args.items)).or_else(|| {
                    let (preset, _) = self.names.preset(namespace, &name.name)?;
                    find(&preset.body.items)
                })
            }
        }?;
        let ExprKind::Apply(path, _) = &expr.kind else {
            return None;
        };
        let keyword = path
            .iter()
            .map(|segment| segment.name.as_str())
            .collect::<Vec<_>>()
            .join(".");
        Some((schema::target(&keyword)?, expr.span.clone()))
    }

    fn eval_global(&mut self, name: &str, use_span: &Span) -> Value {
        let Some(global) = self.names.global(name) else {
            return Value::Error;
        };
        let definition = global.definition;
        let decl_span = global.decl.labels[0].span.clone();
        match self.globals.get(name) {
            Some(GlobalState::Done(value)) => {
                let value = value.clone();
                self.index
                    .reference(use_span.clone(), use_span.clone(), definition);
                value
            }
            Some(GlobalState::InProgress) => {
                self.report(
                    Diagnostic::error(Code::VALUE_CYCLE, format!("`{name}` depends on itself"))
                        .primary(use_span.clone(), "used here while being computed")
                        .secondary(decl_span, "declared here")
                        .help("break the cycle: write one of the values without referring back"),
                );
                Value::Error
            }
            None => {
                self.globals
                    .insert(name.to_string(), GlobalState::InProgress);
                let value = self.compute_global(name, &decl_span);
                self.globals
                    .insert(name.to_string(), GlobalState::Done(value.clone()));
                self.index
                    .reference(use_span.clone(), use_span.clone(), definition);
                value
            }
        }
    }

    /// The value of a global whose state is `InProgress`: its `--var` override or its
    /// declared value.
    fn compute_global(&mut self, name: &str, decl_span: &Span) -> Value {
        let Some(global) = self.names.global(name) else {
            return Value::Error;
        };
        let decl_span = decl_span.clone();
        let decl = global.decl;
        let is_param = global.is_param;
        let override_value = global.override_value.clone();
        if let Some(text) = override_value {
            if text.len() > limits::MAX_STRING_BYTES {
                self.value_too_large(
                    &decl_span,
                    &format!(
                        "`--var {name}=…` is {} bytes long, more than the {} allowed (1 MiB)",
                        text.len(),
                        limits::MAX_STRING_BYTES
                    ),
                );
                return Value::Error;
            }
            let declared = crate::check::required_type(&decl.value).or(match decl.value.kind {
                ExprKind::Int(_) => Some("a number"),
                ExprKind::Bool(_) => Some("true or false"),
                _ => None,
            });
            match override_to_value(&text, declared) {
                Value::Str(_) if matches!(declared, Some("a number" | "true or false")) => {
                    self.report(
                        Diagnostic::error(
                            Code::TYPE_MISMATCH,
                            format!(
                                "`--var {name}={text}` is not {}",
                                declared.unwrap_or("valid")
                            ),
                        )
                        .primary(
                            decl_span.clone(),
                            format!("declared as {}", declared.unwrap_or("a value")),
                        )
                        .help(format!(
                            "pass {}",
                            if declared == Some("a number") {
                                "a whole number"
                            } else {
                                "true or false"
                            }
                        )),
                    );
                    Value::Error
                }
                value => value,
            }
        } else if let (true, Some(ty)) = (is_param, crate::check::required_type(&decl.value)) {
            self.report(
                Diagnostic::error(
                    Code::MISSING_ATTRIBUTE,
                    format!("parameter `{name}` has no value"),
                )
                .primary(decl_span.clone(), format!("needs {ty}"))
                .help(format!(
                    "pass `--var {name}=VALUE`, or give it a default: `param {name} = …`"
                )),
            );
            Value::Error
        } else {
            self.eval(&decl.value, 0)
        }
    }

    /// Evaluates every global once, so that unused ones are still checked. Globals are
    /// evaluated in dependency order by an explicit depth-first walk, so a chain of 100,000
    /// `let`s referring to each other never recurses: when a global is evaluated, each global
    /// it uses is already done, or is one of the globals being walked (`InProgress`), which is
    /// a cycle and reported as P2007 at the use.
    pub(crate) fn eval_all_globals(&mut self) {
        let names: Vec<String> = self.names.global_names().map(str::to_string).collect();
        for root in names {
            let mut stack: Vec<(String, Vec<String>, usize)> = Vec::new();
            if let Some(entry) = self.enter_global(&root) {
                stack.push(entry);
            }
            while let Some((name, deps, next)) = stack.last_mut() {
                if let Some(dep) = deps.get(*next) {
                    let dep = dep.clone();
                    *next += 1;
                    if let Some(entry) = self.enter_global(&dep) {
                        stack.push(entry);
                    }
                    continue;
                }
                let name = std::mem::take(name);
                stack.pop();
                let decl_span = match self.names.global(&name) {
                    Some(global) => global.decl.labels[0].span.clone(),
                    None => continue,
                };
                let value = self.compute_global(&name, &decl_span);
                self.globals.insert(name, GlobalState::Done(value));
            }
        }
    }

    /// Marks a pending global `InProgress` and lists the globals its value names; `None` when
    /// it is not pending.
    fn enter_global(&mut self, name: &str) -> Option<(String, Vec<String>, usize)> {
        let global = self.names.global(name)?;
        if self.globals.contains_key(name) {
            return None;
        }
        self.globals
            .insert(name.to_string(), GlobalState::InProgress);
        let decl = global.decl;
        let mut deps = Vec::new();
        if global.override_value.is_none() {
            // Every name the value mentions, walked with an explicit stack.
            let mut exprs: Vec<&Expr> = vec![&decl.value];
            while let Some(expr) = exprs.pop() {
                match &expr.kind {
                    ExprKind::Str(parts) => {
                        exprs.extend(parts.iter().filter_map(|part| match part {
                            StrPart::Interp(inner) => Some(inner),
                            StrPart::Text(_) => None,
                        }))
                    }
                    ExprKind::List(elements) | ExprKind::Call(_, elements) => {
                        exprs.extend(elements.iter());
                    }
                    ExprKind::Object(body) => {
                        exprs.extend(body.items.iter().filter_map(|item| match &item.kind {
                            ItemKind::Attr(attr) => Some(&attr.value),
                            _ => None,
                        }));
                    }
                    ExprKind::Path(path) => {
                        if let [single] = path.as_slice() {
                            if self.names.global(&single.name).is_some() {
                                deps.push(single.name.clone());
                            }
                        }
                    }
                    ExprKind::Int(_)
                    | ExprKind::Bool(_)
                    | ExprKind::Apply(..)
                    | ExprKind::Error => {}
                }
            }
            // The walk pops the last element first; restore source order for the evaluation.
            deps.reverse();
        }
        Some((name.to_string(), deps, 0))
    }

    pub(crate) fn global_value(&mut self, name: &str) -> Option<Value> {
        match self.globals.get(name) {
            Some(GlobalState::Done(value)) => Some(value.clone()),
            _ => None,
        }
    }
}

fn push_literal(out: &mut Vec<TextPart>, text: &str) {
    if let Some(TextPart::Literal(last)) = out.last_mut() {
        last.push_str(text);
    } else {
        out.push(TextPart::Literal(text.to_string()));
    }
}

fn override_to_value(text: &str, ty: Option<&str>) -> Value {
    match ty {
        Some("a number") => text
            .parse::<i64>()
            .map_or_else(|_| Value::Str(text.to_string()), Value::Int),
        Some("true or false") => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Str(text.to_string()),
        },
        _ => Value::Str(text.to_string()),
    }
}

/// The attribute suggested when a whole block is interpolated.
fn default_export(kind: Kind) -> &'static str {
    match kind {
        Kind::Instance => "public_dns",
        Kind::Site => "url",
        Kind::Repo
        | Kind::Build
        | Kind::Role
        | Kind::Policy
        | Kind::Group
        | Kind::User
        | Kind::Pipeline => "arn",
        Kind::Deploy => "name",
    }
}

/// The first character of `text` that cannot be part of one word of a line-based configuration
/// file: control characters and the 1.1 line breaks (a newline adds a directive), blanks (they
/// split a value), and what systemd, nginx or env files read as syntax (`; { } # ' " \ $ %` and
/// backtick).
pub(crate) fn config_word_breaker(text: &str) -> Option<char> {
    text.chars().find(|ch| {
        ch.is_control()
            || ch.is_whitespace()
            || matches!(ch, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
            || ";{}#'\"\\$%`".contains(*ch)
    })
}
