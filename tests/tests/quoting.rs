//! Invariant 7 end to end: hostile `--var` values interpolated into `run` commands in every
//! shell context that accepts them; the generated buildspec commands and hook scripts are run
//! by real shells, must print exactly the value and must never create the canary file. The
//! YAML is read back by PyYAML (`yaml.safe_load`, a YAML 1.1 loader, like the CodeDeploy
//! agent's Psych).

use std::path::{Path, PathBuf};
use std::process::Command;

use pipec_tests::{render, test_venv};
use serde_json::Value;

/// Values that try to break out of every context.
const PAYLOADS: &[&str] = &[
    "$(touch CANARY)",
    "`touch CANARY`",
    "'",
    "\"",
    "\\",
    "a'b\"c",
    "x\ny",
    "${HOME}",
    "; touch CANARY",
    "' ; touch CANARY ; '",
    "\" ; touch CANARY ; \"",
    "'$(touch CANARY)'",
    "ünïcødé ✓",
    "ends with backslash\\",
    "*",
    "#",
    "",
    "-n",
    ") ; touch CANARY ; (",
    "\nEOF\ntouch CANARY\n",
    "yes",
    "=",
    "<<",
    "2024-01-01",
    "1,000",
];

/// `(pipe code of one run command, what it prints before `[`, whether the shell drops
/// the value's trailing newlines)`. Each command prints the value between `[` and `]`.
const COMMANDS: &[(&str, &str, bool)] = &[
    (r#"run "printf '[%s]' ${x}""#, "", false),
    (r#"run "printf '[%s]' \"${x}\"""#, "", false),
    (r#"run "printf '[%s]' '${x}'""#, "", false),
    (r#"run "printf '[%s]' pre${x}post""#, "", false),
    (r#"run "printf '[%s]' \"$(printf '%s' ${x})\"""#, "", true),
    (
        r#"run "printf '[%s]' \"$(printf '%s' \"${x}\")\"""#,
        "",
        true,
    ),
    (r#"run "v=${x}; printf '[%s]' \"$v\"""#, "", false),
    (
        r#"run """
      cat <<'EOF'
      $(touch CANARY)
      EOF
      printf '[%s]' ${x} # after a heredoc
      """"#,
        "$(touch CANARY)\n",
        false,
    ),
];

fn program() -> String {
    let commands: Vec<&str> = COMMANDS.iter().map(|(command, _, _)| *command).collect();
    let body = commands.join("\n    ");
    format!(
        r#"project = "q"
param x = "default"

repo app {{}}

build app {{
  source = repo.app
  build {{
    {body}
  }}
}}

instance web {{
  tags = {{ Role = "web" }}
}}

deploy web {{
  from = build.app
  target = ec2 {{ tags = {{ Role = "web" }} }}
  hook after_install "quoting" {{
    {body}
  }}
}}
"#
    )
}

/// What the commands print for `value`.
fn expected(value: &str) -> String {
    COMMANDS
        .iter()
        .map(|(command, before, substitution)| {
            let shown = if *substitution {
                value.trim_end_matches('\n')
            } else {
                value
            };
            if command.contains("pre${x}post") {
                format!("[pre{shown}post]")
            } else {
                format!("{before}[{shown}]")
            }
        })
        .collect()
}

fn python() -> PathBuf {
    let venv = test_venv().unwrap_or_else(|| {
        panic!("the test venv is missing: run scripts/setup-test-tools.sh (or set PIPEC_VENV)")
    });
    venv.join("bin/python")
}

/// Reads YAML with PyYAML's `safe_load` (YAML 1.1) and returns it as JSON; a value that is
/// not JSON (a date, say) fails.
pub fn pyyaml_load(text: &[u8]) -> Value {
    let output = Command::new(python())
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.buffer.read().decode('utf-8'))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(text)?;
            }
            child.wait_with_output()
        })
        .expect("run python");
    assert!(
        output.status.success(),
        "PyYAML cannot load:\n{}\n{}",
        String::from_utf8_lossy(text),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json from python")
}

/// Runs `script` with `shell` in `dir`; returns stdout.
fn run(shell: &str, script: &Path, dir: &Path) -> String {
    let output = Command::new(shell)
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("run a shell");
    assert!(
        output.status.success(),
        "{shell} {} failed: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn hostile_values_are_inert_in_buildspec_commands_and_hook_scripts() {
    let text = program();
    for payload in PAYLOADS {
        let vars = vec![("x".to_string(), (*payload).to_string())];
        let mut checked =
            pipec_driver::check("q.pipe", text.clone(), &pipec_driver::NoFiles, &vars);
        assert!(!checked.has_errors(), "{payload:?}:\n{}", render(&checked));
        let artifacts = pipec_driver::build(&mut checked)
            .unwrap_or_else(|| panic!("{payload:?} does not build:\n{}", render(&checked)));
        let dir = tempfile::tempdir().expect("temp dir");
        let want = expected(payload);

        // The buildspec, read as YAML 1.1: the build phase's commands, run in one shell.
        let buildspec = artifacts
            .file("builds/app/buildspec.yml")
            .expect("buildspec written");
        let parsed = pyyaml_load(buildspec);
        let commands: Vec<String> = parsed["phases"]["build"]["commands"]
            .as_array()
            .expect("build commands")
            .iter()
            .map(|command| command.as_str().expect("a string command").to_string())
            .collect();
        assert_eq!(commands.len(), COMMANDS.len(), "{payload:?}");
        let script = dir.path().join("build.sh");
        std::fs::write(&script, commands.join("\n")).expect("write");
        for shell in ["sh", "bash"] {
            assert_eq!(
                run(shell, &script, dir.path()),
                want,
                "{shell} build, {payload:?}"
            );
            assert!(
                !dir.path().join("CANARY").exists(),
                "{shell} build ran {payload:?}"
            );
        }

        // The hook script, as the CodeDeploy agent runs it.
        let (name, hook) = artifacts
            .files
            .iter()
            .find(|(name, _)| name.ends_with(".sh") && name.contains("quoting"))
            .expect("hook script written");
        let path = dir.path().join("hook.sh");
        std::fs::write(&path, hook).expect("write");
        assert_eq!(run("bash", &path, dir.path()), want, "{name}, {payload:?}");
        assert!(
            !dir.path().join("CANARY").exists(),
            "{name} ran {payload:?}"
        );

        // The appspec and the buildspec read back as YAML 1.1 without surprises.
        let appspec = artifacts
            .files
            .iter()
            .find(|(name, _)| name.ends_with("appspec.yml"))
            .expect("appspec written");
        let appspec = pyyaml_load(&appspec.1);
        assert!(appspec["hooks"]["AfterInstall"].is_array(), "{appspec}");
    }
}

#[test]
fn values_where_no_quoting_exists_are_rejected() {
    let cases = [
        (
            "run \"\"\"\n      cat <<EOF\n      ${x}\n      EOF\n      \"\"\"",
            "P3021",
        ),
        ("run \"echo hi # ${x}\"", "P3021"),
        ("run \"echo `echo ${x}`\"", "P3021"),
        ("run \"echo $((${x} + 1))\"", "P3021"),
        ("run \"[[ ${x} -eq 1 ]]\"", "P3021"),
        ("run \"echo \\${HOME:-${x}}\"", "P3021"),
        ("run \"echo 'open\"\n    run \"echo ${x}'\"", "P3022"),
        ("run [\"echo 'open\", \"echo ${x}'\"]", "P3022"),
    ];
    for (command, code) in cases {
        let text = format!(
            "project = \"q\"\nparam x = \"v\"\nrepo app {{}}\nbuild app {{\n  source = repo.app\n  build {{\n    {command}\n  }}\n}}\n"
        );
        let checked = pipec_driver::check("q.pipe", text, &pipec_driver::NoFiles, &[]);
        let codes: Vec<&str> = checked
            .diagnostics()
            .iter()
            .map(|diagnostic| diagnostic.code.number())
            .collect();
        assert_eq!(codes, [code], "{command}:\n{}", render(&checked));
    }
}

/// YAML as pipec means it (serde_yaml_ng reads YAML 1.2, the reading pipec's own parse-back
/// check guarantees), as JSON.
fn meant(text: &[u8]) -> Value {
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_slice(text).expect("serde_yaml_ng reads emitted YAML");
    serde_json::to_value(yaml).expect("YAML as JSON")
}

/// Every YAML file of `artifacts` reads the same under PyYAML (YAML 1.1) as pipec meant.
fn assert_yaml11_reads_back(artifacts: &pipec_driver::Artifacts, what: &str) -> usize {
    let mut count = 0;
    for (name, bytes) in &artifacts.files {
        if name.ends_with(".yml") {
            assert_eq!(pyyaml_load(bytes), meant(bytes), "{what}: {name}");
            count += 1;
        }
    }
    count
}

/// Strings YAML 1.1 reads as something else (or that YAML cannot hold plainly).
const YAML_HOSTILE: &[&str] = &[
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "N",
    "true",
    "null",
    "~",
    "=",
    "<<",
    "2024-01-01",
    "1,000",
    "1_000",
    "0x1F",
    "0o17",
    "017",
    "1:20",
    "3.10",
    "1e3",
    ".inf",
    "-.Inf",
    ".NaN",
    "- a",
    "a: b",
    "a #b",
    "#x",
    "&a",
    "*a",
    "!tag",
    "|",
    ">",
    "%x",
    "@x",
    "'",
    "\"",
    "[a]",
    "{a: 1}",
    " lead",
    "trail ",
    "nel\u{85}x",
    "ls\u{2028}x",
    "ünï ✓",
];

#[test]
fn every_emitted_yaml_reads_back_the_same_under_yaml_1_1() {
    let root = pipec_tests::repo_root();
    let mut cases: Vec<PathBuf> = vec![
        "examples/seed-ec2/pipeline.pipe".into(),
        "examples/seed-s3-site/pipeline.pipe".into(),
    ];
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/emit"))
        .expect("emit fixtures")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("main.pipe"))
        .collect();
    fixtures.sort();
    cases.extend(fixtures);
    let mut files = 0;
    for path in cases {
        let text = std::fs::read_to_string(root.join(&path)).expect("read");
        let name = path.to_string_lossy().into_owned();
        let mut checked = pipec_driver::check(
            &name,
            text,
            &pipec_tests::DirLoader { base: root.clone() },
            &[],
        );
        let artifacts = pipec_driver::build(&mut checked)
            .unwrap_or_else(|| panic!("{name}:\n{}", render(&checked)));
        files += assert_yaml11_reads_back(&artifacts, &name);
    }
    assert!(files >= 5, "only {files} YAML files");
}

#[test]
fn hostile_strings_in_env_commands_paths_and_hooks_read_back_under_yaml_1_1() {
    for hostile in YAML_HOSTILE {
        let pipe = hostile.replace('\\', "\\\\").replace('"', "\\\"");
        // Path fields refuse what a command would read as an option or a path would resolve
        // out of place (a leading `-` or `/`, `..`, control and bidi characters: P3004); they
        // get the hostile string behind an `x`, or a plain word when even that is refused.
        let path_ok = |text: &str| {
            !text.starts_with(['-', '/'])
                && !text.split('/').any(|part| part == "..")
                && !text.chars().any(|ch| {
                    ch.is_control()
                        || matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
                })
        };
        let path = if path_ok(hostile) {
            (*hostile).to_string()
        } else if path_ok(&format!("x{hostile}")) {
            format!("x{hostile}")
        } else {
            "plain".to_string()
        };
        let path_pipe = path.replace('\\', "\\\\").replace('"', "\\\"");
        // Environment values refuse control characters other than tab (P3004).
        let env = if hostile.chars().any(|ch| ch.is_control() && ch != '\t') {
            "plain".to_string()
        } else {
            (*hostile).to_string()
        };
        let env_pipe = env.replace('\\', "\\\\").replace('"', "\\\"");
        // Hook names become file names (P3008 keeps them to letters, digits, `_`, `-`).
        let file_name = hostile
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "_-".contains(ch));
        let hook = if file_name {
            format!("  hook validate_service \"{pipe}\" {{\n    run \"true\"\n  }}\n")
        } else {
            String::new()
        };
        // A glob `base_dir` cannot carry the bundle (P3004).
        let base_dir = if path.contains(['*', '?', '[', '{']) {
            ""
        } else {
            "    base_dir = p\n"
        };
        let text = format!(
            r#"project = "q"
param h = "{pipe}"
param p = "{path_pipe}"
param e = "{env_pipe}"
repo app {{}}
build app {{
  source = repo.app
  env = {{ A = e, yes = e, "y" = "plain" }}
  build {{
    run "${{h}}"
    run h
  }}
  artifacts {{
    files = [p, "dist/**/*"]
{base_dir}    exclude = [p]
  }}
}}
instance web {{ tags = {{ Role = "web" }} }}
deploy web {{
  from = build.app
  target = ec2 {{ tags = {{ Role = "web" }} }}
  files {{
    p -> "/srv/${{p}}"
  }}
  permissions "/srv/app" {{
    owner = "app"
    pattern = p
    except = [p]
  }}
  hook after_install "install" {{
    run "echo ${{h}}"
    runas = "app"
  }}
{hook}}}
"#
        );
        let mut checked = pipec_driver::check("q.pipe", text, &pipec_driver::NoFiles, &[]);
        let Some(artifacts) = pipec_driver::build(&mut checked) else {
            panic!("{hostile:?} does not build:\n{}", render(&checked));
        };
        let files = assert_yaml11_reads_back(&artifacts, hostile);
        assert_eq!(files, 2, "{hostile:?}");
        // The hostile string is really in there, as a string, where pipec put it.
        let buildspec = pyyaml_load(
            artifacts
                .file("builds/app/buildspec.yml")
                .unwrap_or_default(),
        );
        let want = Value::from(*hostile);
        assert_eq!(
            buildspec["phases"]["build"]["commands"][1], want,
            "{hostile:?}"
        );
        let want_path = Value::from(path.as_str());
        assert_eq!(
            buildspec["artifacts"]["exclude-paths"][0], want_path,
            "{hostile:?}"
        );
        let (_, appspec) = artifacts
            .files
            .iter()
            .find(|(name, _)| name.ends_with("appspec.yml"))
            .expect("appspec");
        let appspec = pyyaml_load(appspec);
        assert_eq!(appspec["files"][0]["source"], want_path, "{hostile:?}");
        assert_eq!(
            appspec["permissions"][0]["pattern"], want_path,
            "{hostile:?}"
        );
        if file_name {
            assert_eq!(
                appspec["hooks"]["ValidateService"][0]["location"],
                Value::from(format!("scripts/ValidateService-{hostile}.sh")),
                "{hostile:?}"
            );
        }
    }
}

#[test]
fn a_let_used_as_a_command_is_quoted_like_one_written_in_place() {
    let program = |x: &str| {
        format!(
            "project = \"q\"\nparam x = \"v\"\nlet ok = \"printf '[%s]' \\\"${{x}}\\\"\"\nlet bad = \"{x}\"\nrepo app {{}}\nbuild app {{\n  source = repo.app\n  build {{\n    run ok\n    run bad\n  }}\n}}\n"
        )
    };
    let vars = vec![("x".to_string(), "$(touch CANARY)\"'".to_string())];
    let mut checked = pipec_driver::check("q.pipe", program("true"), &pipec_driver::NoFiles, &vars);
    let artifacts = pipec_driver::build(&mut checked)
        .unwrap_or_else(|| panic!("does not build:\n{}", render(&checked)));
    let buildspec = pyyaml_load(
        artifacts
            .file("builds/app/buildspec.yml")
            .unwrap_or_default(),
    );
    assert_eq!(
        buildspec["phases"]["build"]["commands"][0],
        Value::from("printf '[%s]' \"\\$(touch CANARY)\\\"'\"")
    );
    let checked = pipec_driver::check(
        "q.pipe",
        program("echo hi # ${x}"),
        &pipec_driver::NoFiles,
        &vars,
    );
    let codes: Vec<&str> = checked
        .diagnostics()
        .iter()
        .map(|diagnostic| diagnostic.code.number())
        .collect();
    assert_eq!(codes, ["P3021"], "{}", render(&checked));
}

/// Every stdlib hook preset, applied: the scripts pass shellcheck (the static preset's printf
/// drew SC2140 before), and the systemd unit `node.start` writes holds exactly the lines it
/// means, values included, when its `printf` runs in a real shell.
#[test]
fn stdlib_hook_scripts_pass_shellcheck_and_write_the_unit_they_mean() {
    let text = r#"use std.hooks.node
use std.hooks.static
use std.hooks.python
project = "q"
repo app {}
build app {
  source = repo.app
  build { run "make" }
}
instance web { tags = { Role = "web" } }
deploy web {
  from = build.app
  target = ec2 { tags = { Role = "web" } }
  hook application_stop "nstop" = node.stop
  hook application_stop "pstop" = python.stop
  hook after_install "ninstall" = node.install { dir = "/srv/my-app" }
  hook after_install "pinstall" = python.install { dir = "/srv/py" }
  hook after_install "nginx" = static.nginx { dir = "/srv/www", port = 8080 }
  hook application_start "nstart" = node.start { dir = "/srv/my-app", port = 3000, entry = "dist/server.js" }
  hook application_start "pstart" = python.start { dir = "/srv/py" }
  hook application_start "reload" = static.reload
  hook validate_service "nhealth" = node.health { port = 3000 }
  hook validate_service "shealth" = static.health { port = 8080 }
}
"#;
    let mut checked = pipec_driver::check("q.pipe", text.to_string(), &pipec_driver::NoFiles, &[]);
    let artifacts = pipec_driver::build(&mut checked)
        .unwrap_or_else(|| panic!("does not build:\n{}", render(&checked)));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut scripts = Vec::new();
    for (name, bytes) in &artifacts.files {
        if name.ends_with(".sh") {
            let path = dir.path().join(name.replace('/', "_"));
            std::fs::write(&path, bytes).expect("write");
            scripts.push(path);
        }
    }
    assert_eq!(scripts.len(), 10);
    let shellcheck = pipec_tests::venv_tool("shellcheck");
    let output = Command::new(shellcheck)
        .args(&scripts)
        .output()
        .expect("run shellcheck");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    // The unit: run node.start's printf with the unit path pointed into the temp dir.
    let (_, start) = artifacts
        .files
        .iter()
        .find(|(name, _)| name.ends_with("ApplicationStart-nstart.sh"))
        .expect("start script");
    let start = String::from_utf8_lossy(start);
    let begin = start
        .find("printf '%s\\n' '[Unit]'")
        .expect("the unit's printf");
    let end = begin + start[begin..].find(".service").expect("unit path") + ".service".len();
    let unit = dir.path().join("unit");
    let printf = start[begin..end].replace(
        "/etc/systemd/system/pipec-node.service",
        &unit.to_string_lossy(),
    );
    let script = dir.path().join("unit.sh");
    std::fs::write(&script, printf).expect("write");
    run("sh", &script, dir.path());
    assert_eq!(
        std::fs::read_to_string(&unit).expect("the unit"),
        "[Unit]\nAfter=network.target\n[Service]\nWorkingDirectory=/srv/my-app\nEnvironment=PORT=3000\nEnvironment=NODE_ENV=production\nExecStart=/usr/bin/env node dist/server.js\nRestart=always\n[Install]\nWantedBy=multi-user.target\n"
    );
}
