//! `--var` overrides take the parameter's type: a literal number default makes the override a
//! number, so it can go where numbers go (an instance's `ingress`, a hook preset's `port`).

use pipec_tests::{render, repo_root, DirLoader};

fn check_seed(vars: &[(&str, &str)]) -> pipec_driver::Checked {
    let base = repo_root().join("examples/seed-ec2");
    let text = std::fs::read_to_string(base.join("pipeline.pipe")).expect("read the seed");
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    pipec_driver::check("pipeline.pipe", text, &DirLoader { base }, &vars)
}

#[test]
fn number_override_of_a_literal_default_is_a_number() {
    let checked = check_seed(&[("port", "3100")]);
    assert!(checked.diagnostics().is_empty(), "{}", render(&checked));
}

#[test]
fn non_number_override_of_a_number_param_is_reported() {
    let checked = check_seed(&[("port", "http")]);
    assert!(checked.has_errors(), "`--var port=http` was accepted");
}
