//! A hand-written recursive-descent parser for the common case: a file that parses without any
//! diagnostic. It builds exactly the AST the pest grammar and `Lower` build (same items, same
//! spans, same string processing) about ten times faster, because pest pays for error tracking
//! and a native-stack probe on every rule call.
//!
//! It never reports anything: on the first thing it does not accept (a syntax error, a fraction,
//! an unknown escape, an interpolated label, or any input where the grammar's ordered choice
//! would backtrack past a failed alternative) it gives up and `parse_file` runs pest, which
//! stays the reference for errors and recovery. The differential tests (`tests/robustness.rs`)
//! and the fuzz target compare both parsers on every input they try.
//!
//! Each function mirrors one rule of `grammar/pipe.pest`, with the grammar's ordered choices in
//! the same order. Nesting is bounded beforehand by `MAX_DEPTH`, so recursion is too.

use pipec_span::{FileId, Span};

use crate::ast::{
    Attr, Block, Body, Clause, Decl, Expr, ExprKind, Ident, Item, ItemKind, Label, Statement,
    StrPart,
};
use crate::strings::{dedent, push_source_text, push_text};

/// Gives up: the input needs the reference parser.
struct GiveUp;

type Parsed<T> = Result<T, GiveUp>;

/// Parses a whole file, or `None` when pest must decide.
pub(crate) fn parse(file: FileId, text: &str) -> Option<Vec<Item>> {
    let mut parser = Fast {
        file,
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    parser.file().ok()
}

/// Parses `text[start..end]` as a whole file (spans stay offsets of `text`), or `None`.
pub(crate) fn parse_range(file: FileId, text: &str, start: usize, end: usize) -> Option<Vec<Item>> {
    let text = text.get(..end)?;
    text.get(start..)?;
    let mut parser = Fast {
        file,
        text,
        bytes: text.as_bytes(),
        pos: start,
    };
    parser.file().ok()
}

struct Fast<'t> {
    file: FileId,
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_ident_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

impl Fast<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at(&self, literal: &str) -> bool {
        self.bytes[self.pos..].starts_with(literal.as_bytes())
    }

    /// `WHITESPACE*`: blanks, a byte-order mark, line and block comments.
    fn skip(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\n' | b'\t' | b'\r') => self.pos += 1,
                Some(b'/') if self.at("//") => {
                    self.pos = self.bytes[self.pos..]
                        .iter()
                        .position(|byte| *byte == b'\n')
                        .map_or(self.bytes.len(), |offset| self.pos + offset);
                }
                Some(b'/') if self.at("/*") => {
                    match self.text[self.pos + 2..].find("*/") {
                        Some(offset) => self.pos += 2 + offset + 2,
                        // Unterminated: not white space; whatever comes next fails.
                        None => return,
                    }
                }
                Some(0xEF) if self.at("\u{FEFF}") => self.pos += 3,
                _ => return,
            }
        }
    }

    /// `file = { SOI ~ (item ~ ","?)* ~ EOI }`
    fn file(&mut self) -> Parsed<Vec<Item>> {
        let items = self.items()?;
        self.skip();
        if self.pos == self.bytes.len() {
            Ok(items)
        } else {
            Err(GiveUp)
        }
    }

    /// `(item ~ ","?)*`, stopping before `}` or the end of the input.
    fn items(&mut self) -> Parsed<Vec<Item>> {
        let mut items = Vec::new();
        loop {
            self.skip();
            match self.peek() {
                None | Some(b'}') => return Ok(items),
                _ => items.push(self.item()?),
            }
            self.skip();
            if self.peek() == Some(b',') {
                self.pos += 1;
            }
        }
    }

    /// `ident`: a letter or `_`, then letters, digits and `_`.
    fn ident(&mut self) -> Parsed<Ident> {
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return Err(GiveUp);
        }
        self.pos += 1;
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        Ok(Ident {
            name: self.text[start..self.pos].to_string(),
            span: self.span(start, self.pos),
        })
    }

    /// `item = { attr | statement | decl | block | expr_item }`
    fn item(&mut self) -> Parsed<Item> {
        let start = self.pos;
        let kind = match self.peek() {
            Some(byte) if is_ident_start(byte) => self.item_from_ident()?,
            Some(b'"') => {
                let string = self.string()?;
                let after = self.pos;
                self.skip();
                if self.peek() == Some(b'=') {
                    self.pos += 1;
                    let key = string_label(string)?;
                    self.skip();
                    let value = self.expr()?;
                    ItemKind::Attr(Attr { key, value })
                } else {
                    self.pos = after;
                    self.expr_item_after(string)?
                }
            }
            _ => {
                let expr = self.expr()?;
                self.expr_item_after(expr)?
            }
        };
        let end = match &kind {
            ItemKind::Block(block) => block.body.span.end(),
            ItemKind::Decl(decl) => decl.value.span.end(),
            ItemKind::Attr(attr) => attr.value.span.end(),
            ItemKind::Statement(statement) => statement
                .clauses
                .last()
                .map_or(statement.argument.span.end(), |clause| {
                    clause.value.span.end()
                }),
            ItemKind::Expr(expr, target) => target.as_ref().unwrap_or(expr).span.end(),
        };
        Ok(Item {
            kind,
            span: self.span(start, end),
        })
    }

    /// An item that starts with a name: an attribute, a statement, a declaration, a block, or
    /// a value (a reference, a call, a preset applied to a body).
    fn item_from_ident(&mut self) -> Parsed<ItemKind> {
        let start = self.pos;
        let keyword = self.ident()?;
        self.skip();
        // attr = { key ~ equals ~ expr }
        if self.peek() == Some(b'=') {
            self.pos += 1;
            self.skip();
            let value = self.expr()?;
            return Ok(ItemKind::Attr(Attr {
                key: Label {
                    text: keyword.name,
                    span: keyword.span,
                    quoted: false,
                },
                value,
            }));
        }
        // statement = { kw_statement ~ expr ~ clause* } (the name is whole: no ident char follows)
        if matches!(keyword.name.as_str(), "run" | "allow" | "deny" | "use") {
            let argument = self.expr()?;
            let mut clauses = Vec::new();
            loop {
                let before = self.pos;
                self.skip();
                if !self.peek().is_some_and(is_ident_start) {
                    self.pos = before;
                    break;
                }
                let clause_keyword = self.ident()?;
                if !matches!(clause_keyword.name.as_str(), "on" | "when" | "sid" | "as") {
                    self.pos = before;
                    break;
                }
                self.skip();
                let value = self.expr()?;
                clauses.push(Clause {
                    keyword: clause_keyword,
                    value,
                });
            }
            return Ok(ItemKind::Statement(Statement {
                keyword,
                argument,
                clauses,
            }));
        }
        // decl = { ident ~ label+ ~ equals ~ expr }, block = { ident ~ label* ~ body }
        let mut labels = Vec::new();
        loop {
            match self.peek() {
                Some(byte) if is_ident_start(byte) => {
                    let ident = self.ident()?;
                    labels.push(Label {
                        text: ident.name,
                        span: ident.span,
                        quoted: false,
                    });
                }
                Some(b'"') => {
                    let string = self.string()?;
                    labels.push(string_label(string)?);
                }
                _ => break,
            }
            self.skip();
        }
        match self.peek() {
            Some(b'=') if !labels.is_empty() => {
                self.pos += 1;
                self.skip();
                let value = self.expr()?;
                Ok(ItemKind::Decl(Decl {
                    keyword,
                    labels,
                    value,
                }))
            }
            Some(b'{') => {
                let body = self.body()?;
                Ok(ItemKind::Block(Block {
                    keyword,
                    labels,
                    body,
                }))
            }
            _ if labels.is_empty() => {
                // expr_item = { expr ~ (arrow ~ expr)? }: parse the value from its start.
                self.pos = start;
                let expr = self.expr()?;
                self.expr_item_after(expr)
            }
            _ => Err(GiveUp),
        }
    }

    /// The optional `-> target` of an `expr_item`, after its first value.
    fn expr_item_after(&mut self, expr: Expr) -> Parsed<ItemKind> {
        let before = self.pos;
        self.skip();
        if self.at("->") {
            self.pos += 2;
            self.skip();
            let target = self.expr()?;
            Ok(ItemKind::Expr(expr, Some(target)))
        } else {
            self.pos = before;
            Ok(ItemKind::Expr(expr, None))
        }
    }

    /// `body = { lbrace ~ (item ~ ","?)* ~ rbrace }`
    fn body(&mut self) -> Parsed<Body> {
        let start = self.pos;
        if self.peek() != Some(b'{') {
            return Err(GiveUp);
        }
        self.pos += 1;
        let items = self.items()?;
        if self.peek() != Some(b'}') {
            return Err(GiveUp);
        }
        self.pos += 1;
        Ok(Body {
            items,
            span: self.span(start, self.pos),
        })
    }

    /// `expr = { string | list | object | number | apply | call | boolean | path }`
    fn expr(&mut self) -> Parsed<Expr> {
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'"') => return self.string(),
            Some(b'[') => {
                self.pos += 1;
                ExprKind::List(self.values(b']')?)
            }
            Some(b'{') => ExprKind::Object(self.body()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(byte) if is_ident_start(byte) => return self.expr_from_ident(),
            _ => return Err(GiveUp),
        };
        Ok(Expr {
            kind,
            span: self.span(start, self.pos),
        })
    }

    /// `(expr ~ ("," ~ expr)* ~ ","?)? ~ close`, after the opening bracket.
    fn values(&mut self, close: u8) -> Parsed<Vec<Expr>> {
        let mut values = Vec::new();
        self.skip();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(values);
        }
        values.push(self.expr()?);
        loop {
            self.skip();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip();
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        return Ok(values);
                    }
                    values.push(self.expr()?);
                }
                Some(byte) if byte == close => {
                    self.pos += 1;
                    return Ok(values);
                }
                _ => return Err(GiveUp),
            }
        }
    }

    /// `number = @{ "-"? ~ ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)? ~ !ident_char }`, whole numbers
    /// that fit in 64 bits only (anything else is reported, by the reference parser).
    fn number(&mut self) -> Parsed<ExprKind> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits
            || (self.peek() == Some(b'.')
                && self.bytes.get(self.pos + 1).is_some_and(u8::is_ascii_digit))
            || self.peek().is_some_and(is_ident_char)
        {
            return Err(GiveUp);
        }
        self.text[start..self.pos]
            .parse::<i64>()
            .map(ExprKind::Int)
            .map_err(|_| GiveUp)
    }

    /// `apply | call | boolean | path`, in that order, for a value that starts with a name.
    fn expr_from_ident(&mut self) -> Parsed<Expr> {
        let start = self.pos;
        // path = ${ ident ~ ("." ~ ident)* }
        let mut path = vec![self.ident()?];
        while self.peek() == Some(b'.')
            && self
                .bytes
                .get(self.pos + 1)
                .is_some_and(|b| is_ident_start(*b))
        {
            self.pos += 1;
            path.push(self.ident()?);
        }
        let path_end = self.pos;
        // apply = { path ~ body }
        self.skip();
        if self.peek() == Some(b'{') {
            let body = self.body()?;
            return Ok(Expr {
                kind: ExprKind::Apply(path, body),
                span: self.span(start, self.pos),
            });
        }
        // call = { ident ~ "(" ~ (expr ~ ("," ~ expr)* ~ ","?)? ~ ")" }
        if path.len() == 1 && self.peek() == Some(b'(') {
            self.pos += 1;
            let arguments = self.values(b')')?;
            let name = path.pop().ok_or(GiveUp)?;
            return Ok(Expr {
                kind: ExprKind::Call(name, arguments),
                span: self.span(start, self.pos),
            });
        }
        self.pos = path_end;
        // boolean = @{ ("true" | "false") ~ !ident_char }: only the first name counts.
        let first = &path[0];
        if first.name == "true" || first.name == "false" {
            self.pos = first.span.end();
            return Ok(Expr {
                kind: ExprKind::Bool(first.name == "true"),
                span: first.span.clone(),
            });
        }
        Ok(Expr {
            kind: ExprKind::Path(path),
            span: self.span(start, path_end),
        })
    }

    /// `string = ${ triple_string | plain_string }`, with escapes decoded, interpolations
    /// parsed, and triple-quoted text dedented.
    fn string(&mut self) -> Parsed<Expr> {
        let start = self.pos;
        let triple = self.at("\"\"\"");
        let (open, close) = if triple { (3, "\"\"\"") } else { (1, "\"") };
        self.pos += open;
        let mut parts: Vec<StrPart> = Vec::new();
        loop {
            let rest = &self.bytes[self.pos..];
            if rest.is_empty() {
                return Err(GiveUp);
            }
            if rest.starts_with(close.as_bytes()) {
                self.pos += close.len();
                break;
            }
            if rest.starts_with(b"${") {
                self.pos += 2;
                self.skip();
                let expr = self.expr()?;
                self.skip();
                if self.peek() != Some(b'}') {
                    return Err(GiveUp);
                }
                self.pos += 1;
                parts.push(StrPart::Interp(expr));
                continue;
            }
            if rest[0] == b'\\' {
                let value = match rest.get(1) {
                    Some(b'n') => "\n",
                    Some(b't') => "\t",
                    Some(b'r') => "\r",
                    Some(b'"') => "\"",
                    Some(b'\\') => "\\",
                    Some(b'$') => "$",
                    // Unknown escapes are reported by the reference parser.
                    _ => return Err(GiveUp),
                };
                push_text(&mut parts, value);
                self.pos += 2;
                continue;
            }
            // Text up to the next quote (closing, for triple strings), backslash or `${`.
            let text_start = self.pos;
            self.pos += 1;
            while let Some(&byte) = self.bytes.get(self.pos) {
                let stop = match byte {
                    b'"' => !triple || self.at(close),
                    b'\\' => true,
                    b'$' => self.bytes.get(self.pos + 1) == Some(&b'{'),
                    _ => false,
                };
                if stop {
                    break;
                }
                self.pos += 1;
            }
            push_source_text(&mut parts, &self.text[text_start..self.pos]);
        }
        if triple {
            dedent(&mut parts);
        }
        Ok(Expr {
            kind: ExprKind::Str(parts),
            span: self.span(start, self.pos),
        })
    }
}

