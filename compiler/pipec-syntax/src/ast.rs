//! The AST: a faithful, generic tree of what was written. It knows nothing of block kinds or
//! attribute schemas; pipec-sema gives it meaning.

use pipec_span::Span;

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A parsed file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
    /// The whole file.
    pub span: Span,
}

/// One entry of a file or body.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// The whole item.
    pub span: Span,
}

/// The forms an item can take.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `kind label… { … }`.
    Block(Block),
    /// `kind label… = value`.
    Decl(Decl),
    /// `key = value`.
    Attr(Attr),
    /// `run "…"`, `allow … on …`, `use …`.
    Statement(Statement),
    /// A bare value, optionally `-> destination`.
    Expr(Expr, Option<Expr>),
}

/// A block label or attribute key: an identifier or a string.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// The label's value (string escapes resolved, no interpolation).
    pub text: String,
    /// Where it is.
    pub span: Span,
    /// True when written as a string.
    pub quoted: bool,
}

/// `kind label… { … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// The first word.
    pub keyword: Ident,
    /// The labels after it.
    pub labels: Vec<Label>,
    /// The body.
    pub body: Body,
}

/// `kind label… = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    /// The first word.
    pub keyword: Ident,
    /// The labels (at least one).
    pub labels: Vec<Label>,
    /// The value.
    pub value: Expr,
}

/// `key = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    /// The key.
    pub key: Label,
    /// The value.
    pub value: Expr,
}

/// A statement keyword, its argument and its clauses.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// `run`, `allow`, `deny` or `use`.
    pub keyword: Ident,
    /// The first argument.
    pub argument: Expr,
    /// `on …`, `when …`, `sid …`, `as …`.
    pub clauses: Vec<Clause>,
}

/// A clause of a statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    /// `on`, `when`, `sid` or `as`.
    pub keyword: Ident,
    /// Its value.
    pub value: Expr,
}

/// `{ item… }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    /// The items.
    pub items: Vec<Item>,
    /// From `{` to `}`.
    pub span: Span,
}

/// A value.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The forms of a value.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A string, possibly interpolated.
    Str(Vec<StrPart>),
    /// A whole number.
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{ k = v }`.
    Object(Body),
    /// `a.b.c`.
    Path(Vec<Ident>),
    /// `f(x, y)`.
    Call(Ident, Vec<Expr>),
    /// `a.b { … }`.
    Apply(Vec<Ident>, Body),
    /// A value that failed to parse (already reported).
    Error,
}

/// A piece of a string.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Literal text, escapes resolved.
    Text(String),
    /// `${ expr }`.
    Interp(Expr),
}

impl Expr {
    /// The string's text when it has no interpolation.
    #[must_use]
    pub fn as_plain_str(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Str(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        StrPart::Text(text) => out.push_str(text),
                        StrPart::Interp(_) => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The dotted path's segments, if this is a path.
    #[must_use]
    pub fn as_path(&self) -> Option<&[Ident]> {
        match &self.kind {
            ExprKind::Path(segments) => Some(segments),
            _ => None,
        }
    }
}

impl Item {
    /// The block, if this item is one.
    #[must_use]
    pub fn as_block(&self) -> Option<&Block> {
        match &self.kind {
            ItemKind::Block(block) => Some(block),
            _ => None,
        }
    }
}
