//! Arbitrary bytes (as lossy UTF-8) through the whole front end: `check` must never panic,
//! every diagnostic must point inside its file, a clean program must emit without panicking,
//! whatever parses must format idempotently, and the fast parser of clean files must build
//! exactly what the reference (pest) parser builds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let file = pipec_span::FileId(0);
    assert!(
        pipec_syntax::parse_file(file, &text) == pipec_syntax::parse_file_with_pest(file, &text),
        "the fast parser and pest disagree"
    );
    let mut checked = pipec_driver::check("fuzz.pipe", text.clone(), &pipec_driver::NoFiles, &[]);
    for diagnostic in checked.diagnostics() {
        for label in &diagnostic.labels {
            assert!(
                label.span.end() <= checked.db.text(label.span.file).len(),
                "label outside its file: {diagnostic:?}"
            );
        }
    }
    let _ = pipec_driver::build(&mut checked);
    if let Some(formatted) = pipec_driver::format(&text) {
        assert_eq!(
            pipec_driver::format(&formatted).as_deref(),
            Some(formatted.as_str()),
            "formatting is not idempotent"
        );
    }
});
