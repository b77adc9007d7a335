//! Artifact collection (UPLOAD_ARTIFACTS): the buildspec's `files` globs, relative to
//! `base-directory` (itself a path or a glob), minus `exclude-paths`, optionally flattened
//! (`discard-paths`), copied into `WORKDIR/artifacts/<build>/`, which stands for the artifact
//! zip. Symbolic links to files are followed; links to directories are not entered.

use std::path::{Path, PathBuf};

use crate::buildspec::ArtifactSpec;
use pipec_ir::glob::Glob;

/// Collects the artifact; returns the number of files, or the patterns that matched nothing
/// (and copy errors).
pub(crate) fn collect(
    spec: &ArtifactSpec,
    src_dir: &Path,
    destination: &Path,
) -> Result<usize, Vec<String>> {
    if destination.exists() {
        std::fs::remove_dir_all(destination)
            .map_err(|error| vec![format!("cannot clear {}: {error}", destination.display())])?;
    }
    std::fs::create_dir_all(destination)
        .map_err(|error| vec![format!("cannot create {}: {error}", destination.display())])?;
    let bases = base_directories(spec, src_dir);
    let patterns: Vec<(String, Glob)> = spec
        .files
        .iter()
        .map(|pattern| (pattern.clone(), Glob::new(pattern)))
        .collect();
    let excludes: Vec<Glob> = spec
        .exclude_paths
        .iter()
        .map(|pattern| Glob::new(pattern))
        .collect();
    let mut matched = vec![false; patterns.len()];
    let mut selected: Vec<(PathBuf, String)> = Vec::new();
    for base in &bases {
        let mut files = Vec::new();
        list_files(base, "", &mut files);
        for relative in files {
            let mut included = false;
            for (index, (_, glob)) in patterns.iter().enumerate() {
                if glob.matches(&relative) {
                    matched[index] = true;
                    included = true;
                }
            }
            if included && !excludes.iter().any(|glob| glob.matches(&relative)) {
                selected.push((base.join(&relative), relative));
            }
        }
    }
    let any_match = matched.iter().any(|found| *found);
    let missing: Vec<String> = patterns
        .iter()
        .zip(&matched)
        .filter(|((_, glob), found)| !**found && (glob.is_literal() || !any_match))
        .map(|((pattern, _), _)| pattern.clone())
        .collect();
    if !missing.is_empty() || bases.is_empty() {
        let mut missing = missing;
        if bases.is_empty() {
            missing.insert(
                0,
                format!(
                    "base-directory {}",
                    spec.base_directory.as_deref().unwrap_or(".")
                ),
            );
        }
        return Err(missing);
    }
    let mut errors = Vec::new();
    for (from, relative) in &selected {
        let target_relative = if spec.discard_paths {
            relative.rsplit('/').next().unwrap_or(relative).to_owned()
        } else {
            relative.clone()
        };
        let target = destination.join(&target_relative);
        let copied = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::copy(from, &target));
        if let Err(error) = copied {
            errors.push(format!("{relative} ({error})"));
        }
    }
    if errors.is_empty() {
        Ok(selected.len())
    } else {
        Err(errors)
    }
}

/// The directories whose contents become the artifact root.
fn base_directories(spec: &ArtifactSpec, src_dir: &Path) -> Vec<PathBuf> {
    let Some(base) = &spec.base_directory else {
        return vec![src_dir.to_path_buf()];
    };
    let glob = Glob::new(base);
    if glob.is_literal() {
        let path = src_dir.join(base);
        return if path.is_dir() {
            vec![path]
        } else {
            Vec::new()
        };
    }
    let mut directories = Vec::new();
    list_directories(src_dir, "", &mut directories);
    directories
        .into_iter()
        .filter(|relative| glob.matches(relative))
        .map(|relative| src_dir.join(relative))
        .collect()
}

/// Every file below `dir`, as sorted `/`-separated paths relative to the first call's `dir`.
fn list_files(dir: &Path, prefix: &str, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            list_files(&entry.path(), &relative, files);
        } else if kind.is_file() || (kind.is_symlink() && entry.path().is_file()) {
            files.push(relative);
        }
    }
}

fn list_directories(dir: &Path, prefix: &str, directories: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            list_directories(&entry.path(), &relative, directories);
            directories.push(relative);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> std::io::Result<tempfile::TempDir> {
        let dir = tempfile::tempdir()?;
        for file in [
            "dist/app.js",
            "dist/app.js.map",
            "dist/css/site.css",
            "README.md",
        ] {
            let path = dir.path().join("src").join(file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, file)?;
        }
        Ok(dir)
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut files = Vec::new();
        list_files(dir, "", &mut files);
        files
    }

    #[test]
    fn base_directory_excludes_and_discard() -> std::io::Result<()> {
        let dir = tree()?;
        let out = dir.path().join("out");
        let spec = ArtifactSpec {
            files: vec!["**/*".into()],
            base_directory: Some("dist".into()),
            discard_paths: false,
            exclude_paths: vec!["**/*.map".into()],
        };
        assert_eq!(collect(&spec, &dir.path().join("src"), &out), Ok(2));
        assert_eq!(listing(&out), ["app.js", "css/site.css"]);
        let flat = ArtifactSpec {
            discard_paths: true,
            exclude_paths: Vec::new(),
            ..spec
        };
        assert_eq!(collect(&flat, &dir.path().join("src"), &out), Ok(3));
        assert_eq!(listing(&out), ["app.js", "app.js.map", "site.css"]);
        Ok(())
    }

    #[test]
    fn literal_paths_must_exist() -> std::io::Result<()> {
        let dir = tree()?;
        let spec = ArtifactSpec {
            files: vec![
                "README.md".into(),
                "dist/missing.js".into(),
                "*.none".into(),
            ],
            ..ArtifactSpec::default()
        };
        assert_eq!(
            collect(&spec, &dir.path().join("src"), &dir.path().join("out")),
            Err(vec!["dist/missing.js".to_owned()])
        );
        Ok(())
    }
}
