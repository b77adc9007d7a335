//! Semantic tokens (`textDocument/semanticTokens/full` and `/range`): what each word of a file
//! is, read from the parser's AST and spans and, where an analysis knows them, the checker's
//! declarations and references. Never from patterns over the text: a string is what the parser
//! took for one, and `${…}` inside it is highlighted as the expression it is.
//!
//! Block kinds are `type`, statement and clause keywords `keyword`, attribute and map keys
//! `property`, declared names carry the `declaration` modifier (`repo app`, `param env`), and a
//! reference is typed by what it points at (`param` → `parameter`, `let` → `variable` +
//! `readonly`, `preset` → `function`, a block → `variable`); `repo.` in `repo.app`, a module in
//! `use std.hooks.node` and `node.` in `node.start` are `namespace`; exports (`.arn`) are
//! `property`; names the checker did not resolve are enum values (`codedeploy`,
//! `half_at_a_time`, `service.ec2`). Without an analysis, names of `param`, `let` and `preset`
//! declarations of the file and the modules it `use`s stand in for the checker's index.
//! Tokens never span lines (clients need not support multi-line tokens).

use std::collections::{BTreeMap, BTreeSet};

use lsp_types::{SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend};
use pipec_driver::SymbolIndex;
use pipec_span::FileId;
use pipec_syntax::ast::{self, ExprKind, ItemKind, StrPart};

use crate::convert::{PositionEncoding, TextRef};
use crate::remap::Remap;

/// Token types, in legend order.
const TYPES: [SemanticTokenType; 13] = [
    SemanticTokenType::KEYWORD,
    SemanticTokenType::TYPE,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::NAMESPACE,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::EVENT,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::COMMENT,
    SemanticTokenType::OPERATOR,
];

/// Token modifiers, in legend order (bit `1 << index`).
const MODIFIERS: [SemanticTokenModifier; 4] = [
    SemanticTokenModifier::DECLARATION,
    SemanticTokenModifier::READONLY,
    SemanticTokenModifier::DEFAULT_LIBRARY,
    SemanticTokenModifier::DOCUMENTATION,
];

/// A token type: an index into the legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Keyword,
    Type,
    Property,
    Variable,
    Parameter,
    Function,
    Namespace,
    EnumMember,
    Event,
    Str,
    Number,
    Comment,
    /// `${` and `}` around an interpolation, `->` in `files`.
    Operator,
}

impl Kind {
    fn index(self) -> u32 {
        match self {
            Kind::Keyword => 0,
            Kind::Type => 1,
            Kind::Property => 2,
            Kind::Variable => 3,
            Kind::Parameter => 4,
            Kind::Function => 5,
            Kind::Namespace => 6,
            Kind::EnumMember => 7,
            Kind::Event => 8,
            Kind::Str => 9,
            Kind::Number => 10,
            Kind::Comment => 11,
            Kind::Operator => 12,
        }
    }
}

/// Modifier bits.
pub(crate) const DECLARATION: u32 = 1;
pub(crate) const READONLY: u32 = 1 << 1;
pub(crate) const DEFAULT_LIBRARY: u32 = 1 << 2;
pub(crate) const DOCUMENTATION: u32 = 1 << 3;

/// The legend announced in the server's capabilities.
pub(crate) fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

/// Declaration keywords that are not block kinds.
const DECLARATION_KEYWORDS: [&str; 4] = ["param", "let", "preset", "output"];

/// A token in byte offsets, before encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Raw {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: Kind,
    pub(crate) modifiers: u32,
}

/// What the checker knows about names of one file, placed in the file's current text.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Start of a referring name segment → the kind of what it refers to.
    references: BTreeMap<usize, String>,
    /// Start of a declared name → its kind.
    declarations: BTreeMap<usize, String>,
    /// True when these come from an analysis (unresolved names are then enum values).
    checked: bool,
}

impl Names {
    /// The names of `file` in `index`, an analysis of an older text mapped to the text now by
    /// `remap` (names in the changed part are left out).
    pub(crate) fn from_index(index: &SymbolIndex, file: FileId, remap: Remap) -> Names {
        let mut names = Names {
            checked: true,
            ..Names::default()
        };
        for reference in &index.references {
            if reference.span.file != file {
                continue;
            }
            let Some(definition) = index.definitions.get(reference.target) else {
                continue;
            };
            if let Some((start, _)) =
                remap.range_to_new(reference.span.start(), reference.span.end())
            {
                names.references.insert(start, definition.kind.clone());
            }
        }
        for definition in &index.definitions {
            if definition.name_span.file != file {
                continue;
            }
            if let Some((start, _)) =
                remap.range_to_new(definition.name_span.start(), definition.name_span.end())
            {
                names.declarations.insert(start, definition.kind.clone());
            }
        }
        names
    }
}

