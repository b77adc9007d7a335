//! The program generator of the benchmarks writes what it promises: valid programs, in
//! canonical format, with no diagnostic at all, of exactly the number of lines asked for.

use pipec_tests::generate::{generate, Shape};
use pipec_tests::render;

fn assert_clean(shape: Shape) -> pipec_driver::Checked {
    let text = generate(shape);
    assert_eq!(text.lines().count(), shape.lines, "line count of {shape:?}");
    let checked = pipec_driver::check("gen.pipe", text.clone(), &pipec_driver::NoFiles, &[]);
    assert!(
        checked.diagnostics().is_empty(),
        "generated program {shape:?} is not clean:\n{}",
        render(&checked)
    );
    assert_eq!(
        pipec_driver::format(&text).as_deref(),
        Some(text.as_str()),
        "generated program {shape:?} is not in canonical format"
    );
    checked
}

#[test]
fn a_thousand_lines_of_services_check_clean() {
    let checked = assert_clean(Shape::services(1_000));
    assert!(checked.analysis.program.builds.len() >= 5);
    assert_eq!(
        checked.analysis.program.builds.len(),
        checked.analysis.program.pipelines.len()
    );
}

#[test]
fn long_scripts_check_clean_and_build_under_the_resource_limit() {
    let mut checked = assert_clean(Shape::long_scripts(3_000, 4));
    assert_eq!(checked.analysis.program.builds.len(), 4);
    let artifacts = pipec_driver::build(&mut checked);
    assert!(artifacts.is_some(), "does not build:\n{}", render(&checked));
}
