//! Resource bounds through the real `pipec` binary: inputs that used to overflow the stack,
//! exhaust memory or hang (issue 9) end quickly, within a memory limit, with a code. Each run
//! gets a 1 GiB address-space limit (`ulimit -v`) and a time limit, so a regression fails the
//! test instead of taking the machine down.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pipec_tests::pipec_binary;

/// The address-space limit of each run, in KiB (the debug binary needs about 100 MiB).
const MEMORY_KIB: u64 = 1 << 20;
/// The time limit of each run (debug build, shared machine).
const TIME_LIMIT: Duration = Duration::from_secs(60);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn pipec(dir: &Path, args: &[&str]) -> Run {
    let mut script = format!("ulimit -v {MEMORY_KIB}; exec \"$0\"");
    for index in 1..=args.len() {
        script.push_str(&format!(" \"${index}\""));
    }
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(pipec_binary())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pipec");
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pipec {args:?} ran longer than {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

fn chain(length: usize) -> String {
    let mut text: String = (0..length)
        .map(|index| format!("let a{index} = a{}\n", index + 1))
        .collect();
    text.push_str(&format!("let a{length} = \"x\"\n"));
    text
}

#[test]
fn long_let_chains_check_build_and_graph() {
    let dir = tempfile::tempdir().expect("tempdir");
    for length in [8_000, 100_000] {
        std::fs::write(dir.path().join("chain.pipe"), chain(length)).expect("write");
        for args in [
            &["check", "chain.pipe"][..],
            &["build", "chain.pipe", "-o", "out"][..],
            &["graph", "chain.pipe"][..],
        ] {
            let run = pipec(dir.path(), args);
            assert_eq!(
                run.code,
                Some(0),
                "{length}: pipec {args:?} failed ({:?}):\n{}",
                run.elapsed,
                run.stderr
            );
        }
    }
}

#[test]
fn a_cycle_through_a_long_chain_is_one_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let length = 100_000;
    let text: String = (0..length)
        .map(|index| format!("let a{index} = a{}\n", (index + 1) % length))
        .collect();
    std::fs::write(dir.path().join("cycle.pipe"), text).expect("write");
    let run = pipec(dir.path(), &["check", "cycle.pipe"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("error[P2007]").count(),
        1,
        "{}",
        run.stderr
    );
}

fn doubling(list: bool, levels: usize) -> String {
    let mut text = "let a0 = \"xxxxxxxxxx\"\n".to_string();
    for index in 1..=levels {
        let previous = index - 1;
        if list {
            text.push_str(&format!("let a{index} = [a{previous}, a{previous}]\n"));
        } else {
            text.push_str(&format!(
                "let a{index} = \"${{a{previous}}}${{a{previous}}}\"\n"
            ));
        }
    }
    text
}

#[test]
fn doubling_values_stop_at_the_size_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    for list in [false, true] {
        for levels in [26, 29, 60] {
            std::fs::write(dir.path().join("double.pipe"), doubling(list, levels)).expect("write");
            let run = pipec(dir.path(), &["check", "double.pipe"]);
            assert_eq!(run.code, Some(1), "list={list} {levels}: {}", run.stderr);
            assert_eq!(
                run.stderr.matches("error[P3026]").count(),
                1,
                "list={list} {levels}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn many_copies_of_a_large_value_stop_at_the_total_budget() {
    // a17 is 1,310,720 bytes: too long. a16 (655,360) copied 200 times is 125 MiB in all.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = doubling(false, 16);
    for index in 0..200 {
        text.push_str(&format!("let copy{index} = a16\n"));
    }
    std::fs::write(dir.path().join("copies.pipe"), text).expect("write");
    let run = pipec(dir.path(), &["check", "copies.pipe"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("add up to more than"), "{}", run.stderr);
}

#[test]
fn use_of_devices_fifos_and_symlink_loops_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(".", dir.path().join("x")).expect("symlink");
    std::os::unix::fs::symlink(".", dir.path().join("y")).expect("symlink");
    let fifo = Command::new("mkfifo")
        .arg(dir.path().join("fifo"))
        .status()
        .is_ok_and(|status| status.success());
    let mut text = "use \"./x/main.pipe\"\nuse \"./y/main.pipe\"\nuse \"/dev/zero\"\n".to_string();
    if fifo {
        text.push_str("use \"./fifo\"\n");
    }
    text.push_str("repo app {}\n");
    std::fs::write(dir.path().join("main.pipe"), &text).expect("write");
    // The linked copies are one file; each of the other two is `not a regular file`.
    std::fs::write(
        dir.path().join("lib.pipe"),
        "use \"./x/y/x/lib.pipe\"\nuse \"./y/x/y/lib.pipe\"\n",
    )
    .expect("write");
    let run = pipec(dir.path(), &["check", "main.pipe"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("not a regular file").count(),
        if fifo { 2 } else { 1 },
        "{}",
        run.stderr
    );
    let run = pipec(dir.path(), &["check", "lib.pipe"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("error[P2005]"), "{}", run.stderr);
    // The root file itself.
    for root in ["/dev/zero", "fifo"] {
        let run = pipec(dir.path(), &["check", root]);
        assert_eq!(run.code, Some(2), "{root}: {}", run.stderr);
        assert!(
            run.stderr.contains("error[P2006]"),
            "{root}: {}",
            run.stderr
        );
    }
    let _ = run.stdout;
}

/// Reads one LSP frame (headers, then the body) from the server's stdout.
fn read_frame(reader: &mut impl std::io::BufRead) -> Option<serde_json::Value> {
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

fn frame(value: &serde_json::Value) -> Vec<u8> {
    let body = value.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

#[test]
fn pipec_lsp_answers_broken_frames_and_goes_on() {
    use std::io::Write as _;
    let mut child = Command::new(pipec_binary())
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pipec lsp");
    let mut stdin = child.stdin.take().expect("stdin");
    let (sender, receiver) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stdout);
        while let Some(message) = read_frame(&mut reader) {
            if sender.send(message).is_err() {
                break;
            }
        }
    });
    let next = || {
        receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("an answer from pipec lsp")
    };
    let mut input = frame(&serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "processId": null, "rootUri": null, "capabilities": {} }
    }));
    input.extend(frame(
        &serde_json::json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }),
    ));
    input.extend(b"Content-Length: 12\r\n\r\n{not json!!}");
    input.extend(b"Content-Length: 4000000000x\r\n\r\n");
    input.extend(frame(
        &serde_json::json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown" }),
    ));
    stdin.write_all(&input).expect("write");
    stdin.flush().expect("flush");
    // The reader answers broken frames at once, the server its requests in turn: the order
    // between the two is free.
    let mut answers = Vec::new();
    while !answers
        .iter()
        .any(|answer: &serde_json::Value| answer["id"] == 2)
    {
        answers.push(next());
    }
    assert!(
        answers.iter().any(|answer| answer["id"] == 1),
        "{answers:?}"
    );
    let errors: Vec<_> = answers
        .iter()
        .filter(|answer| answer["id"].is_null())
        .map(|answer| answer["error"]["code"].clone())
        .collect();
    // `{not json!!}`, then the garbled Content-Length.
    assert_eq!(errors, [-32700, -32700], "{answers:?}");
    stdin
        .write_all(&frame(
            &serde_json::json!({ "jsonrpc": "2.0", "method": "exit" }),
        ))
        .expect("write");
    drop(stdin);
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(start.elapsed() < TIME_LIMIT, "pipec lsp did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}
