//! Programs split over files: `use "./file.pipe"` adds the file's declarations, its presets are
//! reached by the file's stem, and `as` renames a stdlib module.

use pipec_tests::{check_fixture, render, repo_root};

#[test]
fn a_program_split_over_files_checks_clean() {
    let base = repo_root().join("tests/fixtures/programs/multi-file");
    let (_, checked) = check_fixture(&base, "main.pipe");
    assert!(checked.diagnostics().is_empty(), "{}", render(&checked));
    let program = &checked.analysis.program;
    assert_eq!(
        program.roles.len(),
        1,
        "the role comes from lib/common.pipe"
    );
    let deploy = &program.deploys[0];
    let banner = deploy
        .ec2()
        .expect("an EC2 deploy")
        .hooks
        .iter()
        .find(|hook| hook.name == "banner")
        .expect("banner hook");
    assert_eq!(banner.commands, ["echo deploying"]);
    assert_eq!(
        banner.location, "main.pipe:24",
        "a hook made from a preset points at the hook, not the preset"
    );
}