/// The tokens of `file` (parsed from `text`), in order, each on one line.
pub(crate) fn collect(file: &ast::File, text: &str, names: &Names) -> Vec<Raw> {
    let mut walker = Walker {
        text,
        names,
        local: local_names(file),
        modules: modules(file),
        out: Vec::new(),
    };
    for item in &file.items {
        walker.item(item);
    }
    for comment in pipec_syntax::scan_comments(FileId(0), text) {
        let (start, end) = (comment.span.start(), comment.span.end());
        let doc = text[start..end].starts_with("///");
        walker.push(
            start,
            end,
            Kind::Comment,
            if doc { DOCUMENTATION } else { 0 },
        );
    }
    let mut tokens = walker.out;
    tokens.sort_by_key(|token| (token.start, token.end));
    let mut single_line = Vec::with_capacity(tokens.len());
    let mut last_end = 0;
    for token in tokens {
        // Overlaps cannot come from a well-formed tree; keep the first if one ever does.
        if token.start < last_end || token.start >= token.end {
            continue;
        }
        last_end = token.end;
        split_lines(text, token, &mut single_line);
    }
    single_line
}

/// Completes the tokens of a file with a syntax error from an older text of it that parsed:
/// where no item of the current parse lies (what the error swallowed, e.g. everything after a
/// `{` left open), the older text's tokens of the unchanged parts (`remap`: older → current)
/// stand in, so highlighting does not fall apart while a brace is being typed.
pub(crate) fn fill_from_older(
    current: Vec<Raw>,
    file: &ast::File,
    older: Vec<Raw>,
    remap: Remap,
) -> Vec<Raw> {
    let covered: Vec<(usize, usize)> = file
        .items
        .iter()
        .map(|item| (item.span.start(), item.span.end()))
        .collect();
    let mut merged = current;
    for token in older {
        let Some((start, end)) = remap.range_to_new(token.start, token.end) else {
            continue;
        };
        if covered.iter().any(|&(from, to)| start < to && end > from) {
            continue;
        }
        merged.push(Raw {
            start,
            end,
            ..token
        });
    }
    merged.sort_by_key(|token| (token.start, token.end));
    let mut out: Vec<Raw> = Vec::with_capacity(merged.len());
    for token in merged {
        if out.last().is_none_or(|last| token.start >= last.end) {
            out.push(token);
        }
    }
    out
}

/// Encodes tokens as the protocol's relative quintuples, keeping those that touch `range`.
pub(crate) fn encode(
    tokens: &[Raw],
    text: TextRef<'_>,
    encoding: PositionEncoding,
    range: Option<std::ops::Range<usize>>,
) -> Vec<SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut line, mut character) = (0, 0);
    for token in tokens {
        if let Some(range) = &range {
            if token.end <= range.start || token.start >= range.end {
                continue;
            }
        }
        let start = text.position(token.start, encoding);
        let end = text.position(token.end, encoding);
        let length = end.character.saturating_sub(start.character);
        if length == 0 {
            continue;
        }
        let delta_line = start.line - line;
        let delta_start = if delta_line == 0 {
            start.character - character
        } else {
            start.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: token.kind.index(),
            token_modifiers_bitset: token.modifiers,
        });
        (line, character) = (start.line, start.character);
    }
    out
}

fn split_lines(text: &str, token: Raw, out: &mut Vec<Raw>) {
    let mut start = token.start;
    while start < token.end {
        let line_end = text[start..token.end]
            .find('\n')
            .map_or(token.end, |index| start + index);
        let mut end = line_end;
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        if end > start {
            out.push(Raw {
                start,
                end,
                ..token
            });
        }
        start = line_end + 1;
    }
}

