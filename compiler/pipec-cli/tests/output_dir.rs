//! `pipec build -o DIR` replaces only what pipec wrote (issue 9): the real binary against real
//! directories, links and FIFOs in a temporary directory. Every refused path must be left
//! byte for byte as it was, and no temporary sibling may be left behind.

use std::collections::BTreeMap;
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

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Everything under `path` (not following links): relative path → kind and content.
fn tree(path: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|entry| entry.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let metadata = std::fs::symlink_metadata(&path).expect("lstat");
            let relative = path.strip_prefix(root).expect("prefix").to_path_buf();
            if metadata.file_type().is_symlink() {
                let target = std::fs::read_link(&path).expect("readlink");
                into.insert(relative, format!("link -> {}", target.display()));
            } else if metadata.is_dir() {
                into.insert(relative, "dir".to_string());
                walk(root, &path, into);
            } else if metadata.is_file() {
                let bytes = std::fs::read(&path).expect("read");
                into.insert(relative, format!("file {}", text(&bytes)));
            } else {
                into.insert(relative, format!("special {:?}", metadata.file_type()));
            }
        }
    }
    let mut into = BTreeMap::new();
    let metadata = std::fs::symlink_metadata(path).expect("lstat root");
    if metadata.is_dir() {
        walk(path, path, &mut into);
    } else {
        into.insert(PathBuf::new(), format!("{:?}", metadata.file_type()));
    }
    into
}

