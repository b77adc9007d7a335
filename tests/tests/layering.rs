//! Architecture rules checked mechanically (ARCHITECTURE.md, "Invariants"):
//!
//! - modules inside a crate layer: no two sibling modules use each other, directly or through
//!   other siblings (an import circle makes a crate one ball of code that can only be understood
//!   whole);
//! - crates depend only downwards, and the heavy or IO-bound dependencies stay in the one crate
//!   allowed to have them (invariant 5).
//!
//! Every `use` tree and every path of every file under `compiler/*/src` is read with `syn`, and
//! resolved to the module it names (`crate::…`, `super::…`, `self::…`). A reference from module
//! `a::x` to module `b::y` makes `a` depend on `b` under their common parent; a circle among the
//! children of one parent is an error, reported with the references that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// A module path below the crate root, e.g. `["commands", "build"]`.
type ModPath = Vec<String>;

/// Every module file of a crate: its path, and the source file that defines it.
fn modules(src: &Path) -> BTreeMap<ModPath, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("below src");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let file = parts.pop().expect("file name");
            let stem = file.trim_end_matches(".rs").to_string();
            match stem.as_str() {
                "lib" | "main" if parts.is_empty() => {}
                "mod" => {}
                _ => parts.push(stem),
            }
            out.insert(parts, path);
        }
    }
    out
}

/// Collects the module paths a file names.
struct Refs {
    here: ModPath,
    found: Vec<ModPath>,
}

impl Refs {
    /// Resolves a path's leading segments to an absolute path below the crate root.
    fn resolve(&self, segments: &[String]) -> Option<ModPath> {
        let mut base: ModPath;
        let mut rest = segments;
        match segments.first().map(String::as_str) {
            Some("crate") => {
                base = Vec::new();
                rest = &segments[1..];
            }
            Some("self") => {
                base = self.here.clone();
                rest = &segments[1..];
            }
            Some("super") => {
                base = self.here.clone();
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            _ => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn push(&mut self, segments: &[String]) {
        if let Some(path) = self.resolve(segments) {
            self.found.push(path);
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.push(prefix);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.push(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.push(prefix),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Refs {
    fn visit_item_use(&mut self, node: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &node.tree);
    }

    fn visit_path(&mut self, node: &'ast syn::Path) {
        let segments: Vec<String> = node.segments.iter().map(|s| s.ident.to_string()).collect();
        self.push(&segments);
        syn::visit::visit_path(self, node);
    }

    fn visit_item_mod(&mut self, node: &'ast syn::ItemMod) {
        // An inline module (`mod tests { use super::*; }`) sits one level down.
        self.here.push(node.ident.to_string());
        syn::visit::visit_item_mod(self, node);
        self.here.pop();
    }
}

/// The longest prefix of `path` that is a module of the crate.
fn module_of(path: &[String], known: &BTreeMap<ModPath, PathBuf>) -> ModPath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| known.contains_key(p))
        .unwrap_or_default()
}

/// One dependency between siblings, with the reference that makes it.
#[derive(Clone)]
struct Edge {
    why: String,
}

/// Sibling dependencies of one crate: parent module → (from child, to child) → examples.
fn sibling_edges(src: &Path) -> BTreeMap<ModPath, BTreeMap<(String, String), Edge>> {
    let known = modules(src);
    let mut out: BTreeMap<ModPath, BTreeMap<(String, String), Edge>> = BTreeMap::new();
    for (module, file) in &known {
        let text = std::fs::read_to_string(file).expect("read module");
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut refs = Refs {
            here: module.clone(),
            found: Vec::new(),
        };
        refs.visit_file(&ast);
        for target in refs.found {
            let target = module_of(&target, &known);
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            // Ancestors and descendants are not siblings: a parent may use its children and a
            // child its parent's items.
            if common == module.len() || common == target.len() {
                continue;
            }
            let parent = module[..common].to_vec();
            let key = (module[common].clone(), target[common].clone());
            let rel = file.strip_prefix(workspace()).unwrap_or(file);
            out.entry(parent)
                .or_default()
                .entry(key)
                .or_insert_with(|| Edge {
                    why: format!("{} uses {}", rel.display(), target.join("::")),
                });
        }
    }
    out
}

/// Strongly connected components with more than one member: the nodes that reach each other.
fn circles(edges: &BTreeMap<(String, String), Edge>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    let nodes: Vec<&String> = nodes.into_iter().collect();
    let index_of = |n: &String| nodes.iter().position(|m| *m == n).expect("node");
    let mut adj = vec![Vec::new(); nodes.len()];
    for (a, b) in edges.keys() {
        adj[index_of(a)].push(index_of(b));
    }
    // Reachability by a search from each node: fine for the few dozen siblings of a parent.
    let n = nodes.len();
    let reach: Vec<Vec<bool>> = (0..n)
        .map(|start| {
            let mut seen = vec![false; n];
            let mut stack = adj[start].clone();
            while let Some(next) = stack.pop() {
                if !seen[next] {
                    seen[next] = true;
                    stack.extend(adj[next].iter().copied());
                }
            }
            seen
        })
        .collect();
    let mut seen = vec![false; n];
    let mut out = Vec::new();
    for i in 0..n {
        if seen[i] {
            continue;
        }
        let group: Vec<usize> = (0..n)
            .filter(|&j| j == i || (reach[i][j] && reach[j][i]))
            .collect();
        for &j in &group {
            seen[j] = true;
        }
        if group.len() > 1 {
            out.push(group.into_iter().map(|j| nodes[j].clone()).collect());
        }
    }
    out
}

/// The workspace's crates under `compiler/`: name and directory, sorted by name.
fn crates() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(workspace().join("compiler"))
        .expect("compiler dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                p,
            )
        })
        .collect();
    out.sort();
    out
}

/// Renders every circle of every crate, with the references that close it.
fn all_circles() -> Vec<String> {
    let mut report = Vec::new();
    for (name, krate) in crates() {
        for (parent, edges) in sibling_edges(&krate.join("src")) {
            for circle in circles(&edges) {
                let at = if parent.is_empty() {
                    name.clone()
                } else {
                    format!("{name}::{}", parent.join("::"))
                };
                let mut lines = vec![format!("{at}: {}", circle.join(" <-> "))];
                for ((a, b), edge) in &edges {
                    if circle.contains(a) && circle.contains(b) {
                        lines.push(format!("    {a} -> {b}: {}", edge.why));
                    }
                }
                report.push(lines.join("\n"));
            }
        }
    }
    report
}

#[test]
fn no_import_circle_inside_any_crate() {
    let report = all_circles();
    assert!(
        report.is_empty(),
        "modules inside a crate must layer; move what both sides need into a lower module:\n{}",
        report.join("\n")
    );
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "mod a; mod b; mod c;").expect("write");
    std::fs::write(src.join("a.rs"), "use crate::b::f; pub fn g() { f() }").expect("write");
    std::fs::create_dir(src.join("b")).expect("mkdir");
    std::fs::write(src.join("b/mod.rs"), "mod inner; pub fn f() {}").expect("write");
    std::fs::write(
        src.join("b/inner.rs"),
        "pub fn h() { super::super::c::k() }",
    )
    .expect("write");
    std::fs::write(
        src.join("c.rs"),
        "use crate::{a::{self}, b}; pub fn k() { a::g() }",
    )
    .expect("write");
    let edges = sibling_edges(src);
    let found = circles(&edges[&Vec::new()]);
    assert_eq!(
        found,
        vec![vec!["a".to_string(), "b".to_string(), "c".to_string()]]
    );
    // A parent using its child and the child using its parent is not a circle.
    std::fs::write(src.join("c.rs"), "pub fn k() {}").expect("write");
    std::fs::write(src.join("b/inner.rs"), "pub fn h() { super::f() }").expect("write");
    assert!(circles(&sibling_edges(src)[&Vec::new()]).is_empty());
}

