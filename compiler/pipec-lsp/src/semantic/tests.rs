use std::path::Path;

use pipec_span::{Encoding, LineIndex};

use super::*;
use crate::analysis::{analyze, Snapshot};

const URI: &str = "file:///w/main.pipe";

const SAMPLE: &str = r#"use std.hooks.node
/// The environment.
param env = "dev"
let dir = "/srv/${env}"

repo app {
  branch = "main"
}

build app {
  source = repo.app
  build {
    run "make ${dir}" // here
  }
}

instance web {
  agent = codedeploy
  tags = { Role = "web" }
}

deploy web {
  from = build.app
  target = ec2 { tags = { Role = "web" } }
  files {
    "/" -> dir
  }
  hook application_start "start" = node.start { dir = dir, port = 8080 }
}

output url = repo.app.clone_url_http
"#;

/// The names the checker finds in `text`, as the server would use them.
fn checked_names(text: &str) -> Names {
    let mut snapshot = Snapshot::default();
    snapshot.files.insert(URI.into(), text.into());
    let analysis = analyze(&snapshot, &|_: &Path| None);
    let unit = &analysis.units[URI];
    assert!(
        unit.diagnostics.is_empty(),
        "the sample must check cleanly: {:?}",
        unit.diagnostics
    );
    Names::from_index(&unit.index, FileId(0), Remap::new(text, text))
}

/// One line per token: `line:column text type+modifiers`.
fn render(text: &str, names: &Names) -> String {
    let (file, _) = pipec_syntax::parse_file(FileId(0), text);
    let lines = LineIndex::new(text);
    let mut out = String::new();
    for token in collect(&file, text, names) {
        let position = lines.position(text, token.start, Encoding::Utf8);
        let mut kind = format!("{:?}", token.kind);
        for (bit, name) in [
            (DECLARATION, "declaration"),
            (READONLY, "readonly"),
            (DEFAULT_LIBRARY, "defaultLibrary"),
            (DOCUMENTATION, "documentation"),
        ] {
            if token.modifiers & bit != 0 {
                kind.push('+');
                kind.push_str(name);
            }
        }
        out.push_str(&format!(
            "{}:{} {} {kind}\n",
            position.line + 1,
            position.column + 1,
            &text[token.start..token.end]
        ));
    }
    out
}

#[test]
fn tokens_of_a_checked_sample() {
    let expected = r#"1:1 use Keyword
1:5 std Namespace
1:9 hooks Namespace
1:15 node Namespace
2:1 /// The environment. Comment+documentation
3:1 param Keyword
3:7 env Parameter+declaration
3:13 "dev" Str
4:1 let Keyword
4:5 dir Variable+declaration+readonly
4:11 "/srv/ Str
4:17 ${ Operator
4:19 env Parameter
4:22 } Operator
4:23 " Str
6:1 repo Type
6:6 app Variable+declaration
7:3 branch Property
7:12 "main" Str
10:1 build Type
10:7 app Variable+declaration
11:3 source Property
11:12 repo Namespace
11:17 app Variable
12:3 build Type
13:5 run Keyword
13:9 "make  Str
13:15 ${ Operator
13:17 dir Variable+readonly
13:20 } Operator
13:21 " Str
13:23 // here Comment
17:1 instance Type
17:10 web Variable+declaration
18:3 agent Property
18:11 codedeploy EnumMember
19:3 tags Property
19:12 Role Property
19:19 "web" Str
22:1 deploy Type
22:8 web Variable+declaration
23:3 from Property
23:10 build Namespace
23:16 app Variable
24:3 target Property
24:12 ec2 Type
24:18 tags Property
24:27 Role Property
24:34 "web" Str
25:3 files Type
26:5 "/" Str
26:9 -> Operator
26:12 dir Variable+readonly
28:3 hook Type
28:8 application_start Event
28:26 "start" Str
28:36 node Namespace
28:41 start Function
28:49 dir Property
28:55 dir Variable+readonly
28:60 port Property
28:67 8080 Number
31:1 output Keyword
31:8 url Variable+declaration
31:14 repo Namespace
31:19 app Variable
31:23 clone_url_http Property
"#;
    let got = render(SAMPLE, &checked_names(SAMPLE));
    assert_eq!(got, expected, "got:\n{got}");
}

