//! The document outline: every block and named declaration, nested as written (`deploy web`
//! holds its hooks, `pipeline main` its stages), plus the `use` lines. Attributes and bare
//! values are left out: an outline lists things, not settings.

use lsp_types::{DocumentSymbol, SymbolKind};
use pipec_syntax::ast::{self, ItemKind};

use crate::convert::{PositionEncoding, TextRef};

/// The outline of a parsed file.
pub(crate) fn outline(
    file: &ast::File,
    text: TextRef<'_>,
    encoding: PositionEncoding,
) -> Vec<DocumentSymbol> {
    items(&file.items, text, encoding)
}

fn items(
    items: &[ast::Item],
    text: TextRef<'_>,
    encoding: PositionEncoding,
) -> Vec<DocumentSymbol> {
    items
        .iter()
        .filter_map(|item| symbol(item, text, encoding))
        .collect()
}

fn symbol(
    item: &ast::Item,
    text: TextRef<'_>,
    encoding: PositionEncoding,
) -> Option<DocumentSymbol> {
    let (keyword, labels, children, detail) = match &item.kind {
        ItemKind::Block(block) => (
            &block.keyword,
            block.labels.as_slice(),
            items(&block.body.items, text, encoding),
            None,
        ),
        ItemKind::Decl(decl) => {
            let value = text
                .text
                .get(decl.value.span.start()..decl.value.span.end())
                .map(one_line);
            (&decl.keyword, decl.labels.as_slice(), Vec::new(), value)
        }
        ItemKind::Statement(statement) if statement.keyword.name == "use" => {
            let argument = text
                .text
                .get(statement.argument.span.start()..statement.argument.span.end())?;
            let selection = text.range(
                statement.argument.span.start(),
                statement.argument.span.end(),
                encoding,
            );
            #[allow(deprecated)]
            return Some(DocumentSymbol {
                name: format!("use {argument}"),
                detail: None,
                kind: SymbolKind::MODULE,
                tags: None,
                deprecated: None,
                range: text.range(item.span.start(), item.span.end(), encoding),
                selection_range: selection,
                children: None,
            });
        }
        _ => return None,
    };
    let mut name = keyword.name.clone();
    for label in labels {
        name.push(' ');
        if label.quoted {
            name.push('"');
            name.push_str(&label.text);
            name.push('"');
        } else {
            name.push_str(&label.text);
        }
    }
    let selection = match (labels.first(), labels.last()) {
        (Some(first), Some(last)) => text.range(first.span.start(), last.span.end(), encoding),
        _ => text.range(keyword.span.start(), keyword.span.end(), encoding),
    };
    #[allow(deprecated)]
    Some(DocumentSymbol {
        name,
        detail,
        kind: kind_of(&keyword.name),
        tags: None,
        deprecated: None,
        range: text.range(item.span.start(), item.span.end(), encoding),
        selection_range: selection,
        children: (!children.is_empty()).then_some(children),
    })
}

/// An icon for a block kind.
fn kind_of(keyword: &str) -> SymbolKind {
    match keyword {
        "param" | "let" => SymbolKind::VARIABLE,
        "output" => SymbolKind::PROPERTY,
        "pipeline" => SymbolKind::CLASS,
        "stage" => SymbolKind::FIELD,
        "hook" => SymbolKind::EVENT,
        "build" | "deploy" => SymbolKind::FUNCTION,
        "role" | "policy" | "group" | "user" => SymbolKind::INTERFACE,
        "repo" | "site" | "instance" => SymbolKind::MODULE,
        "tags" => SymbolKind::ENUM,
        _ => SymbolKind::OBJECT,
    }
}

/// The first line of a value, shortened, for a symbol's detail.
fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 40 {
        let short: String = line.chars().take(39).collect();
        format!("{short}…")
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use pipec_span::{Encoding, FileId, LineIndex};

    use super::*;

    #[test]
    fn blocks_nest_and_declarations_show_their_value() {
        let source = "use std.roles\nparam env = \"dev\"\ndeploy web {\n  from = build.app\n  hook before_install \"init\" { run \"x\" }\n  hook application_stop \"stop\" = node.stop\n}\npipeline main {\n  stage source { repo.app }\n}\n";
        let (file, diagnostics) = pipec_syntax::parse_file(FileId(0), source);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let lines = LineIndex::new(source);
        let symbols = outline(
            &file,
            TextRef {
                text: source,
                lines: &lines,
            },
            PositionEncoding(Encoding::Utf16),
        );
        let names: Vec<_> = symbols.iter().map(|symbol| symbol.name.as_str()).collect();
        assert_eq!(
            names,
            ["use std.roles", "param env", "deploy web", "pipeline main"]
        );
        assert_eq!(symbols[1].detail.as_deref(), Some("\"dev\""));
        let hooks: Vec<_> = symbols[2]
            .children
            .iter()
            .flatten()
            .map(|symbol| symbol.name.as_str())
            .collect();
        assert_eq!(
            hooks,
            [
                "hook before_install \"init\"",
                "hook application_stop \"stop\""
            ]
        );
        let stages: Vec<_> = symbols[3]
            .children
            .iter()
            .flatten()
            .map(|symbol| symbol.name.as_str())
            .collect();
        assert_eq!(stages, ["stage source"]);
    }
}
