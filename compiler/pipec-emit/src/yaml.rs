//! YAML serialization through `serde_yaml_ng` (never string templates) and the base64 encoding
//! that carries generated files through the build's shell.

use pipec_diagnostics::Diagnostic;
use serde_yaml_ng::{Mapping, Value};

/// Serializes a YAML value, then quotes the plain scalars that YAML 1.1 readers (the
/// CodeDeploy agent's Ruby Psych) would not read as strings. The result is parsed back and must
/// equal `value`; a failure is a compiler bug.
pub(crate) fn to_string(value: &Value, diags: &mut Vec<Diagnostic>) -> String {
    let text = match serde_yaml_ng::to_string(value) {
        Ok(text) => quote_yaml11_lookalikes(&text),
        Err(error) => {
            diags.push(Diagnostic::bug(format!("cannot serialize YAML: {error}")));
            return String::new();
        }
    };
    match serde_yaml_ng::from_str::<Value>(&text) {
        Ok(parsed) if parsed == *value => {}
        _ => diags.push(Diagnostic::bug(
            "generated YAML does not read back as what was serialized",
        )),
    }
    text
}

/// serde_yaml_ng follows YAML 1.2, where `yes`, `on`, `n`, `1_000` or `1:30` are strings and
/// are written plain; YAML 1.1 reads them as booleans or numbers. This pass single-quotes such
/// a scalar when it is a whole value on a `key: value` or `- value` line, leaving block scalars
/// (`|`) untouched. Quoting never changes a string's value.
fn quote_yaml11_lookalikes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut block_indent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches('\n');
        let indent = content.len() - content.trim_start().len();
        if let Some(open) = block_indent {
            if content.trim().is_empty() || indent > open {
                out.push_str(line);
                continue;
            }
            block_indent = None;
        }
        let mut start = indent;
        let mut structural = false;
        while content[start..].starts_with("- ") {
            start += 2;
            structural = true;
        }
        if let Some(colon) = content[start..].find(": ") {
            start += colon + 2;
            structural = true;
        }
        let scalar = &content[start..];
        if scalar.starts_with('|') || scalar.starts_with('>') {
            block_indent = Some(indent);
        }
        if structural && is_yaml11_lookalike(scalar) {
            out.push_str(&content[..start]);
            out.push('\'');
            out.push_str(scalar);
            out.push('\'');
            out.push_str(&line[content.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// YAML 1.1 booleans, and digit strings with `_` or `:` (1.1 integers and sexagesimals).
fn is_yaml11_lookalike(scalar: &str) -> bool {
    const BOOLS: [&str; 22] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    ];
    if BOOLS.contains(&scalar) {
        return true;
    }
    scalar.chars().any(|ch| ch.is_ascii_digit())
        && scalar
            .chars()
            .all(|ch| ch.is_ascii_digit() || "_:.+-".contains(ch))
        && scalar.contains(['_', ':'])
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
    use super::{base64_encode, quote_yaml11_lookalikes};

    #[test]
    fn yaml11_lookalikes_are_quoted_outside_block_scalars() {
        let text = "a: yes\nb:\n- on\n- 1_000\n- 1:30\n- plain\nc: |-\n  yes\n  - no\nd: N\n";
        let want =
            "a: 'yes'\nb:\n- 'on'\n- '1_000'\n- '1:30'\n- plain\nc: |-\n  yes\n  - no\nd: 'N'\n";
        assert_eq!(quote_yaml11_lookalikes(text), want);
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
