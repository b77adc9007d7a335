//! The symbol index: every named declaration (`repo app`, `role web`, `param env`) and every
//! reference to one (`repo.app`, `role.web.arn`, `env`, `${env}`), across all files of an
//! analysis. Definition, references, rename, hover and name completion read only this.
//! It is built from the AST today; the driver's index replaces the builder, not the readers.

use pipec_span::{FileId, Span};
use pipec_syntax::ast::{self, Expr, ExprKind, ItemKind, StrPart};

/// A named declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Symbol {
    /// The block kind: `repo`, `role`, `param`, …
    pub(crate) kind: String,
    /// The name.
    pub(crate) name: String,
    /// The whole declaration.
    pub(crate) span: Span,
    /// The name in the declaration.
    pub(crate) name_span: Span,
    /// The comment lines just above the declaration, without the slashes.
    pub(crate) doc: Option<String>,
}

/// A use of a symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reference {
    /// Index of the symbol in `SymbolIndex::symbols`.
    pub(crate) symbol: usize,
    /// The segment naming the symbol (`app` in `repo.app.arn`, `env` in `env`).
    pub(crate) span: Span,
    /// The whole dotted path.
    pub(crate) path_span: Span,
}

/// Declarations and references of a set of files.
#[derive(Clone, Debug, Default)]
pub(crate) struct SymbolIndex {
    /// Declarations, in file and source order.
    pub(crate) symbols: Vec<Symbol>,
    /// References, in file and source order.
    pub(crate) references: Vec<Reference>,
}

/// Kinds whose values are referred to by their bare name (`env`, not `param.env`).
const VALUE_KINDS: [&str; 2] = ["param", "let"];

impl SymbolIndex {
    /// Indexes `files` (each with its text, for doc comments).
    pub(crate) fn build<'a>(
        files: impl IntoIterator<Item = (&'a ast::File, &'a str)> + Clone,
    ) -> SymbolIndex {
        let mut index = SymbolIndex::default();
        for (file, text) in files.clone() {
            for item in &file.items {
                index.declare(item, text);
            }
        }
        for (file, _) in files {
            for item in &file.items {
                index.item_references(item);
            }
        }
        index
    }

    fn declare(&mut self, item: &ast::Item, text: &str) {
        let (keyword, labels) = match &item.kind {
            ItemKind::Block(block) => (&block.keyword, &block.labels),
            ItemKind::Decl(decl) => (&decl.keyword, &decl.labels),
            _ => return,
        };
        // `hook event "name"` lives inside deploys; top-level kinds take one name.
        let Some(label) = labels.first() else { return };
        if label.quoted {
            return;
        }
        self.symbols.push(Symbol {
            kind: keyword.name.clone(),
            name: label.text.clone(),
            span: item.span.clone(),
            name_span: label.span.clone(),
            doc: doc_above(text, item.span.start()),
        });
    }

    /// The symbol `kind name`, if declared.
    pub(crate) fn find(&self, kind: &str, name: &str) -> Option<usize> {
        self.symbols
            .iter()
            .position(|symbol| symbol.kind == kind && symbol.name == name)
    }

    /// The symbol declared or referred to at `offset` of `file`.
    pub(crate) fn symbol_at(&self, file: FileId, offset: usize) -> Option<usize> {
        if let Some(reference) = self
            .references
            .iter()
            .find(|reference| reference.span.file == file && reference.span.contains(offset))
        {
            return Some(reference.symbol);
        }
        self.symbols
            .iter()
            .position(|symbol| symbol.name_span.file == file && symbol.name_span.contains(offset))
    }

    /// The references to `symbol`.
    pub(crate) fn references_to(&self, symbol: usize) -> impl Iterator<Item = &Reference> {
        self.references
            .iter()
            .filter(move |reference| reference.symbol == symbol)
    }

    fn item_references(&mut self, item: &ast::Item) {
        match &item.kind {
            ItemKind::Block(block) => {
                for inner in &block.body.items {
                    self.item_references(inner);
                }
            }
            ItemKind::Decl(decl) => self.expr(&decl.value),
            ItemKind::Attr(attr) => self.expr(&attr.value),
            ItemKind::Statement(statement) => {
                if statement.keyword.name != "use" {
                    self.expr(&statement.argument);
                }
                for clause in &statement.clauses {
                    self.expr(&clause.value);
                }
            }
            ItemKind::Expr(value, destination) => {
                self.expr(value);
                if let Some(destination) = destination {
                    self.expr(destination);
                }
            }
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Path(segments) => self.path(segments),
            ExprKind::Apply(segments, body) => {
                self.path(segments);
                for item in &body.items {
                    self.item_references(item);
                }
            }
            ExprKind::Object(body) => {
                for item in &body.items {
                    self.item_references(item);
                }
            }
            ExprKind::List(values) | ExprKind::Call(_, values) => {
                for value in values {
                    self.expr(value);
                }
            }
            ExprKind::Str(parts) => {
                for part in parts {
                    if let StrPart::Interp(value) = part {
                        self.expr(value);
                    }
                }
            }
            ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Error => {}
        }
    }

    fn path(&mut self, segments: &[ast::Ident]) {
        let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
            return;
        };
        let path_span = first.span.to(&last.span);
        if let Some(second) = segments.get(1) {
            if let Some(symbol) = self.find(&first.name, &second.name) {
                self.references.push(Reference {
                    symbol,
                    span: second.span.clone(),
                    path_span,
                });
                return;
            }
        }
        for kind in VALUE_KINDS {
            if let Some(symbol) = self.find(kind, &first.name) {
                self.references.push(Reference {
                    symbol,
                    span: first.span.clone(),
                    path_span,
                });
                return;
            }
        }
    }
}

