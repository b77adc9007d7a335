//! Modules inside a crate layer (issue 13, item 5): no module imports, directly or through
//! others, a module that imports it back. A module's imports are the `crate::NAME` paths in its
//! files outside `#[cfg(test)]` code; a module with submodules (`lower/`) counts as one.
//!
//! The crates listed here have no circle; a crate joins the list once its circles are gone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pipec_tests::repo_root;

const LAYERED: &[&str] = &[
    "pipec-span",
    "pipec-diagnostics",
    "pipec-ir",
    "pipec-sema",
    "pipec-emit",
    "pipec-driver",
    "pipec-run",
    "pipec-lsp",
];

/// The top-level module a source file belongs to (`lower/deploy.rs` → `lower`); `None` for
/// the crate root.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_string())
}

/// The modules named by `crate::NAME` in `text`, also inside `crate::{a, b::c}`.
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let word = |rest: &str| -> String {
        rest.chars()
            .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
            .collect()
    };
    for (at, _) in text.match_indices("crate::") {
        if text[..at].ends_with(|ch: char| ch.is_ascii_alphanumeric() || ch == '_') {
            continue; // `pipec_crate::` or similar, not this crate
        }
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name = word(item.trim());
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name = word(rest);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The import graph of a crate's modules.
fn graph(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = repo_root().join("compiler").join(krate).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(imports(code).into_iter().filter(|name| *name != module));
    }
    graph
}

/// The modules `start` reaches through imports.
fn reach(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = vec![start];
    while let Some(module) = todo.pop() {
        for next in graph.get(module).into_iter().flatten() {
            if seen.insert(next.clone()) {
                todo.push(next);
            }
        }
    }
    seen
}

#[test]
fn modules_inside_each_crate_layer() {
    let mut circles = Vec::new();
    for krate in LAYERED {
        let graph = graph(krate);
        for (module, uses) in &graph {
            for used in uses {
                if reach(&graph, used).contains(module) {
                    circles.push(format!(
                        "{krate}: `{module}` uses `{used}`, which leads back"
                    ));
                }
            }
        }
    }
    assert!(circles.is_empty(), "{}", circles.join("\n"));
}

#[test]
fn the_import_reader_sees_grouped_and_nested_paths() {
    let found = imports("use crate::a::B;\nuse crate::{b, c::D};\nlet x = crate::d::f();");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    // A circle is found through a third module.
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("x", &["y"][..]), ("y", &["z"][..]), ("z", &["x"][..])]
            .into_iter()
            .map(|(module, uses)| {
                (
                    module.to_string(),
                    uses.iter().map(|used| (*used).to_string()).collect(),
                )
            })
            .collect();
    assert!(reach(&graph, "y").contains("x"));
}
