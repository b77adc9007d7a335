//! End-to-end tests: the server binary driven over stdio by a scripted client.
#![allow(clippy::unwrap_used)]

mod common;

use common::{pos, Client};
use serde_json::{json, Value};

const URI: &str = "file:///work/project/main.pipe";

const GOOD: &str = "// The app.\nrepo app {\n  name        = \"fe-server\"\n  description = \"ünï 😀\"\n  branch      = \"main\"\n}\n\nbuild app {\n  source = repo.app\n  build { run \"make\" }\n}\n";

fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|diag| diag["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn initialize_open_and_publish_syntax_errors() {
    let (mut client, init) = Client::start(json!({}), json!({ "debounceMs": 0 }));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["serverInfo"]["name"], "pipec");
    // A missing value after `=` on a line holding multi-byte text.
    client.open(URI, "repo app {\n  name = \"é😀\" branch = \n}\n");
    let params = client.diagnostics(URI);
    assert_eq!(codes(&params), ["P1001"]);
    let diag = &params["diagnostics"][0];
    assert_eq!(diag["source"], "pipec");
    assert_eq!(diag["severity"], 1);
    assert_eq!(
        diag["codeDescription"]["href"],
        "https://github.com/pipec/pipec/blob/main/docs/codes/P1001.md"
    );
    assert!(
        diag["message"].as_str().unwrap().contains("\nhelp: "),
        "{diag}"
    );
    assert_eq!(pos(&diag["range"]["start"]), (2, 0), "{diag}");
    assert_eq!(params["version"], 1);
    assert!(client.shutdown().success());
}

#[test]
fn edits_move_diagnostics_and_fixing_clears_them() {
    let mut client = Client::start_default();
    client.open(URI, GOOD);
    assert_eq!(codes(&client.diagnostics_at(URI, 1)), Vec::<String>::new());
    // Break line 3 after the emoji: `"ünï 😀"` → `"ünï 😀" ?`, at the UTF-16 column of the
    // end of the string (😀 counts two units).
    let line = "  description = \"ünï 😀\"";
    let end: u32 = line
        .chars()
        .map(|ch| u32::try_from(ch.len_utf16()).unwrap())
        .sum();
    client.change(URI, 2, &[((3, end), (3, end), " ?")]);
    let params = client.diagnostics_at(URI, 2);
    assert_eq!(codes(&params), ["P1001"], "{params}");
    assert_eq!(
        pos(&params["diagnostics"][0]["range"]["start"]),
        (3, u64::from(end) + 1)
    );
    // Undo: the list becomes empty.
    client.change(URI, 3, &[((3, end), (3, end + 2), "")]);
    assert_eq!(codes(&client.diagnostics_at(URI, 3)), Vec::<String>::new());
    assert!(client.shutdown().success());
}

#[test]
fn utf8_positions_when_the_client_offers_them() {
    let capabilities = json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } });
    let (mut client, init) = Client::start(capabilities, json!({ "debounceMs": 0 }));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    client.open(URI, "repo app {\r\n  name = \"é😀\" ?\r\n}\r\n");
    let params = client.diagnostics(URI);
    // `  name = "é😀" ` is 2 + 7 + 1 + 2 + 4 + 1 + 1 = 18 bytes.
    assert_eq!(pos(&params["diagnostics"][0]["range"]["start"]), (1, 18));
    assert!(client.shutdown().success());
}

#[test]
fn rapid_changes_never_publish_a_stale_result() {
    let (mut client, _) = Client::start(json!({}), json!({ "debounceMs": 50 }));
    client.open(URI, GOOD);
    client.diagnostics_at(URI, 1);
    for version in 2..=31 {
        let text = if version % 2 == 0 {
            "repo app {\n"
        } else {
            GOOD
        };
        client.replace(URI, version, text);
    }
    // Changes that arrive while a check runs are coalesced; whatever is published carries the
    // version it was computed from (even versions are broken, odd ones clean), newest last.
    let mut last = 1;
    loop {
        let params = client.diagnostics(URI);
        let version = params["version"].as_i64().unwrap();
        assert!(version > last, "published out of order: {params}");
        let expected: Vec<String> = if version % 2 == 0 {
            vec!["P1001".to_string()]
        } else {
            Vec::new()
        };
        assert_eq!(
            codes(&params),
            expected,
            "a stale result was published: {params}"
        );
        last = version;
        if version == 31 {
            break;
        }
    }
    assert!(client.shutdown().success());
}

/// The debounce only coalesces changes that arrive while a check runs: an idle server checks
/// a change at once, however long `debounceMs` is (60 s here, longer than any wait of the
/// test client).
#[test]
fn an_idle_server_checks_a_change_without_waiting_for_the_debounce() {
    let (mut client, _) = Client::start(json!({}), json!({ "debounceMs": 60_000 }));
    client.open(URI, GOOD);
    client.diagnostics_at(URI, 1);
    client.change(URI, 2, &[((1, 0), (1, 0), "= ")]);
    assert_eq!(codes(&client.diagnostics_at(URI, 2)), ["P1001"]);
    client.change(URI, 3, &[((1, 0), (1, 2), "")]);
    assert_eq!(codes(&client.diagnostics_at(URI, 3)), Vec::<String>::new());
    assert!(client.shutdown().success());
}

