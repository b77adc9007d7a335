//! What surrounds a cursor, found by scanning the text rather than the AST, so that it works
//! while the file does not parse (as it almost never does in the middle of typing): the blocks
//! the cursor is inside, whether it stands where an item starts or where a value goes, and the
//! dotted name being typed. Completion and hover combine this with the last good analysis.

/// A block (or a keyed value such as `runtime = { … }`) that encloses the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Enclosing {
    /// The block kind (`deploy`, `hook`, `install`) or, for a value, the attribute key.
    pub(crate) keyword: String,
    /// The labels after the kind (`web`, `before_install`, `init`); for a value, the path it
    /// applies (`ec2` in `target = ec2 { … }`), empty for a plain map.
    pub(crate) labels: Vec<String>,
    /// True for `key = { … }` and `key = path { … }` values (an object, not a block).
    pub(crate) is_value: bool,
}

/// Where in an item the cursor stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The first word of an item: a block kind, an attribute key or a statement.
    ItemStart,
    /// The event name after `hook`.
    HookEvent,
    /// The module after `use`.
    UseModule,
    /// A value: after `key =`, inside a list of one, or the argument of a statement.
    Value {
        /// The attribute key (or the statement keyword) the value belongs to.
        key: String,
    },
    /// Inside a string or a comment: nothing to offer.
    Text,
    /// Anywhere else (a block label).
    Other,
}

/// The context of one cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CursorContext {
    /// Enclosing blocks and values, outermost first.
    pub(crate) enclosing: Vec<Enclosing>,
    /// The slot the cursor is in.
    pub(crate) slot: Slot,
    /// The dotted name before the cursor, split at dots (`role.we` → `["role", "we"]`; a
    /// trailing dot gives an empty last segment).
    pub(crate) path: Vec<String>,
    /// Byte offset where the last segment of `path` starts (what completion replaces).
    pub(crate) segment_start: usize,
}

#[derive(Debug)]
enum Frame {
    /// `{`: the tokens of the item it opened.
    Brace(Enclosing),
    /// `[` or `(`: the key of the item it belongs to.
    Bracket(Option<String>),
    /// `${` inside a string.
    Interpolation,
    /// A string (its quote width: 1 or 3).
    Str(usize),
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Str,
    Equals,
    Other,
}