#[test]
fn without_an_analysis_the_file_s_own_declarations_name_things() {
    let got = render(SAMPLE, &Names::default());
    for line in [
        "4:19 env Parameter",
        "13:17 dir Variable+readonly",
        "28:41 start Function",
        "11:17 app Variable",
        "18:11 codedeploy Variable",
    ] {
        assert!(got.contains(&format!("{line}\n")), "{line} not in:\n{got}");
    }
}

#[test]
fn preset_parameters_and_names_typed_since_the_check_are_what_the_file_declares() {
    let text = "preset greet {\n  param who = string\n  run \"echo ${who}\"\n}\n";
    let got = render(text, &checked_names(text));
    assert!(got.contains("3:15 who Parameter\n"), "{got}");
    // An analysis of the text before `env` was typed: its index does not know that reference.
    let older = "param env = \"dev\"\nlet x = 1\n";
    let current = "param env = \"dev\"\nlet x = env\n";
    let names = checked_names(older);
    let mut snapshot = Snapshot::default();
    snapshot.files.insert(URI.into(), older.into());
    let analysis = analyze(&snapshot, &|_: &Path| None);
    let mapped = Names::from_index(
        &analysis.units[URI].index,
        FileId(0),
        Remap::new(older, current),
    );
    assert!(names.checked && mapped.checked);
    let got = render(current, &mapped);
    assert!(got.contains("2:9 env Parameter\n"), "{got}");
    assert!(got.contains("1:7 env Parameter+declaration\n"), "{got}");
}

#[test]
fn strings_spanning_lines_become_one_token_per_line() {
    let text = "build app {\r\n  build {\r\n    run \"\"\"\r\n      make\r\n      echo ${x}\r\n      \"\"\"\r\n  }\r\n}\r\n/* a\r\n b */\r\n";
    let got = render(text, &Names::default());
    let expected =
        "1:1 build Type\n1:7 app Variable+declaration\n2:3 build Type\n3:5 run Keyword\n\
3:9 \"\"\" Str\n4:1       make Str\n5:1       echo  Str\n5:12 ${ Operator\n5:14 x Variable\n\
5:15 } Operator\n6:1       \"\"\" Str\n9:1 /* a Comment\n10:1  b */ Comment\n";
    assert_eq!(got, expected, "got:\n{got}");
}

#[test]
fn encoding_is_relative_utf16_and_a_range_selects() {
    let text = "repo app {\n  description = \"é😀\" // x\n  branch = \"main\"\n}\n";
    let (file, _) = pipec_syntax::parse_file(FileId(0), text);
    let tokens = collect(&file, text, &Names::default());
    let lines = LineIndex::new(text);
    let text_ref = TextRef {
        text,
        lines: &lines,
    };
    let utf16 = PositionEncoding(Encoding::Utf16);
    let data = encode(&tokens, text_ref, utf16, None);
    let quintuples: Vec<_> = data
        .iter()
        .map(|token| {
            (
                token.delta_line,
                token.delta_start,
                token.length,
                token.token_type,
            )
        })
        .collect();
    let (keyword, ty, property, variable, string, comment) = (0, 1, 2, 3, 9, 11);
    let _ = keyword;
    assert_eq!(
        quintuples,
        [
            (0, 0, 4, ty),
            (0, 5, 3, variable),
            (1, 2, 11, property),
            // "é😀" is 1 + 1 + 2 + 1 UTF-16 units.
            (0, 14, 5, string),
            (0, 6, 4, comment),
            (1, 2, 6, property),
            (0, 9, 6, string),
        ]
    );
    assert_eq!(data[1].token_modifiers_bitset, DECLARATION);
    // UTF-8: the string is 1 + 2 + 4 + 1 bytes.
    let utf8 = encode(&tokens, text_ref, PositionEncoding(Encoding::Utf8), None);
    assert_eq!(utf8[3].length, 8);
    assert_eq!(utf8[4].delta_start, 9);
    // Only line 3 (index 2): its first token is relative to the start of the document.
    let start = text.find("  branch").unwrap_or(0);
    let ranged = encode(&tokens, text_ref, utf16, Some(start..start + 17));
    let ranged: Vec<_> = ranged
        .iter()
        .map(|token| (token.delta_line, token.delta_start, token.length))
        .collect();
    assert_eq!(ranged, [(2, 2, 6), (0, 9, 6)]);
}

