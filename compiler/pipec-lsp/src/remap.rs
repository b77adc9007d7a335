//! Offsets between a text an analysis was computed from and the document's text now. The two
//! texts are compared by their common prefix and suffix: an offset in either maps exactly
//! (the bytes around it are the same), an offset in the changed middle maps to nothing. So an
//! older analysis answers only about text that has not changed since, never about shifted text.

/// How the old text became the new one: both share `prefix` leading and `suffix` trailing bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Remap {
    prefix: usize,
    suffix: usize,
    old_len: usize,
    new_len: usize,
}

impl Remap {
    /// Compares `old` and `new`.
    pub(crate) fn new(old: &str, new: &str) -> Remap {
        let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
        let prefix = old_bytes
            .iter()
            .zip(new_bytes)
            .take_while(|(a, b)| a == b)
            .count();
        let rest = old.len().min(new.len()) - prefix;
        let suffix = old_bytes
            .iter()
            .rev()
            .zip(new_bytes.iter().rev())
            .take(rest)
            .take_while(|(a, b)| a == b)
            .count();
        Remap {
            prefix,
            suffix,
            old_len: old.len(),
            new_len: new.len(),
        }
    }

    /// True when nothing changed.
    #[cfg(test)]
    pub(crate) fn is_identity(self) -> bool {
        self.old_len == self.new_len && self.prefix == self.old_len
    }

    /// The offset in the old text of `offset` in the new one, unless it is in the changed part.
    pub(crate) fn to_old(self, offset: usize) -> Option<usize> {
        map(offset, self.prefix, self.suffix, self.new_len, self.old_len)
    }

    /// The offset in the new text of `offset` in the old one, unless it is in the changed part.
    pub(crate) fn to_new(self, offset: usize) -> Option<usize> {
        map(offset, self.prefix, self.suffix, self.old_len, self.new_len)
    }

    /// The new range of an old range that lies wholly in an unchanged part.
    pub(crate) fn range_to_new(self, start: usize, end: usize) -> Option<(usize, usize)> {
        let new_start = self.to_new(start)?;
        let new_end = self.to_new(end)?;
        // Both ends on the same side of the change: the bytes between are unchanged too.
        let both_before = end <= self.prefix;
        let both_after = start >= self.old_len - self.suffix;
        (both_before || both_after).then_some((new_start, new_end))
    }
}

fn map(
    offset: usize,
    prefix: usize,
    suffix: usize,
    from_len: usize,
    to_len: usize,
) -> Option<usize> {
    if offset < prefix || (offset == prefix && prefix == from_len) {
        return Some(offset);
    }
    let tail = from_len - suffix;
    if offset >= tail && offset <= from_len {
        return Some(offset - tail + (to_len - suffix));
    }
    // At the boundary of the prefix with an insertion: the byte at `offset` did change.
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_parts_map_and_the_changed_part_does_not() {
        let old = "repo app {\n}\nlet x = 1\n";
        let new = "repo app {\n  owner = 2\nlet x = 1\n";
        let remap = Remap::new(old, new);
        assert!(!remap.is_identity());
        assert_eq!(remap.to_old(2), Some(2));
        let x_new = new.find("x =").unwrap_or(0);
        let x_old = old.find("x =").unwrap_or(0);
        assert_eq!(remap.to_old(x_new), Some(x_old));
        assert_eq!(remap.to_new(x_old), Some(x_new));
        assert_eq!(remap.to_old(new.find("owner").unwrap_or(0)), None);
        assert_eq!(
            remap.range_to_new(x_old, x_old + 1),
            Some((x_new, x_new + 1))
        );
        assert_eq!(remap.range_to_new(0, x_old), None);
        assert!(Remap::new(old, old).is_identity());
        assert_eq!(Remap::new(old, old).to_old(old.len()), Some(old.len()));
    }

    #[test]
    fn repeated_bytes_never_overlap_prefix_and_suffix() {
        let remap = Remap::new("aaaa", "aaaaaa");
        for offset in 0..=6 {
            if let Some(old) = remap.to_old(offset) {
                assert!(old <= 4);
            }
        }
        let remap = Remap::new("abc", "");
        assert_eq!(remap.to_new(1), None);
    }
}