/// Scans `text` up to `offset` (clamped to a char boundary).
pub(crate) fn cursor_context(text: &str, offset: usize) -> CursorContext {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let bytes = text.as_bytes();
    let mut frames: Vec<Frame> = Vec::new();
    // Tokens of the item being read at each brace depth (index 0 = top level).
    let mut items: Vec<Vec<Token>> = vec![Vec::new()];
    let mut index = 0;
    let mut in_comment = false;
    while index < offset {
        let byte = bytes[index];
        if let Some(Frame::Str(width)) = frames.last() {
            let width = *width;
            if byte == b'\\' {
                index += 2;
            } else if bytes[index..].starts_with(b"${") {
                frames.push(Frame::Interpolation);
                index += 2;
            } else if byte == b'"' && (width == 1 || bytes[index..].starts_with(b"\"\"\"")) {
                frames.pop();
                index += width;
            } else {
                index += 1;
            }
            continue;
        }
        match byte {
            b'/' if bytes.get(index + 1) == Some(&b'/') => {
                match bytes[index..].iter().position(|byte| *byte == b'\n') {
                    Some(newline) if index + newline < offset => index += newline,
                    _ => {
                        in_comment = true;
                        index = offset;
                    }
                }
                continue;
            }
            b'/' if bytes.get(index + 1) == Some(&b'*') => {
                match bytes[index + 2..].windows(2).position(|pair| pair == b"*/") {
                    Some(end) if index + 2 + end + 2 <= offset => index += 2 + end + 2,
                    _ => {
                        in_comment = true;
                        index = offset;
                    }
                }
                continue;
            }
            b'"' => {
                let width = if bytes[index..].starts_with(b"\"\"\"") {
                    3
                } else {
                    1
                };
                frames.push(Frame::Str(width));
                push_token(&mut items, Token::Str);
                index += width;
                continue;
            }
            b'{' => {
                let tokens = items.last().cloned().unwrap_or_default();
                frames.push(Frame::Brace(enclosing_of(&tokens, &frames)));
                items.push(Vec::new());
            }
            b'}' => {
                match frames.pop() {
                    Some(Frame::Brace(_)) => {
                        items.pop();
                        // The block is finished: so is the item that opened it.
                        if let Some(tokens) = items.last_mut() {
                            if !tokens.contains(&Token::Equals) {
                                tokens.clear();
                            } else {
                                tokens.push(Token::Other);
                            }
                        }
                    }
                    Some(Frame::Interpolation) => {}
                    Some(other) => frames.push(other),
                    None => {}
                }
                if items.is_empty() {
                    items.push(Vec::new());
                }
            }
            b'[' | b'(' => {
                let key = items.last().and_then(|tokens| key_of(tokens));
                frames.push(Frame::Bracket(key));
                push_token(&mut items, Token::Other);
            }
            b']' | b')' => {
                if matches!(frames.last(), Some(Frame::Bracket(_))) {
                    frames.pop();
                }
            }
            b'\n'
                if bytes
                    .get(index + 1)
                    .is_some_and(|next| next.is_ascii_alphabetic() || *next == b'_') =>
            {
                // A word at column 0 starts a top-level item, as in the parser's recovery:
                // whatever was left open above is abandoned.
                frames.clear();
                items = vec![Vec::new()];
            }
            b'\n' | b',' if !matches!(frames.last(), Some(Frame::Bracket(_))) => {
                // A new line ends the item unless it is visibly unfinished (`key =`).
                let unfinished =
                    items.last().and_then(|tokens| tokens.last()) == Some(&Token::Equals);
                if byte == b',' || !unfinished {
                    if let Some(tokens) = items.last_mut() {
                        tokens.clear();
                    }
                }
            }
            b'=' => push_token(&mut items, Token::Equals),
            byte if byte.is_ascii_alphabetic() || byte == b'_' => {
                let end = word_end(text, index).min(offset);
                push_token(&mut items, Token::Word(text[index..end].to_string()));
                index = end;
                continue;
            }
            byte if byte.is_ascii_whitespace() || byte == b'.' || byte.is_ascii_digit() => {}
            _ => push_token(&mut items, Token::Other),
        }
        index += 1;
    }

    let (path, segment_start) = path_before(text, offset);
    let enclosing: Vec<Enclosing> = frames
        .iter()
        .filter_map(|frame| match frame {
            Frame::Brace(enclosing) => Some(enclosing.clone()),
            _ => None,
        })
        .collect();
    let in_string = matches!(frames.last(), Some(Frame::Str(_)));
    let slot = if in_comment || in_string {
        Slot::Text
    } else if let Some(Frame::Bracket(key)) = frames.last() {
        Slot::Value {
            key: key.clone().unwrap_or_default(),
        }
    } else {
        let tokens = items.last().cloned().unwrap_or_default();
        // The word under the cursor is still being typed: leave it out.
        let before: &[Token] = match tokens.last() {
            Some(Token::Word(_)) if segment_start < offset || path.len() > 1 => {
                &tokens[..tokens.len() - 1]
            }
            _ => &tokens,
        };
        slot_of(before)
    };
    CursorContext {
        enclosing,
        slot,
        path,
        segment_start,
    }
}

fn push_token(items: &mut [Vec<Token>], token: Token) {
    if let Some(tokens) = items.last_mut() {
        tokens.push(token);
    }
}

fn word_end(text: &str, start: usize) -> usize {
    text[start..]
        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
        .map_or(text.len(), |length| start + length)
}

/// The key of an item's tokens, when they read `key =` or `key = …` or `run …`.
fn key_of(tokens: &[Token]) -> Option<String> {
    let equals = tokens.iter().position(|token| *token == Token::Equals);
    match (tokens.first(), equals) {
        (Some(Token::Word(word)), Some(_)) => Some(first_segment(word)),
        (Some(Token::Word(word)), None) if is_statement(word) => Some(word.clone()),
        _ => None,
    }
}

