//! The language server's framing over stdin/stdout, in place of lsp-server's `stdio()`, which
//! ends the server on the first malformed message (blaming the client) and allocates whatever
//! `Content-Length` announces. Here a frame that is not JSON gets a JSON-RPC parse error
//! (-32700, id null), valid JSON that is not a message gets -32600, a frame larger than
//! `MAX_MESSAGE_BYTES` is answered (-32600) and skipped without being stored, and a missing or
//! garbled header is answered (-32700) while the reader looks for the next header; the server
//! goes on in every case. It feeds lsp-server's channels, so the rest of the server is unchanged.
//!
//! It must not interpret messages: that is `server.rs`'s job.

use std::io::{self, BufRead, Read, Write};
use std::thread;

use crossbeam_channel::{unbounded, Receiver, Sender};
use lsp_server::{Connection, Message};
use serde_json::json;

/// The largest message the server reads: 64 MiB (a whole `.pipe` program is at most 8 MiB,
/// `pipec_driver::MAX_FILE_BYTES`; JSON escaping can double it, and some slack for the rest).
pub(crate) const MAX_MESSAGE_BYTES: u64 = 64 << 20;

/// The longest header line read; real headers are a few dozen bytes.
const MAX_HEADER_LINE: u64 = 4096;

/// JSON-RPC: the frame is not JSON.
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: valid JSON that is not a request, response or notification (or too large).
const INVALID_REQUEST: i64 = -32600;

/// The threads of a stdio connection.
pub(crate) struct IoThreads {
    writer: thread::JoinHandle<()>,
}

impl IoThreads {
    /// Waits until every message sent to the client is written (after the connection is
    /// dropped). The reader is not joined: it stops at `exit` or at the end of stdin, and the
    /// process ends either way.
    pub(crate) fn join(self) -> anyhow::Result<()> {
        self.writer
            .join()
            .map_err(|_| anyhow::anyhow!("the writer thread panicked"))
    }
}

/// A connection over stdin/stdout with bounded, forgiving framing.
pub(crate) fn stdio() -> io::Result<(Connection, IoThreads)> {
    let (to_client, outgoing) = unbounded::<Message>();
    let (incoming, from_client) = unbounded::<Message>();
    let writer = thread::Builder::new()
        .name("pipec-lsp-writer".to_string())
        .spawn(move || write_loop(&outgoing))?;
    thread::Builder::new()
        .name("pipec-lsp-reader".to_string())
        .spawn(move || {
            let stdin = io::stdin();
            read_loop(&mut stdin.lock(), &incoming, &mut |error| {
                write_raw(&mut io::stdout().lock(), &error);
            });
        })?;
    Ok((
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        IoThreads { writer },
    ))
}

fn write_loop(outgoing: &Receiver<Message>) {
    for message in outgoing {
        // One lock per frame, shared with the reader's error answers, so frames never mix.
        let stdout = io::stdout();
        let mut stdout = stdout.lock();
        if message.write(&mut stdout).is_err() {
            break;
        }
    }
}

/// Writes one JSON value as a frame (errors the reader answers itself).
fn write_raw(out: &mut impl Write, value: &serde_json::Value) {
    let text = value.to_string();
    let _ = write!(out, "Content-Length: {}\r\n\r\n{text}", text.len());
    let _ = out.flush();
}

/// A JSON-RPC error response without an id.
fn error_response(code: i64, message: &str, id: serde_json::Value) -> serde_json::Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

/// Reads frames from `input` until its end or `exit`: messages go to `messages`, answers to
/// broken frames to `answer`.
pub(crate) fn read_loop(
    input: &mut impl BufRead,
    messages: &Sender<Message>,
    answer: &mut dyn FnMut(serde_json::Value),
) {
    loop {
        let length = match read_header(input) {
            Header::End => return,
            Header::Garbled(reason) => {
                answer(error_response(
                    PARSE_ERROR,
                    &reason,
                    serde_json::Value::Null,
                ));
                continue;
            }
            Header::Length(length) => length,
        };
        if length > MAX_MESSAGE_BYTES {
            answer(error_response(
                INVALID_REQUEST,
                &format!(
                    "message of {length} bytes ignored: pipec's language server reads messages of at most {} MiB",
                    MAX_MESSAGE_BYTES >> 20
                ),
                serde_json::Value::Null,
            ));
            // Skipped without being stored.
            match io::copy(&mut input.take(length), &mut io::sink()) {
                Ok(skipped) if skipped == length => continue,
                _ => return,
            }
        }
        let mut body = Vec::new();
        match input.take(length).read_to_end(&mut body) {
            Ok(read) if read as u64 == length => {}
            _ => return,
        }
        let value = match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(value) => value,
            Err(error) => {
                answer(error_response(
                    PARSE_ERROR,
                    &format!("the message is not JSON: {error}"),
                    serde_json::Value::Null,
                ));
                continue;
            }
        };
        let id = value.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let message = match serde_json::from_value::<Message>(value) {
            Ok(message) => message,
            Err(_) => {
                answer(error_response(
                    INVALID_REQUEST,
                    "the message is not a JSON-RPC request, response or notification",
                    id,
                ));
                continue;
            }
        };
        let is_exit = matches!(&message, Message::Notification(notification) if notification.method == "exit");
        if messages.send(message).is_err() || is_exit {
            return;
        }
    }
}

