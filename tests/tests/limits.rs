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