fn first_segment(word: &str) -> String {
    word.split('.').next().unwrap_or("").to_string()
}

fn is_statement(word: &str) -> bool {
    matches!(word, "run" | "allow" | "deny" | "use")
}

/// What a `{` opens, from the tokens of its item.
fn enclosing_of(tokens: &[Token], frames: &[Frame]) -> Enclosing {
    if let Some(equals) = tokens.iter().position(|token| *token == Token::Equals) {
        let head = words(&tokens[..equals]);
        // `hook e "n" = node.start { … }` is a preset applied in a block's place.
        if head.len() > 1 {
            return Enclosing {
                keyword: head[0].clone(),
                labels: head[1..].to_vec(),
                is_value: false,
            };
        }
        return Enclosing {
            keyword: head.first().cloned().unwrap_or_default(),
            labels: words(&tokens[equals + 1..]),
            is_value: true,
        };
    }
    let head = words(tokens);
    match head.split_first() {
        Some((keyword, labels)) => Enclosing {
            keyword: keyword.clone(),
            labels: labels.to_vec(),
            is_value: false,
        },
        None => {
            // A bare `{` inside a list or call: an element of the enclosing value.
            let key = frames.iter().rev().find_map(|frame| match frame {
                Frame::Bracket(key) => key.clone(),
                _ => None,
            });
            Enclosing {
                keyword: key.unwrap_or_default(),
                labels: Vec::new(),
                is_value: true,
            }
        }
    }
}

fn words(tokens: &[Token]) -> Vec<String> {
    tokens
        .iter()
        .filter_map(|token| match token {
            Token::Word(word) => Some(word.clone()),
            Token::Str => Some(String::new()),
            _ => None,
        })
        .collect()
}

fn slot_of(tokens: &[Token]) -> Slot {
    match tokens {
        [] => Slot::ItemStart,
        [Token::Word(word), ..] if word == "hook" && tokens.len() == 1 => Slot::HookEvent,
        [Token::Word(word)] if word == "use" => Slot::UseModule,
        _ => match key_of(tokens) {
            Some(key) => Slot::Value { key },
            None => Slot::Other,
        },
    }
}

/// The offset just past the char that starts at `index`.
fn after_char(text: &str, index: usize) -> usize {
    index + text[index..].chars().next().map_or(1, char::len_utf8)
}

