//! The diagnostics sink: every phase of the checker reports into one `Sink`, through the
//! `Report` trait, so that validation (`validate.rs`) and lints (`lints.rs`) depend on nothing
//! but a place to report to.

use pipec_diagnostics::Diagnostic;

/// Takes diagnostics.
pub(crate) trait Report {
    /// Records one diagnostic.
    fn report(&mut self, diagnostic: Diagnostic);
}

/// The diagnostics of one analysis, in the order they were reported.
#[derive(Default)]
pub(crate) struct Sink {
    diagnostics: Vec<Diagnostic>,
}

impl Sink {
    /// True when a diagnostic already reported satisfies `predicate`.
    pub(crate) fn any(&self, predicate: impl Fn(&Diagnostic) -> bool) -> bool {
        self.diagnostics.iter().any(predicate)
    }

    /// Every diagnostic, sorted by position, without duplicates.
    pub(crate) fn into_sorted(self) -> Vec<Diagnostic> {
        let mut diagnostics = self.diagnostics;
        pipec_diagnostics::sort(&mut diagnostics);
        diagnostics.dedup();
        diagnostics
    }
}

impl Report for Sink {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}
