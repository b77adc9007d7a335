//! The canonical formatter: AST + comments → text. Idempotent, keeps every comment; where a
//! comment sits somewhere the layout cannot place it (inside an attribute's value), the item is
//! kept exactly as written rather than losing the comment.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::ast::{Body, Expr, ExprKind, File, Item, ItemKind, Label};
use crate::comments::Comment;

const WIDTH: usize = 100;
const INDENT: &str = "  ";

/// Formats a file that parsed without errors.
///
/// The file keeps its line endings (CRLF when its first line break is CRLF, LF otherwise; a
/// mixed file gets the first one throughout) and its byte-order mark. Time is linear in the
/// size of the file times its nesting depth: each body and list is laid out on one line at
/// most once (`Memo`), however deep it sits.
#[must_use]
pub fn format_file(text: &str, file: &File, comments: &[Comment]) -> String {
    let memo = Memo::default();
    let mut printer = Printer {
        text,
        comments,
        next_comment: 0,
        out: String::new(),
        memo: &memo,
        flat: false,
    };
    printer.items(&file.items, 0, text.len(), true);
    let mut out = printer.out.trim_end().to_string();
    out.push('\n');
    if out.trim().is_empty() {
        out.clear();
    }
    // Comments and strings are copied from the source with its line breaks: make them all one.
    if out.contains('\r') {
        out = out.replace("\r\n", "\n");
    }
    if crlf(text) {
        out = out.replace('\n', "\r\n");
    }
    if text.starts_with('\u{FEFF}') {
        out.insert(0, '\u{FEFF}');
    }
    out
}

/// Whether the first line break of `text` is CRLF.
fn crlf(text: &str) -> bool {
    text.find('\n')
        .is_some_and(|index| index > 0 && text.as_bytes()[index - 1] == b'\r')
}

/// One-line layouts already computed, by the source span of the body or list: a node's
/// one-line form does not depend on where it is printed, so it is built once.
#[derive(Default)]
struct Memo {
    bodies: RefCell<HashMap<(usize, usize), Option<String>>>,
    lists: RefCell<HashMap<(usize, usize), String>>,
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    memo: &'a Memo,
    /// Laying out a one-line form: give up (print a line break) as soon as a part does not fit
    /// on one line, instead of laying it out over several lines only to discard it.
    flat: bool,
}