#[test]
fn a_broken_file_still_gets_tokens_for_its_good_items() {
    let text = "repo app {}\nbuild b {\n  source = =\n}\nlet x = 1\n";
    let got = render(text, &Names::default());
    assert_eq!(
        got,
        "1:1 repo Type\n1:6 app Variable+declaration\n5:1 let Keyword\n5:5 x Variable+declaration+readonly\n5:9 1 Number\n"
    );
}

#[test]
fn what_an_open_brace_swallows_keeps_the_older_tokens() {
    // The last item is left open: nothing after it to resume at, so the parser keeps only the
    // items before it, and the block's tokens come from the older text.
    let older = "let x = 1\nrepo app {\n  branch = \"main\"\n}\n";
    let current = "let x = 1\nrepo app {\n  branch = \"main\"\n";
    let (old_file, _) = pipec_syntax::parse_file(FileId(0), older);
    let (new_file, diagnostics) = pipec_syntax::parse_file(FileId(0), current);
    assert!(!diagnostics.is_empty());
    let names = Names::default();
    let now = collect(&new_file, current, &names);
    let words = |tokens: &[Raw]| -> Vec<(String, Kind)> {
        tokens
            .iter()
            .map(|token| (current[token.start..token.end].to_string(), token.kind))
            .collect()
    };
    assert_eq!(
        words(&now),
        [
            ("let".to_string(), Kind::Keyword),
            ("x".to_string(), Kind::Variable),
            ("1".to_string(), Kind::Number)
        ],
        "the open block is swallowed"
    );
    let filled = fill_from_older(
        now,
        &new_file,
        collect(&old_file, older, &names),
        Remap::new(older, current),
    );
    assert_eq!(
        words(&filled),
        [
            ("let".to_string(), Kind::Keyword),
            ("x".to_string(), Kind::Variable),
            ("1".to_string(), Kind::Number),
            ("repo".to_string(), Kind::Type),
            ("app".to_string(), Kind::Variable),
            ("branch".to_string(), Kind::Property),
            ("\"main\"".to_string(), Kind::Str),
        ]
    );
}

#[test]
fn items_after_an_unclosed_block_get_their_own_tokens() {
    // Parsing resumes at the next item after an unclosed `{`, so `let x = 1` is tokenized from
    // the current text.
    let current = "repo app {\n\nlet x = 1\n";
    let (new_file, diagnostics) = pipec_syntax::parse_file(FileId(0), current);
    assert!(!diagnostics.is_empty());
    let now = collect(&new_file, current, &Names::default());
    let words: Vec<_> = now
        .iter()
        .map(|token| (&current[token.start..token.end], token.kind))
        .collect();
    assert_eq!(
        words,
        [
            ("let", Kind::Keyword),
            ("x", Kind::Variable),
            ("1", Kind::Number)
        ]
    );
}

#[test]
fn the_legend_matches_the_kinds() {
    let legend = legend();
    for (kind, name) in [
        (Kind::Keyword, "keyword"),
        (Kind::Type, "type"),
        (Kind::Property, "property"),
        (Kind::Variable, "variable"),
        (Kind::Parameter, "parameter"),
        (Kind::Function, "function"),
        (Kind::Namespace, "namespace"),
        (Kind::EnumMember, "enumMember"),
        (Kind::Event, "event"),
        (Kind::Str, "string"),
        (Kind::Number, "number"),
        (Kind::Comment, "comment"),
        (Kind::Operator, "operator"),
    ] {
        assert_eq!(legend.token_types[kind.index() as usize].as_str(), name);
    }
    assert_eq!(legend.token_modifiers[0].as_str(), "declaration");
    assert_eq!(legend.token_modifiers[3].as_str(), "documentation");
}
