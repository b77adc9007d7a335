//! Every `pipe` block of docs/language.md checks with no diagnostic at all, and every
//! `pipe-error CODE` block produces CODE: the reference cannot drift from the compiler.

use pipec_tests::{render, repo_root};

#[test]
fn language_reference_examples_check() {
    let text =
        std::fs::read_to_string(repo_root().join("docs/language.md")).expect("docs/language.md");
    let mut examples = 0;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```pipe") else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|line| !line.starts_with("```"))
            .collect();
        let source = body.join("\n") + "\n";
        examples += 1;
        let name = format!("example{examples}.pipe");
        let checked = pipec_driver::check(&name, source.clone(), &pipec_driver::NoFiles, &[]);
        let rendered = render(&checked);
        if let Some(code) = info.strip_prefix("-error ") {
            assert!(
                checked
                    .diagnostics()
                    .iter()
                    .any(|diag| diag.code.number() == code.trim()),
                "example {examples} should produce {code}:\n{source}\n{rendered}"
            );
        } else {
            assert!(
                checked.diagnostics().is_empty(),
                "example {examples} is not clean:\n{source}\n{rendered}"
            );
            let formatted = pipec_driver::format(&source).expect("formats");
            assert_eq!(
                formatted, source,
                "example {examples} is not in canonical format"
            );
        }
    }
    assert!(examples >= 10, "found only {examples} examples");
}

/// The code blocks of docs/language.md checked without diagnostics (```` ```pipe ````).
fn clean_examples(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line != "```pipe" {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|line| !line.starts_with("```"))
            .collect();
        out.push(body.join("\n"));
    }
    out
}

/// A new block kind, nested block or deploy target is not done until the reference has a
/// section for it (top-level kinds) and a checked example that uses it (CONTRIBUTING.md,
/// "Add syntax or a block attribute"): forgetting the documentation fails here.
#[test]
fn every_block_kind_and_target_has_a_section_and_a_checked_example() {
    use pipec_driver::schema::{BLOCKS, TARGETS};
    let text =
        std::fs::read_to_string(repo_root().join("docs/language.md")).expect("docs/language.md");
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("## ")).collect();
    let examples = clean_examples(&text);
    // A block is used when a line of an example starts with its keyword (after indentation)
    // followed by a label, `{` or `=`; a target when `= KEYWORD {` appears.
    let uses_block = |keyword: &str| {
        examples.iter().any(|example| {
            example.lines().any(|line| {
                line.trim_start()
                    .strip_prefix(keyword)
                    .is_some_and(|rest| rest.starts_with(' ') || rest.is_empty())
            })
        })
    };
    let mut missing = Vec::new();
    for spec in BLOCKS {
        if spec.parent.is_empty()
            && !headings
                .iter()
                .any(|h| h.contains(&format!("`{}`", spec.keyword)))
        {
            missing.push(format!("no `## ` section names `{}`", spec.keyword));
        }
        if !uses_block(spec.keyword) {
            missing.push(format!("no checked example uses `{}`", spec.keyword));
        }
    }
    for spec in TARGETS {
        let used = examples
            .iter()
            .any(|example| example.contains(&format!("= {} {{", spec.keyword)));
        if !used {
            missing.push(format!("no checked example deploys to `{}`", spec.keyword));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/language.md:\n{}",
        missing.join("\n")
    );
}
