//! The checker's entry point and shared state: collects declarations from every file, reports
//! duplicates and unknown kinds, binds parameters and `let` values, and reads block bodies
//! against their schema. Lowering of each kind lives in `lower/`, evaluation of values in
//! `eval.rs`.

use std::collections::BTreeMap;

use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::{Kind, Program};
use pipec_span::{FileId, SourceDb, Span};
use pipec_syntax::ast::{Block, Body, Decl, Expr, File, Item, ItemKind, Label, Statement};

use crate::index::{Definition, Reference, SymbolIndex};
use crate::report::Report;
use crate::schema::{self, BlockSpec};
use crate::value::Value;

/// One parsed file handed to the checker.
#[derive(Debug)]
pub struct SourceModule {
    /// The file.
    pub file: FileId,
    /// Its AST.
    pub ast: File,
    /// The name its presets are reached by (`node` for `std.hooks.node`, the stem of a file,
    /// or the `as` alias); `None` for the root file, whose presets are used unqualified.
    pub namespace: Option<String>,
    /// Stdlib modules contribute only presets.
    pub is_stdlib: bool,
}

/// What the checker produced.
#[derive(Debug)]
pub struct Analysis {
    /// The program (partial when there are errors).
    pub program: Program,
    /// Every diagnostic, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// Declarations and references.
    pub index: SymbolIndex,
}

/// A block declaration: written as a block, or as a preset application (`role web = roles.x`).
#[derive(Debug)]
pub(crate) struct BlockDecl<'a> {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) name_span: Span,
    pub(crate) span: Span,
    pub(crate) body: DeclBody<'a>,
    pub(crate) definition: usize,
}

#[derive(Debug)]
pub(crate) enum DeclBody<'a> {
    Block(&'a Block),
    Applied(&'a Decl),
}

/// A scope of preset parameters.
pub(crate) type ScopeId = usize;

/// The global state of the checker.
pub(crate) struct Checker<'a> {
    pub(crate) db: &'a SourceDb,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) index: SymbolIndex,
    pub(crate) blocks: BTreeMap<(Kind, String), BlockDecl<'a>>,
    pub(crate) globals: BTreeMap<String, Global<'a>>,
    pub(crate) presets: BTreeMap<(Option<String>, String), (&'a Block, usize)>,
    pub(crate) namespaces: Vec<String>,
    pub(crate) scopes: Vec<BTreeMap<String, Value>>,
    /// Where each preset argument was written: `(scope, parameter) → its value's span`.
    pub(crate) arg_spans: BTreeMap<(ScopeId, String), Span>,
    pub(crate) tag_blocks: Vec<&'a Block>,
    pub(crate) outputs: Vec<&'a Decl>,
    pub(crate) project: Option<(String, Span)>,
    pub(crate) root: FileId,
    /// Bytes produced or copied by evaluation so far (bounded by `limits::MAX_TOTAL_BYTES`).
    pub(crate) produced: usize,
    /// True once the evaluation budget ran out and that was reported.
    pub(crate) budget_spent: bool,
}

/// A `param` or `let`.
pub(crate) struct Global<'a> {
    pub(crate) decl: &'a Decl,
    pub(crate) is_param: bool,
    pub(crate) state: GlobalState,
    pub(crate) definition: usize,
    pub(crate) override_value: Option<String>,
}

pub(crate) enum GlobalState {
    Pending,
    InProgress,
    Done(Value),
}

/// Checks the program made of `modules` (the first is the root) with `--var` overrides.
#[must_use]
pub fn analyze(db: &SourceDb, modules: &[SourceModule], vars: &[(String, String)]) -> Analysis {
    let root = modules.first().map_or(FileId(0), |module| module.file);
    let mut checker = Checker {
        db,
        diagnostics: Vec::new(),
        index: SymbolIndex::default(),
        blocks: BTreeMap::new(),
        globals: BTreeMap::new(),
        presets: BTreeMap::new(),
        namespaces: Vec::new(),
        scopes: vec![BTreeMap::new()],
        arg_spans: BTreeMap::new(),
        tag_blocks: Vec::new(),
        outputs: Vec::new(),
        project: None,
        root,
        produced: 0,
        budget_spent: false,
    };
    for module in modules {
        checker.collect(module);
    }
    checker.apply_overrides(vars);
    let program = checker.lower_program();
    let mut diagnostics = checker.diagnostics;
    pipec_diagnostics::sort(&mut diagnostics);
    diagnostics.dedup();
    Analysis {
        program,
        diagnostics,
        index: checker.index,
    }
}

