//! The scenario of issue 11, item 4, over stdio with default settings: the seed pipeline with
//! the `}` closing `repo app` deleted and a line inserted below. Hover must never apply a
//! stale analysis's offsets to the changed text, and must still answer from what parses.
#![allow(clippy::unwrap_used)]

mod common;

use common::Client;
use serde_json::json;

const URI: &str = "file:///work/project/seed/pipeline.pipe";
/// The line typed below the deleted brace.
const LINE: &str = "  owner = \"platform\"\n";
const SEED: &str = include_str!("../../../examples/seed-ec2/pipeline.pipe");

/// The (line, character) of the `nth` occurrence of `needle` in `text`, plus `shift`.
fn at(text: &str, needle: &str, nth: usize, shift: usize) -> (u32, u32) {
    let offset = text.match_indices(needle).nth(nth).unwrap().0;
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |index| index + 1);
    (
        u32::try_from(line).unwrap(),
        u32::try_from(column + shift).unwrap(),
    )
}

fn hover(client: &mut Client, position: (u32, u32)) -> Option<String> {
    let params = json!({ "textDocument": { "uri": URI }, "position": { "line": position.0, "character": position.1 } });
    let hover = client.request("textDocument/hover", params).unwrap();
    hover["contents"]["value"].as_str().map(str::to_string)
}

/// The seed as it is after the edits, and the edits (as two didChange notifications).
fn broken() -> String {
    let closing = SEED.find("application\"\n}\n").unwrap() + "application\"\n".len();
    let mut text = SEED.to_string();
    text.replace_range(closing..=closing, "");
    let below = text[closing..].find('\n').unwrap() + closing + 1;
    text.insert_str(below, LINE);
    text
}

fn break_the_seed(client: &mut Client) {
    let (line, _) = at(SEED, "application\"\n}\n", 0, 0);
    let line = line + 1;
    client.change(URI, 2, &[((line, 0), (line, 1), "")]);
    client.change(URI, 3, &[((line + 1, 0), (line + 1, 0), LINE)]);
}

#[test]
fn hover_while_the_brace_of_repo_app_is_missing() {
    let mut client = Client::start(json!({}), json!({})).0;
    client.open(URI, SEED);
    client.diagnostics_at(URI, 1);
    break_the_seed(&mut client);
    let text = broken();
    let start = at(&text, "node.start", 0, 6);
    let app_dir = at(&text, "dir = app_dir", 0, 7);
    // At once, whatever analysis the server has (the last good one is mapped through the
    // unchanged text after the edit).
    let answer = hover(&mut client, start).unwrap_or_default();
    assert!(answer.contains("preset start"), "{answer}");
    let answer = hover(&mut client, app_dir).unwrap_or_default();
    assert!(answer.contains("let app_dir"), "{answer}");
    // Once the broken text is analysed: the right answers, from what still parses.
    let params = client.diagnostics_at(URI, 3);
    let diagnostics = params["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{params}");
    // Reported at the end of the file, and at the brace left open.
    let related = &diagnostics[0]["relatedInformation"][0];
    let (line, character) = at(&text, "repo app {", 0, 9);
    assert_eq!(
        related["location"]["range"]["start"],
        json!({ "line": line, "character": character }),
        "{params}"
    );
    assert!(related["message"].as_str().unwrap().contains("not closed"));
    let answer = hover(&mut client, start).unwrap_or_default();
    assert!(answer.contains("preset start"), "{answer}");
    let answer = hover(&mut client, app_dir).unwrap_or_default();
    assert!(answer.contains("let app_dir"), "{answer}");
    // Go to definition lands on the declaration in the text as it is now.
    let params = json!({ "textDocument": { "uri": URI }, "position": { "line": app_dir.0, "character": app_dir.1 } });
    let location = client.request("textDocument/definition", params).unwrap();
    let (line, character) = at(&text, "let app_dir", 0, 4);
    assert_eq!(
        location["range"]["start"],
        json!({ "line": line, "character": character })
    );
    // In the changed part, nothing is made up: the new line is not in any analysis.
    let owner = at(&text, "owner", 0, 1);
    assert_eq!(hover(&mut client, owner), None);
    assert!(client.shutdown().success());
}

/// The same text opened already broken, with no earlier good analysis to fall back on: the items
/// after the unclosed block still parse (recovery resumes at the next item), so hover answers
/// there, and the diagnostic points at where the `}` is probably missing.
#[test]
fn hover_in_a_file_opened_with_an_unclosed_brace() {
    let mut client = Client::start(json!({}), json!({})).0;
    let text = broken();
    client.open(URI, &text);
    let params = client.diagnostics_at(URI, 1);
    let diagnostics = params["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{params}");
    let related = diagnostics[0]["relatedInformation"].as_array().unwrap();
    let (line, _) = at(&text, "role web {", 0, 0);
    assert!(
        related
            .iter()
            .any(|r| r["location"]["range"]["start"]["line"] == json!(line)
                && r["message"].as_str().unwrap().contains("missing")),
        "{params}"
    );
    let answer = hover(&mut client, at(&text, "node.start", 0, 6)).unwrap_or_default();
    assert!(answer.contains("preset start"), "{answer}");
    let answer = hover(&mut client, at(&text, "dir = app_dir", 0, 7)).unwrap_or_default();
    assert!(answer.contains("let app_dir"), "{answer}");
    assert!(client.shutdown().success());
}
