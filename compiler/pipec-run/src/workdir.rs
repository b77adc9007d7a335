//! The work directory's ownership: a run only ever deletes what a run created. A directory
//! becomes pipec's when pipec creates it (or finds it empty) and writes the marker file
//! [`MARKER`] into it; a non-empty directory without the marker is refused (P7012), and so is a
//! work directory that is, contains or lies inside the source directory (P7011), compared as
//! canonical paths. The one allowed nesting is the default: a work directory inside a `.pipec`
//! directory of the source, which the source copy always skips.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use pipec_diagnostics::{Code, Diagnostic};

use crate::source::SourceSpec;

/// The file that marks a directory as a pipec work directory.
pub const MARKER: &str = ".pipec-workdir";

/// What a run keeps in its work directory; a directory holding only these (and a build output)
/// was made by a pipec that did not write the marker yet.
const KNOWN_ENTRIES: [&str; 8] = [
    "build-output",
    "source",
    "builds",
    "artifacts",
    "logs",
    "instances",
    "sites",
    "state",
];

/// Checks that `workdir` may be used with `source` and marks it as pipec's, creating it when
/// missing. Call it before writing anything into the work directory.
///
/// # Errors
///
/// P7011 when the work directory and the source directory overlap, P7012 when the work
/// directory is not empty and not pipec's, P9001 when it cannot be created or marked.
pub fn claim_workdir(workdir: &Path, source: &SourceSpec) -> Result<(), Diagnostic> {
    let canonical_workdir = canonical_lenient(workdir);
    if let Some(source_dir) = source_directory(source) {
        check_overlap(workdir, &canonical_workdir, &source_dir)?;
    }
    let io_error = |error: &std::io::Error| {
        Diagnostic::error(
            Code::IO_ERROR,
            format!("cannot prepare the work directory `{}`", workdir.display()),
        )
        .note(error.to_string())
        .help("Pass `--workdir DIR` with a directory you can write to.")
    };
    let marker = workdir.join(MARKER);
    if marker.is_file() {
        return Ok(());
    }
    if workdir.exists() || workdir.is_symlink() {
        if !workdir.is_dir() {
            return Err(not_ours(workdir, &[]).note("It is not a directory."));
        }
        let entries: Vec<OsString> = std::fs::read_dir(workdir)
            .map_err(|error| io_error(&error))?
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .collect();
        let legacy = !entries.is_empty()
            && workdir.join("build-output/manifest.json").is_file()
            && entries.iter().all(|name| {
                KNOWN_ENTRIES.iter().any(|known| name == *known)
                    || name
                        .to_string_lossy()
                        .starts_with(".build-output.pipec-tmp-")
            });
        if !entries.is_empty() && !legacy {
            return Err(not_ours(workdir, &entries));
        }
    } else {
        std::fs::create_dir_all(workdir).map_err(|error| io_error(&error))?;
    }
    std::fs::write(
        &marker,
        "This directory is a `pipec run --local` work directory: runs delete and rewrite\nsource/, builds/, artifacts/ and logs/ in it.\n",
    )
    .map_err(|error| io_error(&error))
}

/// The source directory of `source`, canonical, when it exists on this machine.
fn source_directory(source: &SourceSpec) -> Option<PathBuf> {
    let path = match source {
        SourceSpec::Directory(dir) => dir.clone(),
        SourceSpec::Git { url, .. } => {
            PathBuf::from(url.strip_prefix("file://").unwrap_or(url.as_str()))
        }
    };
    std::fs::canonicalize(path)
        .ok()
        .filter(|path| path.is_dir())
}

fn check_overlap(workdir: &Path, canonical: &Path, source_dir: &Path) -> Result<(), Diagnostic> {
    let relation = if canonical == source_dir {
        "is the source directory"
    } else if source_dir.starts_with(canonical) {
        "contains the source directory"
    } else if let Ok(inner) = canonical.strip_prefix(source_dir) {
        // The default `.pipec/run` lies in the source, inside a `.pipec` directory that the
        // source copy never enters.
        if inner
            .components()
            .any(|part| part == Component::Normal(".pipec".as_ref()))
        {
            return Ok(());
        }
        "lies inside the source directory"
    } else {
        return Ok(());
    };
    Err(Diagnostic::error(
        Code::RUN_WORKDIR_OVERLAPS_SOURCE,
        format!(
            "the work directory `{}` {relation} `{}`",
            workdir.display(),
            source_dir.display()
        ),
    )
    .note("Each run deletes `source/`, `builds/`, `artifacts/` and `logs/` in the work directory and copies the source into it, so the two must not overlap.")
    .help("Pass `--workdir` a directory outside the source, or leave it out to use `.pipec/run` next to the `.pipe` file."))
}

