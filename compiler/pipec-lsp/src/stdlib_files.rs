//! The compiled-in stdlib as files an editor can open: go to definition on `node.start` needs
//! a location, so each module is written once to
//! `$XDG_CACHE_HOME/pipec/stdlib-<version>/<path>.pipe` (`~/.cache` when the variable is unset),
//! read-only, through a temporary file and a rename so that no reader ever sees half a file.
//! A file whose text differs (another build of the same version) is replaced the same way.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::convert::path_to_uri;

/// The cache directory of this version's stdlib.
fn cache_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|value| !value.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    // Only an absolute base: a relative one would depend on the server's working directory.
    base.is_absolute().then(|| {
        base.join("pipec")
            .join(format!("stdlib-{}", env!("CARGO_PKG_VERSION")))
    })
}

/// The URI of the stdlib file shown as `name` (`<std>/hooks/node.pipe`) holding `text`,
/// written to the cache first when it is missing or differs.
pub(crate) fn uri(name: &str, text: &str) -> Option<String> {
    let relative = name.strip_prefix("<std>/")?;
    let relative = Path::new(relative);
    // Names come from the stdlib's own table; refuse anything that could leave the directory.
    if relative
        .components()
        .any(|part| !matches!(part, std::path::Component::Normal(_)))
    {
        return None;
    }
    let path = cache_dir()?.join(relative);
    if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
        write_read_only(&path, text).ok()?;
    }
    Some(path_to_uri(&path))
}

fn write_read_only(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no parent directory"))?;
    std::fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("no file name"))?
        .to_string_lossy();
    let temporary = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let outcome = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        let mut permissions = file.metadata()?.permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&temporary, permissions)?;
        std::fs::rename(&temporary, path)
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stdlib_names_inside_the_directory() {
        assert_eq!(uri("/etc/passwd", "x"), None);
        assert_eq!(uri("<std>/../../x.pipe", "x"), None);
        assert_eq!(uri("<std>//etc/x.pipe", "x"), None);
    }
}