impl Printer<'_> {
    fn slice(&self, start: usize, end: usize) -> &str {
        self.text.get(start..end).unwrap_or("")
    }

    fn blank_line_between(&self, start: usize, end: usize) -> bool {
        self.slice(start, end).matches('\n').count() >= 2
    }

    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str(INDENT);
        }
    }

    fn column(&self) -> usize {
        self.out.len() - self.out.rfind('\n').map_or(0, |index| index + 1)
    }

    /// Prints comments that start before `limit` on lines of their own.
    fn leading_comments(
        &mut self,
        level: usize,
        limit: usize,
        previous_end: &mut usize,
        first: &mut bool,
    ) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.span.start() >= limit {
                break;
            }
            if !*first && self.blank_line_between(*previous_end, comment.span.start()) {
                self.out.push('\n');
            }
            self.indent(level);
            let body = self
                .slice(comment.span.start(), comment.span.end())
                .to_string();
            self.out.push_str(&body);
            self.out.push('\n');
            *previous_end = comment.span.end();
            *first = false;
            self.next_comment += 1;
        }
    }

    /// Prints a comment that follows `after` on the same line; returns where it ends.
    fn trailing_comment(&mut self, after: usize) -> Option<usize> {
        let comment = self.comments.get(self.next_comment)?;
        let gap = self.slice(after, comment.span.start());
        if comment.own_line || gap.contains('\n') {
            return None;
        }
        let body = self
            .slice(comment.span.start(), comment.span.end())
            .to_string();
        self.out.push(' ');
        self.out.push_str(&body);
        self.next_comment += 1;
        Some(comment.span.end())
    }

    fn items(&mut self, items: &[Item], level: usize, end: usize, top: bool) {
        let mut previous_end = if top { 0 } else { usize::MAX };
        let mut first = true;
        for (index, item) in items.iter().enumerate() {
            if previous_end == usize::MAX {
                previous_end = item.span.start();
            }
            self.leading_comments(level, item.span.start(), &mut previous_end, &mut first);
            if !first && self.blank_line_between(previous_end, item.span.start()) {
                self.out.push('\n');
            }
            self.indent(level);
            self.item(item, level);
            if items
                .get(index + 1)
                .is_some_and(|next| is_bare_name(item) || is_bare_object(next))
            {
                // `a` followed by `b = 1` on the next line would read as the declaration
                // `a b = 1`, and `x = a` followed by `{ … }` as `x = a { … }`: the comma keeps
                // them apart.
                self.out.push(',');
            }
            // A trailing block comment may span lines: blank lines are counted after it.
            previous_end = self
                .trailing_comment(item.span.end())
                .unwrap_or(item.span.end());
            self.out.push('\n');
            first = false;
        }
        if previous_end == usize::MAX {
            previous_end = end;
        }
        self.leading_comments(level, end, &mut previous_end, &mut first);
    }

    fn comments_inside(&self, start: usize, end: usize) -> usize {
        self.comments[self.next_comment..]
            .iter()
            .take_while(|comment| comment.span.start() < end)
            .filter(|comment| comment.span.start() >= start)
            .count()
    }

    fn item(&mut self, item: &Item, level: usize) {
        let mark = self.out.len();
        let comment_mark = self.next_comment;
        let expected = self.comments_inside(item.span.start(), item.span.end());
        match &item.kind {
            ItemKind::Block(block) => {
                self.out.push_str(&block.keyword.name);
                self.labels(&block.labels);
                self.out.push(' ');
                self.body(&block.body, level, true);
            }
            ItemKind::Decl(decl) => {
                self.out.push_str(&decl.keyword.name);
                self.labels(&decl.labels);
                self.out.push_str(" = ");
                self.expr(&decl.value, level);
            }
            ItemKind::Attr(attr) => {
                self.label(&attr.key);
                self.out.push_str(" = ");
                self.expr(&attr.value, level);
            }
            ItemKind::Statement(statement) => {
                self.out.push_str(&statement.keyword.name);
                self.out.push(' ');
                self.expr(&statement.argument, level);
                for clause in &statement.clauses {
                    self.out.push(' ');
                    self.out.push_str(&clause.keyword.name);
                    self.out.push(' ');
                    self.expr(&clause.value, level);
                }
            }
            ItemKind::Expr(expr, target) => {
                self.expr(expr, level);
                if let Some(target) = target {
                    self.out.push_str(" -> ");
                    self.expr(target, level);
                }
            }
        }
        if self.next_comment - comment_mark != expected {
            // A comment sat where the layout has no place for it: keep the item as written.
            self.out.truncate(mark);
            let original = self.slice(item.span.start(), item.span.end()).to_string();
            self.out.push_str(&original);
            self.next_comment = comment_mark + expected;
        }
    }

    fn labels(&mut self, labels: &[Label]) {
        for label in labels {
            self.out.push(' ');
            self.label(label);
        }
    }

    fn label(&mut self, label: &Label) {
        let text = self.slice(label.span.start(), label.span.end()).to_string();
        self.out.push_str(&text);
    }

    fn single_line(&self, start: usize, end: usize) -> bool {
        !self.slice(start, end).contains('\n')
    }

    /// Renders `body` on one line if that is allowed; `None` otherwise.
    fn inline_body(&self, body: &Body, block: bool) -> Option<String> {
        if body.items.is_empty() {
            return (self.comments_inside(body.span.start(), body.span.end()) == 0)
                .then(|| "{}".to_string());
        }
        if !self.single_line(body.span.start(), body.span.end())
            || self.comments_inside(body.span.start(), body.span.end()) > 0
            || (block && body.items.len() > 1)
        {
            return None;
        }
        let key = (body.span.start(), body.span.end());
        if let Some(known) = self.memo.bodies.borrow().get(&key) {
            return known.clone();
        }
        let mut inner = self.flat_printer();
        for (index, item) in body.items.iter().enumerate() {
            if index > 0 {
                inner.out.push_str(", ");
            }
            inner.item(item, 0);
            if inner.out.contains('\n') {
                break;
            }
        }
        let inline = (!inner.out.contains('\n')).then(|| format!("{{ {} }}", inner.out));
        self.memo.bodies.borrow_mut().insert(key, inline.clone());
        inline
    }

    /// A printer for one-line forms (no comments: callers check there are none).
    fn flat_printer(&self) -> Printer<'_> {
        Printer {
            text: self.text,
            comments: &[],
            next_comment: 0,
            out: String::new(),
            memo: self.memo,
            flat: true,
        }
    }

    fn body(&mut self, body: &Body, level: usize, block: bool) {
        if let Some(inline) = self.inline_body(body, block) {
            if self.column() + inline.len() <= WIDTH {
                self.out.push_str(&inline);
                return;
            }
        }
        if self.flat {
            self.out.push('\n');
            return;
        }
        self.out.push_str("{\n");
        self.items(
            &body.items,
            level + 1,
            body.span.end().saturating_sub(1),
            false,
        );
        self.indent(level);
        self.out.push('}');
    }

    fn expr(&mut self, expr: &Expr, level: usize) {
        match &expr.kind {
            ExprKind::Str(_) | ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Error => {
                let text = self.slice(expr.span.start(), expr.span.end()).to_string();
                self.out.push_str(&text);
            }
            ExprKind::Path(segments) => {
                let joined = segments
                    .iter()
                    .map(|segment| segment.name.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                self.out.push_str(&joined);
            }
            ExprKind::Call(name, arguments) => {
                self.out.push_str(&name.name);
                self.out.push('(');
                for (index, argument) in arguments.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(argument, level);
                }
                self.out.push(')');
            }
            ExprKind::List(elements) => self.list(expr, elements, level),
            ExprKind::Object(body) => self.body(body, level, false),
            ExprKind::Apply(path, body) => {
                let joined = path
                    .iter()
                    .map(|segment| segment.name.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                self.out.push_str(&joined);
                self.out.push(' ');
                self.body(body, level, false);
            }
        }
    }

    fn list(&mut self, expr: &Expr, elements: &[Expr], level: usize) {
        let has_comments = self.comments_inside(expr.span.start(), expr.span.end()) > 0;
        if !has_comments && self.single_line(expr.span.start(), expr.span.end()) {
            let key = (expr.span.start(), expr.span.end());
            let known = self.memo.lists.borrow().get(&key).cloned();
            let inline = known.unwrap_or_else(|| {
                let mut inner = self.flat_printer();
                inner.out.push('[');
                for (index, element) in elements.iter().enumerate() {
                    if index > 0 {
                        inner.out.push_str(", ");
                    }
                    inner.expr(element, 0);
                    if inner.out.contains('\n') {
                        break;
                    }
                }
                inner.out.push(']');
                self.memo.lists.borrow_mut().insert(key, inner.out.clone());
                inner.out
            });
            if !inline.contains('\n') && self.column() + inline.len() <= WIDTH {
                self.out.push_str(&inline);
                return;
            }
        }
        if elements.is_empty() && !has_comments {
            self.out.push_str("[]");
            return;
        }
        if self.flat {
            self.out.push('\n');
            return;
        }
        self.out.push_str("[\n");
        let mut previous_end = usize::MAX;
        let mut first = true;
        for element in elements {
            if previous_end == usize::MAX {
                previous_end = element.span.start();
            }
            self.leading_comments(
                level + 1,
                element.span.start(),
                &mut previous_end,
                &mut first,
            );
            self.indent(level + 1);
            self.expr(element, level + 1);
            self.out.push(',');
            previous_end = self
                .trailing_comment_after_comma(element.span.end())
                .unwrap_or(element.span.end());
            self.out.push('\n');
            first = false;
        }
        if previous_end == usize::MAX {
            previous_end = expr.span.start();
        }
        self.leading_comments(
            level + 1,
            expr.span.end().saturating_sub(1),
            &mut previous_end,
            &mut first,
        );
        self.indent(level);
        self.out.push(']');
    }

    fn trailing_comment_after_comma(&mut self, after: usize) -> Option<usize> {
        // The source may have a comma between the element and its comment.
        let rest = self.slice(after, self.text.len());
        let skip = rest.find(|ch: char| ch != ' ' && ch != '\t').unwrap_or(0);
        let after = if rest[skip..].starts_with(',') {
            after + skip + 1
        } else {
            after
        };
        self.trailing_comment(after)
    }
}

