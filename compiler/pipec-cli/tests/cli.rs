//! The `pipec` binary as users run it: exit codes, output formats, `explain`, `fmt --check`,
//! and `build`'s atomic output (nothing half-written, the old output kept on failure).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pipec(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipec"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pipec")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_exit_codes_and_formats() {
    let root = repo();
    let clean = pipec(&["check", "examples/seed-ec2/pipeline.pipe"], &root);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    assert!(text(&clean.stderr).contains("ok: no problems found"));

    let bad = pipec(
        &[
            "check",
            "tests/fixtures/diagnostics/P2003_unresolved_reference.pipe",
        ],
        &root,
    );
    assert_eq!(bad.status.code(), Some(1));
    insta::assert_snapshot!("check_human", text(&bad.stderr));

    let json = pipec(
        &[
            "check",
            "--format",
            "json",
            "tests/fixtures/diagnostics/P3001_unknown_attribute.pipe",
        ],
        &root,
    );
    assert_eq!(json.status.code(), Some(1));
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON on stdout");
    insta::assert_json_snapshot!("check_json", parsed);

    let short = pipec(
        &[
            "check",
            "--format",
            "short",
            "tests/fixtures/diagnostics/P3001_unknown_attribute.pipe",
        ],
        &root,
    );
    insta::assert_snapshot!("check_short", text(&short.stderr));

    let warnings = pipec(
        &[
            "check",
            "--deny-warnings",
            "tests/fixtures/diagnostics/P4101_iam_wildcard_action.pipe",
        ],
        &root,
    );
    assert_eq!(warnings.status.code(), Some(1));
    let allowed = pipec(
        &[
            "check",
            "tests/fixtures/diagnostics/P4101_iam_wildcard_action.pipe",
        ],
        &root,
    );
    assert_eq!(allowed.status.code(), Some(0));

    let missing = pipec(&["check", "does/not/exist.pipe"], &root);
    assert_eq!(missing.status.code(), Some(2));
    insta::assert_snapshot!("check_missing_file", text(&missing.stderr));

    let usage = pipec(&["check"], &root);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn var_overrides_reach_the_program() {
    let root = repo();
    let unknown = pipec(
        &[
            "check",
            "examples/seed-ec2/pipeline.pipe",
            "--var",
            "enviroment=prod",
        ],
        &root,
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("P2009"),
        "{}",
        text(&unknown.stderr)
    );
    let out = tempfile::tempdir().expect("tempdir");
    let prod = pipec(
        &[
            "build",
            "examples/seed-ec2/pipeline.pipe",
            "--var",
            "env=prod",
            "-o",
            &out.path().join("o").to_string_lossy(),
        ],
        &root,
    );
    assert_eq!(prod.status.code(), Some(0), "{}", text(&prod.stderr));
    let manifest = std::fs::read_to_string(out.path().join("o/manifest.json")).expect("manifest");
    assert!(
        manifest.contains("\"stack_name\": \"fe-server-prod\""),
        "{manifest}"
    );
}

#[test]
fn explain_prints_docs_by_number_or_name() {
    let root = repo();
    let by_number = pipec(&["explain", "P2003"], &root);
    assert_eq!(by_number.status.code(), Some(0));
    assert!(text(&by_number.stdout).starts_with("# P2003: unresolved-reference"));
    let by_name = pipec(&["explain", "unresolved-reference"], &root);
    assert_eq!(by_name.stdout, by_number.stdout);
    let unknown = pipec(&["explain", "P2030"], &root);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("did you mean"),
        "{}",
        text(&unknown.stderr)
    );
    let list = pipec(&["explain", "--list"], &root);
    assert!(text(&list.stdout).lines().count() > 40);
}