#[test]
fn used_files_get_diagnostics_too() {
    let dir = tempfile::tempdir().unwrap();
    let used = dir.path().join("net.pipe");
    std::fs::write(&used, "repo net {\n  name = \n}\n").unwrap();
    let main = format!("file://{}/main.pipe", dir.path().display());
    let used_uri = format!("file://{}", used.display());
    let mut client = Client::start_default();
    client.open(&main, "use \"./net.pipe\"\nrepo app { name = \"x\" }\n");
    let params = client.diagnostics(&used_uri);
    assert_eq!(codes(&params), ["P1001"]);
    assert!(client.shutdown().success());
}

#[test]
fn document_symbols_outline_blocks() {
    let mut client = Client::start_default();
    client.open(
        URI,
        "repo app { name = \"x\" }\ndeploy web {\n  hook before_install \"init\" { run \"x\" }\n}\npipeline main {\n  stage source { repo.app }\n}\n",
    );
    let result = client
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": URI } }),
        )
        .unwrap();
    let names: Vec<&str> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|symbol| symbol["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["repo app", "deploy web", "pipeline main"]);
    assert_eq!(
        result[1]["children"][0]["name"],
        "hook before_install \"init\""
    );
    assert_eq!(pos(&result[1]["children"][0]["range"]["start"]), (2, 2));
    assert_eq!(result[2]["children"][0]["name"], "stage source");
    assert!(client.shutdown().success());
}

#[test]
fn formatting_rewrites_the_document_and_refuses_broken_ones() {
    let mut client = Client::start_default();
    client.open(URI, "repo   app {name=\"x\"\n}\n");
    let options = json!({ "tabSize": 2, "insertSpaces": true });
    let edits = client
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": URI }, "options": options }),
        )
        .unwrap();
    assert_eq!(edits.as_array().unwrap().len(), 1);
    assert_eq!(edits[0]["newText"], "repo app {\n  name = \"x\"\n}\n");
    assert_eq!(pos(&edits[0]["range"]["end"]), (2, 0));
    client.replace(URI, 2, "repo app {\n");
    let edits = client
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": URI }, "options": options }),
        )
        .unwrap();
    assert_eq!(edits, json!([]));
    assert!(client.shutdown().success());
}

#[test]
fn a_panicking_request_is_an_error_response_not_a_dead_server() {
    let mut client = Client::start_default();
    client.open(URI, GOOD);
    let error = client.request("pipec/test/panic", Value::Null).unwrap_err();
    assert_eq!(error["code"], -32603);
    assert!(client.is_running());
    let result = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": URI } }),
    );
    assert!(result.is_ok());
    let error = client
        .request("textDocument/noSuchThing", json!({}))
        .unwrap_err();
    assert_eq!(error["code"], -32601);
    let error = client
        .request("textDocument/documentSymbol", json!({ "nonsense": 1 }))
        .unwrap_err();
    assert_eq!(error["code"], -32602);
    assert!(client.shutdown().success());
}

#[test]
fn exit_without_shutdown_is_code_1() {
    let mut client = Client::start_default();
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(1));
}

#[test]
fn shutdown_then_exit_is_code_0() {
    let client = Client::start_default();
    assert_eq!(client.shutdown().code(), Some(0));
}

/// A tiny deterministic generator (xorshift), so the random edits repeat exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

#[test]
fn two_hundred_random_edits_keep_the_server_up() {
    let mut client = Client::start_default();
    client.open(URI, GOOD);
    let pieces = [
        "{",
        "}",
        "\"",
        "${",
        "repo x ",
        "= ",
        "é",
        "😀",
        "\r\n",
        "\n",
        "[1,",
        "/*",
        "*/",
        "// c\n",
        ".",
        "",
        "hook a \"b\" = n.s",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut lines: u64 = 10;
    for version in 2..=201 {
        // Positions may lie past the end of lines or of the file: the server must clamp them.
        let start = (
            u32::try_from(rng.below(lines + 2)).unwrap(),
            u32::try_from(rng.below(30)).unwrap(),
        );
        let end = if rng.below(3) == 0 {
            start
        } else {
            (
                start.0 + u32::try_from(rng.below(2)).unwrap(),
                u32::try_from(rng.below(30)).unwrap(),
            )
        };
        let piece = pieces[usize::try_from(rng.below(pieces.len() as u64)).unwrap()];
        lines += u64::from(piece.contains('\n'));
        client.change(URI, version, &[(start, end, piece)]);
        if version % 20 == 0 {
            // Interleave requests with the edits, as an editor does.
            let symbols = client.request(
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": URI } }),
            );
            assert!(symbols.is_ok(), "{symbols:?}");
            let options = json!({ "tabSize": 2, "insertSpaces": true });
            let format = client.request(
                "textDocument/formatting",
                json!({ "textDocument": { "uri": URI }, "options": options }),
            );
            assert!(format.is_ok(), "{format:?}");
        }
    }
    let params = client.diagnostics_at(URI, 201);
    assert!(params["diagnostics"].is_array());
    assert!(client.is_running());
    assert!(client.shutdown().success());
}
