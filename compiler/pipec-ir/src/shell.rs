//! The one shell-quoting module. Every user value that reaches a generated shell script (hook
//! scripts, buildspec commands, UserData, the local runner) passes through here: [`quote`] for a
//! value that is one whole word, [`render`] for a `run` command whose literal parts are shell
//! code written by the user and whose values come from `${…}`.
//!
//! [`render`] runs a small shell lexer over the literal parts and quotes each value for the
//! context it lands in: unquoted → one quoted word (`'…'`); inside `"…"` → `\ " $` and
//! backtick escaped; inside `'…'` → the quote is closed, the value single-quoted, then reopened.
//! Where no quoting is safe (heredoc bodies and delimiters, comments, backticks, arithmetic,
//! `${…}` expansions, `$'…'`, `[[ … ]]`, right after `$` or `\`) the value is rejected.

use std::fmt;

/// Quotes `value` as one POSIX shell word: unchanged when it only holds safe characters,
/// otherwise wrapped in single quotes with embedded single quotes written as `'\''`.
#[must_use]
pub fn quote(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&byte));
    if safe {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    out.push_str(&quote_in_single(value));
    out.push('\'');
    out
}

/// The text to insert inside an open `'…'` so that the shell reads `value`: each `'` closes the
/// quote, adds an escaped quote and reopens (`'\''`).
#[must_use]
pub fn quote_in_single(value: &str) -> String {
    value.replace('\'', "'\\''")
}

/// The text to insert inside an open `"…"` so that the shell reads `value`: `\`, `"`, `$` and
/// backtick get a backslash; everything else (newlines included) is literal there.
#[must_use]
pub fn quote_in_double(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// A piece of a `run` command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Shell code written by the user.
    Code(&'a str),
    /// A value (from `${…}`), to be inserted so the shell reads exactly it.
    Value(&'a str),
}

/// Where a value would land in a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Outside quotes: quoted as one word.
    Unquoted,
    /// Inside `"…"`: escaped.
    DoubleQuoted,
    /// Inside `'…'`: the quote is closed and reopened around it.
    SingleQuoted,
    /// In a heredoc body or its delimiter word: no quoting exists there.
    Heredoc,
    /// In a `# comment`: a newline would end it.
    Comment,
    /// Inside backticks: their body is parsed again.
    Backtick,
    /// Inside `$((…))`, `((…))` or `$[…]`: evaluated as arithmetic, which runs `a[$(…)]`.
    Arithmetic,
    /// Inside `[[ … ]]`: numeric operators evaluate operands as arithmetic.
    DoubleBracket,
    /// Inside a `${…}` parameter expansion.
    ParameterExpansion,
    /// Inside `$'…'`, where backslashes are escapes.
    AnsiC,
    /// Right after a `\`.
    AfterBackslash,
    /// Right after a `$`, where it would be read as a variable name or `$'…'`.
    AfterDollar,
}

impl Context {
    /// How a message names the place: "inside a heredoc".
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Context::Unquoted => "in an unquoted word",
            Context::DoubleQuoted => "inside \"…\"",
            Context::SingleQuoted => "inside '…'",
            Context::Heredoc => "in a heredoc",
            Context::Comment => "in a comment",
            Context::Backtick => "inside backticks",
            Context::Arithmetic => "in shell arithmetic",
            Context::DoubleBracket => "inside [[ … ]]",
            Context::ParameterExpansion => "inside a ${…} parameter expansion",
            Context::AnsiC => "inside $'…'",
            Context::AfterBackslash => "right after a backslash",
            Context::AfterDollar => "right after a `$`",
        }
    }

    /// What to do instead.
    #[must_use]
    pub fn help(self) -> &'static str {
        match self {
            Context::Heredoc => "a heredoc body cannot quote a value; write the file with `printf '%s\\n' \"${value}\" > file`, or export the value and use `$NAME` with a quoted delimiter",
            Context::Comment => "remove the value from the comment: a newline in it would end the comment and run the rest",
            Context::Backtick => "write `$(…)` instead of backticks; values are quoted there",
            Context::Arithmetic | Context::DoubleBracket => "shell arithmetic evaluates `a[$(…)]` in its operands; check the value outside, or compare with `[ … ]`",
            Context::ParameterExpansion => "write the value outside the `${…}` expansion, or assign it to a variable first: `v=${value}`",
            Context::AnsiC => "write the value outside `$'…'`",
            Context::AfterBackslash => "remove the backslash before the value; the value is quoted already",
            Context::AfterDollar => "remove the `$` before the value (write `\\$` for a literal one, separated by quotes)",
            Context::Unquoted | Context::DoubleQuoted | Context::SingleQuoted => "",
        }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.describe())
    }
}

