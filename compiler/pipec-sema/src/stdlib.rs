//! The standard library: `.pipe` modules compiled into the binary.

/// Every stdlib module: its `use` path and its text.
pub const MODULES: &[(&str, &str)] = &[
    (
        "std.hooks.node",
        include_str!("../../../stdlib/hooks/node.pipe"),
    ),
    (
        "std.hooks.static",
        include_str!("../../../stdlib/hooks/static.pipe"),
    ),
    (
        "std.hooks.python",
        include_str!("../../../stdlib/hooks/python.pipe"),
    ),
    ("std.roles", include_str!("../../../stdlib/roles.pipe")),
];

/// The text of module `path` (`std.hooks.node`).
#[must_use]
pub fn module(path: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, text)| *text)
}

/// The file name shown for module `path`.
#[must_use]
pub fn file_name(path: &str) -> String {
    format!(
        "<std>/{}.pipe",
        path.trim_start_matches("std.").replace('.', "/")
    )
}
