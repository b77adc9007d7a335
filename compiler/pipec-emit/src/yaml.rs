//! YAML serialization through `serde_yaml_ng` (never string templates) and the base64 encoding
//! that carries generated files through the build's shell.

use pipec_diagnostics::Diagnostic;
use serde_yaml_ng::{Mapping, Value};

/// Serializes a YAML value in block style, choosing every string scalar's style so that YAML
/// 1.1 readers (the CodeDeploy agent's Ruby Psych, PyYAML) and YAML 1.2 readers (CodeBuild,
/// serde_yaml_ng) read back exactly that string. The result is parsed back and must equal
/// `value`, and every scalar written plain must resolve as a string under YAML 1.1's implicit
/// resolvers (`yaml11_resolves_as_string`); a failure is a compiler bug.
pub(crate) fn to_string(value: &Value, diags: &mut Vec<Diagnostic>) -> String {
    let mut writer = Writer::default();
    if let Err(error) = writer.node(value, 0) {
        diags.push(Diagnostic::bug(format!("cannot serialize YAML: {error}")));
        return String::new();
    }
    let text = writer.out;
    match serde_yaml_ng::from_str::<Value>(&text) {
        Ok(parsed) if parsed == *value => {}
        _ => diags.push(Diagnostic::bug(
            "generated YAML does not read back as what was serialized",
        )),
    }
    if let Some(plain) = writer
        .plain
        .iter()
        .find(|plain| !yaml11_resolves_as_string(plain))
    {
        diags.push(Diagnostic::bug(format!(
            "generated YAML has the plain scalar `{plain}`, which YAML 1.1 does not read as a string"
        )));
    }
    text
}

/// The block-style writer: mappings `key: value`, sequences `- item` at their key's
/// indentation, multi-line strings as literal blocks.
#[derive(Default)]
struct Writer {
    out: String,
    /// Every string written as a plain scalar (checked against YAML 1.1 afterwards).
    plain: Vec<String>,
}

impl Writer {
    /// Writes `value` where a node starts: at the start of the document, after `key:` or
    /// after `- ` (the caller wrote those). `indent` is the indentation of nested lines.
    fn node(&mut self, value: &Value, indent: usize) -> Result<(), String> {
        match value {
            Value::Mapping(map) if map.is_empty() => self.out.push_str("{}\n"),
            Value::Sequence(items) if items.is_empty() => self.out.push_str("[]\n"),
            Value::Mapping(map) => self.mapping(map, indent, false)?,
            Value::Sequence(items) => self.sequence(items, indent, false)?,
            scalar => {
                self.scalar(scalar, indent)?;
            }
        }
        Ok(())
    }

