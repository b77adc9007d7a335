//! Hostile input through the real server process over stdio: broken frames are answered and
//! the server goes on; huge announced lengths allocate nothing; programs that used to overflow
//! the stack or exhaust memory (long `let` chains, doubling values, `use` of a device or a FIFO)
//! get diagnostics quickly.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::Client;
use serde_json::{json, Value};

const URI: &str = "file:///work/project/main.pipe";

/// The next message that is not a notification.
fn next_response(client: &mut Client) -> Value {
    loop {
        let message = client.next_message();
        if message.get("method").is_none() {
            return message;
        }
    }
}

fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|diag| diag["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

#[test]
fn a_malformed_frame_gets_a_parse_error_and_the_server_goes_on() {
    let mut client = Client::start_default();
    client.send_raw(b"Content-Length: 12\r\n\r\n{not json!!}");
    let answer = next_response(&mut client);
    assert_eq!(answer["error"]["code"], -32700, "{answer}");
    assert_eq!(answer["id"], Value::Null, "{answer}");
    // A garbled header, then one without Content-Length.
    client.send_raw(b"Content-Length: many\r\n\r\nX-Whatever: 1\r\n\r\n");
    for _ in 0..2 {
        let answer = next_response(&mut client);
        assert_eq!(answer["error"]["code"], -32700, "{answer}");
    }
    // Still serving.
    client.open(URI, "repo app {}\n");
    assert_eq!(codes(&client.diagnostics(URI)), Vec::<String>::new());
    assert!(client.shutdown().success());
}

#[test]
fn an_oversized_frame_is_answered_without_allocating_it() {
    let mut client = Client::start_default();
    let before = rss_mib(client.pid());
    client.send_raw(b"Content-Length: 4000000000\r\n\r\n");
    let answer = next_response(&mut client);
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    // Part of the announced body arrives: the server skips it, storing nothing.
    client.send_raw(&vec![b' '; 8 << 20]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(client.is_running());
    let after = rss_mib(client.pid());
    assert!(after < before + 64, "RSS grew from {before} to {after} MiB");
}

fn open_and_wait(text: &str) -> (Vec<String>, Duration) {
    let mut client = Client::start_default();
    let start = Instant::now();
    client.open(URI, text);
    let params = client.diagnostics(URI);
    let elapsed = start.elapsed();
    assert!(client.is_running());
    assert!(client.shutdown().success());
    (codes(&params), elapsed)
}

fn chain(length: usize) -> String {
    let mut text: String = (0..length)
        .map(|index| format!("let a{index} = a{}\n", index + 1))
        .collect();
    text.push_str(&format!("let a{length} = \"x\"\n"));
    text
}

#[test]
fn long_let_chains_do_not_kill_the_server() {
    for length in [2_000, 8_000, 100_000] {
        let (codes, _) = open_and_wait(&chain(length));
        assert_eq!(codes, Vec::<String>::new(), "chain of {length}");
    }
}

#[test]
fn doubling_values_are_reported_not_allocated() {
    let mut text = "let a0 = \"xxxxxxxxxx\"\n".to_string();
    for index in 1..30 {
        text.push_str(&format!(
            "let a{index} = \"${{a{}}}${{a{}}}\"\n",
            index - 1,
            index - 1
        ));
    }
    let (codes, elapsed) = open_and_wait(&text);
    assert_eq!(codes, ["P3026"]);
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn use_of_devices_fifos_and_symlink_loops_ends() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|status| status.success());
    std::os::unix::fs::symlink(".", dir.path().join("x")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("y")).unwrap();
    let main = dir.path().join("main.pipe");
    let mut text = "use \"/dev/zero\"\nuse \"./x/main.pipe\"\nuse \"./y/main.pipe\"\n".to_string();
    if made {
        text.push_str("use \"./fifo\"\n");
    }
    std::fs::write(&main, &text).unwrap();
    let uri = format!("file://{}", main.display());
    let mut client = Client::start_default();
    client.open(&uri, &text);
    let params = client.diagnostics(&uri);
    let codes = codes(&params);
    // `/dev/zero` and the FIFO cannot be read; x/main.pipe and y/main.pipe are main.pipe.
    assert_eq!(
        codes.iter().filter(|code| *code == "P2006").count(),
        if made { 2 } else { 1 },
        "{params}"
    );
    assert!(client.shutdown().success());
}

#[test]
fn the_server_survives_shutdown_after_noise() {
    let mut client = Client::start_default();
    client.send_raw(b"\r\n\r\n");
    client.send(&json!({ "jsonrpc": "2.0", "id": 99, "method": "no/such/method" }));
    let answer = next_response(&mut client);
    assert_eq!(answer["id"], 99, "{answer}");
    assert!(client.shutdown().success());
}

#[test]
fn navigation_over_a_long_chain_answers() {
    // 20,000 rather than 100,000: the outline of 100,000 declarations is a 30 MB answer that
    // takes half a minute to serialise and parse in a debug build, which is not what this
    // test is about (no request recurses over the chain).
    let length = 20_000;
    let mut client = Client::start_default();
    client.open(URI, &chain(length));
    assert_eq!(codes(&client.diagnostics(URI)), Vec::<String>::new());
    let doc = json!({ "uri": URI });
    // `a1` in `let a0 = a1` (line 0), and the last declaration.
    let at = |line: u32, character: u32| json!({ "textDocument": doc, "position": { "line": line, "character": character } });
    let length_line = u32::try_from(length).unwrap();
    for (method, params) in [
        ("textDocument/hover", at(0, 10)),
        ("textDocument/definition", at(0, 10)),
        ("textDocument/hover", at(length_line, 5)),
        (
            "textDocument/references",
            json!({ "textDocument": doc, "position": { "line": 0, "character": 10 }, "context": { "includeDeclaration": true } }),
        ),
        ("textDocument/prepareRename", at(0, 10)),
        (
            "textDocument/rename",
            json!({ "textDocument": doc, "position": { "line": 0, "character": 10 }, "newName": "b1" }),
        ),
        (
            "textDocument/documentSymbol",
            json!({ "textDocument": doc }),
        ),
        ("textDocument/completion", at(length_line, 10)),
    ] {
        let start = Instant::now();
        let answer = client.request(method, params);
        assert!(answer.is_ok(), "{method}: {answer:?}");
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{method} took {:?}",
            start.elapsed()
        );
    }
    assert!(client.shutdown().success());
}