/// Why a command cannot be rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The value at this segment index lands where no quoting is safe.
    Context {
        /// Index into the segments.
        segment: usize,
        /// Where it lands.
        context: Context,
    },
    /// The value at this segment index holds a NUL byte, which no shell word can carry.
    Nul {
        /// Index into the segments.
        segment: usize,
    },
}

/// A rendered command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The shell text.
    pub text: String,
    /// `Some` when the command ends inside a quote, heredoc, `$(…)` or similar: what follows it
    /// in the same script would be read in that context.
    pub open: Option<Context>,
}

/// One level of the lexer's stack.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// Top level (`subshell: false`) or inside `$(…)`; `depth` counts open `(` within it and
    /// `cases` open `case … esac` (whose patterns end in an unmatched `)`).
    Code {
        depth: u32,
        subshell: bool,
        cases: u32,
    },
    Double,
    Single,
    AnsiC,
    Backtick,
    /// `${…}`; counts nested braces.
    Param(u32),
    /// `$((…))`, `((…))`: counts open parentheses.
    Arith(u32),
    /// `$[…]`.
    ArithBracket,
    Comment,
    /// `[[ … ]]`; true after a `]`.
    DoubleBracket(bool),
    /// A heredoc body: delimiter, strip leading tabs.
    Heredoc(String, bool),
}

/// What the previous character in code started, decided by the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    None,
    /// `$(`: a `(` next makes it `$((`.
    DollarParen,
    /// `(` at the start of a word: a `(` next makes it `((`.
    Paren,
    /// `[` at the start of a word: a `[` next makes it `[[`.
    Bracket,
    /// `<`.
    Less,
    /// `<<`: a heredoc unless a third `<` follows.
    LessLess,
}

/// A heredoc delimiter being read after `<<`.
#[derive(Clone, Debug, Default)]
struct Delimiter {
    word: String,
    strip: bool,
    quote: Option<char>,
    started: bool,
}

struct Lexer {
    stack: Vec<State>,
    /// The previous character was an unconsumed `\`.
    escaped: bool,
    /// The previous character was a `$` that did not start anything yet.
    dollar: bool,
    /// At the start of a word (for `#` comments, `((` and `[[`).
    word_start: bool,
    pending: Pending,
    /// Heredocs whose bodies start at the next newline.
    heredocs: Vec<(String, bool)>,
    delimiter: Option<Delimiter>,
    /// The current line of a heredoc body.
    line: String,
    /// The current word in code, for the `case`/`esac` keywords.
    word: String,
}

/// Renders a `run` command: code segments verbatim, each value quoted for where it lands.
///
/// # Errors
/// A [`Rejection`] naming the first value that lands where no quoting is safe.
pub fn render(segments: &[Segment<'_>]) -> Result<Rendered, Rejection> {
    let mut lexer = Lexer {
        stack: vec![State::Code {
            depth: 0,
            subshell: false,
            cases: 0,
        }],
        escaped: false,
        dollar: false,
        word_start: true,
        pending: Pending::None,
        heredocs: Vec::new(),
        delimiter: None,
        line: String::new(),
        word: String::new(),
    };
    let mut out = String::new();
    for (index, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Code(code) => {
                for ch in code.chars() {
                    lexer.step(ch);
                }
                out.push_str(code);
            }
            Segment::Value(value) => {
                if value.contains('\0') {
                    return Err(Rejection::Nul { segment: index });
                }
                let text = match lexer.context() {
                    Context::Unquoted => quote(value),
                    Context::DoubleQuoted => quote_in_double(value),
                    Context::SingleQuoted => quote_in_single(value),
                    context => {
                        return Err(Rejection::Context {
                            segment: index,
                            context,
                        })
                    }
                };
                // The inserted text is inert where it lands: for the lexer, word content.
                lexer.word_start = false;
                lexer.pending = Pending::None;
                lexer.word.clear();
                out.push_str(&text);
            }
        }
    }
    Ok(Rendered {
        text: out,
        open: lexer.open(),
    })
}