fn write(path: &Path, content: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

/// Builds `example` into `out`; the exit code and stderr with the temporary path replaced.
fn build(example: &str, out: &Path, tmp: &Path) -> (Option<i32>, String) {
    let pipe = repo().join(example);
    let output = pipec(
        &[
            "build",
            &pipe.to_string_lossy(),
            "-o",
            &out.to_string_lossy(),
        ],
        tmp,
    );
    let stderr = text(&output.stderr).replace(&tmp.display().to_string(), "[TMP]");
    (output.status.code(), stderr)
}

const EC2: &str = "examples/seed-ec2/pipeline.pipe";
const SITE: &str = "examples/seed-s3-site/pipeline.pipe";

/// No `.NAME.pipec-*` sibling is left in `dir`.
fn assert_no_leftovers(dir: &Path) {
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.contains(".pipec-"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn refuses_what_pipec_did_not_write_and_leaves_it_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tmp = tmp.path();
    let mut report = String::new();

    // A user's folder with files and a sub-folder.
    let folder = tmp.join("documents");
    write(&folder.join("letter.txt"), "dear …");
    write(&folder.join("photos/cat.txt"), "meow");
    // A project root with its sources and .git, given as `-o ../project` from inside it.
    let project = tmp.join("project");
    write(&project.join("pipeline.pipe"), "// mine\n");
    write(&project.join(".git/HEAD"), "ref: refs/heads/main\n");
    write(&project.join("src/app.js"), "console.log(1)\n");
    // A home directory.
    let home = tmp.join("home");
    write(&home.join(".ssh/id_ed25519"), "PRIVATE KEY");
    write(&home.join(".bashrc"), "export PS1='$ '\n");
    // A FIFO, a file, links to a file, to /dev/null and to a pipec output.
    let fifo = tmp.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let file = tmp.join("notes.txt");
    write(&file, "notes");
    let link_to_file = tmp.join("link-to-file");
    std::os::unix::fs::symlink(&file, &link_to_file).expect("symlink");
    let link_to_null = tmp.join("link-to-null");
    std::os::unix::fs::symlink("/dev/null", &link_to_null).expect("symlink");
    let built = tmp.join("built");
    assert_eq!(build(SITE, &built, tmp).0, Some(0));
    let link_to_output = tmp.join("link-to-output");
    std::os::unix::fs::symlink(&built, &link_to_output).expect("symlink");

    let before = tree(tmp);
    for (name, out, cwd) in [
        ("user folder", folder.clone(), tmp.to_path_buf()),
        ("project root", PathBuf::from("../project"), project.clone()),
        ("home", home.clone(), tmp.to_path_buf()),
        ("fifo", fifo.clone(), tmp.to_path_buf()),
        ("file", file.clone(), tmp.to_path_buf()),
        ("link to a file", link_to_file.clone(), tmp.to_path_buf()),
        ("link to /dev/null", link_to_null.clone(), tmp.to_path_buf()),
        (
            "link to an output",
            link_to_output.clone(),
            tmp.to_path_buf(),
        ),
    ] {
        let (code, stderr) = build(SITE, &out, &cwd);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stderr.contains("error[P5004]"), "{name}: {stderr}");
        report.push_str(&format!("--- {name}\n{stderr}"));
    }
    assert_eq!(tree(tmp), before, "a refused build changed something");
    assert_no_leftovers(tmp);
    insta::assert_snapshot!("refused", report);
}

#[test]
fn a_previous_output_is_replaced_only_when_it_is_exactly_what_pipec_wrote() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tmp = tmp.path();
    let out = tmp.join("out");
    let mut report = String::new();

    // New, then empty, then a previous output: all fine.
    assert_eq!(build(EC2, &out, tmp).0, Some(0));
    assert!(out.join("deploys").is_dir());
    let empty = tmp.join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    assert_eq!(build(SITE, &empty, tmp).0, Some(0));
    assert!(empty.join("manifest.json").is_file());
    // A smaller program replaces the whole previous output: its stale files are gone.
    let (code, stderr) = build(SITE, &out, tmp);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        !out.join("deploys").exists(),
        "stale files of the previous output remain"
    );
    assert_eq!(tree(&out), tree(&empty));
    assert_no_leftovers(tmp);

    // A user file beside the manifest: refused, the file kept.
    write(&out.join("builds/notes.md"), "my notes");
    let before = tree(&out);
    let (code, stderr) = build(EC2, &out, tmp);
    assert_eq!(code, Some(2), "{stderr}");
    report.push_str(&format!("--- extra file\n{stderr}"));
    assert_eq!(tree(&out), before);
    std::fs::remove_file(out.join("builds/notes.md")).expect("rm");

    // A file pipec wrote, edited since: refused.
    let template = out.join("template.json");
    let mut edited = std::fs::read_to_string(&template).expect("read");
    edited.push(' ');
    std::fs::write(&template, &edited).expect("write");
    let before = tree(&out);
    let (code, stderr) = build(EC2, &out, tmp);
    assert_eq!(code, Some(2), "{stderr}");
    report.push_str(&format!("--- edited file\n{stderr}"));
    assert_eq!(tree(&out), before);

    // Forged and garbled manifests: refused.
    let home = tmp.join("home");
    write(&home.join(".ssh/id_ed25519"), "PRIVATE KEY");
    let key_hash = "sha256 does not matter: the path is not pipec's";
    for (name, manifest) in [
        ("garbled manifest", "{\"format\": 1, \"pipec\":".to_string()),
        ("foreign manifest", "{\"name\": \"my-node-app\"}".to_string()),
        (
            "forged manifest",
            format!(
                "{{\"format\": 1, \"pipec\": \"0.1.0\", \"template\": {{\"path\": \".ssh/id_ed25519\", \"sha256\": \"{key_hash}\"}}, \"files\": []}}"
            ),
        ),
        (
            "escaping manifest",
            "{\"format\": 1, \"pipec\": \"0.1.0\", \"template\": {\"path\": \"template.json\", \"sha256\": \"0\"}, \"files\": [{\"path\": \"builds/../../x\", \"sha256\": \"0\"}]}".to_string(),
        ),
    ] {
        write(&home.join("manifest.json"), &manifest);
        let before = tree(tmp);
        let (code, stderr) = build(SITE, &home, tmp);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        report.push_str(&format!("--- {name}\n{stderr}"));
        assert_eq!(tree(tmp), before, "{name}");
    }
    assert_no_leftovers(tmp);
    insta::assert_snapshot!("refused_outputs", report);
}