impl Report for Checker<'_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        Checker::report(self, diagnostic);
    }
}

impl<'a> Checker<'a> {
    pub(crate) fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn define(
        &mut self,
        kind: &str,
        name: &str,
        name_span: Span,
        span: Span,
        detail: String,
    ) -> usize {
        self.index.definitions.push(Definition {
            kind: kind.to_string(),
            name: name.to_string(),
            name_span,
            span,
            detail,
        });
        self.index.definitions.len() - 1
    }

    pub(crate) fn reference(&mut self, span: Span, path_span: Span, target: usize) {
        self.index.references.push(Reference {
            span,
            path_span,
            target,
        });
    }

    fn collect(&mut self, module: &'a SourceModule) {
        for item in &module.ast.items {
            match &item.kind {
                ItemKind::Statement(statement) if statement.keyword.name == "use" => {
                    if let Some(alias) = statement
                        .clauses
                        .iter()
                        .find(|clause| clause.keyword.name == "as")
                    {
                        if alias.value.as_path().is_none_or(|path| path.len() != 1) {
                            self.report(
                                Diagnostic::error(Code::TYPE_MISMATCH, "`as` takes a plain name")
                                    .primary(alias.value.span.clone(), "expected a name")
                                    .help("write `use \"./file.pipe\" as name`"),
                            );
                        }
                    }
                }
                ItemKind::Attr(attr) if attr.key.text == "project" && !module.is_stdlib => {
                    match attr.value.as_plain_str() {
                        Some(project) => self.project = Some((project, attr.value.span.clone())),
                        None => self.report(
                            Diagnostic::error(
                                Code::TYPE_MISMATCH,
                                "`project` must be a plain string",
                            )
                            .primary(attr.value.span.clone(), "expected a string")
                            .help("write `project = \"my-app\"`"),
                        ),
                    }
                }
                ItemKind::Block(block) if block.keyword.name == "preset" => {
                    self.collect_preset(module, block)
                }
                ItemKind::Block(_) | ItemKind::Decl(_) if module.is_stdlib => self.report(
                    Diagnostic::error(
                        Code::UNEXPECTED_ITEM,
                        "stdlib modules may only declare presets",
                    )
                    .primary(item.span.clone(), "not a preset"),
                ),
                ItemKind::Block(block) => self.collect_block(block, item),
                ItemKind::Decl(decl) => self.collect_decl(decl, item),
                _ => self.unexpected_top_level(item),
            }
        }
        if let Some(namespace) = &module.namespace {
            self.namespaces.push(namespace.clone());
        }
    }

    fn unexpected_top_level(&mut self, item: &Item) {
        let mut diag = Diagnostic::error(
            Code::UNEXPECTED_ITEM,
            "this cannot stand at the top level of a file",
        )
        .primary(item.span.clone(), "expected a block or declaration");
        diag = match &item.kind {
            ItemKind::Statement(statement) => diag.help(format!("`{}` statements belong inside a block", statement.keyword.name)),
            ItemKind::Attr(attr) => diag.help(format!("`{}` must be inside a block; only `project = \"…\"` stands alone", attr.key.text)),
            _ => diag.help("top-level items are blocks like `repo app { … }` and declarations like `param env = \"dev\"`"),
        };
        self.report(diag);
    }

