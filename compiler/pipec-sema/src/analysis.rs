//! The checker's entry point: runs its phases in order, each with its own state, and hands
//! each the state of the ones before it explicitly. Name resolution (`check.rs`) collects the
//! declarations into `Names`; evaluation (`eval/`, an `Evaluator`) computes values and owns
//! the `let` cache, preset scopes and size budget; lowering (`lower/`, a `Lowerer`) builds the
//! IR. Every phase reports into one `Sink` (`report.rs`) and records symbols in one
//! `SymbolIndex`.

use pipec_diagnostics::Diagnostic;
use pipec_ir::Program;
use pipec_span::SourceDb;

use crate::check::{Names, SourceModule};
use crate::eval::Evaluator;
use crate::index::SymbolIndex;
use crate::lower::Lowerer;
use crate::report::Sink;

/// What the checker produced.
#[derive(Debug)]
pub struct Analysis {
    /// The program (partial when there are errors).
    pub program: Program,
    /// Every diagnostic, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// Declarations and references.
    pub index: SymbolIndex,
}

/// Checks the program made of `modules` (the first is the root) with `--var` overrides.
#[must_use]
pub fn analyze(db: &SourceDb, modules: &[SourceModule], vars: &[(String, String)]) -> Analysis {
    let mut sink = Sink::default();
    let mut index = SymbolIndex::default();
    let names = Names::collect(modules, vars, &mut index, &mut sink);
    let mut evaluator = Evaluator::new(&names, &mut index, &mut sink);
    evaluator.eval_all_globals();
    let program = Lowerer::new(db, evaluator).lower_program();
    Analysis {
        program,
        diagnostics: sink.into_sorted(),
        index,
    }
}
