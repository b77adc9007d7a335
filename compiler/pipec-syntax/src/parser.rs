//! The reference parser: pest over `grammar/pipe.pest`, its syntax diagnostics, and the
//! pairs → AST conversion. `recover.rs` decides which parts of a file reach it.

use pest::error::InputLocation;
use pest::iterators::Pair;
use pest::Parser as _;
use pipec_diagnostics::{Code, Diagnostic};
use pipec_span::{FileId, Span};

use crate::ast::{
    Attr, Block, Body, Clause, Decl, Expr, ExprKind, Ident, Item, ItemKind, Label, Statement,
    StrPart,
};
use crate::scan::unclosed_brace;
use crate::strings::{dedent, push_source_text, push_text};

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/pipe.pest"]
struct PipeParser;

pub(crate) type SegmentError = Box<(usize, pest::error::Error<Rule>)>;

pub(crate) fn parse_segment(
    file: FileId,
    text: &str,
    start: usize,
    end: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<Item>, SegmentError> {
    let segment = &text[start..end];
    // Bound the work of backtracking on broken input: generous for any real file.
    let limit = std::num::NonZeroUsize::new(segment.len().saturating_mul(400).max(100_000));
    pest::set_call_limit(limit);
    let result = PipeParser::parse(Rule::file, segment);
    pest::set_call_limit(None);
    match result {
        Ok(mut pairs) => {
            let mut lower = Lower {
                file,
                offset: start,
                diagnostics,
            };
            let items = pairs
                .next()
                .map(|file_pair| {
                    file_pair
                        .into_inner()
                        .filter(|pair| pair.as_rule() == Rule::item)
                        .map(|pair| lower.item(pair))
                        .collect()
                })
                .unwrap_or_default();
            Ok(items)
        }
        Err(error) => {
            let position = match error.location {
                InputLocation::Pos(position) => position,
                InputLocation::Span((position, _)) => position,
            };
            Err(Box::new((start + position, error)))
        }
    }
}

pub(crate) fn syntax_diagnostic(
    file: FileId,
    text: &str,
    start: usize,
    position: usize,
    error: &pest::error::Error<Rule>,
) -> Diagnostic {
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&'static str> = positives
                .iter()
                .filter_map(|rule| rule_name(*rule))
                .collect();
            names.sort_unstable();
            names.dedup();
            names
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let found = describe_found(&text[position.min(text.len())..]);
    let message = if error.variant.message().contains("call limit") {
        "the parser gave up on this input (too much backtracking)".to_string()
    } else if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };
    let end = (position + found_len(&text[position.min(text.len())..])).min(text.len());
    let mut diag = Diagnostic::error(Code::SYNTAX_ERROR, message)
        .primary(Span::new(file, position, end), "here");
    if found == "end of file" {
        if let Some(open) = unclosed_brace(text, start, position) {
            diag = diag.secondary(Span::new(file, open, open + 1), "this `{` is not closed");
        }
    }
    if expected.contains(&"`=`") && !expected.contains(&"`{`") {
        diag = diag.help("attributes are written `name = value`");
    } else if found == "end of file" {
        diag = diag.help("a `{`, `[`, `(` or `\"` is not closed");
    } else {
        diag = diag.help("see docs/language.md for the syntax of blocks, attributes and values");
    }
    diag
}

fn rule_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident | Rule::path => "a name",
        Rule::kw_statement => "a statement",
        Rule::kw_clause => "`on`, `when`, `sid` or `as`",
        Rule::boolean
        | Rule::number
        | Rule::string
        | Rule::expr
        | Rule::list
        | Rule::object
        | Rule::call
        | Rule::apply => "a value",
        Rule::equals => "`=`",
        Rule::arrow => "`->`",
        Rule::lbrace | Rule::body => "`{`",
        Rule::rbrace => "`}`",
        Rule::item | Rule::statement | Rule::decl | Rule::block | Rule::attr | Rule::expr_item => {
            "an item"
        }
        Rule::label | Rule::key => "a name or string",
        Rule::EOI => "end of file",
        Rule::plain_text | Rule::triple_text | Rule::escape | Rule::interpolation => "string text",
        _ => return None,
    })
}

fn join_or(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn describe_found(rest: &str) -> String {
    let Some(ch) = rest.chars().next() else {
        return "end of file".to_string();
    };
    if ch.is_alphanumeric() || ch == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        format!("`{word}`")
    } else if ch.is_whitespace() {
        "white space".to_string()
    } else {
        format!("`{ch}`")
    }
}

fn found_len(rest: &str) -> usize {
    let Some(ch) = rest.chars().next() else {
        return 0;
    };
    if ch.is_alphanumeric() || ch == '_' {
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .map(char::len_utf8)
            .sum()
    } else {
        ch.len_utf8()
    }
}