impl Lexer {
    /// Where a value inserted now would land: the outermost unsafe state if any, else the
    /// quoting of the innermost one.
    fn context(&self) -> Context {
        if self.delimiter.is_some() || self.pending == Pending::LessLess {
            return Context::Heredoc;
        }
        for state in &self.stack {
            let unsafe_context = match state {
                State::Heredoc(..) => Context::Heredoc,
                State::Comment => Context::Comment,
                State::Backtick => Context::Backtick,
                State::Arith(_) | State::ArithBracket => Context::Arithmetic,
                State::DoubleBracket(_) => Context::DoubleBracket,
                State::Param(_) => Context::ParameterExpansion,
                State::AnsiC => Context::AnsiC,
                State::Code { .. } | State::Double | State::Single => continue,
            };
            return unsafe_context;
        }
        if self.escaped {
            return Context::AfterBackslash;
        }
        if self.dollar {
            return Context::AfterDollar;
        }
        match self.stack.last() {
            Some(State::Double) => Context::DoubleQuoted,
            Some(State::Single) => Context::SingleQuoted,
            _ => Context::Unquoted,
        }
    }

    /// What a command ending now leaves open.
    fn open(&self) -> Option<Context> {
        if self.delimiter.is_some() || !self.heredocs.is_empty() {
            return Some(Context::Heredoc);
        }
        if self.escaped {
            return Some(Context::AfterBackslash);
        }
        match self.stack.as_slice() {
            [State::Code { .. }] => None,
            [State::Code { .. }, State::Comment] => None,
            [.., State::Code { .. }] => Some(Context::Unquoted),
            _ => Some(self.context()),
        }
    }

    fn push(&mut self, state: State) {
        self.stack.push(state);
    }

    fn pop(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }

    fn set_top(&mut self, state: State) {
        if let Some(top) = self.stack.last_mut() {
            *top = state;
        }
    }