enum Header {
    /// The input ended.
    End,
    /// The header announced this many bytes.
    Length(u64),
    /// The header was missing `Content-Length` or unreadable: why.
    Garbled(String),
}

/// Reads header lines up to the empty line that ends them.
fn read_header(input: &mut impl BufRead) -> Header {
    let mut length: Option<u64> = None;
    let mut garbled: Option<String> = None;
    let mut seen_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        match input
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => return Header::End,
            Ok(_) => {}
        }
        if !line.ends_with(b"\n") {
            if line.len() as u64 >= MAX_HEADER_LINE {
                // Drop the rest of an overlong line, a bounded piece at a time.
                garbled.get_or_insert_with(|| "a header line is too long".to_string());
                continue;
            }
            return Header::End;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            // The end of the headers (empty lines before any header are skipped).
            if !seen_header && garbled.is_none() {
                continue;
            }
            return match (garbled, length) {
                (None, Some(length)) => Header::Length(length),
                (Some(reason), _) => Header::Garbled(reason),
                (None, None) => Header::Garbled("no Content-Length header".to_string()),
            };
        }
        seen_header = true;
        // A header may follow the remains of a broken body on the same line: resynchronise
        // on it.
        let text = match text.find("Content-Length:") {
            Some(start) if start > 0 => {
                garbled.get_or_insert_with(|| "bytes outside a message".to_string());
                &text[start..]
            }
            _ => text,
        };
        match text.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("Content-Length") => {
                match value.trim().parse::<u64>() {
                    Ok(parsed) => length = Some(parsed),
                    Err(_) => {
                        garbled.get_or_insert_with(|| {
                            format!("invalid Content-Length `{}`", value.trim())
                        });
                    }
                }
            }
            Some(_) => {}
            None => {
                garbled.get_or_insert_with(|| "a header line without `:`".to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn run(input: &str) -> (Vec<Message>, Vec<serde_json::Value>) {
        let (sender, receiver) = unbounded();
        let mut answers = Vec::new();
        read_loop(&mut input.as_bytes(), &sender, &mut |answer| {
            answers.push(answer);
        });
        drop(sender);
        (receiver.into_iter().collect(), answers)
    }

    const PING: &str = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;

    #[test]
    fn a_malformed_frame_gets_a_parse_error_and_reading_goes_on() {
        let input = format!("Content-Length: 12\r\n\r\n{{not json!!}}{}", frame(PING));
        let (messages, answers) = run(&input);
        assert_eq!(messages.len(), 1, "{answers:?}");
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0]["error"]["code"], PARSE_ERROR);
        assert_eq!(answers[0]["id"], serde_json::Value::Null);
    }

    #[test]
    fn an_oversized_frame_is_answered_and_skipped() {
        let input = format!("Content-Length: 4000000000\r\n\r\n{}", frame(PING));
        let (messages, answers) = run(&input);
        // The announced length swallows the rest of the input, which ends first.
        assert!(messages.is_empty());
        assert_eq!(answers[0]["error"]["code"], INVALID_REQUEST);
    }

    #[test]
    fn garbled_and_missing_headers_are_answered() {
        let input = format!(
            "Content-Length: lots\r\n\r\nX-Other: 1\r\n\r\n{}",
            frame(PING)
        );
        let (messages, answers) = run(&input);
        assert_eq!(messages.len(), 1, "{answers:?}");
        assert_eq!(answers.len(), 2, "{answers:?}");
        assert!(answers
            .iter()
            .all(|answer| answer["error"]["code"] == PARSE_ERROR));
    }

    #[test]
    fn json_that_is_not_a_message_is_an_invalid_request() {
        let input = format!("{}{}", frame(r#"{"id":7}"#), frame(PING));
        let (messages, answers) = run(&input);
        assert_eq!(messages.len(), 1);
        assert_eq!(answers[0]["error"]["code"], INVALID_REQUEST);
        assert_eq!(answers[0]["id"], 7);
    }
}