    /// Writes a scalar and its line end (a literal block ends with its last line).
    fn scalar(&mut self, value: &Value, indent: usize) -> Result<(), String> {
        match value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(flag) => self.out.push_str(if *flag { "true" } else { "false" }),
            Value::Number(number) => self.out.push_str(&number.to_string()),
            Value::String(text) => match style(text) {
                Style::Plain => {
                    self.plain.push(text.clone());
                    self.out.push_str(text);
                }
                Style::Single => {
                    self.out.push('\'');
                    self.out.push_str(&text.replace('\'', "''"));
                    self.out.push('\'');
                }
                Style::Double => self.out.push_str(&double_quoted(text)),
                Style::Literal => {
                    self.literal(text, indent);
                    return Ok(());
                }
            },
            Value::Tagged(_) | Value::Mapping(_) | Value::Sequence(_) => {
                return Err("a tagged value or a collection where a scalar belongs".into())
            }
        }
        self.out.push('\n');
        Ok(())
    }

    /// `|`, `|-` or `|+`, then the lines at `indent` (at least 2, so that a block inside a
    /// top-level sequence item is still indented).
    fn literal(&mut self, text: &str, indent: usize) {
        let indent = indent.max(1);
        let body = text.trim_end_matches('\n');
        let trailing = text.len() - body.len();
        self.out.push('|');
        self.out.push_str(match trailing {
            0 => "-",
            1 => "",
            _ => "+",
        });
        self.out.push('\n');
        for line in text.split_inclusive('\n') {
            let content = line.trim_end_matches('\n');
            if !content.is_empty() {
                self.out.push_str(&" ".repeat(indent));
                self.out.push_str(content);
            }
            self.out.push('\n');
        }
    }

    /// Writes the entries of a non-empty mapping at `indent`; with `inline`, the first key
    /// continues the current line (after `- `).
    fn mapping(&mut self, map: &Mapping, indent: usize, inline: bool) -> Result<(), String> {
        for (index, (key, value)) in map.iter().enumerate() {
            if index > 0 || !inline {
                self.out.push_str(&" ".repeat(indent));
            }
            let Value::String(key) = key else {
                return Err("a mapping key that is not a string".into());
            };
            if style(key) == Style::Literal {
                return Err(format!("a multi-line mapping key {key:?}"));
            }
            self.scalar(&Value::String(key.clone()), indent)?;
            // `scalar` ended the line; the key's line continues with `:`.
            self.out.pop();
            self.out.push(':');
            match value {
                Value::Mapping(inner) if !inner.is_empty() => {
                    self.out.push('\n');
                    self.mapping(inner, indent + 2, false)?;
                }
                Value::Sequence(items) if !items.is_empty() => {
                    self.out.push('\n');
                    self.sequence(items, indent, false)?;
                }
                other => {
                    self.out.push(' ');
                    self.node(other, indent + 2)?;
                }
            }
        }
        Ok(())
    }

    /// Writes the items of a non-empty sequence at `indent`.
    fn sequence(&mut self, items: &[Value], indent: usize, inline: bool) -> Result<(), String> {
        for (index, item) in items.iter().enumerate() {
            if index > 0 || !inline {
                self.out.push_str(&" ".repeat(indent));
            }
            self.out.push_str("- ");
            match item {
                Value::Mapping(inner) if !inner.is_empty() => {
                    self.mapping(inner, indent + 2, true)?;
                }
                Value::Sequence(inner) if !inner.is_empty() => {
                    self.sequence(inner, indent + 2, true)?;
                }
                other => self.node(other, indent + 2)?,
            }
        }
        Ok(())
    }
}

/// How a string scalar is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// As it is: only for text every reader takes as that same string.
    Plain,
    /// `'…'` with `''` for a quote: printable text on one line.
    Single,
    /// `"…"` with escapes: anything else.
    Double,
    /// `|`: multi-line printable text.
    Literal,
}

/// Characters a YAML 1.1 reader treats as line breaks or that no plain, single-quoted or literal
/// scalar may hold: control characters (tab aside), DEL, NEL, LS, PS, the BOM.
fn needs_escape(ch: char) -> bool {
    (ch.is_control() && ch != '\t') || matches!(ch, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn style(text: &str) -> Style {
    if text.contains('\n') {
        let lines_ok = text.split('\n').all(|line| {
            !line.chars().any(|ch| ch != '\t' && needs_escape(ch))
                && (line.is_empty() || !line.trim().is_empty())
        });
        let first = text.split('\n').next().unwrap_or_default();
        let starts_blank = first.starts_with([' ', '\t']) || first.is_empty();
        if lines_ok && !starts_blank && !text.contains('\t') {
            return Style::Literal;
        }
        return Style::Double;
    }
    if text.chars().any(needs_escape) {
        return Style::Double;
    }
    if plain_is_safe(text) {
        Style::Plain
    } else {
        Style::Single
    }
}

/// A conservative test for a plain scalar: printable ASCII that starts with a letter, digit,
/// `/`, `.` or `_`, holds nothing that could end it (`: `, ` #`, a final `:` or blank, a tab),
/// and that no YAML 1.1 or 1.2 resolver reads as anything but a string
/// (booleans and nulls in any case, anything number- or date-like, `=`, `<<`).
fn plain_is_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphanumeric() || "/._".contains(first)) {
        return false;
    }
    if text.ends_with([' ', ':'])
        || text.contains(": ")
        || text.contains(" #")
        || text.contains('\t')
        || !text.chars().all(|ch| ch.is_ascii_graphic() || ch == ' ')
    {
        return false;
    }
    const WORDS: [&str; 12] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ".inf", ".nan",
    ];
    let lower = text.to_ascii_lowercase();
    if WORDS.contains(&lower.as_str()) {
        return false;
    }
    // Number-like: a digit or `.digit` first and only number characters (ints in any base,
    // floats, sexagesimals, underscores); dates start with four digits and `-`.
    let body = lower.trim_start_matches(['+', '-']);
    let numeric_start = body.starts_with(|ch: char| ch.is_ascii_digit())
        || (body.starts_with('.') && body[1..].starts_with(|ch: char| ch.is_ascii_digit()));
    if numeric_start
        && body
            .chars()
            .all(|ch| ch.is_ascii_hexdigit() || "xob_:.,+-e".contains(ch))
    {
        return false;
    }
    let date_like = text.len() >= 5
        && text[..4].bytes().all(|byte| byte.is_ascii_digit())
        && text.as_bytes()[4] == b'-';
    !date_like && yaml11_resolves_as_string(text)
}

