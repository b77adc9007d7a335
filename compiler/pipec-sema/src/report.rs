//! The one thing validation (`validate.rs`) and lints (`lints.rs`) need from the checker: a
//! place to report diagnostics to. They are traits over `Report`, so they do not depend on the
//! checker's state.

use pipec_diagnostics::Diagnostic;

/// Takes diagnostics.
pub(crate) trait Report {
    /// Records one diagnostic.
    fn report(&mut self, diagnostic: Diagnostic);
}
