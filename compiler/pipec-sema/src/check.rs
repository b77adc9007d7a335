//! Name resolution: collects the declarations of every file into `Names` (blocks, `param`s and
//! `let`s, presets, file tags, outputs), reports duplicates, unknown kinds and unknown `--var`s,
//! and reads block bodies against their schema (`read_fields`). `Names` does not change after
//! collection; evaluation (`eval/`) and lowering (`lower/`) read it.

use std::collections::BTreeMap;

use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::Kind;
use pipec_span::{FileId, Span};
use pipec_syntax::ast::{Block, Decl, Expr, File, Item, ItemKind, Label, Statement};

use crate::index::SymbolIndex;
use crate::report::{Report, Sink};
use crate::schema::{self, BlockSpec};

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

/// A `param` or `let` as declared (its value is evaluation's: `eval/`).
pub(crate) struct Global<'a> {
    pub(crate) decl: &'a Decl,
    pub(crate) is_param: bool,
    pub(crate) definition: usize,
    pub(crate) override_value: Option<String>,
}

/// Every declaration of a program, by name.
pub(crate) struct Names<'a> {
    blocks: BTreeMap<(Kind, String), BlockDecl<'a>>,
    globals: BTreeMap<String, Global<'a>>,
    presets: BTreeMap<(Option<String>, String), (&'a Block, usize)>,
    namespaces: Vec<String>,
    tag_blocks: Vec<&'a Block>,
    outputs: Vec<&'a Decl>,
    project: Option<(String, Span)>,
    root: FileId,
}

impl<'a> Names<'a> {
    /// Collects the declarations of `modules` (the first is the root) and applies the `--var`
    /// overrides `vars`; declarations go into `index`, problems into `sink`.
    pub(crate) fn collect(
        modules: &'a [SourceModule],
        vars: &[(String, String)],
        index: &mut SymbolIndex,
        sink: &mut Sink,
    ) -> Names<'a> {
        let mut names = Names {
            blocks: BTreeMap::new(),
            globals: BTreeMap::new(),
            presets: BTreeMap::new(),
            namespaces: Vec::new(),
            tag_blocks: Vec::new(),
            outputs: Vec::new(),
            project: None,
            root: modules.first().map_or(FileId(0), |module| module.file),
        };
        let mut collector = Collector {
            names: &mut names,
            index,
            sink,
        };
        for module in modules {
            collector.collect(module);
        }
        collector.apply_overrides(vars);
        names
    }

    /// The block `kind` `name`.
    pub(crate) fn block(&self, kind: Kind, name: &str) -> Option<&BlockDecl<'a>> {
        self.blocks.get(&(kind, name.to_string()))
    }

    /// Every block, by kind and then name.
    pub(crate) fn blocks(&self) -> impl Iterator<Item = &BlockDecl<'a>> + '_ {
        self.blocks.values()
    }

    /// The `param` or `let` `name`.
    pub(crate) fn global(&self, name: &str) -> Option<&Global<'a>> {
        self.globals.get(name)
    }

    /// The names of every `param` and `let`, sorted.
    pub(crate) fn global_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.globals.keys().map(String::as_str)
    }

    /// The preset `name` of `namespace` (`None`: the root file's) and its definition.
    pub(crate) fn preset(&self, namespace: Option<&str>, name: &str) -> Option<(&'a Block, usize)> {
        self.presets
            .get(&(namespace.map(str::to_string), name.to_string()))
            .copied()
    }

    /// Every preset as it is written (`name` or `namespace.name`).
    pub(crate) fn preset_names(&self) -> Vec<String> {
        self.presets
            .keys()
            .map(|(namespace, name)| {
                namespace
                    .as_ref()
                    .map_or(name.clone(), |namespace| format!("{namespace}.{name}"))
            })
            .collect()
    }

    /// True when a module reached by `namespace` is imported.
    pub(crate) fn is_imported(&self, namespace: &str) -> bool {
        self.namespaces.iter().any(|known| known == namespace)
    }

    /// The file-wide `tags { … }` blocks.
    pub(crate) fn tag_blocks(&self) -> &[&'a Block] {
        &self.tag_blocks
    }

    /// The `output` declarations, in source order.
    pub(crate) fn outputs(&self) -> &[&'a Decl] {
        &self.outputs
    }

    /// `project = "…"` and where it was written.
    pub(crate) fn project(&self) -> Option<&(String, Span)> {
        self.project.as_ref()
    }

    /// The root file.
    pub(crate) fn root(&self) -> FileId {
        self.root
    }
}

/// Collection's working state: the names being collected, where declarations and problems go.
struct Collector<'c, 'a> {
    names: &'c mut Names<'a>,
    index: &'c mut SymbolIndex,
    sink: &'c mut Sink,
}

impl Report for Collector<'_, '_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.sink.report(diagnostic);
    }
}