    fn step(&mut self, ch: char) {
        if self.delimiter.is_some() {
            self.delimiter_char(ch);
            return;
        }
        let Some(top) = self.stack.last().cloned() else {
            return;
        };
        if let State::Heredoc(delimiter, strip) = top {
            if ch == '\n' {
                let line = std::mem::take(&mut self.line);
                let body = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line.as_str()
                };
                if body == delimiter {
                    self.pop();
                    self.next_heredoc();
                }
            } else {
                self.line.push(ch);
            }
            return;
        }
        if self.escaped {
            self.escaped = false;
            self.word_start = false;
            self.pending = Pending::None;
            return;
        }
        let dollar = std::mem::take(&mut self.dollar);
        match top {
            State::Single => {
                if ch == '\'' {
                    self.pop();
                }
            }
            State::AnsiC => match ch {
                '\\' => self.escaped = true,
                '\'' => self.pop(),
                _ => {}
            },
            State::Comment => {
                if ch == '\n' {
                    self.pop();
                    self.newline();
                }
            }
            State::Double => match ch {
                '\\' => self.escaped = true,
                '"' => self.pop(),
                '`' => self.push(State::Backtick),
                '$' => self.dollar = true,
                '(' if dollar => {
                    self.push(State::Code {
                        depth: 0,
                        subshell: true,
                        cases: 0,
                    });
                    self.word_start = true;
                    self.pending = Pending::DollarParen;
                }
                '{' if dollar => self.push(State::Param(0)),
                '[' if dollar => self.push(State::ArithBracket),
                _ => {}
            },
            State::Backtick => match ch {
                '\\' => self.escaped = true,
                '`' => self.pop(),
                _ => {}
            },
            State::Param(depth) => match ch {
                '\\' => self.escaped = true,
                '{' => self.set_top(State::Param(depth + 1)),
                '}' if depth == 0 => self.pop(),
                '}' => self.set_top(State::Param(depth - 1)),
                '\'' => self.push(State::Single),
                '"' => self.push(State::Double),
                _ => {}
            },
            State::Arith(depth) => match ch {
                '(' => self.set_top(State::Arith(depth + 1)),
                ')' if depth <= 1 => self.pop(),
                ')' => self.set_top(State::Arith(depth - 1)),
                _ => {}
            },
            State::ArithBracket => {
                if ch == ']' {
                    self.pop();
                }
            }
            State::DoubleBracket(after_bracket) => match ch {
                ']' if after_bracket => self.pop(),
                ']' => self.set_top(State::DoubleBracket(true)),
                _ => {
                    self.set_top(State::DoubleBracket(false));
                    match ch {
                        '\\' => self.escaped = true,
                        '\'' => self.push(State::Single),
                        '"' => self.push(State::Double),
                        '$' => self.dollar = true,
                        '(' if dollar => self.push(State::Code {
                            depth: 0,
                            subshell: true,
                            cases: 0,
                        }),
                        _ => {}
                    }
                }
            },
            State::Code {
                depth,
                subshell,
                cases,
            } => self.code(ch, dollar, depth, subshell, cases),
            State::Heredoc(..) => {}
        }
    }

    fn code(&mut self, ch: char, dollar: bool, depth: u32, subshell: bool, mut cases: u32) {
        let pending = std::mem::replace(&mut self.pending, Pending::None);
        let word_start = std::mem::replace(&mut self.word_start, false);
        // Keywords: `case` opens a pattern list whose `)` closes no parenthesis, `esac` ends it.
        if ch.is_ascii_alphabetic() {
            if word_start {
                self.word.clear();
            }
            self.word.push(ch);
        } else {
            let word = std::mem::take(&mut self.word);
            cases = match word.as_str() {
                "case" => cases + 1,
                "esac" => cases.saturating_sub(1),
                _ => cases,
            };
            self.set_top(State::Code {
                depth,
                subshell,
                cases,
            });
        }
        self.code_char(ch, dollar, depth, subshell, cases, pending, word_start);
    }

    #[allow(clippy::too_many_arguments)]
    fn code_char(
        &mut self,
        ch: char,
        dollar: bool,
        depth: u32,
        subshell: bool,
        cases: u32,
        pending: Pending,
        word_start: bool,
    ) {
        match (pending, ch) {
            (Pending::DollarParen, '(') => {
                // `$((`: arithmetic, replacing the subshell just opened.
                self.set_top(State::Arith(2));
                return;
            }
            (Pending::Paren, '(') => {
                // `((`: an arithmetic command; undo the `(` counted as a group.
                self.set_top(State::Code {
                    depth: depth.saturating_sub(1),
                    subshell,
                    cases,
                });
                self.push(State::Arith(2));
                return;
            }
            (Pending::Bracket, '[') => {
                self.push(State::DoubleBracket(false));
                return;
            }
            (Pending::Less, '<') => {
                self.pending = Pending::LessLess;
                return;
            }
            (Pending::LessLess, '<') => {
                // `<<<`: a here-string; an ordinary word follows.
                self.word_start = true;
                return;
            }
            (Pending::LessLess, _) => {
                self.delimiter = Some(Delimiter::default());
                self.delimiter_char(ch);
                return;
            }
            _ => {}
        }
        match ch {
            '\\' => self.escaped = true,
            '\'' if dollar => self.push(State::AnsiC),
            '\'' => self.push(State::Single),
            '"' => self.push(State::Double),
            '`' => self.push(State::Backtick),
            '$' => self.dollar = true,
            '{' if dollar => self.push(State::Param(0)),
            '[' if dollar => self.push(State::ArithBracket),
            '(' if dollar => {
                self.push(State::Code {
                    depth: 0,
                    subshell: true,
                    cases: 0,
                });
                self.word_start = true;
                self.pending = Pending::DollarParen;
            }
            '(' => {
                self.set_top(State::Code {
                    depth: depth + 1,
                    subshell,
                    cases,
                });
                self.word_start = true;
                if word_start {
                    self.pending = Pending::Paren;
                }
            }
            ')' if depth == 0 && subshell && cases == 0 => self.pop(),
            ')' => {
                self.set_top(State::Code {
                    depth: depth.saturating_sub(1),
                    subshell,
                    cases,
                });
                self.word_start = true;
            }
            '#' if word_start => self.push(State::Comment),
            '[' if word_start => self.pending = Pending::Bracket,
            '<' => {
                self.pending = Pending::Less;
                self.word_start = true;
            }
            '\n' => self.newline(),
            ' ' | '\t' | ';' | '&' | '|' | '>' => self.word_start = true,
            _ => {}
        }
    }

    fn delimiter_char(&mut self, ch: char) {
        let Some(delimiter) = self.delimiter.as_mut() else {
            return;
        };
        if let Some(quote) = delimiter.quote {
            if ch == quote {
                delimiter.quote = None;
            } else {
                delimiter.word.push(ch);
            }
            return;
        }
        if !delimiter.started && (ch == ' ' || ch == '\t') {
            return;
        }
        if !delimiter.started && !delimiter.strip && ch == '-' {
            delimiter.strip = true;
            return;
        }
        if ch.is_whitespace() || ";&|<>()".contains(ch) {
            let done = std::mem::take(delimiter);
            self.delimiter = None;
            self.heredocs.push((done.word, done.strip));
            self.word_start = true;
            self.step(ch);
            return;
        }
        delimiter.started = true;
        match ch {
            '\'' | '"' => delimiter.quote = Some(ch),
            '\\' => {}
            _ => delimiter.word.push(ch),
        }
    }

    fn newline(&mut self) {
        self.word_start = true;
        self.next_heredoc();
    }

    fn next_heredoc(&mut self) {
        if !self.heredocs.is_empty() {
            let (delimiter, strip) = self.heredocs.remove(0);
            self.push(State::Heredoc(delimiter, strip));
        }
    }
}

