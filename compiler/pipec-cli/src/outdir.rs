//! The output directory of `pipec build` and `pipec run --local`: written atomically, and only
//! ever in place of a directory pipec itself wrote.
//!
//! `DIR` may be a path that does not exist, an empty directory, or a directory whose
//! `manifest.json` is pipec's and lists every file in it with the SHA-256 it was written with.
//! Anything else (a symbolic link, a file, a FIFO, a device, a directory with files pipec did
//! not write or that were changed since) is refused with P5004 and left untouched: pipec never
//! deletes what it cannot show it wrote. See docs/build-output.md.
//!
//! The new output is written to a fresh sibling directory, then swapped in with `rename`; the
//! previous output is removed file by file (only the files its manifest lists) and directory
//! by directory (only when empty), never recursively.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use pipec_diagnostics::{Code, Diagnostic};
use sha2::{Digest, Sha256};

use crate::output;

/// What is at the output path before the build.
#[derive(Debug)]
enum Existing {
    /// Nothing: the directory is created.
    Absent,
    /// An empty directory: replaced by `rename`, which fails if anything appears in it.
    Empty,
    /// A previous pipec output: the files its manifest lists (relative paths).
    Pipec(Vec<PathBuf>),
}

/// Writes `files` (relative paths) as the directory `out`, atomically. On success returns
/// warnings (the previous output could not be removed completely); on error `out` is as it was.
pub(crate) fn write_atomically(
    out: &Path,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<Diagnostic>, Diagnostic> {
    let existing = inspect(out)?;
    let target = match existing {
        // Follow `..` and intermediate links so the sibling lands next to the real directory.
        Existing::Empty | Existing::Pipec(_) => fs::canonicalize(out)
            .map_err(|error| io_error("resolve", out, &error, "nothing was changed"))?,
        Existing::Absent => out.to_path_buf(),
    };
    let Some(name) = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
    else {
        return Err(
            refuse(out, "is not a directory pipec can replace (it has no name)")
                .help("pass a directory path such as `-o out`"),
        );
    };
    let parent = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|error| {
        io_error(
            "create",
            &parent,
            &error,
            "check that the output directory's parent can be created; nothing was changed",
        )
    })?;
    let staging = make_unique_dir(&parent, &name, "tmp")?;
    let written = (|| {
        for (path, bytes) in files {
            let relative = safe_relative(path).ok_or_else(|| {
                Diagnostic::bug(format!("the compiler produced the output path `{path}`"))
            })?;
            let file = staging.join(relative);
            if let Some(dir) = file.parent() {
                fs::create_dir_all(dir)
                    .map_err(|error| io_error("create", dir, &error, NOTHING_CHANGED))?;
            }
            fs::write(&file, bytes)
                .map_err(|error| io_error("write", &file, &error, NOTHING_CHANGED))?;
            if path.ends_with(".sh") {
                set_executable(&file)
                    .map_err(|error| io_error("chmod", &file, &error, NOTHING_CHANGED))?;
            }
        }
        Ok(())
    })();
    if let Err(diagnostic) = written {
        let _ = fs::remove_dir_all(&staging);
        return Err(diagnostic);
    }
    match existing {
        Existing::Absent | Existing::Empty => {
            // rename(2) replaces an empty directory and fails on anything else, so a file
            // that appeared since the check is never lost.
            if let Err(error) = fs::rename(&staging, &target) {
                let _ = fs::remove_dir_all(&staging);
                return Err(io_error("replace", out, &error, NOTHING_CHANGED));
            }
            Ok(Vec::new())
        }
        Existing::Pipec(listed) => {
            let backup = make_unique_name(&parent, &name, "old");
            if let Err(error) = fs::rename(&target, &backup) {
                let _ = fs::remove_dir_all(&staging);
                return Err(io_error("replace", out, &error, NOTHING_CHANGED));
            }
            if let Err(error) = fs::rename(&staging, &target) {
                // Put the previous output back.
                let _ = fs::rename(&backup, &target);
                let _ = fs::remove_dir_all(&staging);
                return Err(io_error("replace", out, &error, NOTHING_CHANGED));
            }
            Ok(remove_listed(&backup, &listed)
                .err()
                .map(|left| {
                    Diagnostic::warning(
                        Code::IO_ERROR,
                        format!(
                            "the previous output was kept at `{}`: {left}",
                            backup.display()
                        ),
                    )
                    .help("look through it and delete it yourself")
                })
                .into_iter()
                .collect())
        }
    }
}

const NOTHING_CHANGED: &str =
    "check that the output directory's parent is writable; nothing was changed";