fn is_bare_name(item: &Item) -> bool {
    matches!(&item.kind, ItemKind::Expr(expr, None) if matches!(&expr.kind, ExprKind::Path(path) if path.len() == 1))
}

fn is_bare_object(item: &Item) -> bool {
    matches!(&item.kind, ItemKind::Expr(expr, _) if matches!(&expr.kind, ExprKind::Object(_)))
}

#[cfg(test)]
mod tests {
    use pipec_span::FileId;

    use crate::{format_file, parse_file, scan_comments, MAX_DEPTH};

    fn format(text: &str) -> String {
        let (file, diagnostics) = parse_file(FileId(0), text);
        assert!(diagnostics.is_empty(), "{text:?}: {diagnostics:?}");
        format_file(text, &file, &scan_comments(FileId(0), text))
    }

    /// Formats, checks that formatting again changes nothing, returns the first result.
    fn format_twice(text: &str) -> String {
        let once = format(text);
        assert_eq!(format(&once), once, "not idempotent on {text:?}");
        once
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let text = "repo app {\r\n  branch = \"main\" // the default\r\n\r\n\r\n  /* two\r\n  lines */\r\n  name = \"a\r\nb\"\r\n}\r\n";
        let formatted = format_twice(text);
        assert_eq!(
            formatted,
            "repo app {\r\n  branch = \"main\" // the default\r\n\r\n  /* two\r\n  lines */\r\n  name = \"a\r\nb\"\r\n}\r\n"
        );
        assert_eq!(
            formatted.matches('\n').count(),
            formatted.matches("\r\n").count()
        );
    }