/// The `//` or `///` comment lines directly above `offset`'s line, joined.
pub(crate) fn doc_above(text: &str, offset: usize) -> Option<String> {
    let line_start = text.get(..offset)?.rfind('\n').map_or(0, |index| index + 1);
    let mut lines: Vec<&str> = Vec::new();
    for line in text.get(..line_start)?.lines().rev() {
        let trimmed = line.trim();
        let Some(comment) = trimmed.strip_prefix("//") else {
            break;
        };
        lines.push(comment.strip_prefix('/').unwrap_or(comment).trim());
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_and_references_across_files() {
        let main = "param env = \"dev\"\n// The web role.\nrole web { trust = [service.ec2] }\ninstance web { role = role.web.arn\n name = \"w-${env}\" }\n";
        let other = "instance db { role = role.web }\n";
        let (main_ast, _) = pipec_syntax::parse_file(FileId(0), main);
        let (other_ast, _) = pipec_syntax::parse_file(FileId(1), other);
        let index = SymbolIndex::build([(&main_ast, main), (&other_ast, other)]);
        let names: Vec<_> = index
            .symbols
            .iter()
            .map(|symbol| format!("{} {}", symbol.kind, symbol.name))
            .collect();
        assert_eq!(
            names,
            ["param env", "role web", "instance web", "instance db"]
        );
        assert_eq!(index.symbols[1].doc.as_deref(), Some("The web role."));
        let role = index.find("role", "web").unwrap_or(usize::MAX);
        let uses: Vec<_> = index
            .references_to(role)
            .map(|reference| (reference.span.file, reference.span.start()))
            .collect();
        assert_eq!(
            uses,
            [
                (FileId(0), main.find("web.arn").unwrap_or(0)),
                (FileId(1), other.find("web }").unwrap_or(0))
            ]
        );
        let env = index.find("param", "env").unwrap_or(usize::MAX);
        assert_eq!(index.references_to(env).count(), 1);
        assert_eq!(
            index.symbol_at(FileId(0), main.find("${env").unwrap_or(0) + 3),
            Some(env)
        );
        assert_eq!(
            index.symbol_at(FileId(0), main.find("role web").unwrap_or(0) + 6),
            Some(role)
        );
    }
}
