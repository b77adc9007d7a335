//! Line endings, byte-order marks and `pipec fmt`'s promises (issue 9), with the real binary on
//! real files: the fixtures of `tests/fixtures/line-endings/` (stored byte for byte, see its
//! `.gitattributes`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pipec(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipec"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pipec")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/line-endings")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir`, relative path → bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                found.push((path.strip_prefix(dir).expect("prefix").to_path_buf(), bytes));
            }
        }
    }
    found.sort();
    found
}

/// A CRLF file (with or without a byte-order mark) builds exactly the files its LF twin
/// builds: no `\r` reaches a buildspec through a triple-quoted or multi-line `run` string.
#[test]
fn crlf_and_bom_do_not_change_the_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut outputs = Vec::new();
    for variant in ["lf", "crlf", "bom-crlf"] {
        let dir = tmp.path().join(variant);
        std::fs::create_dir(&dir).expect("mkdir");
        let source = fixture(&format!("site-triple-{variant}.pipe"));
        if variant != "lf" {
            assert!(source.windows(2).any(|pair| pair == b"\r\n"), "{variant}");
        }
        std::fs::write(dir.join("pipeline.pipe"), source).expect("write");
        let built = pipec(&["build", "pipeline.pipe", "-o", "out"], &dir);
        assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
        outputs.push((variant, files(&dir.join("out"))));
    }
    let (_, lf) = &outputs[0];
    let buildspec = lf
        .iter()
        .find(|(path, _)| path.ends_with("buildspec.yml"))
        .map(|(_, bytes)| text(bytes))
        .expect("a buildspec");
    assert!(
        buildspec.contains("      mkdir -p public/assets\n"),
        "{buildspec}"
    );
    for (variant, built) in &outputs[1..] {
        assert_eq!(built, lf, "{variant} builds other files than lf");
        for (path, bytes) in built {
            assert!(
                !bytes.contains(&b'\r'),
                "{variant}: CR in {}",
                path.display()
            );
        }
    }

    // The EC2 example (hooks, scripts, appspec) and its CRLF twin.
    let ec2 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/seed-ec2/pipeline.pipe");
    let mut twins = Vec::new();
    for (variant, source) in [
        ("ec2-lf", std::fs::read(&ec2).expect("example")),
        ("ec2-crlf", fixture("seed-ec2-crlf.pipe")),
    ] {
        let dir = tmp.path().join(variant);
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("pipeline.pipe"), source).expect("write");
        let built = pipec(&["build", "pipeline.pipe", "-o", "out"], &dir);
        assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
        twins.push(files(&dir.join("out")));
    }
    assert!(twins[0].len() > 3);
    assert_eq!(
        twins[0], twins[1],
        "the CRLF twin of seed-ec2 builds other files"
    );
}

/// A file with CR-only line endings that starts with a comment used to be one comment, i.e.
/// an empty program, and `check` said "ok". It is P1005 for every command that reads it.
#[test]
fn cr_only_line_endings_are_reported_not_compiled_to_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut report = String::new();
    for name in ["cr-only-comment-first.pipe", "stray-cr.pipe"] {
        let source = fixture(name);
        std::fs::write(tmp.path().join(name), &source).expect("write");
        for command in [
            vec!["check", name],
            vec!["build", name, "-o", "out"],
            vec!["fmt", name],
        ] {
            let output = pipec(&command, tmp.path());
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{command:?}: {stderr}");
            assert!(stderr.contains("error[P1005]"), "{command:?}: {stderr}");
            assert!(!stderr.contains("ok"), "{command:?}: {stderr}");
            if command[0] == "check" {
                // The source line is shown as it is; make its CRs visible.
                report.push_str(&format!("--- {name}\n{}", stderr.replace('\r', "␍")));
            }
        }
        assert_eq!(
            std::fs::read(tmp.path().join(name)).expect("read"),
            source,
            "fmt changed {name}"
        );
        assert!(!tmp.path().join("out").exists(), "build wrote output");
    }
    insta::assert_snapshot!("bare_carriage_return", report);
}

