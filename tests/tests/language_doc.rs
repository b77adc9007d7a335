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