struct Lower<'d> {
    file: FileId,
    offset: usize,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Lower<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        Span::new(
            self.file,
            self.offset + span.start(),
            self.offset + span.end(),
        )
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Item {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return Item {
                kind: ItemKind::Expr(
                    Expr {
                        kind: ExprKind::Error,
                        span: span.clone(),
                    },
                    None,
                ),
                span,
            };
        };
        let kind = match inner.as_rule() {
            Rule::statement => {
                let mut parts = inner.into_inner();
                let keyword = parts.next().map(|pair| self.ident(&pair));
                let argument = parts.next().map(|pair| self.expr(pair));
                let clauses = parts
                    .map(|clause| {
                        let mut parts = clause.into_inner();
                        let keyword = parts.next().map(|pair| self.ident(&pair));
                        let value = parts.next().map(|pair| self.expr(pair));
                        Clause {
                            keyword: keyword.unwrap_or_else(|| self.missing_ident(&span)),
                            value: value.unwrap_or_else(|| error_expr(&span)),
                        }
                    })
                    .collect();
                ItemKind::Statement(Statement {
                    keyword: keyword.unwrap_or_else(|| self.missing_ident(&span)),
                    argument: argument.unwrap_or_else(|| error_expr(&span)),
                    clauses,
                })
            }
            Rule::decl => {
                let mut keyword = None;
                let mut labels = Vec::new();
                let mut value = None;
                for part in inner.into_inner() {
                    match part.as_rule() {
                        Rule::ident => keyword = Some(self.ident(&part)),
                        Rule::label => labels.push(self.label(part)),
                        Rule::expr => value = Some(self.expr(part)),
                        _ => {}
                    }
                }
                ItemKind::Decl(Decl {
                    keyword: keyword.unwrap_or_else(|| self.missing_ident(&span)),
                    labels,
                    value: value.unwrap_or_else(|| error_expr(&span)),
                })
            }
            Rule::block => {
                let mut keyword = None;
                let mut labels = Vec::new();
                let mut body = None;
                for part in inner.into_inner() {
                    match part.as_rule() {
                        Rule::ident => keyword = Some(self.ident(&part)),
                        Rule::label => labels.push(self.label(part)),
                        Rule::body => body = Some(self.body(part)),
                        _ => {}
                    }
                }
                ItemKind::Block(Block {
                    keyword: keyword.unwrap_or_else(|| self.missing_ident(&span)),
                    labels,
                    body: body.unwrap_or_else(|| Body {
                        items: Vec::new(),
                        span: span.clone(),
                    }),
                })
            }
            Rule::attr => {
                let mut key = None;
                let mut value = None;
                for part in inner.into_inner() {
                    match part.as_rule() {
                        Rule::key => key = Some(self.label(part)),
                        Rule::expr => value = Some(self.expr(part)),
                        _ => {}
                    }
                }
                ItemKind::Attr(Attr {
                    key: key.unwrap_or_else(|| Label {
                        text: String::new(),
                        span: span.clone(),
                        quoted: false,
                    }),
                    value: value.unwrap_or_else(|| error_expr(&span)),
                })
            }
            _ => {
                let mut exprs = inner
                    .into_inner()
                    .filter(|part| part.as_rule() == Rule::expr);
                let first = exprs
                    .next()
                    .map_or_else(|| error_expr(&span), |pair| self.expr(pair));
                let second = exprs.next().map(|pair| self.expr(pair));
                ItemKind::Expr(first, second)
            }
        };
        // pest includes the white space (and comments) skipped before a failed optional
        // repetition in the span; the item really ends where its last part ends.
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
        let span = if end > span.start() && end <= span.end() {
            Span::new(span.file, span.start(), end)
        } else {
            span
        };
        Item { kind, span }
    }

    fn missing_ident(&self, span: &Span) -> Ident {
        Ident {
            name: String::new(),
            span: span.clone(),
        }
    }

    fn label(&mut self, pair: Pair<'_, Rule>) -> Label {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return Label {
                text: String::new(),
                span,
                quoted: false,
            };
        };
        if inner.as_rule() == Rule::string {
            let expr = self.string(inner);
            let text = match &expr.kind {
                ExprKind::Str(parts) => parts
                    .iter()
                    .map(|part| match part {
                        StrPart::Text(text) => text.clone(),
                        StrPart::Interp(_) => String::new(),
                    })
                    .collect(),
                _ => String::new(),
            };
            if matches!(&expr.kind, ExprKind::Str(parts) if parts.iter().any(|part| matches!(part, StrPart::Interp(_))))
            {
                self.diagnostics.push(
                    Diagnostic::error(Code::INVALID_VALUE, "a label or key cannot be interpolated")
                        .primary(span.clone(), "interpolation not allowed here")
                        .help("write the name literally"),
                );
            }
            Label {
                text,
                span,
                quoted: true,
            }
        } else {
            Label {
                text: inner.as_str().to_string(),
                span,
                quoted: false,
            }
        }
    }

    fn body(&mut self, pair: Pair<'_, Rule>) -> Body {
        let span = self.span(&pair);
        let items = pair
            .into_inner()
            .filter(|part| part.as_rule() == Rule::item)
            .map(|part| self.item(part))
            .collect();
        Body { items, span }
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let pair = if pair.as_rule() == Rule::expr {
            match pair.into_inner().next() {
                Some(inner) => inner,
                None => return error_expr(&span),
            }
        } else {
            pair
        };
        let kind = match pair.as_rule() {
            Rule::string => return self.string(pair),
            Rule::number => self.number(&pair, &span),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::path => ExprKind::Path(pair.into_inner().map(|part| self.ident(&part)).collect()),
            Rule::list => ExprKind::List(pair.into_inner().map(|part| self.expr(part)).collect()),
            Rule::object => match pair.into_inner().next() {
                Some(body) => ExprKind::Object(self.body(body)),
                None => ExprKind::Error,
            },
            Rule::call => {
                let mut parts = pair.into_inner();
                let name = parts
                    .next()
                    .map_or_else(|| self.missing_ident(&span), |part| self.ident(&part));
                ExprKind::Call(name, parts.map(|part| self.expr(part)).collect())
            }
            Rule::apply => {
                let mut path = Vec::new();
                let mut body = None;
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::path => {
                            path = part
                                .into_inner()
                                .map(|segment| self.ident(&segment))
                                .collect()
                        }
                        Rule::body => body = Some(self.body(part)),
                        _ => {}
                    }
                }
                match body {
                    Some(body) => ExprKind::Apply(path, body),
                    None => ExprKind::Path(path),
                }
            }
            _ => ExprKind::Error,
        };
        Expr { kind, span }
    }

    fn number(&mut self, pair: &Pair<'_, Rule>, span: &Span) -> ExprKind {
        let text = pair.as_str();
        if text.contains('.') {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::INVALID_NUMBER,
                    format!("`{text}` is not a whole number"),
                )
                .primary(span.clone(), "fractions are not allowed")
                .help("write a whole number, or a string if this is a version like \"3.12\""),
            );
            return ExprKind::Error;
        }
        if let Ok(value) = text.parse::<i64>() {
            ExprKind::Int(value)
        } else {
            self.diagnostics.push(
                Diagnostic::error(Code::INVALID_NUMBER, format!("`{text}` is too large"))
                    .primary(span.clone(), "does not fit in 64 bits")
                    .help("write a number between -9223372036854775808 and 9223372036854775807"),
            );
            ExprKind::Error
        }
    }

    fn string(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return error_expr(&span);
        };
        let triple = inner.as_rule() == Rule::triple_string;
        let mut parts: Vec<StrPart> = Vec::new();
        for part in inner.into_inner() {
            match part.as_rule() {
                Rule::plain_text | Rule::triple_text => {
                    push_source_text(&mut parts, part.as_str());
                }
                Rule::escape => {
                    let escaped = &part.as_str()[1..];
                    let value = match escaped {
                        "n" => Some("\n"),
                        "t" => Some("\t"),
                        "r" => Some("\r"),
                        "\"" => Some("\""),
                        "\\" => Some("\\"),
                        "$" => Some("$"),
                        _ => None,
                    };
                    match value {
                        Some(value) => push_text(&mut parts, value),
                        None => {
                            let escape_span = self.span(&part);
                            self.diagnostics.push(
                                Diagnostic::error(Code::INVALID_ESCAPE, format!("unknown escape `{}`", part.as_str()))
                                    .primary(escape_span, "not an escape")
                                    .help("use \\n, \\t, \\r, \\\", \\\\ or \\$, or write `\\\\` for a backslash"),
                            );
                        }
                    }
                }
                Rule::interpolation => {
                    let expr = part
                        .into_inner()
                        .next()
                        .map_or_else(|| error_expr(&span), |inner| self.expr(inner));
                    parts.push(StrPart::Interp(expr));
                }
                _ => {}
            }
        }
        if triple {
            dedent(&mut parts);
        }
        Expr {
            kind: ExprKind::Str(parts),
            span,
        }
    }
}

fn error_expr(span: &Span) -> Expr {
    Expr {
        kind: ExprKind::Error,
        span: span.clone(),
    }
}

#[cfg(test)]
mod tests;
