//! `run` commands: the literal parts are shell code, each `${…}` a value that
//! `pipec_ir::shell::render` quotes for the shell context it lands in (or rejects, P3021).

use pipec_diagnostics::{Code, Diagnostic};
use pipec_ir::shell::{self, Context, Rejection, Segment};
use pipec_span::Span;
use pipec_syntax::ast::{Expr, ExprKind, StrPart};

use super::Lowerer;
use crate::check::ScopeId;
use crate::report::Report;
use crate::value::{Interpolated, Value};

/// Where an earlier command of the same block left a quote, heredoc or `$(…)` open.
pub(super) type Open = Option<(Context, Span)>;

/// A piece of a command, evaluated.
enum Piece {
    Code(String),
    Value(String, Span),
}

impl Lowerer<'_, '_> {
    /// The argument of a `run` statement: a string written in place (or a list of them, or a
    /// `let` holding one) is a command with quoted values; anything else (a `param`, a preset
    /// parameter) is evaluated as it is: a whole command given as a value.
    pub(super) fn command_value(&mut self, expr: &Expr, scope: ScopeId, open: &mut Open) -> Value {
        match &expr.kind {
            ExprKind::Str(parts) => self.run_command(parts, scope, &expr.span, open),
            ExprKind::List(elements) => Value::List(
                elements
                    .iter()
                    .map(|element| {
                        (
                            self.command_value(element, scope, open),
                            element.span.clone(),
                        )
                    })
                    .collect(),
            ),
            ExprKind::Path(path) if path.len() == 1 => {
                let value = self.ev.eval(expr, scope);
                // `run cmd` with `let cmd = "… ${x} …"`: the let is a command written elsewhere;
                // its values are quoted as if it were written in place.
                let local = self.ev.is_local(scope, &path[0].name);
                let command = self
                    .ev
                    .names()
                    .global(&path[0].name)
                    .filter(|global| !global.is_param && !local)
                    .map(|global| &global.decl.value);
                match command {
                    Some(Expr {
                        kind: ExprKind::Str(parts),
                        span,
                        ..
                    }) if value != Value::Error
                        && parts.iter().any(|part| matches!(part, StrPart::Interp(_))) =>
                    {
                        self.run_command(parts, 0, span, open)
                    }
                    _ => value,
                }
            }
            _ => self.ev.eval(expr, scope),
        }
    }

    fn run_command(
        &mut self,
        parts: &[StrPart],
        scope: ScopeId,
        span: &Span,
        open: &mut Open,
    ) -> Value {
        let mut pieces = Vec::new();
        let mut failed = false;
        for part in parts {
            match part {
                StrPart::Text(text) => pieces.push(Piece::Code(text.clone())),
                StrPart::Interp(expr) => match self.ev.eval_interpolation(expr, scope, false) {
                    Interpolated::Text(text) => pieces.push(Piece::Value(text, expr.span.clone())),
                    Interpolated::Attr(_) | Interpolated::Failed => failed = true,
                },
            }
        }
        if failed {
            return Value::Error;
        }
        let first_value = pieces.iter().find_map(|piece| match piece {
            Piece::Value(_, span) => Some(span.clone()),
            Piece::Code(_) => None,
        });
        if let (Some((context, open_span)), Some(value_span)) = (open.as_ref(), first_value) {
            self.report(
                Diagnostic::error(
                    Code::UNTERMINATED_COMMAND,
                    format!(
                        "an earlier command ends {}, so this value cannot be quoted",
                        context.describe()
                    ),
                )
                .primary(value_span, "interpolated after an unterminated command")
                .secondary(open_span.clone(), "this command leaves it open")
                .help("close every quote, heredoc and `$(…)` in the command that opens it, or write the script as one `run \"\"\"…\"\"\"`"),
            );
            return Value::Error;
        }
        let segments: Vec<Segment<'_>> = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Code(code) => Segment::Code(code),
                Piece::Value(value, _) => Segment::Value(value),
            })
            .collect();
        let value_span = |index: usize| match pieces.get(index) {
            Some(Piece::Value(_, span)) => span.clone(),
            _ => span.clone(),
        };
        match shell::render(&segments) {
            Ok(rendered) => {
                if let Some(context) = rendered.open {
                    if open.is_none() {
                        *open = Some((context, span.clone()));
                    }
                }
                Value::Str(rendered.text)
            }
            Err(Rejection::Context { segment, context }) => {
                self.report(
                    Diagnostic::error(
                        Code::UNQUOTABLE_INTERPOLATION,
                        format!("a value {} cannot be quoted", context.describe()),
                    )
                    .primary(value_span(segment), format!("lands {}", context.describe()))
                    .note("pipec quotes `${…}` for the shell context it lands in; here no quoting keeps a value such as `$(touch /tmp/x)` from running")
                    .help(context.help()),
                );
                Value::Error
            }
            Err(Rejection::Nul { segment }) => {
                self.report(
                    Diagnostic::error(
                        Code::UNQUOTABLE_INTERPOLATION,
                        "a value with a NUL byte cannot be passed to the shell",
                    )
                    .primary(value_span(segment), "holds a NUL byte")
                    .help("remove the NUL byte from the value"),
                );
                Value::Error
            }
        }
    }
}