/// Decides whether `out` may be replaced.
fn inspect(out: &Path) -> Result<Existing, Diagnostic> {
    let metadata = match fs::symlink_metadata(out) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(error) => return Err(io_error("inspect", out, &error, NOTHING_CHANGED)),
    };
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return Err(refuse(out, "is a symbolic link")
            .note("pipec neither follows nor replaces a link given as the output directory")
            .help("pass the directory it points to, or a new path, with -o"));
    }
    if !kind.is_dir() {
        return Err(
            refuse(out, &format!("is {}, not a directory", describe(&kind)))
                .help("choose a new or empty directory with -o; pipec left this path as it was"),
        );
    }
    let mut entries = fs::read_dir(out)
        .map_err(|error| io_error("read", out, &error, NOTHING_CHANGED))?
        .peekable();
    if entries.peek().is_none() {
        return Ok(Existing::Empty);
    }
    let manifest_path = out.join("manifest.json");
    let manifest =
        match fs::symlink_metadata(&manifest_path) {
            Ok(metadata) if metadata.is_file() => fs::read(&manifest_path)
                .map_err(|error| io_error("read", &manifest_path, &error, NOTHING_CHANGED))?,
            _ => return Err(refuse(
                out,
                "is not empty and is not a pipec output (it has no `manifest.json`)",
            )
            .help(
                "choose a new or empty directory with -o; pipec only replaces a directory it wrote",
            )),
        };
    let listed = match listed_files(&manifest) {
        Ok(listed) => listed,
        Err(reason) => {
            return Err(refuse(
                out,
                &format!("has a `manifest.json` that is not pipec's ({reason})"),
            )
            .help("choose a new or empty directory with -o, or delete this one yourself"))
        }
    };
    // Every listed file must be as pipec wrote it.
    let mut files = BTreeSet::new();
    let mut dirs = BTreeSet::new();
    for (relative, hash) in &listed {
        let path = out.join(relative);
        if let Some(hash) = hash {
            let ok = match fs::symlink_metadata(&path) {
                Ok(metadata) if metadata.is_file() => {
                    fs::read(&path).is_ok_and(|bytes| sha256_hex(&bytes) == *hash)
                }
                Ok(_) => false,
                // A listed file that is gone is not the user's.
                Err(error) if error.kind() == io::ErrorKind::NotFound => true,
                Err(_) => false,
            };
            if !ok {
                return Err(refuse(
                    out,
                    &format!(
                        "holds `{}`, which changed since pipec wrote it",
                        relative.display()
                    ),
                )
                .help(
                    "move that file elsewhere (or delete it), or choose another directory with -o",
                ));
            }
        }
        files.insert(relative.clone());
        let mut ancestor = relative.parent();
        while let Some(dir) = ancestor.filter(|dir| !dir.as_os_str().is_empty()) {
            dirs.insert(dir.to_path_buf());
            ancestor = dir.parent();
        }
    }
    // Nothing else may be there.
    if let Some(foreign) = first_foreign(out, Path::new(""), &files, &dirs)? {
        return Err(refuse(
            out,
            &format!("holds `{}`, which pipec did not write", foreign.display()),
        )
        .help("move it elsewhere, or choose a new or empty directory with -o"));
    }
    Ok(Existing::Pipec(files.into_iter().collect()))
}

/// The files a manifest lists with their hashes (`None` for the manifest itself), or why it is
/// not a pipec manifest.
fn listed_files(bytes: &[u8]) -> Result<Vec<(PathBuf, Option<String>)>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| "it is not valid JSON".to_string())?;
    if !value.get("format").is_some_and(serde_json::Value::is_u64)
        || !value.get("pipec").is_some_and(serde_json::Value::is_string)
    {
        return Err("no `format` and `pipec` fields".to_string());
    }
    let mut listed = vec![(PathBuf::from("manifest.json"), None)];
    let template = value.get("template").ok_or("no `template` entry")?;
    let mut entries = vec![template];
    if let Some(files) = value.get("files") {
        let files = files.as_array().ok_or("`files` is not a list")?;
        entries.extend(files);
    }
    for entry in entries {
        let path = entry
            .get("path")
            .and_then(serde_json::Value::as_str)
            .ok_or("an entry has no `path`")?;
        let hash = entry
            .get("sha256")
            .and_then(serde_json::Value::as_str)
            .ok_or("an entry has no `sha256`")?;
        let relative = pipec_layout(path)
            .ok_or_else(|| format!("it lists `{path}`, not a pipec output path"))?;
        listed.push((relative, Some(hash.to_string())));
    }
    Ok(listed)
}

