//! The symbol index: every declaration and every reference to one, for go-to-definition,
//! find-references, rename, hover and the outline.

use pipec_span::Span;

/// A declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    /// `repo`, `build`, …, `param`, `let`, `output`, `preset`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The name's span (what rename edits).
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// One line for hover.
    pub detail: String,
    /// For a deploy that lowered, the keyword of its target (`ec2`, `s3`): what a reference
    /// can read from it depends on it (`schema::exports`).
    pub target: Option<&'static str>,
}

/// A use of a declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The span of the name segment (what rename edits).
    pub span: Span,
    /// The span of the whole path (`repo.app.arn`).
    pub path_span: Span,
    /// Index into `SymbolIndex::definitions`.
    pub target: usize,
}

/// Every definition and reference of a program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymbolIndex {
    /// Declarations.
    pub definitions: Vec<Definition>,
    /// References.
    pub references: Vec<Reference>,
}

impl SymbolIndex {
    /// The definition whose name or a reference to it covers `offset` in `file`.
    #[must_use]
    pub fn definition_at(&self, file: pipec_span::FileId, offset: usize) -> Option<usize> {
        if let Some(reference) = self
            .references
            .iter()
            .find(|reference| reference.span.file == file && reference.span.contains(offset))
        {
            return Some(reference.target);
        }
        self.definitions.iter().position(|definition| {
            definition.name_span.file == file && definition.name_span.contains(offset)
        })
    }

    /// Records a declaration; returns its index.
    pub(crate) fn define(
        &mut self,
        kind: &str,
        name: &str,
        name_span: Span,
        span: Span,
        detail: String,
    ) -> usize {
        self.definitions.push(Definition {
            kind: kind.to_string(),
            name: name.to_string(),
            name_span,
            span,
            detail,
            target: None,
        });
        self.definitions.len() - 1
    }

    /// Records that the deploy of definition `definition` goes to `target`.
    pub(crate) fn set_target(&mut self, definition: usize, target: &'static str) {
        if let Some(found) = self.definitions.get_mut(definition) {
            found.target = Some(target);
        }
    }

    /// Records a use of definition `target`.
    pub(crate) fn reference(&mut self, span: Span, path_span: Span, target: usize) {
        self.references.push(Reference {
            span,
            path_span,
            target,
        });
    }

    /// Every reference to definition `target`.
    pub fn references_to(&self, target: usize) -> impl Iterator<Item = &Reference> + '_ {
        self.references
            .iter()
            .filter(move |reference| reference.target == target)
    }
}
