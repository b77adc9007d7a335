//! YAML serialization through `serde_yaml_ng` (never string templates) and the base64 encoding
//! that carries generated files through the build's shell.

use pipec_diagnostics::Diagnostic;
use serde_yaml_ng::{Mapping, Value};

/// Serializes a YAML value; a failure is a compiler bug.
pub(crate) fn to_string(value: &Value, diags: &mut Vec<Diagnostic>) -> String {
    match serde_yaml_ng::to_string(value) {
        Ok(text) => text,
        Err(error) => {
            diags.push(Diagnostic::bug(format!("cannot serialize YAML: {error}")));
            String::new()
        }
    }
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
    use super::base64_encode;

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