/// `path` if it is one that pipec writes: `template.json`, or a relative path without `..`
/// under `builds/` or `deploys/`.
fn pipec_layout(path: &str) -> Option<PathBuf> {
    let relative = safe_relative(path)?;
    let first = relative.components().next()?;
    let is_template = relative == Path::new("template.json");
    let in_layout = relative.components().count() > 1
        && matches!(first, Component::Normal(name) if name == "builds" || name == "deploys");
    (is_template || in_layout).then_some(relative)
}

/// `path` as a relative path made only of names (no root, `.` or `..`).
fn safe_relative(path: &str) -> Option<PathBuf> {
    let relative = PathBuf::from(path);
    (!path.is_empty()
        && relative
            .components()
            .all(|component| matches!(component, Component::Normal(_))))
    .then_some(relative)
}

/// The first entry under `root/relative` that is neither a listed file nor a directory holding
/// one (links and special files are never pipec's).
fn first_foreign(
    root: &Path,
    relative: &Path,
    files: &BTreeSet<PathBuf>,
    dirs: &BTreeSet<PathBuf>,
) -> Result<Option<PathBuf>, Diagnostic> {
    let dir = root.join(relative);
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .map_err(|error| io_error("read", &dir, &error, NOTHING_CHANGED))?
        .collect::<Result<_, _>>()
        .map_err(|error| io_error("read", &dir, &error, NOTHING_CHANGED))?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = relative.join(entry.file_name());
        let kind = entry
            .file_type()
            .map_err(|error| io_error("inspect", &entry.path(), &error, NOTHING_CHANGED))?;
        if kind.is_file() && files.contains(&path) {
            continue;
        }
        if kind.is_dir() && dirs.contains(&path) {
            if let Some(foreign) = first_foreign(root, &path, files, dirs)? {
                return Ok(Some(foreign));
            }
            continue;
        }
        return Ok(Some(path));
    }
    Ok(None)
}

/// Removes the listed files of a previous output, then its directories while they are empty.
fn remove_listed(backup: &Path, listed: &[PathBuf]) -> Result<(), String> {
    let mut dirs = BTreeSet::new();
    for relative in listed {
        match fs::remove_file(backup.join(relative)) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(format!("cannot remove `{}`: {error}", relative.display())),
        }
        let mut ancestor = relative.parent();
        while let Some(dir) = ancestor.filter(|dir| !dir.as_os_str().is_empty()) {
            dirs.insert(dir.to_path_buf());
            ancestor = dir.parent();
        }
    }
    // Deepest first: longer paths sort after their ancestors.
    for dir in dirs.iter().rev() {
        fs::remove_dir(backup.join(dir))
            .map_err(|_| format!("`{}` is not empty", dir.display()))?;
    }
    fs::remove_dir(backup).map_err(|_| "something appeared in it during the build".to_string())
}

/// Creates a new directory `.NAME.pipec-WHAT-PID[-N]` in `parent`, never reusing an existing one.
fn make_unique_dir(parent: &Path, name: &str, what: &str) -> Result<PathBuf, Diagnostic> {
    let pid = std::process::id();
    for attempt in 0..100 {
        let path = parent.join(if attempt == 0 {
            format!(".{name}.pipec-{what}-{pid}")
        } else {
            format!(".{name}.pipec-{what}-{pid}-{attempt}")
        });
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(io_error("create", &path, &error, NOTHING_CHANGED)),
        }
    }
    Err(Diagnostic::error(
        Code::IO_ERROR,
        format!(
            "cannot find a free temporary name in `{}`",
            parent.display()
        ),
    )
    .help("remove the `.NAME.pipec-tmp-*` directories left there"))
}

/// A path `.NAME.pipec-WHAT-PID[-N]` in `parent` that does not exist yet.
fn make_unique_name(parent: &Path, name: &str, what: &str) -> PathBuf {
    let pid = std::process::id();
    let mut attempt = 0;
    loop {
        let path = parent.join(if attempt == 0 {
            format!(".{name}.pipec-{what}-{pid}")
        } else {
            format!(".{name}.pipec-{what}-{pid}-{attempt}")
        });
        if fs::symlink_metadata(&path).is_err() || attempt > 1000 {
            return path;
        }
        attempt += 1;
    }
}

fn describe(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_file() {
        "a file"
    } else {
        "not a directory"
    }
}

fn refuse(out: &Path, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::OUTPUT_NOT_OWNED,
        format!("refusing to replace `{}`: it {what}", out.display()),
    )
}

fn io_error(what: &str, path: &Path, error: &io::Error, help: &str) -> Diagnostic {
    Diagnostic::error(
        Code::IO_ERROR,
        format!(
            "cannot {what} `{}`: {}",
            path.display(),
            output::io_reason(error)
        ),
    )
    .help(help)
}

/// Lowercase hex SHA-256, as the manifest records it.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(unix)]
fn set_executable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> io::Result<()> {
    Ok(())
}