/// `"…"` with YAML escapes for `\`, `"`, control characters and the 1.1 line breaks.
fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            ch if needs_escape(ch) => {
                let code = u32::from(ch);
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// The implicit resolvers of YAML 1.1 as PyYAML implements them (`yaml/resolver.py`), plus
/// the `y`/`n` booleans of the 1.1 type repository and Psych's ints with commas: true when a
/// plain scalar `text` is read as a string.
#[must_use]
pub fn yaml11_resolves_as_string(text: &str) -> bool {
    use std::sync::LazyLock;
    static NON_STRING: LazyLock<Vec<regex_lite::Regex>> = LazyLock::new(|| {
        [
            // bool (+ y/n of the type repository)
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|y|Y|n|N)$",
            // float
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            // int (+ commas, as Psych reads them)
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_,]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            // merge
            r"^<<$",
            // null
            r"^(?:~|null|Null|NULL|)$",
            // timestamp
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
            // value
            r"^=$",
        ]
        .iter()
        .filter_map(|pattern| regex_lite::Regex::new(pattern).ok())
        .collect()
    });
    !NON_STRING.iter().any(|regex| regex.is_match(text))
}

/// A YAML string.
pub(crate) fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

/// A YAML list of strings.
pub(crate) fn list(items: &[String]) -> Value {
    Value::Sequence(items.iter().map(|item| s(item)).collect())
}

/// Inserts `key: value` into a mapping (insertion order is output order).
pub(crate) fn put(map: &mut Mapping, key: &str, value: Value) {
    map.insert(s(key), value);
}

