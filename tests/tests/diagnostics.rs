//! One fixture per diagnostic code, snapshotted as `--- source ---` then `--- diagnostics ---`,
//! and the registry check: every code has a doc (checked in pipec-diagnostics) and appears in
//! at least one snapshot of the repository.

use std::path::Path;

use pipec_tests::{check_fixture, render, repo_root};

#[test]
fn diagnostic_fixtures() {
    let base = repo_root().join("tests/fixtures/diagnostics");
    let mut entries: Vec<_> = std::fs::read_dir(&base)
        .expect("fixtures dir")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default()
            .to_string();
        let name = if path.is_dir() {
            format!("{stem}/main.pipe")
        } else {
            format!("{stem}.pipe")
        };
        let (text, checked) = check_fixture(&base, &name);
        let code = &stem[..5];
        assert!(
            checked
                .diagnostics()
                .iter()
                .any(|diag| diag.code.number() == code),
            "fixture {name} does not produce {code}:\n{}",
            render(&checked)
        );
        let snapshot = format!(
            "--- source ---\n{text}\n--- diagnostics ---\n{}",
            render(&checked)
        );
        insta::with_settings!({ snapshot_path => repo_root().join("tests/snapshots/diagnostics"), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(stem, snapshot);
        });
    }
}

/// Codes no test input can show: P9000 is pipec's own failure (a bug by definition); P7009
/// (sandbox fallback) appears only where a mount namespace cannot be made, i.e. when not root,
/// and this machine and CI run as root (pipec-run's unit tests cover the fallback path itself).
/// P5003 (deep-validation) comes only from `pipec check --deep`, i.e. from the optional
/// `cloudformation-validate` dependency behind pipec-cli's `deep` feature, which is off in CI
/// (pipec-cli's feature-gated test `tests/deep.rs` covers it).
const EXEMPT: &[&str] = &["P9000", "P7009", "P5003"];

#[test]
fn every_code_has_a_snapshot() {
    let root = repo_root();
    let mut corpus = String::new();
    collect_snapshots(&root.join("tests"), &mut corpus);
    collect_snapshots(&root.join("compiler"), &mut corpus);
    let missing: Vec<&str> = pipec_diagnostics::ALL_CODES
        .iter()
        .filter(|info| !info.removed && !EXEMPT.contains(&info.number))
        .map(|info| info.number)
        .filter(|number| {
            !corpus.contains(&format!("[{number}]")) && !corpus.contains(&format!("\"{number}\""))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a snapshot showing them: {missing:?}"
    );
}

fn collect_snapshots(dir: &Path, corpus: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") {
                collect_snapshots(&path, corpus);
            }
        } else if path.extension().is_some_and(|ext| ext == "snap") {
            corpus.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}
