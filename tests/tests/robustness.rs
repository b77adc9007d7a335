//! Totality: mutated examples (random byte and line edits, seeded so failures reproduce) never
//! make pipec panic, and every diagnostic has a code and a primary label inside its file.
//! Whatever parses formats idempotently. The hand-written parser of clean files and the
//! reference (pest) parser build the same AST and diagnostics on every input.

use pipec_diagnostics::LabelStyle;
use pipec_tests::repo_root;

/// A small deterministic generator (xorshift), so no extra crate is needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "\"\"\"",
    "${",
    "=",
    "->",
    ",",
    ".",
    "\n",
    " ",
    "\\",
    "/*",
    "//",
    "repo",
    "build",
    "hook",
    "run",
    "allow",
    "on",
    "x",
    "0",
    "-1",
    "99999999999999999999999",
    "é",
    "😀",
    "\r\n",
    "\r",
    "\u{feff}",
    "\t",
    "param",
    "use",
    "std.roles",
    "preset",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(6) {
            0 if !bytes.is_empty() => {
                let at = rng.below(bytes.len());
                let len = rng.below(8).min(bytes.len() - at);
                bytes.drain(at..at + len);
            }
            1 => {
                let at = rng.below(bytes.len() + 1);
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            2 if !bytes.is_empty() => {
                let at = rng.below(bytes.len());
                bytes[at] = u8::try_from(rng.below(128)).unwrap_or(b'?');
            }
            _ => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<&str> = text.lines().collect();
                if lines.is_empty() {
                    continue;
                }
                let a = rng.below(lines.len());
                let b = rng.below(lines.len());
                match rng.below(3) {
                    0 => {
                        lines.remove(a);
                    }
                    1 => lines.insert(b, lines[a]),
                    _ => lines.swap(a, b),
                }
                bytes = lines.join("\n").into_bytes();
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn corpus() -> Vec<String> {
    let root = repo_root();
    let mut texts = Vec::new();
    for dir in [
        "examples/seed-ec2",
        "examples/seed-s3-site",
        "tests/fixtures/diagnostics",
        "stdlib",
        "stdlib/hooks",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        paths.sort();
        for path in paths {
            if path.extension().is_some_and(|ext| ext == "pipe") {
                texts.push(std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    texts
}

fn check_total(text: &str) {
    let outcome = std::panic::catch_unwind(|| {
        let checked =
            pipec_driver::check("mutant.pipe", text.to_string(), &pipec_driver::NoFiles, &[]);
        for diag in checked.diagnostics() {
            assert!(
                diag.code.number().starts_with('P'),
                "diagnostic without a code: {diag:?}"
            );
            let Some(primary) = diag
                .labels
                .iter()
                .find(|label| label.style == LabelStyle::Primary)
            else {
                panic!("diagnostic without a location: {diag:?}");
            };
            let file_len = checked.db.text(primary.span.file).len();
            assert!(
                primary.span.end() <= file_len,
                "label outside its file: {diag:?}"
            );
            assert!(
                !diag.message.is_empty() && !primary.message.is_empty(),
                "empty message or label: {diag:?}"
            );
        }
        if let Some(formatted) = pipec_driver::format(text) {
            assert_eq!(
                pipec_driver::format(&formatted).as_deref(),
                Some(formatted.as_str()),
                "formatting is not idempotent"
            );
        }
    });
    if let Err(panic) = outcome {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_string()));
        panic!(
            "pipec failed on this input:\n-----\n{text}\n-----\n{}",
            message.unwrap_or_default()
        );
    }
}

#[test]
fn mutated_programs_never_panic() {
    let corpus = corpus();
    assert!(corpus.len() > 10);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..3000 {
        let base = &corpus[round % corpus.len()];
        check_total(&mutate(base, &mut rng));
    }
}

#[test]
fn pathological_inputs() {
    for text in [
        String::new(),
        "\u{feff}".to_string(),
        "{".repeat(100_000),
        "[".repeat(100_000),
        format!("let x = {}", "\"${".repeat(5_000)),
        "/*".to_string(),
        "\"".to_string(),
        "\"\"\"".to_string(),
        "repo a {".to_string() + &"x = 1\n".repeat(10_000),
        "\0\u{1}\u{7f}".to_string(),
        "let a = b\nlet b = a\n".to_string(),
    ] {
        check_total(&text);
    }
}

/// A `--var` longer than a string may be is reported at the parameter (the OS caps one
/// argument at 128 KiB, but the driver is also a library).
#[test]
fn an_oversized_override_is_reported() {
    let vars = vec![("p".to_string(), "a".repeat(2 << 20))];
    let text = "param p = \"x\"\nrepo app {\n  description = p\n}\n".to_string();
    let checked = pipec_driver::check("var.pipe", text, &pipec_driver::NoFiles, &vars);
    let codes: Vec<&str> = checked
        .diagnostics()
        .iter()
        .map(|diag| diag.code.number())
        .collect();
    assert_eq!(codes, ["P3026"]);
}

/// Issue 9: programs that used to overflow the stack (on a test thread's 2 MiB stack too) or
/// allocate gigabytes, checked in-process; each must end with the code of its limit.
#[test]
fn hostile_programs_are_bounded() {
    let chain = |length: usize| {
        let mut text: String = (0..length)
            .map(|index| format!("let a{index} = a{}\n", index + 1))
            .collect();
        text.push_str(&format!("let a{length} = \"x\"\n"));
        text
    };
    let doubling = |step: &dyn Fn(usize) -> String| {
        let mut text = "let a0 = \"xxxxxxxxxx\"\n".to_string();
        for index in 1..=40 {
            text.push_str(&format!("let a{index} = {}\n", step(index - 1)));
        }
        text
    };
    let cases: Vec<(String, Option<&str>)> = vec![
        (chain(8_000), None),
        (
            doubling(&|previous| format!("\"${{a{previous}}}${{a{previous}}}\"")),
            Some("P3026"),
        ),
        (
            doubling(&|previous| format!("[a{previous}, a{previous}]")),
            Some("P3026"),
        ),
        (
            doubling(&|previous| format!("{{ k = a{previous}, l = a{previous} }}")),
            Some("P3026"),
        ),
        (
            doubling(&|previous| format!("join(\"\", [a{previous}, a{previous}])")),
            Some("P3026"),
        ),
        (
            doubling(&|previous| format!("upper(\"${{a{previous}}}${{a{previous}}}\")")),
            Some("P3026"),
        ),
        (
            doubling(&|previous| format!("[a{previous}]")),
            Some("P3026"),
        ),
    ];
    for (text, code) in cases {
        let start = std::time::Instant::now();
        check_total(&text);
        let checked =
            pipec_driver::check("hostile.pipe", text.clone(), &pipec_driver::NoFiles, &[]);
        let codes: Vec<&str> = checked
            .diagnostics()
            .iter()
            .map(|diag| diag.code.number())
            .collect();
        match code {
            Some(code) => assert_eq!(codes, [code], "{}", &text[..text.len().min(200)]),
            None => assert!(codes.is_empty(), "{codes:?}"),
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "took {:?}",
            start.elapsed()
        );
    }
}

/// `parse_file` (the fast parser, falling back to pest) and pest alone agree exactly.
fn assert_same_parse(text: &str) {
    let file = pipec_span::FileId(0);
    let fast = pipec_syntax::parse_file(file, text);
    let reference = pipec_syntax::parse_file_with_pest(file, text);
    assert!(
        fast == reference,
        "the parsers disagree on this input:\n-----\n{text}\n-----\nfast: {fast:#?}\npest: {reference:#?}"
    );
}

#[test]
fn fast_parser_agrees_with_pest() {
    let corpus = corpus();
    for text in &corpus {
        assert_same_parse(text);
    }
    for lines in [300, 2_000] {
        assert_same_parse(&pipec_tests::generate::generate(
            pipec_tests::generate::Shape::services(lines),
        ));
    }
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for round in 0..4000 {
        let base = &corpus[round % corpus.len()];
        assert_same_parse(&mutate(base, &mut rng));
    }
    for text in [
        "",
        "\u{feff}",
        "a = true.x",
        "a = true(1, 2,)",
        "a = f (x)\nb = [1, 2, ]",
        "x = 1.\ny = -0",
        "run \"x\"\non = 5",
        "run \"x\" on [a] when { B = { \"k\" = \"v\" } } sid \"S\" as y",
        "foo bar baz",
        "stage s { repo.app, approval }",
        "\"/\" -> \"/srv\"\n\"k\" = 1",
        "a = \"\"\"\n  x ${ y }\n   z\n  \"\"\"",
        "a = \"\"\"\"",
        "a = \"$ \\$ ${b} \\n\"",
        "a = b\n{ c = 1 }",
        "/* c */ a = 1 // d",
        "a = 1 /* unterminated",
        "hook x \"${y}\" { }",
        "a = 99999999999999999999",
        "a = 1x",
        "a = -",
        "a \"b\" c = 1",
        "a \"b\" c { }",
        "a = b.c(1)",
        // Line endings and byte-order marks (issue 9).
        "// c\rrepo a { }\r",
        "a = 1\r",
        "a = \"x\ry\"",
        "a = \"x\\ry\"",
        "a = \"x\\r\ny\"",
        "a = \"\"\"\r\n  x\r\n  y\r\n  \"\"\"\r\n",
        "a = \"\"\"\r\n  x ${ b }\r\n\r\n  y\r\n  \"\"\"",
        "a = \"one\r\ntwo\"\r\n",
        "\u{feff}a = 1\r\n",
        "\u{feff}// c\r\na = 1\r\n",
        "a = 1 /* x\r\ny */ b = 2\r\n",
        "a = 1 // c\r\n",
        "a = 1\r\r\n",
        "\r",
        "\r\n\r\n",
    ] {
        assert_same_parse(text);
    }
    // Every file of the corpus with CRLF line endings, with and without a byte-order mark.
    for text in &corpus {
        let crlf = text.replace('\n', "\r\n");
        assert_same_parse(&crlf);
        assert_same_parse(&format!("\u{feff}{crlf}"));
        assert_same_parse(&text.replace('\n', "\r"));
    }
}

/// A file means the same whatever its line endings: the CRLF twin of every clean file of the
/// corpus parses to the same strings (no `\r` from a line break reaches a value), and
/// CR-only line endings are an error (P1005), never an empty program.
#[test]
fn line_endings_do_not_change_meaning() {
    fn strings(file: &pipec_syntax::ast::File) -> Vec<String> {
        // The Debug form lists every string part; spans differ, so keep only the parts.
        let debug = format!("{file:?}");
        debug
            .match_indices("Text(\"")
            .map(|(index, _)| {
                let rest = &debug[index + 6..];
                let end = rest.find("\")").unwrap_or(rest.len());
                rest[..end].to_string()
            })
            .collect()
    }
    let file = pipec_span::FileId(0);
    let mut compared = 0;
    for text in corpus() {
        let (lf, diagnostics) = pipec_syntax::parse_file(file, &text);
        if !diagnostics.is_empty() || text.contains('\r') {
            continue;
        }
        let crlf = text.replace('\n', "\r\n");
        let (twin, twin_diagnostics) = pipec_syntax::parse_file(file, &crlf);
        assert!(twin_diagnostics.is_empty(), "{twin_diagnostics:?}");
        assert_eq!(
            strings(&twin),
            strings(&lf),
            "CRLF changed a string in:\n{text}"
        );
        assert_eq!(twin.items.len(), lf.items.len());
        if text.contains('\n') && !lf.items.is_empty() {
            let (cr_only, cr_diagnostics) =
                pipec_syntax::parse_file(file, &text.replace('\n', "\r"));
            assert!(cr_only.items.is_empty());
            assert!(
                cr_diagnostics
                    .iter()
                    .any(|diag| diag.code.number() == "P1005"),
                "{cr_diagnostics:?}"
            );
        }
        compared += 1;
    }
    assert!(compared > 10, "compared only {compared} files");
}
