//! The source stage: a directory, or a local git repository at a ref, copied into the fresh
//! workspace `WORKDIR/source`. `.git` directories and the work directory itself are skipped.
//! Only local paths and `file://` URLs are accepted: a local run never reaches the network.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pipec_diagnostics::{Code, Diagnostic};

/// Where the source comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// A directory, copied as it is.
    Directory(PathBuf),
    /// A local git repository (path or `file://` URL) at a ref (branch, tag or commit).
    Git {
        /// The repository.
        url: String,
        /// The ref.
        reference: String,
    },
}

impl SourceSpec {
    /// Reads `--source`: an existing directory, or `REPO@REF`.
    #[must_use]
    pub fn parse(text: &str) -> SourceSpec {
        if Path::new(text).is_dir() {
            return SourceSpec::Directory(PathBuf::from(text));
        }
        match text.rsplit_once('@') {
            Some((url, reference)) if !url.is_empty() && !reference.is_empty() => SourceSpec::Git {
                url: url.to_owned(),
                reference: reference.to_owned(),
            },
            _ => SourceSpec::Directory(PathBuf::from(text)),
        }
    }
}

/// The source, ready in the work directory.
#[derive(Clone, Debug)]
pub(crate) struct PreparedSource {
    /// `WORKDIR/source`.
    pub(crate) dir: PathBuf,
    /// `CODEBUILD_RESOLVED_SOURCE_VERSION`: the commit, or `local` for a plain directory.
    pub(crate) resolved_version: String,
    /// For the report.
    pub(crate) description: String,
    /// Number of files copied.
    pub(crate) file_count: usize,
}

/// Copies the source into `WORKDIR/source`.
pub(crate) fn prepare(spec: &SourceSpec, workdir: &Path) -> Result<PreparedSource, Diagnostic> {
    let target = workdir.join("source");
    std::fs::create_dir_all(&target).map_err(|error| io_error(&target, &error))?;
    match spec {
        SourceSpec::Directory(dir) => {
            if !dir.is_dir() {
                return Err(Diagnostic::error(
                    Code::RUN_INVALID_SOURCE,
                    format!("the source directory `{}` does not exist", dir.display()),
                )
                .help("Pass `--source DIR` or `--source REPO@REF`."));
            }
            let skip = std::fs::canonicalize(workdir).ok();
            let file_count =
                copy_tree(dir, &target, skip.as_deref()).map_err(|error| io_error(dir, &error))?;
            let resolved_version =
                git_output(dir, &["rev-parse", "HEAD"]).unwrap_or_else(|| "local".to_owned());
            Ok(PreparedSource {
                dir: target,
                resolved_version,
                description: format!("directory {}", dir.display()),
                file_count,
            })
        }
        SourceSpec::Git { url, reference } => {
            let repository = local_repository(url)?;
            if reference.starts_with('-') {
                return Err(Diagnostic::error(
                    Code::RUN_INVALID_SOURCE,
                    format!("`{reference}` is not a git ref"),
                ));
            }
            let commit = git_output(
                &repository,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{reference}^{{commit}}"),
                ],
            )
            .ok_or_else(|| {
                Diagnostic::error(
                    Code::RUN_INVALID_SOURCE,
                    format!("`{reference}` is not a commit, branch or tag of `{url}`"),
                )
                .help("Check the ref with `git rev-parse REF` in that repository.")
            })?;
            let archive = workdir.join("state").join("source.tar");
            std::fs::create_dir_all(workdir.join("state"))
                .map_err(|error| io_error(workdir, &error))?;
            let archived = Command::new("git")
                .arg("-C")
                .arg(&repository)
                .args(["archive", "--format=tar", "-o"])
                .arg(&archive)
                .arg(&commit)
                .stdin(Stdio::null())
                .output();
            let extracted = Command::new("tar")
                .arg("-xf")
                .arg(&archive)
                .arg("-C")
                .arg(&target)
                .stdin(Stdio::null())
                .output();
            let _ = std::fs::remove_file(&archive);
            for (what, result) in [("git archive", archived), ("tar", extracted)] {
                match result {
                    Ok(output) if output.status.success() => {}
                    Ok(output) => {
                        return Err(Diagnostic::error(
                            Code::RUN_INVALID_SOURCE,
                            format!("`{what}` failed for `{url}`"),
                        )
                        .note(String::from_utf8_lossy(&output.stderr).trim().to_owned()));
                    }
                    Err(error) => {
                        return Err(Diagnostic::error(
                            Code::RUN_INVALID_SOURCE,
                            format!("cannot run `{what}`"),
                        )
                        .note(error.to_string()))
                    }
                }
            }
            let file_count = count_files(&target);
            let short: String = commit.chars().take(12).collect();
            Ok(PreparedSource {
                dir: target,
                resolved_version: commit,
                description: format!("git {url} @ {reference} ({short})"),
                file_count,
            })
        }
    }
}