/// Which workspace crates may depend on which outside crates (invariant 5): the SDK, the
/// protocol types and the command line each stay in the one crate built for them.
#[test]
fn confined_dependencies_stay_in_their_crate() {
    let rules: &[(&str, &[&str])] = &[
        ("aws-", &["pipec-deploy"]),
        ("lsp-types", &["pipec-lsp"]),
        ("lsp-server", &["pipec-lsp"]),
        ("clap", &["pipec-cli"]),
        ("pest", &["pipec-syntax"]),
        // The SDK runs on tokio; the binary owns the runtime (and its signal handling).
        ("tokio", &["pipec-deploy", "pipec-cli"]),
    ];
    let mut bad = Vec::new();
    for (name, krate) in crates() {
        let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).expect("manifest");
        let mut section = String::new();
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line.to_string();
                continue;
            }
            if !section.contains("dependencies") || section.contains("dev-dependencies") {
                continue;
            }
            let dep = line.split(['=', '.', ' ']).next().unwrap_or("");
            for (prefix, owners) in rules {
                if dep.starts_with(prefix) && !owners.contains(&name.as_str()) {
                    bad.push(format!(
                        "{name} depends on {dep}, which belongs in {} only",
                        owners.join(", ")
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Crates depend only downwards, in the order of ARCHITECTURE.md's diagram.
#[test]
fn crates_depend_only_downwards() {
    let order = [
        "pipec-span",
        "pipec-diagnostics",
        "pipec-syntax",
        "pipec-ir",
        "pipec-sema",
        "pipec-emit",
        "pipec-driver",
        "pipec-run",
        "pipec-deploy",
        "pipec-lsp",
        "pipec-cli",
    ];
    let found: Vec<String> = crates().into_iter().map(|(name, _)| name).collect();
    let mut listed: Vec<&str> = order.to_vec();
    listed.sort_unstable();
    assert_eq!(
        found, listed,
        "a crate was added or removed: place it in this order"
    );
    let mut bad = Vec::new();
    for (rank, name) in order.iter().enumerate() {
        let manifest =
            std::fs::read_to_string(workspace().join("compiler").join(name).join("Cargo.toml"))
                .expect("manifest");
        let mut section = "";
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line;
                continue;
            }
            let dep = line.split(['=', '.', ' ']).next().unwrap_or("");
            // A crate may name itself as a dev-dependency to turn on a test feature (pipec-deploy's
            // `fake`); that is not a dependency on anything else.
            if dep == *name && section == "[dev-dependencies]" {
                continue;
            }
            if let Some(dep_rank) = order.iter().position(|o| *o == dep) {
                if dep_rank >= rank {
                    bad.push(format!("{name} depends on {dep}, which is not below it"));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