#[cfg(test)]
// The tests run every payload through a real `sh` and `bash`; the module itself does no IO.
#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
mod tests {
    use super::{quote, render, Context, Rejection, Segment};

    /// Values that try to break out of every context.
    pub(crate) const PAYLOADS: &[&str] = &[
        "$(touch CANARY)",
        "`touch CANARY`",
        "'",
        "\"",
        "\\",
        "a'b\"c",
        "x\ny",
        "${HOME}",
        "$HOME",
        "; touch CANARY",
        "; rm -rf CANARY_DIR",
        "' ; touch CANARY ; '",
        "\" ; touch CANARY ; \"",
        "'$(touch CANARY)'",
        "\"$(touch CANARY)\"",
        "ünïcødé ✓",
        "ends with backslash\\",
        "\\'",
        "\\\"",
        "*",
        "~",
        "#",
        "!",
        "",
        " ",
        "-n",
        "a\tb",
        ") ; touch CANARY ; (",
        "\nEOF\ntouch CANARY\n",
    ];

    fn render_ok(segments: &[Segment<'_>]) -> String {
        match render(segments) {
            Ok(rendered) => {
                assert_eq!(rendered.open, None, "{segments:?}");
                rendered.text
            }
            Err(rejection) => panic!("{segments:?}: {rejection:?}"),
        }
    }

    fn rejected(segments: &[Segment<'_>]) -> Context {
        match render(segments) {
            Err(Rejection::Context { context, .. }) => context,
            other => panic!("{segments:?}: {other:?}"),
        }
    }

    /// Runs `script` with `shell` in a fresh directory; returns stdout and whether a file
    /// `CANARY` appeared.
    fn run(shell: &str, script: &str) -> Option<(String, bool)> {
        let dir = std::env::temp_dir().join(format!(
            "pipec-shell-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |duration| duration.as_nanos())
        ));
        std::fs::create_dir_all(&dir).ok()?;
        let output = std::process::Command::new(shell)
            .arg("-c")
            .arg(script)
            .current_dir(&dir)
            .env("HOME", "/home-of-test")
            .output()
            .ok()?;
        let canary = dir.join("CANARY").exists();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            output.status.success(),
            "{shell} failed on {script:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Some((String::from_utf8_lossy(&output.stdout).into_owned(), canary))
    }

    #[test]
    fn safe_words_stay_plain() {
        assert_eq!(quote("/home/ubuntu/app"), "/home/ubuntu/app");
        assert_eq!(quote("a=b,c@d:e"), "a=b,c@d:e");
    }

    #[test]
    fn everything_else_is_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$(touch x)"), "'$(touch x)'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("`id`\n#x"), "'`id`\n#x'");
        assert_eq!(quote("ünï"), "'ünï'");
    }

