//! Requests that change text: formatting (the canonical layout of `pipec_syntax::format_file`,
//! refused while the file has a syntax error) and code actions (the `fixes` of the diagnostics
//! last published for the document, offered only while that document is unchanged).

use std::collections::HashMap;
use std::str::FromStr;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, Uri, WorkspaceEdit,
};
use pipec_span::FileId;

use crate::analysis::parse;
use crate::convert::{ranges_touch, PositionEncoding, TextRef};
use crate::diagnostics::QuickFix;

/// The edits that format `text`: none when it is formatted already or does not parse.
pub(crate) fn format(text: TextRef<'_>, encoding: PositionEncoding) -> Vec<TextEdit> {
    let parsed = parse(FileId(0), text.text);
    if parsed.has_errors() {
        return Vec::new();
    }
    let comments = pipec_syntax::scan_comments(FileId(0), text.text);
    let formatted = pipec_syntax::format_file(text.text, &parsed.file, &comments);
    if formatted == text.text {
        return Vec::new();
    }
    vec![TextEdit {
        range: text.whole(encoding),
        new_text: formatted,
    }]
}

/// The quick fixes whose diagnostic touches `range`.
// `lsp_types::Uri` is hashed by its text only; clippy cannot see that its cache cell does not
// take part, so the map key is not really mutable.
#[allow(clippy::mutable_key_type)]
pub(crate) fn code_actions(fixes: &[QuickFix], range: Range) -> Vec<CodeActionOrCommand> {
    fixes
        .iter()
        .filter(|fix| ranges_touch(fix.diagnostic.range, range))
        .filter_map(|fix| {
            let uri = Uri::from_str(&fix.uri).ok()?;
            let changes = HashMap::from([(uri, vec![fix.edit.clone()])]);
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![fix.diagnostic.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(changes),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(true),
                ..CodeAction::default()
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use pipec_span::{Encoding, LineIndex};

    use super::*;

    #[test]
    fn formatting_is_refused_on_syntax_errors() {
        let utf16 = PositionEncoding(Encoding::Utf16);
        let broken = "repo app {\n";
        let lines = LineIndex::new(broken);
        assert!(format(
            TextRef {
                text: broken,
                lines: &lines
            },
            utf16
        )
        .is_empty());
        let messy = "repo   app {name=\"x\"}\n";
        let lines = LineIndex::new(messy);
        let edits = format(
            TextRef {
                text: messy,
                lines: &lines,
            },
            utf16,
        );
        assert_eq!(edits.len(), 1);
        assert!(
            edits[0].new_text.starts_with("repo app {"),
            "{}",
            edits[0].new_text
        );
    }
}
