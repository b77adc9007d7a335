//! Resource bounds of evaluation: how large a value may grow and how much the whole program may
//! produce, so that no input (a 749-byte file that doubles a string 30 times, a list of lists
//! of lists) exhausts memory or time. The limits sit far above anything AWS accepts: the
//! largest document in a deployment is a CloudFormation template of at most 1 MB (through S3,
//! aws-facts §6), a template holds at most 500 resources and 200 outputs, an IAM role's inline
//! policies at most 10,240 characters (§4.5), a resource at most 50 tags (§5.1). A string
//! longer than 1 MiB or a list of more than 100,000 items can never be deployed, so rejecting
//! them costs nothing real and keeps every check under a second.
//!
//! It must not evaluate anything: `eval/` asks it to measure and decides what to report.

use crate::value::Value;

/// The longest string a value may hold: 1 MiB (a CloudFormation template, the largest document
/// AWS accepts in a deployment, is at most 1 MB).
pub(crate) const MAX_STRING_BYTES: usize = 1 << 20;

/// The most list items and map entries one value may hold, counted through nested lists and
/// maps (200 times the 500 resources a template may declare).
pub(crate) const MAX_VALUE_ITEMS: usize = 100_000;

/// The deepest nesting of lists and maps in one value; the grammar's own nesting limit does not
/// cover values built through `let`s (`let b = [a]`, `let c = [b]`, …).
pub(crate) const MAX_VALUE_DEPTH: usize = 32;

/// The most bytes one value may hold (its strings, plus 64 bytes per list item or map entry).
pub(crate) const MAX_VALUE_BYTES: usize = 16 << 20;

/// The most bytes the evaluation of a whole program may produce or copy, counted as for one
/// value: bounds memory and time when one large value is used in many places.
pub(crate) const MAX_TOTAL_BYTES: usize = 64 << 20;

/// The bytes counted for one list item or map entry besides its contents.
pub(crate) const ITEM_BYTES: usize = 64;

/// What the evaluation of one program has produced so far, against `MAX_TOTAL_BYTES`.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    produced: usize,
    spent: bool,
}

impl Budget {
    /// True once a charge went over `MAX_TOTAL_BYTES`.
    pub(crate) fn is_spent(&self) -> bool {
        self.spent
    }

    /// Counts `bytes` more; false (and spent from now on) when that goes over the limit.
    pub(crate) fn charge(&mut self, bytes: usize) -> bool {
        self.produced = self.produced.saturating_add(bytes);
        if self.produced > MAX_TOTAL_BYTES {
            self.spent = true;
        }
        !self.spent
    }
}

/// The size of a value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Measure {
    /// Bytes: strings plus `ITEM_BYTES` per list item or map entry.
    pub(crate) bytes: usize,
    /// List items and map entries, nested ones included.
    pub(crate) items: usize,
    /// Nesting of lists and maps (0 for a scalar).
    pub(crate) depth: usize,
}

impl Measure {
    /// What is wrong with a value of this size, if anything.
    pub(crate) fn excess(self) -> Option<String> {
        if self.depth > MAX_VALUE_DEPTH {
            Some(format!(
                "lists and maps nest {} deep, more than the {MAX_VALUE_DEPTH} allowed",
                self.depth
            ))
        } else if self.items > MAX_VALUE_ITEMS {
            Some(format!(
                "the value holds {} list items or map entries, more than the {MAX_VALUE_ITEMS} allowed",
                self.items
            ))
        } else if self.bytes > MAX_VALUE_BYTES {
            Some(format!(
                "the value holds {} MiB, more than the {} MiB allowed",
                self.bytes >> 20,
                MAX_VALUE_BYTES >> 20
            ))
        } else {
            None
        }
    }
}

/// Measures `value`. Recursion is bounded: every list or map is measured when it is built and
/// rejected beyond `MAX_VALUE_DEPTH`, so no value reaching here nests deeper than that plus one.
pub(crate) fn measure(value: &Value) -> Measure {
    match value {
        Value::Str(text) | Value::Managed(text) | Value::Ssm(text) | Value::Secret(text) => {
            Measure {
                bytes: text.len(),
                ..Measure::default()
            }
        }
        Value::Text(parts) => Measure {
            bytes: parts
                .iter()
                .map(|part| match part {
                    pipec_ir::TextPart::Literal(text) => text.len(),
                    pipec_ir::TextPart::Attr(_) => ITEM_BYTES,
                })
                .sum(),
            ..Measure::default()
        },
        Value::List(items) => combine(items.iter().map(|(item, _)| (0, item))),
        Value::Map(entries) => combine(entries.iter().map(|(key, _, item, _)| (key.len(), item))),
        Value::Symbol(path) => Measure {
            bytes: path.iter().map(String::len).sum(),
            ..Measure::default()
        },
        Value::Block(_, name) => Measure {
            bytes: name.len(),
            ..Measure::default()
        },
        Value::Int(_) | Value::Bool(_) | Value::Attr(_) | Value::Error => Measure::default(),
    }
}

/// The measure of a list or map made of `items` (each with the bytes of its key).
pub(crate) fn combine<'v>(items: impl Iterator<Item = (usize, &'v Value)>) -> Measure {
    let mut total = Measure {
        bytes: 0,
        items: 0,
        depth: 1,
    };
    for (key_bytes, item) in items {
        let inner = measure(item);
        total.bytes = total
            .bytes
            .saturating_add(inner.bytes)
            .saturating_add(key_bytes + ITEM_BYTES);
        total.items = total.items.saturating_add(inner.items + 1);
        total.depth = total.depth.max(inner.depth + 1);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span() -> pipec_span::Span {
        pipec_span::Span::new(pipec_span::FileId(0), 0, 0)
    }

    #[test]
    fn nested_lists_count_items_and_depth() {
        let inner = Value::List(vec![
            (Value::Str("ab".into()), span()),
            (Value::Int(1), span()),
        ]);
        let outer = Value::List(vec![(inner.clone(), span()), (inner, span())]);
        let size = measure(&outer);
        assert_eq!(size.items, 6);
        assert_eq!(size.depth, 2);
        assert_eq!(size.bytes, 4 + 6 * ITEM_BYTES);
        assert_eq!(size.excess(), None);
        let deep = Measure {
            depth: MAX_VALUE_DEPTH + 1,
            ..size
        };
        assert!(deep.excess().is_some());
    }
}