/// A quoted label or key: its text, which may not interpolate.
fn string_label(string: Expr) -> Parsed<Label> {
    let ExprKind::Str(parts) = string.kind else {
        return Err(GiveUp);
    };
    let mut text = String::new();
    for part in parts {
        match part {
            StrPart::Text(part) => text.push_str(&part),
            StrPart::Interp(_) => return Err(GiveUp),
        }
    }
    Ok(Label {
        text,
        span: string.span,
        quoted: true,
    })
}

#[cfg(test)]
// The tests read the repository's .pipe files; the parser itself does no IO.
#[allow(clippy::disallowed_methods)]
mod tests {
    use std::path::Path;

    use super::parse;
    use pipec_span::FileId;

    /// Every clean file of the repository takes the fast path (so the speed-up is real); the
    /// agreement with pest is tested in tests/tests/robustness.rs.
    #[test]
    fn clean_files_take_the_fast_path() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut checked = 0;
        for dir in [
            "examples/seed-ec2",
            "examples/seed-s3-site",
            "stdlib",
            "stdlib/hooks",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                if path.extension().is_some_and(|ext| ext == "pipe") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    assert!(
                        parse(FileId(0), &text).is_some(),
                        "{} does not take the fast path",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked >= 5, "found only {checked} files");
    }

    #[test]
    fn gives_up_on_what_pest_must_report() {
        for text in [
            "a = 1.5",
            "a = \"\\q\"",
            "hook x \"${y}\" { }",
            "a = 99999999999999999999",
            "a = {",
            "a b",
        ] {
            assert!(parse(FileId(0), text).is_none(), "{text}");
        }
    }
}