/// The dotted name that ends at `offset`, and where its last segment starts.
fn path_before(text: &str, offset: usize) -> (Vec<String>, usize) {
    let before = &text[..offset];
    let start = before
        .rfind(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
        .map_or(0, |index| after_char(before, index));
    let dotted = &before[start..];
    let segment_start = before
        .rfind('.')
        .filter(|dot| *dot >= start)
        .map_or(start, |dot| dot + 1);
    if dotted.is_empty() {
        return (vec![String::new()], offset);
    }
    (
        dotted.split('.').map(str::to_string).collect(),
        segment_start,
    )
}

/// The dotted name around `offset` (for hover and navigation): its text and byte range, and
/// the index of the segment the cursor is on.
pub(crate) fn path_at(
    text: &str,
    offset: usize,
) -> Option<(Vec<String>, std::ops::Range<usize>, usize)> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let is_part = |ch: char| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.';
    let start = text[..offset]
        .rfind(|ch: char| !is_part(ch))
        .map_or(0, |index| after_char(text, index));
    let end = text[offset..]
        .find(|ch: char| !is_part(ch))
        .map_or(text.len(), |length| offset + length);
    let dotted = text.get(start..end)?.trim_matches('.');
    if dotted.is_empty() || !dotted.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_') {
        return None;
    }
    let start = start + text[start..end].find(dotted)?;
    let segment = text[start..offset.max(start)].matches('.').count();
    Some((
        dotted.split('.').map(str::to_string).collect(),
        start..start + dotted.len(),
        segment,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_cursor(marked: &str) -> CursorContext {
        let offset = marked.find('|').unwrap_or(marked.len());
        let text = marked.replacen('|', "", 1);
        cursor_context(&text, offset)
    }

    fn block(keyword: &str, labels: &[&str]) -> Enclosing {
        Enclosing {
            keyword: keyword.into(),
            labels: labels.iter().map(|label| (*label).to_string()).collect(),
            is_value: false,
        }
    }

    #[test]
    fn top_level_and_attribute_positions() {
        let context = at_cursor("re|");
        assert_eq!((context.slot, context.enclosing), (Slot::ItemStart, vec![]));
        let context = at_cursor("repo app {\n  name = \"x\"\n  br|\n}\n");
        assert_eq!(context.slot, Slot::ItemStart);
        assert_eq!(context.enclosing, vec![block("repo", &["app"])]);
        assert_eq!(context.path, ["br"]);
        let context = at_cursor("repo app { name = \"x\" }\n|");
        assert_eq!((context.slot, context.enclosing), (Slot::ItemStart, vec![]));
    }

    #[test]
    fn values_and_references() {
        let context = at_cursor("instance web {\n  role = role.w|\n}");
        assert_eq!(context.slot, Slot::Value { key: "role".into() });
        assert_eq!(context.path, ["role", "w"]);
        let context = at_cursor("instance web {\n  role = role.|\n}");
        assert_eq!(context.path, ["role", ""]);
        let context = at_cursor("deploy web {\n  config = |\n}");
        assert_eq!(
            context.slot,
            Slot::Value {
                key: "config".into()
            }
        );
        let context = at_cursor("group g { policies = [policy.a, pol|] }");
        assert_eq!(
            context.slot,
            Slot::Value {
                key: "policies".into()
            }
        );
        let context = at_cursor("deploy w { target = ec2 { tags = { Deploy = \"web\" } }\n  |");
        assert_eq!(context.slot, Slot::ItemStart);
        assert_eq!(context.enclosing, vec![block("deploy", &["w"])]);
    }

    #[test]
    fn hooks_use_strings_and_comments() {
        let context = at_cursor("deploy web {\n  hook bef|");
        assert_eq!(context.slot, Slot::HookEvent);
        let context = at_cursor("deploy web {\n  hook before_install \"x\" {\n    ti|");
        assert_eq!(
            context.enclosing,
            vec![
                block("deploy", &["web"]),
                block("hook", &["before_install", ""])
            ]
        );
        assert_eq!(context.slot, Slot::ItemStart);
        assert_eq!(at_cursor("use std.ho|").slot, Slot::UseModule);
        assert_eq!(at_cursor("repo a { name = \"ab|c\" }").slot, Slot::Text);
        assert_eq!(at_cursor("// repo.|").slot, Slot::Text);
        let context = at_cursor("repo a { name = \"${env|}\" }");
        assert_eq!(context.slot, Slot::Value { key: "name".into() });
    }

    #[test]
    fn broken_text_does_not_confuse_it() {
        let context = at_cursor("repo a {\n  name = \nbuild b {\n  sou|");
        assert_eq!(context.enclosing.last(), Some(&block("build", &["b"])));
        assert_eq!(at_cursor("}}}]]) |").slot, Slot::ItemStart);
        assert_eq!(at_cursor("\"é😀|").slot, Slot::Text);
    }

    #[test]
    fn paths_under_the_cursor() {
        let text = "role = role.web.arn\n";
        let (path, range, segment) =
            path_at(text, text.find("web").unwrap_or(0) + 1).unwrap_or_default();
        assert_eq!(path, ["role", "web", "arn"]);
        assert_eq!(&text[range], "role.web.arn");
        assert_eq!(segment, 1);
        assert_eq!(path_at("  = 12", 4), None);
    }

    #[test]
    fn every_offset_of_awkward_text_is_safe() {
        let text =
            "é{\"😀\\é${a.é}\"\"\"\n/*é*/ //é\n[(é.b = \r\nhook é \"\u{FEFF}x\" = { \"é\" }}]])";
        for offset in 0..=text.len() + 2 {
            let _ = cursor_context(text, offset);
            let _ = path_at(text, offset);
        }
    }
}