    #[test]
    fn values_are_quoted_for_the_context_they_land_in() {
        let v = Segment::Value("a'b\"c$d`e\\");
        assert_eq!(
            render_ok(&[Segment::Code("echo "), v]),
            "echo 'a'\\''b\"c$d`e\\'"
        );
        assert_eq!(
            render_ok(&[Segment::Code("echo \""), v, Segment::Code("\"")]),
            "echo \"a'b\\\"c\\$d\\`e\\\\\""
        );
        assert_eq!(
            render_ok(&[Segment::Code("echo '"), v, Segment::Code("'")]),
            "echo 'a'\\''b\"c$d`e\\'"
        );
        // `"$(… ${x} …)"`: back to unquoted inside the command substitution.
        assert_eq!(
            render_ok(&[Segment::Code("echo \"$(cat "), v, Segment::Code(")\"")]),
            "echo \"$(cat 'a'\\''b\"c$d`e\\')\""
        );
        // After a closed heredoc, the next line is code again.
        assert_eq!(
            render_ok(&[
                Segment::Code("cat <<'EOF'\n$x ${y}\nEOF\necho "),
                Segment::Value("a b"),
            ]),
            "cat <<'EOF'\n$x ${y}\nEOF\necho 'a b'"
        );
        // `<<<` is a here-string: an ordinary word.
        assert_eq!(
            render_ok(&[Segment::Code("cat <<< "), Segment::Value("a b")]),
            "cat <<< 'a b'"
        );
        // A `case` pattern's `)` does not close the command substitution.
        assert_eq!(
            render_ok(&[
                Segment::Code("echo \"$(case a in a) echo "),
                Segment::Value("a b"),
                Segment::Code(";; esac)\""),
            ]),
            "echo \"$(case a in a) echo 'a b';; esac)\""
        );
        // `#` inside a word is not a comment; `$#` is a parameter.
        assert_eq!(
            render_ok(&[Segment::Code("echo a#b $# "), Segment::Value("x y")]),
            "echo a#b $# 'x y'"
        );
    }

