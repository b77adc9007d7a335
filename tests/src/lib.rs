//! Test harness crate: the tests live in `tests/tests/*.rs`.
