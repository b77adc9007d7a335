//! Modules inside a crate layer: no import circle (`a` uses `crate::b` and `b` uses `crate::a`,
//! directly or through others; issue 13). Read from the source text: each module's `crate::…`
//! and `super::…` paths, outside its `#[cfg(test)] mod tests`, name the modules it depends on.
//! The crates listed are free of circles; add a crate here once its circles are gone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pipec_tests::repo_root;

const LAYERED: &[&str] = &["compiler/pipec-cli/src", "compiler/pipec-deploy/src"];

/// Module path (`aws::report`, `crate` for the root) → source text.
fn modules(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            modules(&path, root, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(root).unwrap_or(&path).with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            let name = if parts.is_empty() {
                "crate".to_string()
            } else {
                parts.join("::")
            };
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let text = match text.find("#[cfg(test)]\nmod tests") {
                Some(end) => text[..end].to_string(),
                None => text,
            };
            out.insert(name, text);
        }
    }
}

/// The `a::b::c` paths after each occurrence of `prefix` in `text`.
fn paths_after<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.match_indices(prefix)
        .filter(|(at, _)| {
            // Not the tail of another identifier (`pipec_deploy::` for `deploy::`).
            text[..*at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        })
        .map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches(':')
        })
        .collect()
}

/// Module → the modules of the same crate it uses (never itself or its ancestors).
fn edges(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges = BTreeMap::new();
    for (name, text) in modules {
        let parent = match name.rsplit_once("::") {
            Some((parent, _)) => parent.to_string(),
            None => "crate".to_string(),
        };
        let mut targets = BTreeSet::new();
        let mut add = |path: String| {
            let parts: Vec<&str> = path.split("::").collect();
            let found = (1..=parts.len())
                .rev()
                .map(|count| parts[..count].join("::"))
                .find(|candidate| modules.contains_key(candidate));
            if let Some(target) = found {
                let ancestor = name.starts_with(&format!("{target}::"));
                if target != *name && !ancestor {
                    targets.insert(target);
                }
            }
        };
        for path in paths_after(text, "crate::") {
            add(path.to_string());
        }
        for path in paths_after(text, "super::") {
            if parent == "crate" {
                add(path.to_string());
            } else {
                add(format!("{parent}::{path}"));
            }
        }
        edges.insert(name.clone(), targets);
    }
    edges
}

/// One circle, as `a → b → a`, if there is any.
fn find_circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<String> {
        if let Some(at) = stack.iter().position(|entry| entry == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.to_string());
            return Some(circle.join(" → "));
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, done, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut done, &mut Vec::new()))
}

#[test]
fn modules_inside_a_crate_have_no_import_circle() {
    let root = repo_root();
    for dir in LAYERED {
        let src = root.join(dir);
        let mut found = BTreeMap::new();
        modules(&src, &src, &mut found);
        assert!(found.len() > 5, "{dir}: too few modules found");
        if let Some(circle) = find_circle(&edges(&found)) {
            panic!("{dir}: import circle {circle}");
        }
    }
}

#[test]
fn a_circle_is_found() {
    let mut found = BTreeMap::new();
    found.insert("crate".to_string(), "mod a; mod b; mod c;".to_string());
    found.insert("a".to_string(), "use crate::b::thing;".to_string());
    found.insert("b".to_string(), "use crate::c::{x, y};".to_string());
    found.insert("c".to_string(), "fn f() { crate::a::go() }".to_string());
    assert_eq!(
        find_circle(&edges(&found)).as_deref(),
        Some("a → b → c → a")
    );
    found.insert("c".to_string(), "use pipec_deploy::a;".to_string());
    assert_eq!(find_circle(&edges(&found)), None);
}