fn not_ours(workdir: &Path, entries: &[OsString]) -> Diagnostic {
    let mut names: Vec<String> = entries
        .iter()
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    names.sort();
    let shown = names.len().min(5);
    let mut listing = names[..shown].join(", ");
    if names.len() > shown {
        listing.push_str(&format!(" and {} more", names.len() - shown));
    }
    let mut diagnostic = Diagnostic::error(
        Code::RUN_WORKDIR_NOT_PIPECS,
        format!(
            "the work directory `{}` is not empty and was not created by pipec",
            workdir.display()
        ),
    )
    .note(format!(
        "A run deletes and rewrites folders in its work directory; it only does so in a directory holding the marker file `{MARKER}`, which pipec writes when it creates the directory."
    ));
    if !listing.is_empty() {
        diagnostic = diagnostic.note(format!("It holds: {listing}."));
    }
    diagnostic.help("Pass `--workdir` a new or empty directory (pipec creates it), or the directory of an earlier run.")
}

/// `path` made absolute and canonical as far as it exists; the missing rest is appended as is
/// (`..` and `.` resolved lexically).
pub(crate) fn canonical_lenient(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.clone();
    let mut rest: Vec<OsString> = Vec::new();
    loop {
        if let Ok(canonical) = std::fs::canonicalize(&existing) {
            let mut result = canonical;
            for part in rest.iter().rev() {
                if part == ".." {
                    result.pop();
                } else if part != "." {
                    result.push(part);
                }
            }
            return result;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<(), Diagnostic>) -> Option<&'static str> {
        result.err().map(|diagnostic| diagnostic.code.number())
    }

    #[test]
    fn overlapping_directories_are_refused() -> std::io::Result<()> {
        let temp = tempfile::tempdir()?;
        let source = temp.path().join("app");
        std::fs::create_dir_all(source.join("sub"))?;
        let spec = SourceSpec::Directory(source.clone());
        assert_eq!(code(claim_workdir(&source, &spec)), Some("P7011"));
        assert_eq!(code(claim_workdir(temp.path(), &spec)), Some("P7011"));
        assert_eq!(
            code(claim_workdir(&source.join("sub/../out"), &spec)),
            Some("P7011")
        );
        assert_eq!(code(claim_workdir(&source.join(".pipec/run"), &spec)), None);
        assert!(source.join(".pipec/run").join(MARKER).is_file());
        assert_eq!(code(claim_workdir(&temp.path().join("run"), &spec)), None);
        Ok(())
    }

    #[test]
    fn unmarked_directories_with_content_are_refused() -> std::io::Result<()> {
        let temp = tempfile::tempdir()?;
        let source = temp.path().join("app");
        std::fs::create_dir_all(&source)?;
        let spec = SourceSpec::Directory(source);
        let mine = temp.path().join("mine");
        std::fs::create_dir_all(mine.join("logs"))?;
        assert_eq!(code(claim_workdir(&mine, &spec)), Some("P7012"));
        assert!(!mine.join(MARKER).exists());
        let empty = temp.path().join("empty");
        std::fs::create_dir_all(&empty)?;
        assert_eq!(code(claim_workdir(&empty, &spec)), None);
        std::fs::create_dir_all(empty.join("logs"))?;
        assert_eq!(code(claim_workdir(&empty, &spec)), None);
        let legacy = temp.path().join("legacy");
        std::fs::create_dir_all(legacy.join("build-output"))?;
        std::fs::write(legacy.join("build-output/manifest.json"), "{}")?;
        std::fs::create_dir_all(legacy.join("instances"))?;
        assert_eq!(code(claim_workdir(&legacy, &spec)), None);
        Ok(())
    }
}