#[test]
fn fmt_check_and_rewrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("x.pipe");
    std::fs::write(&file, "repo   app{branch=\"main\"}\n").expect("write");
    let check = pipec(&["fmt", "--check", "x.pipe"], dir.path());
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "repo   app{branch=\"main\"}\n",
        "--check changes nothing"
    );
    let write = pipec(&["fmt", "x.pipe"], dir.path());
    assert_eq!(write.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "repo app { branch = \"main\" }\n"
    );
    assert_eq!(
        pipec(&["fmt", "--check", "x.pipe"], dir.path())
            .status
            .code(),
        Some(0)
    );
    std::fs::write(&file, "repo app {\n").expect("write");
    let broken = pipec(&["fmt", "x.pipe"], dir.path());
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "repo app {\n",
        "a file with syntax errors is left alone"
    );
    for example in [
        "examples/seed-ec2/pipeline.pipe",
        "examples/seed-s3-site/pipeline.pipe",
    ] {
        assert_eq!(
            pipec(&["fmt", "--check", example], &repo()).status.code(),
            Some(0),
            "{example} is not formatted"
        );
    }
}

#[test]
fn build_is_atomic_and_deterministic() {
    let root = repo();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let out_arg = out.to_string_lossy().into_owned();
    let first = pipec(
        &["build", "examples/seed-ec2/pipeline.pipe", "-o", &out_arg],
        &root,
    );
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let template = std::fs::read(out.join("template.json")).expect("template");
    let second = pipec(
        &["build", "examples/seed-ec2/pipeline.pipe", "-o", &out_arg],
        &root,
    );
    assert_eq!(second.status.code(), Some(0));
    assert_eq!(
        std::fs::read(out.join("template.json")).expect("template"),
        template,
        "same input, same bytes"
    );

    // A program with errors leaves the previous output untouched and no temporary directory.
    let broken = pipec(
        &[
            "build",
            "tests/fixtures/diagnostics/P3006_wrong_reference_kind.pipe",
            "-o",
            &out_arg,
        ],
        &root,
    );
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        std::fs::read(out.join("template.json")).expect("template"),
        template
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("out")]);

    // An output path that cannot be created is an IO diagnostic, not a panic.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let blocked = pipec(
        &[
            "build",
            "examples/seed-ec2/pipeline.pipe",
            "-o",
            &file.join("out").to_string_lossy(),
        ],
        &root,
    );
    assert_eq!(blocked.status.code(), Some(2));
    let stderr = text(&blocked.stderr).replace(&dir.path().display().to_string(), "[TMP]");
    insta::assert_snapshot!("build_io_error", stderr);
}

#[test]
fn completions_and_help() {
    let root = repo();
    let bash = pipec(&["completions", "bash"], &root);
    assert!(text(&bash.stdout).contains("pipec"));
    for verb in ["check", "build", "fmt", "explain", "completions"] {
        let help = pipec(&[verb, "--help"], &root);
        assert_eq!(help.status.code(), Some(0), "{verb} --help");
    }
    let version = pipec(&["--version"], &root);
    assert!(text(&version.stdout).starts_with("pipec "));
}

#[test]
fn graph_of_the_examples() {
    let root = repo();
    let mermaid = pipec(&["graph", "examples/seed-ec2/pipeline.pipe"], &root);
    assert_eq!(mermaid.status.code(), Some(0));
    insta::assert_snapshot!("graph_seed_mermaid", text(&mermaid.stdout));
    let dot = pipec(
        &[
            "graph",
            "--format",
            "dot",
            "examples/seed-s3-site/pipeline.pipe",
        ],
        &root,
    );
    assert_eq!(dot.status.code(), Some(0));
    insta::assert_snapshot!("graph_site_dot", text(&dot.stdout));
}

/// Without the `deep` feature (the default, and CI), `--deep` is accepted but says how to get it.
#[cfg(not(feature = "deep"))]
#[test]
fn deep_without_the_feature_says_how_to_rebuild() {
    let out = pipec(
        &["check", "--deep", "examples/seed-ec2/pipeline.pipe"],
        &repo(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "error: pipec was built without the `deep` feature; rebuild with `cargo build -p pipec-cli --features deep --ignore-rust-version`\n"
    );
}