    #[test]
    fn the_first_line_break_decides_for_a_mixed_file() {
        assert_eq!(
            format_twice("a = 1\r\nb = 2\nc = 3\n"),
            "a = 1\r\nb = 2\r\nc = 3\r\n"
        );
        assert_eq!(
            format_twice("a = 1\nb = 2\r\nc = 3\r\n"),
            "a = 1\nb = 2\nc = 3\n"
        );
    }

    #[test]
    fn a_byte_order_mark_is_kept() {
        assert_eq!(format_twice("\u{FEFF}a   =  1\n"), "\u{FEFF}a = 1\n");
        assert_eq!(format_twice("\u{FEFF}a   =  1\r\n"), "\u{FEFF}a = 1\r\n");
        assert_eq!(format_twice("a = 1\n"), "a = 1\n");
    }

    #[test]
    fn a_multi_line_block_comment_between_two_items_on_one_line() {
        for text in [
            "branch = \"main\" /* a\n b */ name = \"zz\"\n",
            "repo app {\n  branch = \"main\" /* a\n b */ name = \"zz\"\n}\n",
            "x = [\n  1, /* a\n b */ 2,\n]\n",
            "branch = \"main\" /* a\r\n b */ name = \"zz\"\r\n",
        ] {
            let formatted = format_twice(text);
            assert!(formatted.contains("/* a"), "{formatted}");
        }
    }

    /// Formatting used to lay out every body twice per level (one line, then several), so 36
    /// nested maps took a minute. Each shape is nested as deep as the parser allows.
    #[test]
    fn deep_nesting_formats_in_linear_time() {
        let depth = MAX_DEPTH;
        let maps = format!("x = {}1{}\n", "{ a = ".repeat(depth), " }".repeat(depth));
        let blocks = format!("{}a = 1{}\n", "b { ".repeat(depth), " }".repeat(depth));
        let lists = format!("x = {}1{}\n", "[".repeat(depth), "]".repeat(depth));
        let mixed = format!(
            "x = {}1{}\n",
            "{ a = [".repeat(depth / 2),
            "] }".repeat(depth / 2)
        );
        // The string's quotes count as a level.
        let wide = format!(
            "x = {}\"{}\"{}\n",
            "{ a = 1, b = ".repeat(depth - 1),
            "w".repeat(60),
            " }".repeat(depth - 1)
        );
        for text in [maps, blocks, lists, mixed, wide] {
            let start = std::time::Instant::now();
            let formatted = format_twice(&text);
            let elapsed = start.elapsed();
            assert!(
                elapsed < std::time::Duration::from_secs(5),
                "took {elapsed:?} for {text}"
            );
            assert!(formatted.lines().count() > 1 || formatted.len() <= 101);
        }
    }
}
