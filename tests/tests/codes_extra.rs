//! Snapshots for codes that only whole runs produce: template limits (P5001, P5002) from a
//! generated program, and the local runner's build-output and runtime diagnostics.

use std::fmt::Write as _;

use pipec_tests::render;

fn many_builds(count: usize) -> String {
    let mut text = String::from("project = \"big\"\n\nrepo app {}\n\n");
    for index in 0..count {
        let _ = writeln!(text, "build b{index} {{\n  source = repo.app\n  build {{\n    run \"make target-{index}\"\n  }}\n}}\n");
    }
    text
}

#[test]
fn template_limits() {
    let mut checked =
        pipec_driver::check("big.pipe", many_builds(260), &pipec_driver::NoFiles, &[]);
    assert!(
        pipec_driver::build(&mut checked).is_none(),
        "520 resources must be refused"
    );
    let rendered = render(&checked);
    assert!(
        rendered.contains("[P5002]") && rendered.contains("[P5001]"),
        "{rendered}"
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn local_run_reports_bad_output_and_missing_runtimes() {
    let work = tempfile::tempdir().expect("tempdir");
    // An output directory without a manifest.
    let request = pipec_run::RunRequest::new(
        work.path().join("nothing"),
        pipec_run::SourceSpec::Directory(work.path().to_path_buf()),
        work.path().join("w1"),
    );
    let report = pipec_run::run_local(&request, &mut pipec_run::NoEvents);
    let mut all = report.diagnostics;

    // A program whose build wants a runtime version this machine does not have.
    let program = r#"project = "rt"

repo app {}

build app {
  source = repo.app
  runtime = { python = "3.9" }
  build {
    run "mkdir -p out && echo hi > out/index.html"
  }
}

instance web {
  tags = { Role = "web" }
}

deploy web {
  from = build.app
  target = ec2 { tags = { Role = "web" } }
  files {
    "out" -> "/srv/rt"
  }
}

pipeline main {
  stage source { repo.app }
  stage build { build.app }
  stage deploy { deploy.web }
}
"#;
    let mut checked =
        pipec_driver::check("rt.pipe", program.to_string(), &pipec_driver::NoFiles, &[]);
    let artifacts =
        pipec_driver::build(&mut checked).unwrap_or_else(|| panic!("{}", render(&checked)));
    let output = work.path().join("output");
    for (path, bytes) in &artifacts.files {
        let target = output.join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(&target, bytes).expect("write");
    }
    let source = work.path().join("source");
    std::fs::create_dir_all(&source).expect("source");
    let mut request = pipec_run::RunRequest::new(
        output,
        pipec_run::SourceSpec::Directory(source),
        work.path().join("w2"),
    );
    request.sandbox = pipec_run::SandboxMode::Rewrite;
    let report = pipec_run::run_local(&request, &mut pipec_run::NoEvents);
    all.extend(report.diagnostics);
    // A remote source: local runs never reach the network.
    let remote = pipec_run::SourceSpec::parse("https://example.com/shop.git@main");
    let request =
        pipec_run::RunRequest::new(work.path().join("output"), remote, work.path().join("w3"));
    all.extend(pipec_run::run_local(&request, &mut pipec_run::NoEvents).diagnostics);
    let codes: Vec<&str> = all.iter().map(|diag| diag.code.number()).collect();
    for code in ["P7006", "P7007", "P7008"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let db = pipec_span::SourceDb::new();
    let mut buffer = termcolor::NoColor::new(Vec::new());
    let _ = pipec_diagnostics::render_human(&db, &all, &mut buffer);
    let mut text = String::from_utf8_lossy(&buffer.into_inner())
        .replace(&work.path().display().to_string(), "[TMP]");
    // The installed python's version depends on the machine.
    if let Some(at) = text.find(" is on this machine") {
        let start = text[..at].rfind(' ').map_or(at, |space| space + 1);
        text.replace_range(start..at, "[VERSION]");
    }
    insta::assert_snapshot!(text);
}
