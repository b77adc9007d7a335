//! One module per verb; what verbs share lives outside (`crate::compile`, `crate::aws`).

pub(crate) mod apply;
pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod completions;
#[cfg(feature = "deep")]
pub(crate) mod deep;
pub(crate) mod destroy;
pub(crate) mod explain;
pub(crate) mod fmt;
pub(crate) mod graph;
pub(crate) mod logs;
pub(crate) mod outputs;
pub(crate) mod plan;
pub(crate) mod push;
pub(crate) mod release;
pub(crate) mod run;
pub(crate) mod status;
