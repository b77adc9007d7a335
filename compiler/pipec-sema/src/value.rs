//! Values as evaluation produces them and the checker's tables hold them (`Value`), and the
//! result of one `${…}` (`Interpolated`). Below `check` and `eval`, which both use them.

use pipec_ir::{AttrRef, Kind, TextPart};
use pipec_span::Span;

/// An evaluated value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Str(String),
    /// A string with parts known only after deployment.
    Text(Vec<TextPart>),
    Int(i64),
    Bool(bool),
    List(Vec<(Value, Span)>),
    Map(Vec<(String, Span, Value, Span)>),
    /// `repo.app`.
    Block(Kind, String),
    /// `repo.app.arn`.
    Attr(AttrRef),
    /// A name that is not a declaration: an enumeration value (`one_at_a_time`) or a
    /// namespaced constant (`service.ec2`).
    Symbol(Vec<String>),
    /// `aws_policy("…")`.
    Managed(String),
    /// `ssm("…")`.
    Ssm(String),
    /// `secret("…")`.
    Secret(String),
    /// A failure already reported.
    Error,
}

/// The result of evaluating one `${…}`.
pub(crate) enum Interpolated {
    /// Its text.
    Text(String),
    /// An attribute known after deployment.
    Attr(AttrRef),
    /// Already reported.
    Failed,
}

impl Value {
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Str(_) | Value::Text(_) => "a string".into(),
            Value::Int(_) => "a number".into(),
            Value::Bool(_) => "a boolean".into(),
            Value::List(_) => "a list".into(),
            Value::Map(_) => "a map".into(),
            Value::Block(kind, _) => kind.article().into(),
            Value::Attr(_) => "a resource attribute".into(),
            Value::Symbol(path) => format!("the name `{}`", path.join(".")),
            Value::Managed(_) => "a managed policy".into(),
            Value::Ssm(_) => "an SSM parameter".into(),
            Value::Secret(_) => "a secret".into(),
            Value::Error => "an invalid value".into(),
        }
    }
}
