//! A small LSP client for the end-to-end tests: starts the server binary, speaks JSON-RPC over
//! its stdin/stdout as an editor does, and collects what the server sends.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// One ranged change: start (line, character), end, new text.
pub type Change<'a> = ((u32, u32), (u32, u32), &'a str);

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Notifications and server requests received but not consumed yet.
    pending: VecDeque<Value>,
    next_id: i64,
}

impl Client {
    /// Starts the server without initializing it.
    pub fn spawn() -> Client {
        Client::spawn_with_env(&[])
    }

    /// Starts the server with extra environment variables, without initializing it.
    pub fn spawn_with_env(vars: &[(&str, &std::path::Path)]) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipec-lsp"))
            .envs(vars.iter().map(|(name, value)| (*name, *value)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            pending: VecDeque::new(),
            next_id: 1,
        }
    }

    /// Starts and initializes the server; returns it with the initialize result.
    pub fn start(capabilities: Value, options: Value) -> (Client, Value) {
        Client::start_with_env(capabilities, options, &[])
    }

    /// [`Client::start`] with extra environment variables.
    pub fn start_with_env(
        capabilities: Value,
        options: Value,
        vars: &[(&str, &std::path::Path)],
    ) -> (Client, Value) {
        let mut client = Client::spawn_with_env(vars);
        let result = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": capabilities, "initializationOptions": options }),
        );
        client.notify("initialized", json!({}));
        (client, result.unwrap())
    }

    /// A default client: UTF-16, no debounce to speed tests up.
    pub fn start_default() -> Client {
        Client::start(json!({}), json!({ "debounceMs": 0, "testHooks": true })).0
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).unwrap();
        let stdin = self.stdin.as_mut().unwrap();
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response: `Ok(result)` or `Err(error)`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self
                .receive(deadline)
                .unwrap_or_else(|| panic!("no response to `{method}`"));
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return match message.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
                };
            }
            self.pending.push_back(message);
        }
    }

    fn receive(&mut self, deadline: Instant) -> Option<Value> {
        self.incoming
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok()
    }

    /// Waits for a notification `method` whose params satisfy `accept`; earlier ones that do
    /// not are dropped.
    pub fn wait_for(&mut self, method: &str, accept: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        while let Some(message) = self.pending.pop_front() {
            if message.get("method") == Some(&json!(method)) && accept(&message["params"]) {
                return message["params"].clone();
            }
        }
        loop {
            let message = self
                .receive(deadline)
                .unwrap_or_else(|| panic!("no `{method}` arrived"));
            if message.get("method") == Some(&json!(method)) && accept(&message["params"]) {
                return message["params"].clone();
            }
        }
    }

    /// Waits for the diagnostics of `uri`.
    pub fn diagnostics(&mut self, uri: &str) -> Value {
        self.wait_for("textDocument/publishDiagnostics", |params| {
            params["uri"] == uri
        })
    }

    /// Waits for the diagnostics of `uri` at `version`.
    pub fn diagnostics_at(&mut self, uri: &str, version: i64) -> Value {
        self.wait_for("textDocument/publishDiagnostics", |params| {
            params["uri"] == uri && params["version"] == version
        })
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "pipe", "version": 1, "text": text } }),
        );
    }

    /// Sends one ranged change: ((line, character), (line, character), new text).
    pub fn change(&mut self, uri: &str, version: i64, edits: &[Change<'_>]) {
        let changes: Vec<Value> = edits
            .iter()
            .map(|(start, end, text)| {
                json!({
                    "range": { "start": { "line": start.0, "character": start.1 }, "end": { "line": end.0, "character": end.1 } },
                    "text": text,
                })
            })
            .collect();
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
        );
    }

    /// Replaces the whole text.
    pub fn replace(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// `shutdown` then `exit`; returns the process status.
    pub fn shutdown(mut self) -> ExitStatus {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Ok(Value::Null));
        self.notify("exit", Value::Null);
        self.wait()
    }

    /// Closes stdin and waits for the process.
    pub fn wait(mut self) -> ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Writes raw bytes to the server's stdin (for broken frames).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// The messages that arrived while waiting for something else, in order.
    pub fn take_pending(&mut self) -> Vec<Value> {
        self.pending.drain(..).collect()
    }

    /// The next message of any kind (pending ones first).
    pub fn next_message(&mut self) -> Value {
        if let Some(message) = self.pending.pop_front() {
            return message;
        }
        self.receive(Instant::now() + TIMEOUT)
            .unwrap_or_else(|| panic!("no message arrived"))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// A position in a JSON range.
pub fn pos(value: &Value) -> (u64, u64) {
    (
        value["line"].as_u64().unwrap(),
        value["character"].as_u64().unwrap(),
    )
}