/// Names declared with `param`, `let` or `preset` anywhere in the file, by kind.
fn local_names(file: &ast::File) -> BTreeMap<String, String> {
    fn walk(items: &[ast::Item], out: &mut BTreeMap<String, String>) {
        for item in items {
            match &item.kind {
                ItemKind::Decl(decl)
                    if DECLARATION_KEYWORDS.contains(&decl.keyword.name.as_str()) =>
                {
                    if let Some(label) = decl.labels.first() {
                        out.insert(label.text.clone(), decl.keyword.name.clone());
                    }
                }
                ItemKind::Block(block) => {
                    if block.keyword.name == "preset" {
                        if let Some(label) = block.labels.first() {
                            out.insert(label.text.clone(), "preset".to_string());
                        }
                    }
                    walk(&block.body.items, out);
                }
                _ => {}
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&file.items, &mut out);
    out
}

/// The names modules are reached by: the last segment of `use a.b.c`, a file's stem, or `as`.
fn modules(file: &ast::File) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for item in &file.items {
        let ItemKind::Statement(statement) = &item.kind else {
            continue;
        };
        if statement.keyword.name != "use" {
            continue;
        }
        let alias = statement
            .clauses
            .iter()
            .find(|clause| clause.keyword.name == "as")
            .and_then(|clause| {
                clause
                    .value
                    .as_path()?
                    .first()
                    .map(|name| name.name.clone())
            });
        let name = alias.or_else(|| match &statement.argument.kind {
            ExprKind::Path(path) => path.last().map(|name| name.name.clone()),
            _ => statement.argument.as_plain_str().and_then(|path| {
                let stem = std::path::Path::new(&path).file_stem()?;
                Some(stem.to_string_lossy().into_owned())
            }),
        });
        out.extend(name);
    }
    out
}

/// The token type and modifiers of a reference to something declared as `kind`.
fn of_definition(kind: &str) -> (Kind, u32) {
    match kind {
        "param" => (Kind::Parameter, 0),
        "let" => (Kind::Variable, READONLY),
        "preset" => (Kind::Function, 0),
        _ => (Kind::Variable, 0),
    }
}

struct Walker<'a> {
    text: &'a str,
    names: &'a Names,
    local: BTreeMap<String, String>,
    modules: BTreeSet<String>,
    out: Vec<Raw>,
}