/// `fmt` keeps CRLF and the byte-order mark, is idempotent, keeps the file's permissions and
/// replaces it atomically (no temporary file left), follows a link to the file without
/// replacing the link, and writes nothing when the file has any syntax-phase error.
#[test]
fn fmt_keeps_line_endings_bom_and_permissions() {
    use std::os::unix::fs::PermissionsExt;

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let file = dir.join("x.pipe");
    let messy = "\u{FEFF}// CI\r\nrepo   app{branch=\"main\" /* a\r\n b */ name = \"zz\"}\r\n\r\n\r\nbuild b {\r\n  install { run \"\"\"\r\n    mkdir -p X\r\n    \"\"\" }\r\n}\r\n";
    std::fs::write(&file, messy).expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let formatted = pipec(&["fmt", "x.pipe"], dir);
    assert_eq!(
        formatted.status.code(),
        Some(0),
        "{}",
        text(&formatted.stderr)
    );
    let once = std::fs::read_to_string(&file).expect("read");
    assert!(once.starts_with('\u{FEFF}'), "BOM dropped: {once:?}");
    assert_eq!(
        once.matches('\n').count(),
        once.matches("\r\n").count(),
        "mixed line endings: {once:?}"
    );
    assert!(once.contains("repo app {\r\n"), "{once:?}");
    let mode = std::fs::metadata(&file).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "permissions changed");
    let check = pipec(&["fmt", "--check", "x.pipe"], dir);
    assert_eq!(check.status.code(), Some(0), "not idempotent: {once:?}");
    let names: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("x.pipe")],
        "temporary file left"
    );

    // Through a link: the target is formatted, the link stays a link.
    std::fs::write(&file, "a   =  1\r\n").expect("write");
    let link = dir.join("link.pipe");
    std::os::unix::fs::symlink(&file, &link).expect("symlink");
    assert_eq!(pipec(&["fmt", "link.pipe"], dir).status.code(), Some(0));
    assert!(std::fs::symlink_metadata(&link)
        .expect("lstat")
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "a = 1\r\n");
    std::fs::remove_file(&link).expect("rm");

    // A read-only file is not replaced.
    std::fs::write(&file, "a   =  1\n").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let readonly = pipec(&["fmt", "x.pipe"], dir);
    assert_eq!(
        readonly.status.code(),
        Some(2),
        "{}",
        text(&readonly.stderr)
    );
    assert!(text(&readonly.stderr).contains("error[P9001]"));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "a   =  1\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    // Any syntax-phase error: nothing is written.
    for broken in [
        "repo app {\r\n",
        "a   = 1.5\r\n",
        "a   = \"\\q\"\r\n",
        "a = 1\r\n// x\rb   = 2\r\n",
    ] {
        std::fs::write(&file, broken).expect("write");
        let output = pipec(&["fmt", "x.pipe"], dir);
        assert_eq!(output.status.code(), Some(1), "{broken:?}");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), broken);
    }
    let names: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("x.pipe")]);
}

/// Formatting was exponential in nesting (36 nested maps: about a minute). The deepest
/// nesting the parser accepts formats at once; the bound is generous for slow machines.
#[test]
fn fmt_of_the_deepest_nesting_is_fast() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let depth = 48;
    let maps = format!("x = {}1{}\n", "{ a = ".repeat(depth), " }".repeat(depth));
    let blocks = format!("{}a = 1{}\n", "b { ".repeat(depth), " }".repeat(depth));
    for (name, source) in [("maps.pipe", maps), ("blocks.pipe", blocks)] {
        std::fs::write(tmp.path().join(name), &source).expect("write");
        let start = std::time::Instant::now();
        let output = pipec(&["fmt", name], tmp.path());
        let elapsed = start.elapsed();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(elapsed.as_secs() < 10, "{name}: {elapsed:?}");
        let check = pipec(&["fmt", "--check", name], tmp.path());
        assert_eq!(check.status.code(), Some(0), "{name} is not idempotent");
    }
}
