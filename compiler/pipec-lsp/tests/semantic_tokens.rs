//! Semantic tokens over stdio from the server binary, on the seed example: the legend in the
//! capabilities, `full` and `range` answers decoded against the text, declarations and
//! references told apart by the checker, and tokens kept for the good part of a broken file.
#![allow(clippy::unwrap_used)]

mod common;

use common::Client;
use serde_json::{json, Value};

const URI: &str = "file:///work/project/seed/pipeline.pipe";
const SEED: &str = include_str!("../../../examples/seed-ec2/pipeline.pipe");

/// A decoded token: (line, UTF-16 column, text, type, modifiers).
type Token = (u32, u32, String, String, Vec<String>);

fn decode(text: &str, legend: &Value, data: &Value) -> Vec<Token> {
    let types: Vec<&str> = legend["tokenTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let modifiers: Vec<&str> = legend["tokenModifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let lines: Vec<&str> = text.split('\n').collect();
    let numbers: Vec<u32> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|n| u32::try_from(n.as_u64().unwrap()).unwrap())
        .collect();
    let (mut line, mut column) = (0, 0);
    let mut out = Vec::new();
    for chunk in numbers.chunks(5) {
        let [delta_line, delta_start, length, kind, bits] = chunk else {
            panic!("the data is not in fives");
        };
        if *delta_line > 0 {
            column = 0;
        }
        line += delta_line;
        column += delta_start;
        let units: Vec<u16> = lines[line as usize].encode_utf16().collect();
        let word = String::from_utf16(&units[column as usize..(column + length) as usize]).unwrap();
        let names = (0..modifiers.len())
            .filter(|bit| bits & (1 << bit) != 0)
            .map(|bit| modifiers[bit].to_string())
            .collect();
        out.push((line, column, word, types[*kind as usize].to_string(), names));
    }
    out
}

fn find<'a>(tokens: &'a [Token], line_text: &str, word: &str) -> &'a Token {
    let line = SEED
        .split('\n')
        .position(|line| line.contains(line_text))
        .unwrap();
    tokens
        .iter()
        .find(|token| token.0 as usize == line && token.2 == word)
        .unwrap_or_else(|| panic!("no token {word:?} on the line of {line_text:?}: {tokens:?}"))
}

fn full(client: &mut Client) -> Value {
    client
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": URI } }),
        )
        .unwrap()
}

#[test]
fn the_seed_over_stdio() {
    let (mut client, init) = Client::start(json!({}), json!({}));
    let provider = &init["capabilities"]["semanticTokensProvider"];
    assert_eq!(provider["full"], true, "{provider}");
    assert_eq!(provider["range"], true, "{provider}");
    let legend = provider["legend"].clone();
    client.open(URI, SEED);
    client.diagnostics_at(URI, 1);
    let answer = full(&mut client);
    let tokens = decode(SEED, &legend, &answer["data"]);
    let expect = [
        ("use std.hooks.node", "use", "keyword", vec![]),
        ("use std.hooks.node", "hooks", "namespace", vec![]),
        ("param env", "env", "parameter", vec!["declaration"]),
        (
            "let app_dir",
            "app_dir",
            "variable",
            vec!["declaration", "readonly"],
        ),
        ("tags {", "tags", "type", vec![]),
        ("Env = env", "env", "parameter", vec![]),
        ("repo app {", "repo", "type", vec![]),
        ("repo app {", "app", "variable", vec!["declaration"]),
        ("name = \"fe-server-${env}\"", "${", "operator", vec![]),
        ("name = \"fe-server-${env}\"", "env", "parameter", vec![]),
        (
            "name = \"fe-server-${env}\"",
            "\"fe-server-",
            "string",
            vec![],
        ),
        ("agent = codedeploy", "codedeploy", "enumMember", vec![]),
        (
            "trust = [service.ec2]",
            "ec2",
            "enumMember",
            vec!["defaultLibrary"],
        ),
        (
            "ami = ssm_ami",
            "ssm_ami",
            "function",
            vec!["defaultLibrary"],
        ),
        ("ingress = [port]", "port", "parameter", vec![]),
        ("source = repo.app", "repo", "namespace", vec![]),
        ("source = repo.app", "app", "variable", vec![]),
        ("install {", "install", "type", vec![]),
        ("run \"npm ci\"", "run", "keyword", vec![]),
        ("\"/\" -> app_dir", "app_dir", "variable", vec!["readonly"]),
        ("hook before_install", "before_install", "event", vec![]),
        ("= node.start {", "start", "function", vec![]),
        ("dir = app_dir }", "dir", "property", vec![]),
        ("timeout = 60", "60", "number", vec![]),
        ("profile = true", "true", "keyword", vec![]),
        ("output clone_url", "clone_url_http", "property", vec![]),
        (
            "// The seed pipeline",
            "// The seed pipeline: a Node server in CodeCommit, built by CodeBuild and deployed by",
            "comment",
            vec![],
        ),
    ];
    for (line_text, word, kind, modifiers) in expect {
        let token = find(&tokens, line_text, word);
        assert_eq!(
            (token.3.as_str(), token.4.clone()),
            (kind, modifiers.iter().map(ToString::to_string).collect()),
            "{word:?} on the line of {line_text:?}"
        );
    }

    // A range: only the tokens of `repo app { … }`, the first one relative to the document.
    let (start, end) = (
        SEED.split('\n').position(|l| l == "repo app {").unwrap(),
        SEED.split('\n')
            .position(|l| l.starts_with("  description"))
            .unwrap(),
    );
    let range = client
        .request(
            "textDocument/semanticTokens/range",
            json!({ "textDocument": { "uri": URI }, "range": {
                "start": { "line": start, "character": 0 }, "end": { "line": end + 1, "character": 0 } } }),
        )
        .unwrap();
    let ranged = decode(SEED, &legend, &range["data"]);
    assert_eq!(ranged.first().unwrap().2, "repo");
    assert_eq!(
        ranged.last().unwrap().2,
        "\"The fe-server Node application\""
    );
    assert!(ranged.len() < tokens.len() / 5, "{ranged:?}");
    assert!(client.shutdown().success());
}

