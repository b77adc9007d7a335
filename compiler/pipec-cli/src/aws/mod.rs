//! What the verbs that talk to AWS share, in layers (each module uses only those listed before
//! it): `args` (flags, compiling into a request) → `report` (how a verb ends, where diagnostics
//! go) → `session` (runtime, Ctrl-C, prompt, client) → `confirm`, `live` → `progress` →
//! `changing` (apply, destroy), `operating` (release, status, logs) and `preflight` (plan,
//! apply: checks before the change set).

pub(crate) mod args;
pub(crate) mod changing;
pub(crate) mod confirm;
pub(crate) mod live;
pub(crate) mod operating;
pub(crate) mod preflight;
pub(crate) mod progress;
pub(crate) mod report;
pub(crate) mod session;