    fn collect_preset(&mut self, module: &'a SourceModule, block: &'a Block) {
        let Some(label) = self.single_label(&block.keyword.span, &block.labels, "preset") else {
            return;
        };
        let key = (module.namespace.clone(), label.text.clone());
        let definition = self.define(
            "preset",
            &label.text,
            label.span.clone(),
            block.body.span.clone(),
            format!("preset {}", label.text),
        );
        if self.presets.contains_key(&key) {
            self.report(
                Diagnostic::error(
                    Code::DUPLICATE_DECLARATION,
                    format!("preset `{}` is declared twice", label.text),
                )
                .primary(label.span.clone(), "declared again here")
                .help("rename one of them"),
            );
            return;
        }
        self.presets.insert(key, (block, definition));
    }

    pub(crate) fn single_label(
        &mut self,
        keyword_span: &Span,
        labels: &'a [Label],
        keyword: &str,
    ) -> Option<&'a Label> {
        match labels {
            [label] if !label.quoted => Some(label),
            [label] => {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_NAME,
                        format!("a {keyword} name must be an identifier, not a string"),
                    )
                    .primary(label.span.clone(), "written as a string")
                    .help(format!(
                        "write `{keyword} {}`, using letters, digits and `_`",
                        sanitize_ident(&label.text)
                    ))
                    .fix(
                        "use an identifier",
                        label.span.clone(),
                        sanitize_ident(&label.text),
                    ),
                );
                None
            }
            [] => {
                self.report(
                    Diagnostic::error(Code::SYNTAX_ERROR, format!("`{keyword}` needs a name"))
                        .primary(keyword_span.clone(), "no name")
                        .help(format!("write `{keyword} NAME {{ … }}`")),
                );
                None
            }
            [_, extra, ..] => {
                self.report(
                    Diagnostic::error(Code::UNEXPECTED_ITEM, format!("`{keyword}` takes one name"))
                        .primary(extra.span.clone(), "extra label")
                        .help("remove it"),
                );
                None
            }
        }
    }

    fn collect_block(&mut self, block: &'a Block, item: &'a Item) {
        let keyword = block.keyword.name.as_str();
        if keyword == "tags" {
            if let Some(label) = block.labels.first() {
                self.report(
                    Diagnostic::error(Code::UNEXPECTED_ITEM, "`tags` takes no name")
                        .primary(label.span.clone(), "remove this")
                        .help("write `tags { Key = \"value\" }`"),
                );
            }
            self.tag_blocks.push(block);
            return;
        }
        let Some(kind) = Kind::from_keyword(keyword) else {
            self.unknown_kind(&block.keyword.span, keyword);
            return;
        };
        let Some(label) = self.single_label(&block.keyword.span, &block.labels, keyword) else {
            return;
        };
        self.add_block(kind, label, item.span.clone(), DeclBody::Block(block));
    }

    fn add_block(&mut self, kind: Kind, label: &Label, span: Span, body: DeclBody<'a>) {
        let key = (kind, label.text.clone());
        if let Some(first) = self.blocks.get(&key) {
            let first_span = first.name_span.clone();
            self.report(
                Diagnostic::error(
                    Code::DUPLICATE_DECLARATION,
                    format!("{} `{}` is declared twice", kind.keyword(), label.text),
                )
                .primary(label.span.clone(), "declared again here")
                .secondary(first_span, "first declared here")
                .help("rename one of them, or merge the two blocks"),
            );
            return;
        }
        let spec = schema::top_level(kind.keyword());
        let detail = format!(
            "{} {}: {}",
            kind.keyword(),
            label.text,
            spec.map_or("", |spec| spec.doc)
        );
        let definition = self.define(
            kind.keyword(),
            &label.text,
            label.span.clone(),
            span.clone(),
            detail,
        );
        self.blocks.insert(
            key,
            BlockDecl {
                kind,
                name: label.text.clone(),
                name_span: label.span.clone(),
                span,
                body,
                definition,
            },
        );
    }

    fn unknown_kind(&mut self, span: &Span, keyword: &str) {
        let mut candidates: Vec<&str> = Kind::ALL.iter().map(|kind| kind.keyword()).collect();
        candidates.extend(["tags", "param", "let", "output", "preset", "use"]);
        let mut diag = Diagnostic::error(
            Code::UNKNOWN_BLOCK_KIND,
            format!("unknown block kind `{keyword}`"),
        )
        .primary(span.clone(), "not a block kind");
        if let Some(best) = did_you_mean(keyword, candidates.iter().copied()) {
            diag = diag.help(format!("did you mean `{best}`?")).fix(
                format!("replace with `{best}`"),
                span.clone(),
                best,
            );
        } else {
            diag = diag.help(format!("block kinds are {}", candidates.join(", ")));
        }
        self.report(diag);
    }

    fn collect_decl(&mut self, decl: &'a Decl, item: &'a Item) {
        let keyword = decl.keyword.name.as_str();
        match keyword {
            "param" | "let" => {
                let Some(label) = self.single_label(&decl.keyword.span, &decl.labels, keyword)
                else {
                    return;
                };
                if let Some(first) = self.globals.get(&label.text) {
                    let first_span = first.decl.labels[0].span.clone();
                    self.report(
                        Diagnostic::error(
                            Code::DUPLICATE_DECLARATION,
                            format!("`{}` is declared twice", label.text),
                        )
                        .primary(label.span.clone(), "declared again here")
                        .secondary(first_span, "first declared here")
                        .help("rename one of them"),
                    );
                    return;
                }
                let detail = format!("{keyword} {}", label.text);
                let definition = self.define(
                    keyword,
                    &label.text,
                    label.span.clone(),
                    item.span.clone(),
                    detail,
                );
                self.globals.insert(
                    label.text.clone(),
                    Global {
                        decl,
                        is_param: keyword == "param",
                        state: GlobalState::Pending,
                        definition,
                        override_value: None,
                    },
                );
            }
            "output" => {
                let Some(label) = self.single_label(&decl.keyword.span, &decl.labels, keyword)
                else {
                    return;
                };
                if self
                    .outputs
                    .iter()
                    .any(|other| other.labels[0].text == label.text)
                {
                    self.report(
                        Diagnostic::error(
                            Code::DUPLICATE_DECLARATION,
                            format!("output `{}` is declared twice", label.text),
                        )
                        .primary(label.span.clone(), "declared again here")
                        .help("rename one of them"),
                    );
                    return;
                }
                self.define(
                    "output",
                    &label.text,
                    label.span.clone(),
                    item.span.clone(),
                    format!("output {}", label.text),
                );
                self.outputs.push(decl);
            }
            _ => {
                let Some(kind) = Kind::from_keyword(keyword) else {
                    self.unknown_kind(&decl.keyword.span, keyword);
                    return;
                };
                let Some(label) = self.single_label(&decl.keyword.span, &decl.labels, keyword)
                else {
                    return;
                };
                self.add_block(kind, label, item.span.clone(), DeclBody::Applied(decl));
            }
        }
    }

    fn apply_overrides(&mut self, vars: &[(String, String)]) {
        for (name, value) in vars {
            match self.globals.get_mut(name) {
                Some(global) if global.is_param => global.override_value = Some(value.clone()),
                _ => {
                    let params: Vec<&str> = self
                        .globals
                        .iter()
                        .filter(|(_, global)| global.is_param)
                        .map(|(name, _)| name.as_str())
                        .collect();
                    let mut diag = Diagnostic::error(
                        Code::UNKNOWN_VARIABLE_OVERRIDE,
                        format!("`--var {name}=…` names no parameter"),
                    );
                    diag = match did_you_mean(name, params.iter().copied()) {
                        Some(best) => diag.help(format!("did you mean `{best}`?")),
                        None if params.is_empty() => diag.help("this program declares no `param`"),
                        None => diag.help(format!("declared parameters: {}", params.join(", "))),
                    };
                    self.report(diag);
                }
            }
        }
    }

    /// Reads a body against a schema: groups attributes, nested blocks and statements, and
    /// reports unknown, duplicate and misplaced items.
    pub(crate) fn fields(
        &mut self,
        items: Vec<(&'a Item, ScopeId)>,
        spec: &BlockSpec,
        owner: &str,
    ) -> Fields<'a> {
        let mut fields = Fields::default();
        for (item, scope) in items {
            match &item.kind {
                ItemKind::Attr(attr) => {
                    let name = attr.key.text.as_str();
                    if !spec.attrs.iter().any(|known| known.name == name) {
                        self.unknown_attribute(&attr.key, spec, owner);
                        continue;
                    }
                    if let Some((first, _, first_scope)) = fields.attrs.get(name) {
                        if *first_scope == scope {
                            let first_span = first.span.clone();
                            self.report(
                                Diagnostic::error(
                                    Code::DUPLICATE_ATTRIBUTE,
                                    format!("`{name}` is set twice"),
                                )
                                .primary(attr.key.span.clone(), "set again here")
                                .secondary(first_span, "first set here")
                                .help("remove one of them"),
                            );
                            continue;
                        }
                    }
                    fields
                        .attrs
                        .insert(name.to_string(), (&attr.key, &attr.value, scope));
                }
                ItemKind::Block(block) if spec.blocks.contains(&block.keyword.name.as_str()) => {
                    fields.blocks.push((block, scope))
                }
                ItemKind::Decl(decl) if spec.blocks.contains(&decl.keyword.name.as_str()) => {
                    fields.decls.push((decl, scope))
                }
                ItemKind::Statement(statement)
                    if spec.statements.contains(&statement.keyword.name.as_str()) =>
                {
                    fields.statements.push((statement, scope));
                }
                ItemKind::Expr(expr, target)
                    if spec.keyword == "stage" || spec.keyword == "files" =>
                {
                    fields.exprs.push((expr, target.as_ref(), scope));
                }
                _ => self.unexpected_item(item, spec, owner),
            }
        }
        fields
    }

    fn unknown_attribute(&mut self, key: &Label, spec: &BlockSpec, owner: &str) {
        let names: Vec<&str> = spec.attrs.iter().map(|attr| attr.name).collect();
        let mut diag = Diagnostic::error(
            Code::UNKNOWN_ATTRIBUTE,
            format!("{owner} has no attribute `{}`", key.text),
        )
        .primary(key.span.clone(), "unknown attribute");
        if let Some(best) = did_you_mean(&key.text, names.iter().copied()) {
            diag = diag.help(format!("did you mean `{best}`?")).fix(
                format!("replace with `{best}`"),
                key.span.clone(),
                best,
            );
        } else if names.is_empty() {
            diag = diag.help(format!("{owner} takes no attributes"));
        } else {
            diag = diag.help(format!("known attributes: {}", names.join(", ")));
        }
        self.report(diag);
    }

    fn unexpected_item(&mut self, item: &Item, spec: &BlockSpec, owner: &str) {
        let (what, span) = match &item.kind {
            ItemKind::Block(block) => (
                format!("a `{}` block", block.keyword.name),
                block.keyword.span.clone(),
            ),
            ItemKind::Decl(decl) => (
                format!("a `{}` declaration", decl.keyword.name),
                decl.keyword.span.clone(),
            ),
            ItemKind::Statement(statement) => (
                format!("a `{}` statement", statement.keyword.name),
                statement.keyword.span.clone(),
            ),
            ItemKind::Expr(..) => ("a bare value".to_string(), item.span.clone()),
            ItemKind::Attr(attr) => (
                format!("attribute `{}`", attr.key.text),
                attr.key.span.clone(),
            ),
        };
        let mut allowed: Vec<String> = spec
            .blocks
            .iter()
            .map(|block| format!("`{block}` blocks"))
            .collect();
        allowed.extend(
            spec.statements
                .iter()
                .map(|statement| format!("`{statement}` statements")),
        );
        let mut diag = Diagnostic::error(
            Code::UNEXPECTED_ITEM,
            format!("{what} is not allowed in {owner}"),
        )
        .primary(span, "not allowed here");
        if let ItemKind::Block(block) = &item.kind {
            if let Some(best) = did_you_mean(&block.keyword.name, spec.blocks.iter().copied()) {
                diag = diag.help(format!("did you mean `{best}`?")).fix(
                    format!("replace with `{best}`"),
                    block.keyword.span.clone(),
                    best,
                );
                self.report(diag);
                return;
            }
        }
        diag = if allowed.is_empty() {
            diag.help(format!("{owner} holds only attributes"))
        } else {
            diag.help(format!(
                "{owner} holds attributes, {}",
                allowed.join(" and ")
            ))
        };
        self.report(diag);
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
        use pipec_syntax::ast::ExprKind;
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
        let Some(&(preset, definition)) = self.presets.get(&key) else {
            let joined = path
                .iter()
                .map(|segment| segment.name.as_str())
                .collect::<Vec<_>>()
                .join(".");
            let known: Vec<String> = self
                .presets
                .keys()
                .map(|(namespace, name)| {
                    namespace
                        .as_ref()
                        .map_or(name.clone(), |namespace| format!("{namespace}.{name}"))
                })
                .collect();
            let mut diag =
                Diagnostic::error(Code::UNKNOWN_PRESET, format!("unknown preset `{joined}`"))
                    .primary(path_span.clone(), "no such preset");
            if let (Some(namespace), false) = (
                &key.0,
                self.namespaces
                    .contains(key.0.as_ref().unwrap_or(&String::new())),
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
            self.reference(last.span.clone(), path_span.clone(), definition);
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
                None => match required_type(&decl.value) {
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

    pub(crate) fn location(&self, span: &Span) -> String {
        self.db.location(span)
    }

    /// The statements of `fields` with keyword `keyword`.
    pub(crate) fn statements<'f>(
        fields: &'f Fields<'a>,
        keyword: &'f str,
    ) -> impl Iterator<Item = (&'a Statement, ScopeId)> + 'f {
        fields
            .statements
            .iter()
            .filter(move |(statement, _)| statement.keyword.name == keyword)
            .copied()
    }
}

/// `string`, `number`, … as a parameter's value marks it required; returns the type name.
pub(crate) fn required_type(value: &Expr) -> Option<&'static str> {
    let path = value.as_path()?;
    match path {
        [single] => match single.name.as_str() {
            "string" => Some("a string"),
            "number" => Some("a number"),
            "bool" => Some("true or false"),
            "list" => Some("a list"),
            "map" => Some("a map"),
            _ => None,
        },
        _ => None,
    }
}

/// The grouped items of a body.
#[derive(Default)]
pub(crate) struct Fields<'a> {
    pub(crate) attrs: BTreeMap<String, (&'a Label, &'a Expr, ScopeId)>,
    pub(crate) blocks: Vec<(&'a Block, ScopeId)>,
    pub(crate) decls: Vec<(&'a Decl, ScopeId)>,
    pub(crate) statements: Vec<(&'a Statement, ScopeId)>,
    pub(crate) exprs: Vec<(&'a Expr, Option<&'a Expr>, ScopeId)>,
}

pub(crate) fn sanitize_ident(text: &str) -> String {
    let mut out = pipec_ir::names::sanitize(text, "", '_');
    if out.is_empty() || out.starts_with(|ch: char| ch.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

impl Fields<'_> {
    pub(crate) fn has_attr(&self, name: &str) -> bool {
        self.attrs.contains_key(name)
    }
}

/// The spec of a block nested in `parent`. Callers pass keywords the parent's spec lists in
/// `blocks` (`fields` keeps only those), and the schema tests check that each has a spec.
///
/// # Panics
/// When the schema lacks the nested spec, which the schema tests rule out.
pub(crate) fn nested_spec(parent: &str, keyword: &str) -> &'static BlockSpec {
    match schema::nested(parent, keyword) {
        Some(spec) => spec,
        None => panic!("schema: no spec for `{keyword}` in `{parent}`"),
    }
}