impl Walker<'_> {
    fn push(&mut self, start: usize, end: usize, kind: Kind, modifiers: u32) {
        if start < end && end <= self.text.len() {
            self.out.push(Raw {
                start,
                end,
                kind,
                modifiers,
            });
        }
    }

    fn ident(&mut self, ident: &ast::Ident, kind: Kind, modifiers: u32) {
        self.push(ident.span.start(), ident.span.end(), kind, modifiers);
    }

    fn item(&mut self, item: &ast::Item) {
        match &item.kind {
            ItemKind::Block(block) => {
                self.head(&block.keyword, &block.labels);
                for inner in &block.body.items {
                    self.item(inner);
                }
            }
            ItemKind::Decl(decl) => {
                self.head(&decl.keyword, &decl.labels);
                self.expr(&decl.value);
            }
            ItemKind::Attr(attr) => {
                let kind = if attr.key.quoted {
                    Kind::Str
                } else {
                    Kind::Property
                };
                self.push(attr.key.span.start(), attr.key.span.end(), kind, 0);
                self.expr(&attr.value);
            }
            ItemKind::Statement(statement) => {
                self.ident(&statement.keyword, Kind::Keyword, 0);
                match (&statement.keyword.name[..], &statement.argument.kind) {
                    ("use", ExprKind::Path(path)) => {
                        for segment in path {
                            self.ident(segment, Kind::Namespace, 0);
                        }
                    }
                    _ => self.expr(&statement.argument),
                }
                for clause in &statement.clauses {
                    self.ident(&clause.keyword, Kind::Keyword, 0);
                    match (&clause.keyword.name[..], &clause.value.kind) {
                        ("as", ExprKind::Path(path)) => {
                            for segment in path {
                                self.ident(segment, Kind::Namespace, DECLARATION);
                            }
                        }
                        _ => self.expr(&clause.value),
                    }
                }
            }
            ItemKind::Expr(value, destination) => {
                self.expr(value);
                if let Some(destination) = destination {
                    if let Some(offset) = self.text[value.span.end()..destination.span.start()]
                        .find("->")
                        .map(|index| value.span.end() + index)
                    {
                        self.push(offset, offset + 2, Kind::Operator, 0);
                    }
                    self.expr(destination);
                }
            }
        }
    }

    /// The kind word and labels of a block or declaration.
    fn head(&mut self, keyword: &ast::Ident, labels: &[ast::Label]) {
        let word = keyword.name.as_str();
        if DECLARATION_KEYWORDS.contains(&word) {
            self.ident(keyword, Kind::Keyword, 0);
        } else {
            self.ident(keyword, Kind::Type, 0);
        }
        for (index, label) in labels.iter().enumerate() {
            let (start, end) = (label.span.start(), label.span.end());
            if label.quoted {
                self.push(start, end, Kind::Str, 0);
                continue;
            }
            let kind = if let Some(kind) = self.names.declarations.get(&start) {
                of_definition(kind).0
            } else if word == "hook" && index == 0 {
                self.push(start, end, Kind::Event, 0);
                continue;
            } else {
                of_definition(word).0
            };
            let readonly = if word == "let" { READONLY } else { 0 };
            self.push(start, end, kind, DECLARATION | readonly);
        }
    }

    fn expr(&mut self, expr: &ast::Expr) {
        let (start, end) = (expr.span.start(), expr.span.end());
        match &expr.kind {
            ExprKind::Str(parts) => self.string(start, end, parts),
            ExprKind::Int(_) => self.push(start, end, Kind::Number, 0),
            ExprKind::Bool(_) => self.push(start, end, Kind::Keyword, 0),
            ExprKind::List(values) => {
                for value in values {
                    self.expr(value);
                }
            }
            ExprKind::Object(body) => {
                for item in &body.items {
                    self.item(item);
                }
            }
            ExprKind::Path(path) => self.path(path, false),
            ExprKind::Call(name, arguments) => {
                self.ident(name, Kind::Function, DEFAULT_LIBRARY);
                for argument in arguments {
                    self.expr(argument);
                }
            }
            ExprKind::Apply(path, body) => {
                self.path(path, true);
                for item in &body.items {
                    self.item(item);
                }
            }
            ExprKind::Error => {}
        }
    }

    /// A string from `start` to `end`: the text pieces are strings, each `${…}` an operator
    /// pair around the expression's own tokens.
    fn string(&mut self, start: usize, end: usize, parts: &[StrPart]) {
        let mut cursor = start;
        for part in parts {
            let StrPart::Interp(inner) = part else {
                continue;
            };
            let (inner_start, inner_end) = (inner.span.start(), inner.span.end());
            let Some(open) = self.text[cursor..inner_start].rfind("${") else {
                continue;
            };
            let open = cursor + open;
            let Some(close) = self.text[inner_end..end].find('}') else {
                continue;
            };
            let close = inner_end + close;
            self.push(cursor, open, Kind::Str, 0);
            self.push(open, open + 2, Kind::Operator, 0);
            self.expr(inner);
            self.push(close, close + 1, Kind::Operator, 0);
            cursor = close + 1;
        }
        self.push(cursor, end, Kind::Str, 0);
    }

    /// A dotted name: `env`, `repo.app`, `repo.app.arn`, `node.start`, `service.ec2`, `ec2`.
    fn path(&mut self, path: &[ast::Ident], applied: bool) {
        let resolved = path
            .iter()
            .position(|segment| self.names.references.contains_key(&segment.span.start()));
        if let Some(at) = resolved {
            let kind = &self.names.references[&path[at].span.start()];
            let (token, modifiers) = of_definition(kind);
            for segment in &path[..at] {
                self.ident(segment, Kind::Namespace, 0);
            }
            self.ident(&path[at], token, modifiers);
            for segment in &path[at + 1..] {
                self.ident(segment, Kind::Property, 0);
            }
            return;
        }
        // Not resolved by the checker (or no analysis): read the shape.
        let first = &path[0];
        if path.len() == 1 {
            // A name the file declares: what it declares (a reference typed after the last
            // check, or a preset's parameter, which the checker binds only when applying it).
            let (kind, modifiers) = match self.local.get(&first.name) {
                Some(kind) => of_definition(kind),
                None if applied => (Kind::Type, 0),
                None if self.names.checked => (Kind::EnumMember, 0),
                None => (Kind::Variable, 0),
            };
            self.ident(first, kind, modifiers);
            return;
        }
        self.ident(first, Kind::Namespace, 0);
        let second = if self.modules.contains(&first.name) {
            (Kind::Function, 0)
        } else if first.name == "service" {
            (Kind::EnumMember, DEFAULT_LIBRARY)
        } else {
            (Kind::Variable, 0)
        };
        self.ident(&path[1], second.0, second.1);
        for segment in &path[2..] {
            self.ident(segment, Kind::Property, 0);
        }
    }
}

#[cfg(test)]
mod tests;