/// Standard base64 (RFC 4648, with padding).
#[must_use]
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk[0]);
        let b1 = chunk.get(1).map_or(0, |b| u32::from(*b));
        let b2 = chunk.get(2).map_or(0, |b| u32::from(*b));
        let triple = (b0 << 16) | (b1 << 8) | b2;
        for (index, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if index <= chunk.len() {
                out.push(char::from(ALPHABET[((triple >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{base64_encode, to_string, yaml11_resolves_as_string, Mapping, Value};

    /// Strings a YAML 1.1 or 1.2 reader would take for something else, or that break YAML.
    pub(crate) const HOSTILE: &[&str] = &[
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "N",
        "true",
        "False",
        "null",
        "NULL",
        "~",
        "",
        "=",
        "<<",
        "2024-01-01",
        "2024-1-1 10:00:00",
        "1,000",
        "1_000",
        "0x1F",
        "0o17",
        "0b101",
        "017",
        "1:20",
        "190:20:30",
        "3.10",
        "1e3",
        "6.8523015e+5",
        ".inf",
        "-.Inf",
        ".NaN",
        "+12",
        "-",
        "- a",
        "? x",
        ": x",
        "a: b",
        "a #b",
        "#x",
        "&a",
        "*a",
        "!tag",
        "|",
        ">",
        "%x",
        "@x",
        "`x`",
        "'",
        "\"",
        "\\",
        "[a]",
        "{a: 1}",
        "a,b",
        " lead",
        "trail ",
        "tab\there",
        "line\nbreak",
        "two\n\n",
        "\nlead",
        "cr\rx",
        "nel\u{85}x",
        "ls\u{2028}x",
        "bom\u{feff}",
        "bell\u{7}",
        "ünïcødé ✓",
        "$(touch CANARY)",
        "'$(touch CANARY)'",
        "a\n  indented\n\ttab",
        " x\ny",
        "x\n ",
        "ends\\",
    ];

    fn doc(value: Value) -> Value {
        let mut map = Mapping::new();
        map.insert(Value::String("key".into()), value);
        Value::Mapping(map)
    }

    #[test]
    fn hostile_strings_read_back_as_the_same_strings() {
        for text in HOSTILE {
            let value = doc(Value::Sequence(vec![
                Value::String((*text).to_string()),
                doc(Value::String((*text).to_string())),
            ]));
            let mut as_key = Mapping::new();
            if !text.contains('\n') {
                as_key.insert(
                    Value::String((*text).to_string()),
                    Value::String("v".into()),
                );
            }
            for value in [value, Value::Mapping(as_key)] {
                let mut diags = Vec::new();
                let yaml = to_string(&value, &mut diags);
                assert!(diags.is_empty(), "{text:?} → {yaml}: {diags:?}");
            }
        }
    }

    #[test]
    fn layout_matches_block_style() {
        let yaml: Value = serde_yaml_ng::from_str(
            "version: 0.2\nphases:\n  build:\n    commands:\n    - make\n    - |-\n      a\n      b\nlist:\n- a: 1\n  b: []\n- - x\n  - y\nempty: {}\n",
        )
        .unwrap_or(Value::Null);
        let mut diags = Vec::new();
        let text = to_string(&yaml, &mut diags);
        assert!(diags.is_empty());
        assert_eq!(
            text,
            "version: 0.2\nphases:\n  build:\n    commands:\n    - make\n    - |-\n      a\n      b\nlist:\n- a: 1\n  b: []\n- - x\n  - 'y'\nempty: {}\n"
        );
    }

    #[test]
    fn scalar_styles() {
        let mut diags = Vec::new();
        let text = to_string(
            &doc(Value::Sequence(
                [
                    "plain/path.txt",
                    "yes",
                    "1,000",
                    "=",
                    "it's",
                    "'quoted'",
                    "a\u{85}b",
                    "x\n",
                ]
                .iter()
                .map(|text| Value::String((*text).to_string()))
                .collect(),
            )),
            &mut diags,
        );
        assert!(diags.is_empty());
        assert_eq!(
            text,
            "key:\n- plain/path.txt\n- 'yes'\n- '1,000'\n- '='\n- it's\n- '''quoted'''\n- \"a\\Nb\"\n- |\n  x\n"
        );
    }

    #[test]
    fn the_yaml11_resolver_matches_pyyaml() {
        for text in [
            "yes",
            "Off",
            "1_000",
            "1:20",
            "0x1f",
            "017",
            "1.0e+3",
            ".inf",
            "=",
            "<<",
            "~",
            "",
            "2024-01-01",
            "2001-12-14 21:59:43.10 -5",
            "1,000",
        ] {
            assert!(!yaml11_resolves_as_string(text), "{text}");
        }
        for text in [
            "yess", "1e3", "1e", "0x", "a=b", "<<<", "2024-01", "v1.2", "9:99", "make",
        ] {
            assert!(yaml11_resolves_as_string(text), "{text}");
        }
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
        }
        assert_eq!(base64_encode(&[0xff, 0xfe, 0xfd]), "//79");
    }
}
