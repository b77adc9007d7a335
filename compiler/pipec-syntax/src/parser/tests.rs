//! Parser snapshots for each construct, error recovery, and formatter properties.

use pipec_span::FileId;

use crate::ast::File;
use crate::{format_file, parse_file, scan_comments};

fn parse_ok(text: &str) -> File {
    let (file, diagnostics) = parse_file(FileId(0), text);
    assert!(
        diagnostics.is_empty(),
        "unexpected diagnostics: {diagnostics:#?}"
    );
    file
}

fn fmt(text: &str) -> String {
    let file = parse_ok(text);
    format_file(text, &file, &scan_comments(FileId(0), text))
}

#[test]
fn block_with_attributes() {
    insta::assert_debug_snapshot!(parse_ok(
        "repo app {\n  name = \"fe-${env}\"\n  branch = \"main\"\n}\n"
    ));
}

#[test]
fn declarations_statements_and_values() {
    insta::assert_debug_snapshot!(parse_ok(concat!(
        "use std.hooks.node\n",
        "param env = \"dev\"\n",
        "hook after_install \"install\" = node.install { dir = \"/srv\" }\n",
        "policy p { allow [\"s3:GetObject\"] on [repo.app, \"*\"] when { Bool = { \"aws:SecureTransport\" = \"true\" } } sid \"Read\" }\n",
        "deploy web { target = ec2 { tags = { Deploy = \"web\" } }  files { \"/\" -> \"/srv/app\" } timeout = 60 ok = true }\n",
        "role r { managed = [aws_policy(\"ReadOnlyAccess\")] }\n",
        "pipeline main { stage source { repo.app } }\n",
    )));
}

#[test]
fn triple_quoted_strings_are_dedented() {
    let file =
        parse_ok("hook x \"y\" {\n  run \"\"\"\n    cd /srv\n      npm start\n    \"\"\"\n}\n");
    insta::assert_debug_snapshot!(file.items[0]);
}

#[test]
fn escapes() {
    let (file, diagnostics) = parse_file(FileId(0), "let x = \"a\\n\\\"b\\$\\q\"\n");
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.number(), "P1003");
    insta::assert_debug_snapshot!(file.items[0].kind);
}

#[test]
fn recovery_reports_errors_in_separate_items_and_keeps_good_ones() {
    let text = "repo a {\n  name = \n}\nrepo b { branch = \"main\" }\nbuild c {\n  image = = \"x\"\n}\nrepo d {}\n";
    let (file, diagnostics) = parse_file(FileId(0), text);
    let codes: Vec<_> = diagnostics.iter().map(|diag| diag.code.number()).collect();
    assert_eq!(codes, ["P1001", "P1001"], "{diagnostics:#?}");
    let names: Vec<_> = file
        .items
        .iter()
        .filter_map(|item| item.as_block())
        .map(|block| block.labels[0].text.clone())
        .collect();
    assert_eq!(names, ["b", "d"]);
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    let text = format!("let x = {}1{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let (_, diagnostics) = parse_file(FileId(0), &text);
    assert_eq!(diagnostics[0].code.number(), "P1002");
}

#[test]
fn formatter_canonical_layout_keeps_comments() {
    let text = "// head\nrepo   app{name=\"x\" // trailing\n\n\n  branch=\"main\"}\n/* tail */\nlet l = [1,\n 2, // two\n 3]\n";
    let once = fmt(text);
    insta::assert_snapshot!(once);
    assert_eq!(fmt(&once), once, "formatting is idempotent");
    assert_eq!(
        scan_comments(FileId(0), &once).len(),
        scan_comments(FileId(0), text).len()
    );
}

#[test]
fn comment_markers_inside_strings_are_not_comments() {
    let comments = scan_comments(FileId(0), "let u = \"http://x/*y*/\" // real\n");
    assert_eq!(comments.len(), 1);
}

/// CR-only line endings: P1005 from both parsers, and no items (never a silent empty program).
#[test]
fn a_lone_carriage_return_is_reported() {
    for text in ["// c\rrepo a { }\r", "a = 1\nb = \"x\ry\"\n", "\r"] {
        let (file, diagnostics) = parse_file(FileId(0), text);
        assert!(file.items.is_empty(), "{text:?}");
        assert_eq!(diagnostics.len(), 1, "{text:?}: {diagnostics:?}");
        assert_eq!(diagnostics[0].code.number(), "P1005");
        assert_eq!(
            (file, diagnostics),
            crate::parse_file_with_pest(FileId(0), text)
        );
    }
    let (file, diagnostics) = parse_file(FileId(0), "a = \"\"\"\r\n  x\r\n  \"\"\"\r\n");
    assert!(diagnostics.is_empty());
    assert!(!format!("{file:?}").contains("\\r"), "{file:?}");
}

/// A file that ends inside a block: the error at the end also points at the `{` left open.
#[test]
fn an_unclosed_brace_is_pointed_at() {
    let text = "repo app {\n  name = \"a${b}\" // }\n  /* } */\nrole web {\n  profile = true\n}\n";
    let (file, diagnostics) = parse_file(FileId(0), text);
    insta::assert_debug_snapshot!(diagnostics);
    assert_eq!(
        diagnostics[0].labels[1].span.start(),
        text.find('{').unwrap_or(0)
    );
    // Parsing resumes at the next item, which is pointed at as where a `}` is probably missing.
    assert_eq!(
        diagnostics[0].labels[2].span.start(),
        text.find("role").unwrap_or(0)
    );
    assert_eq!(file.items.len(), 1, "{file:?}");
}

/// The items before an unclosed block are kept, as are those after it.
#[test]
fn items_around_an_unclosed_block_are_kept() {
    let text = "tags = { a = \"b\" }\nrepo app {\n  name = \"a\"\nrole web {\n  profile = true\n}\nrole db {\n}\n";
    for (file, diagnostics) in [
        parse_file(FileId(0), text),
        crate::parse_file_with_pest(FileId(0), text),
    ] {
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(file.items.len(), 3, "{file:?}");
    }
}

/// Recovery through the fast parser gives exactly pest's result on broken files: every line of
/// the seed deleted in turn, and a `}` or `= ` inserted at the start of every line.
#[test]
fn recovery_with_the_fast_parser_matches_pest() {
    let seed = include_str!("../../../../examples/seed-ec2/pipeline.pipe");
    let lines: Vec<&str> = seed.split_inclusive('\n').collect();
    let mut texts = Vec::new();
    for index in 0..lines.len() {
        let mut without = lines.clone();
        without.remove(index);
        texts.push(without.concat());
        for insert in ["}", "= ", "{\n"] {
            let mut with = lines.clone();
            let line = format!("{insert}{}", lines[index]);
            with[index] = &line;
            texts.push(with.concat());
        }
    }
    for text in texts {
        assert_eq!(
            parse_file(FileId(0), &text),
            crate::parse_file_with_pest(FileId(0), &text),
            "{text}"
        );
    }
}