/// The local path of a repository given as a path or `file://` URL.
fn local_repository(url: &str) -> Result<PathBuf, Diagnostic> {
    let path = if let Some(rest) = url.strip_prefix("file://") {
        PathBuf::from(rest)
    } else if url.contains("://")
        || (url.contains(':') && !url.starts_with('/') && !url.starts_with('.'))
    {
        return Err(Diagnostic::error(Code::RUN_INVALID_SOURCE, format!("`{url}` is not a local repository"))
            .note("A local run takes its source from this machine only: a directory, a repository path, or a `file://` URL.")
            .help("Clone the repository first and pass `--source PATH@REF`."));
    } else {
        PathBuf::from(url)
    };
    if !path.exists() {
        return Err(Diagnostic::error(
            Code::RUN_INVALID_SOURCE,
            format!("the repository `{url}` does not exist"),
        ));
    }
    Ok(path)
}

/// Runs `git -C dir ARGS` and returns its trimmed output on success.
fn git_output(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}

fn io_error(path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(Code::IO_ERROR, format!("cannot copy `{}`", path.display()))
        .note(error.to_string())
}

/// Copies the tree `from` into `to` (which exists), skipping `.git`, `.pipec` (pipec's own work
/// directories) and the directory `skip`. Symbolic links are copied as links; FIFOs, sockets and
/// devices are left out (a zip holds none, and reading a FIFO would block). Returns the number
/// of files copied.
pub(crate) fn copy_tree(from: &Path, to: &Path, skip: Option<&Path>) -> std::io::Result<usize> {
    let mut count = 0;
    let mut entries: Vec<_> = std::fs::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if name == ".git" || name == ".pipec" {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type()?;
        let destination = to.join(&name);
        if file_type.is_dir() {
            if skip.is_some_and(|skip| std::fs::canonicalize(&path).ok().as_deref() == Some(skip)) {
                continue;
            }
            std::fs::create_dir_all(&destination)?;
            count += copy_tree(&path, &destination, skip)?;
        } else if file_type.is_symlink() {
            let target = std::fs::read_link(&path)?;
            let _ = std::fs::remove_file(&destination);
            std::os::unix::fs::symlink(target, &destination)?;
            count += 1;
        } else if file_type.is_file() {
            std::fs::copy(&path, &destination)?;
            count += 1;
        }
    }
    Ok(count)
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .map(|entry| {
                if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                    count_files(&entry.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directories_and_refs() {
        assert_eq!(
            SourceSpec::parse("/no/such/dir"),
            SourceSpec::Directory(PathBuf::from("/no/such/dir"))
        );
        assert_eq!(
            SourceSpec::parse("../repo@main"),
            SourceSpec::Git {
                url: "../repo".into(),
                reference: "main".into()
            }
        );
        assert_eq!(
            SourceSpec::parse("file:///srv/repo@v1.2"),
            SourceSpec::Git {
                url: "file:///srv/repo".into(),
                reference: "v1.2".into()
            }
        );
    }

    #[test]
    fn copies_files_and_links_but_no_fifos_or_work_directories() {
        let from = tempfile::tempdir().expect("tempdir");
        let to = tempfile::tempdir().expect("tempdir");
        std::fs::write(from.path().join("a.txt"), "a").expect("write");
        std::fs::create_dir_all(from.path().join(".pipec/run")).expect("mkdir");
        std::fs::write(from.path().join(".pipec/run/state"), "1").expect("write");
        std::os::unix::fs::symlink("a.txt", from.path().join("link")).expect("symlink");
        let made = Command::new("mkfifo")
            .arg(from.path().join("status.fifo"))
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let count = copy_tree(from.path(), to.path(), None).expect("copy");
        assert_eq!(count, 2);
        assert!(to.path().join("a.txt").is_file());
        assert!(to.path().join("link").is_symlink());
        assert!(!to.path().join("status.fifo").exists());
        assert!(!to.path().join(".pipec").exists());
    }

    #[test]
    fn remote_urls_are_refused() {
        assert!(local_repository("https://example.com/x.git").is_err());
        assert!(local_repository("git@example.com:x.git").is_err());
    }
}