    #[test]
    fn contexts_without_safe_quoting_are_rejected() {
        let v = Segment::Value("x");
        let cases: &[(&[Segment<'_>], Context)] = &[
            (
                &[Segment::Code("cat <<EOF\n"), v, Segment::Code("\nEOF")],
                Context::Heredoc,
            ),
            (
                &[
                    Segment::Code("cat <<-'EOF'\n\t"),
                    v,
                    Segment::Code("\n\tEOF"),
                ],
                Context::Heredoc,
            ),
            (&[Segment::Code("cat <<"), v], Context::Heredoc),
            (&[Segment::Code("cat << "), v], Context::Heredoc),
            (&[Segment::Code("echo hi # "), v], Context::Comment),
            (&[Segment::Code("# "), v], Context::Comment),
            (
                &[Segment::Code("echo `echo "), v, Segment::Code("`")],
                Context::Backtick,
            ),
            (
                &[Segment::Code("echo \"`echo "), v, Segment::Code("`\"")],
                Context::Backtick,
            ),
            (
                &[Segment::Code("echo $(("), v, Segment::Code(" + 1))")],
                Context::Arithmetic,
            ),
            (
                &[Segment::Code("echo \"$(( 1 + "), v, Segment::Code("))\"")],
                Context::Arithmetic,
            ),
            (
                &[Segment::Code("(( n = "), v, Segment::Code(" ))")],
                Context::Arithmetic,
            ),
            (
                &[Segment::Code("echo $["), v, Segment::Code("]")],
                Context::Arithmetic,
            ),
            (
                &[Segment::Code("[[ "), v, Segment::Code(" -eq 1 ]]")],
                Context::DoubleBracket,
            ),
            (
                &[Segment::Code("[[ \""), v, Segment::Code("\" -eq 1 ]]")],
                Context::DoubleBracket,
            ),
            (
                &[Segment::Code("echo \"${X:-"), v, Segment::Code("}\"")],
                Context::ParameterExpansion,
            ),
            (
                &[Segment::Code("echo ${X:-"), v, Segment::Code("}")],
                Context::ParameterExpansion,
            ),
            (
                &[Segment::Code("echo $'"), v, Segment::Code("'")],
                Context::AnsiC,
            ),
            (&[Segment::Code("echo \\"), v], Context::AfterBackslash),
            (
                &[Segment::Code("echo \"\\"), v, Segment::Code("\"")],
                Context::AfterBackslash,
            ),
            (&[Segment::Code("echo $"), v], Context::AfterDollar),
            (
                &[Segment::Code("echo \"$"), v, Segment::Code("\"")],
                Context::AfterDollar,
            ),
        ];
        for (segments, context) in cases {
            assert_eq!(rejected(segments), *context, "{segments:?}");
            assert!(!context.help().is_empty());
        }
        assert_eq!(
            render(&[Segment::Code("echo "), Segment::Value("a\0b")]),
            Err(Rejection::Nul { segment: 1 })
        );
    }

    #[test]
    fn commands_left_open_are_reported() {
        let open = |code: &str| render(&[Segment::Code(code)]).map(|rendered| rendered.open);
        assert_eq!(open("echo 'a"), Ok(Some(Context::SingleQuoted)));
        assert_eq!(open("echo \"a"), Ok(Some(Context::DoubleQuoted)));
        assert_eq!(open("cat <<EOF\nbody"), Ok(Some(Context::Heredoc)));
        assert_eq!(open("cat <<EOF"), Ok(Some(Context::Heredoc)));
        assert_eq!(open("echo $(date"), Ok(Some(Context::Unquoted)));
        assert_eq!(open("echo a # comment 'x"), Ok(None));
        assert_eq!(open("cat <<EOF\nbody\nEOF\n"), Ok(None));
        assert_eq!(open("f() { echo \"$1\"; }; (cd /; ls)"), Ok(None));
    }

    /// Every payload through every context that accepts values, run by real shells: the
    /// command prints exactly the value, and the canary file is never created.
    #[test]
    fn payloads_are_inert_in_every_context_in_real_shells() {
        type Case = (&'static str, &'static str, &'static str, &'static str);
        // (code before, code after, expected prefix, expected suffix)
        let contexts: &[Case] = &[
            ("printf '%s' ", "", "", ""),
            ("printf '%s' pre", "post", "pre", "post"),
            ("printf '%s' \"", "\"", "", ""),
            ("printf '%s' \"a ", " b\"", "a ", " b"),
            ("printf '%s' '", "'", "", ""),
            ("printf '%s' 'a ", " b'", "a ", " b"),
            ("printf '%s' \"$(printf '%s' ", ")\"", "", ""),
            ("printf '%s' \"$(printf '%s' \"", "\")\"", "", ""),
            ("printf '%s' \"$(printf '%s' '", "')\"", "", ""),
            (
                "printf '%s' \"$(case a in a) printf '%s' ",
                ";; esac)\"",
                "",
                "",
            ),
            ("x=", "; printf '%s' \"$x\"", "", ""),
            (
                "cat <<'EOF'\n$(touch CANARY)\nEOF\nprintf '%s' ",
                " >&1",
                "$(touch CANARY)\n",
                "",
            ),
            ("if true; then printf '%s' \"", "\"; fi # ok", "", ""),
            ("case 1 in 1) printf '%s' ", ";; esac", "", ""),
        ];
        let mut ran = false;
        for shell in ["sh", "bash"] {
            for (before, after, prefix, suffix) in contexts {
                for payload in PAYLOADS {
                    let script = render_ok(&[
                        Segment::Code(before),
                        Segment::Value(payload),
                        Segment::Code(after),
                    ]);
                    let Some((stdout, canary)) = run(shell, &script) else {
                        continue;
                    };
                    ran = true;
                    let mut want = format!("{prefix}{payload}{suffix}");
                    if before.starts_with("printf '%s' \"$(") {
                        // Command substitution drops trailing newlines.
                        want = want.trim_end_matches('\n').to_string();
                    }
                    assert_eq!(stdout, want, "{shell}: {script:?}");
                    assert!(!canary, "{shell} created the canary: {script:?}");
                }
            }
        }
        assert!(ran, "no shell could be run");
    }
}