#[test]
fn a_broken_seed_keeps_its_tokens_and_names() {
    let (mut client, init) = Client::start(json!({}), json!({}));
    let legend = init["capabilities"]["semanticTokensProvider"]["legend"].clone();
    client.open(URI, SEED);
    client.diagnostics_at(URI, 1);
    // Delete the `}` closing `repo app`: the rest of the file no longer parses as it did.
    let line = SEED
        .split('\n')
        .position(|l| l.contains("The fe-server Node application"))
        .unwrap()
        + 1;
    client.change(
        URI,
        2,
        &[(
            (u32::try_from(line).unwrap(), 0),
            (u32::try_from(line).unwrap(), 1),
            "",
        )],
    );
    client.diagnostics_at(URI, 2);
    let text = {
        let mut lines: Vec<&str> = SEED.split('\n').collect();
        lines[line] = "";
        lines.join("\n")
    };
    let answer = full(&mut client);
    let tokens = decode(&text, &legend, &answer["data"]);
    // Before the error: as in the clean file, names from the last good analysis.
    let env = tokens
        .iter()
        .find(|t| t.2 == "env" && t.4 == ["declaration"])
        .unwrap();
    assert_eq!(env.3, "parameter");
    let use_line = tokens.iter().find(|t| t.2 == "hooks").unwrap();
    assert_eq!(use_line.3, "namespace");
    assert!(tokens.iter().any(|t| t.2 == "repo" && t.3 == "type"));
    // After it, in what the open brace swallowed: the last good text's tokens, mapped.
    let start = tokens
        .iter()
        .find(|t| t.2 == "start" && t.3 == "function")
        .unwrap();
    assert_eq!(
        text.split('\n').nth(start.0 as usize).unwrap().trim(),
        "hook application_start \"start\" = node.start {"
    );
    assert!(tokens.iter().any(|t| t.2 == "install" && t.3 == "type"));
    assert!(client.shutdown().success());
}

/// The method the server asks the client with to request semantic tokens again.
const REFRESH: &str = "workspace/semanticTokens/refresh";

/// The messages up to the first diagnostics of `uri`.
fn until_diagnostics(client: &mut Client) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let message = client.next_message();
        let done = message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"] == URI;
        seen.push(message);
        if done {
            return seen;
        }
    }
}

/// The messages that follow the first diagnostics of `uri` up to the answer of a request sent
/// after them (the server handles messages in order, so anything it sent after the
/// diagnostics and before that answer is there).
fn after_diagnostics(client: &mut Client) -> Vec<Value> {
    until_diagnostics(client);
    client
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": URI } }),
        )
        .unwrap();
    client.take_pending()
}

#[test]
fn each_analysis_asks_a_client_that_can_to_refresh() {
    let capabilities = json!({ "workspace": { "semanticTokens": { "refreshSupport": true } } });
    let (mut client, _) = Client::start(capabilities, json!({}));
    client.open(URI, SEED);
    let seen = after_diagnostics(&mut client);
    let refresh: Vec<_> = seen.iter().filter(|m| m["method"] == REFRESH).collect();
    assert_eq!(refresh.len(), 1, "{seen:?}");
    assert!(refresh[0]["id"].is_string(), "a request: {}", refresh[0]);
    // The client answers; the server takes the answer and goes on.
    client.send(&json!({ "jsonrpc": "2.0", "id": refresh[0]["id"], "result": null }));
    client.change(URI, 2, &[((0, 0), (0, 0), "// x\n")]);
    let seen = after_diagnostics(&mut client);
    assert!(seen.iter().any(|m| m["method"] == REFRESH), "{seen:?}");
    assert!(client.shutdown().success());
}

#[test]
fn a_client_without_refresh_support_is_not_asked() {
    let (mut client, _) = Client::start(json!({}), json!({}));
    client.open(URI, SEED);
    let seen = after_diagnostics(&mut client);
    assert!(!seen.iter().any(|m| m["method"] == REFRESH), "{seen:?}");
    assert!(client.shutdown().success());
}