impl<'a> Collector<'_, 'a> {
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
                        Some(project) => {
                            self.names.project = Some((project, attr.value.span.clone()))
                        }
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
            self.names.namespaces.push(namespace.clone());
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
        let Some(label) = single_label(self.sink, &block.keyword.span, &block.labels, "preset")
        else {
            return;
        };
        let key = (module.namespace.clone(), label.text.clone());
        let definition = self.index.define(
            "preset",
            &label.text,
            label.span.clone(),
            block.body.span.clone(),
            format!("preset {}", label.text),
        );
        if self.names.presets.contains_key(&key) {
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
        self.names.presets.insert(key, (block, definition));
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
            self.names.tag_blocks.push(block);
            return;
        }
        let Some(kind) = Kind::from_keyword(keyword) else {
            self.unknown_kind(&block.keyword.span, keyword);
            return;
        };
        let Some(label) = single_label(self.sink, &block.keyword.span, &block.labels, keyword)
        else {
            return;
        };
        self.add_block(kind, label, item.span.clone(), DeclBody::Block(block));
    }

    fn add_block(&mut self, kind: Kind, label: &Label, span: Span, body: DeclBody<'a>) {
        let key = (kind, label.text.clone());
        if let Some(first) = self.names.blocks.get(&key) {
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
        let definition = self.index.define(
            kind.keyword(),
            &label.text,
            label.span.clone(),
            span.clone(),
            detail,
        );
        self.names.blocks.insert(
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
                let Some(label) =
                    single_label(self.sink, &decl.keyword.span, &decl.labels, keyword)
                else {
                    return;
                };
                if let Some(first) = self.names.globals.get(&label.text) {
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
                let definition = self.index.define(
                    keyword,
                    &label.text,
                    label.span.clone(),
                    item.span.clone(),
                    detail,
                );
                self.names.globals.insert(
                    label.text.clone(),
                    Global {
                        decl,
                        is_param: keyword == "param",
                        definition,
                        override_value: None,
                    },
                );
            }
            "output" => {
                let Some(label) =
                    single_label(self.sink, &decl.keyword.span, &decl.labels, keyword)
                else {
                    return;
                };
                if self
                    .names
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
                self.index.define(
                    "output",
                    &label.text,
                    label.span.clone(),
                    item.span.clone(),
                    format!("output {}", label.text),
                );
                self.names.outputs.push(decl);
            }
            _ => {
                let Some(kind) = Kind::from_keyword(keyword) else {
                    self.unknown_kind(&decl.keyword.span, keyword);
                    return;
                };
                let Some(label) =
                    single_label(self.sink, &decl.keyword.span, &decl.labels, keyword)
                else {
                    return;
                };
                self.add_block(kind, label, item.span.clone(), DeclBody::Applied(decl));
            }
        }
    }

    fn apply_overrides(&mut self, vars: &[(String, String)]) {
        for (name, value) in vars {
            match self.names.globals.get_mut(name) {
                Some(global) if global.is_param => global.override_value = Some(value.clone()),
                _ => {
                    let params: Vec<&str> = self
                        .names
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
}

/// The one plain name of a block or declaration; reports a missing, quoted or extra name.
pub(crate) fn single_label<'a>(
    report: &mut impl Report,
    keyword_span: &Span,
    labels: &'a [Label],
    keyword: &str,
) -> Option<&'a Label> {
    match labels {
        [label] if !label.quoted => Some(label),
        [label] => {
            report.report(
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
            report.report(
                Diagnostic::error(Code::SYNTAX_ERROR, format!("`{keyword}` needs a name"))
                    .primary(keyword_span.clone(), "no name")
                    .help(format!("write `{keyword} NAME {{ … }}`")),
            );
            None
        }
        [_, extra, ..] => {
            report.report(
                Diagnostic::error(Code::UNEXPECTED_ITEM, format!("`{keyword}` takes one name"))
                    .primary(extra.span.clone(), "extra label")
                    .help("remove it"),
            );
            None
        }
    }
}

/// Reads a body against a schema: groups attributes, nested blocks and statements, and
/// reports unknown, duplicate and misplaced items.
pub(crate) fn read_fields<'a>(
    report: &mut impl Report,
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
                    unknown_attribute(report, &attr.key, spec, owner);
                    continue;
                }
                if let Some((first, _, first_scope)) = fields.attrs.get(name) {
                    if *first_scope == scope {
                        let first_span = first.span.clone();
                        report.report(
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
            ItemKind::Expr(expr, target) if spec.keyword == "stage" || spec.keyword == "files" => {
                fields.exprs.push((expr, target.as_ref(), scope));
            }
            _ => unexpected_item(report, item, spec, owner),
        }
    }
    fields
}

fn unknown_attribute(report: &mut impl Report, key: &Label, spec: &BlockSpec, owner: &str) {
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
    report.report(diag);
}

fn unexpected_item(report: &mut impl Report, item: &Item, spec: &BlockSpec, owner: &str) {
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
            report.report(diag);
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
    report.report(diag);
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

impl<'a> Fields<'a> {
    pub(crate) fn has_attr(&self, name: &str) -> bool {
        self.attrs.contains_key(name)
    }

    /// The statements with keyword `keyword`.
    pub(crate) fn statements<'f>(
        &'f self,
        keyword: &'f str,
    ) -> impl Iterator<Item = (&'a Statement, ScopeId)> + 'f {
        self.statements
            .iter()
            .filter(move |(statement, _)| statement.keyword.name == keyword)
            .copied()
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
