//! The Install event: removes what the previous deployment to the group installed (its cleanup
//! list), copies the appspec `files` from the revision archive to their destinations on the
//! instance, applies `permissions`, and writes the new cleanup list. Works on instance paths,
//! resolved through [`Instance::host_path`] (links followed inside the sandbox root only) and
//! [`Instance::host_path_nofollow`] (for what is removed or replaced: a link is replaced itself).

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::appspec::{AppSpec, FileExists, Permission};
use crate::sandbox::Instance;
use pipec_ir::glob::Glob;

/// What Install did.
#[derive(Clone, Debug, Default)]
pub(crate) struct InstallSummary {
    pub(crate) copied: usize,
    pub(crate) retained: usize,
    pub(crate) removed: usize,
    pub(crate) notes: Vec<String>,
}

/// Runs Install for `spec`, reading the revision at instance path `archive`.
pub(crate) fn install(
    instance: &Instance,
    archive: &str,
    spec: &AppSpec,
    cleanup_file: &str,
) -> Result<InstallSummary, String> {
    let mut summary = InstallSummary {
        removed: remove_previous(instance, cleanup_file),
        ..InstallSummary::default()
    };
    // Plan every copy first, so that conflicts fail before anything is written.
    let mut directories: Vec<String> = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for mapping in &spec.files {
        let source = join(archive, mapping.source.trim_start_matches('/'));
        let host_source = instance.host_path(&source);
        let destination = mapping.destination.trim_end_matches('/');
        let destination = if destination.is_empty() {
            "/"
        } else {
            destination
        };
        if host_source.is_dir() {
            directories.push(destination.to_owned());
            plan_tree(
                &host_source,
                &source,
                destination,
                &mut directories,
                &mut files,
            );
        } else if host_source.is_file() {
            directories.push(destination.to_owned());
            let name = source.rsplit('/').next().unwrap_or_default();
            files.push((source.clone(), join(destination, name)));
        } else {
            return Err(format!(
                "the source `{}` is not in the revision",
                mapping.source
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for (_, destination) in &files {
        if !seen.insert(destination.as_str()) {
            return Err(format!(
                "two source files would be copied to the same destination `{destination}`"
            ));
        }
    }
    if spec.file_exists == FileExists::Disallow {
        if let Some((_, existing)) = files.iter().find(|(_, destination)| {
            let host = instance.host_path_nofollow(destination);
            host.exists() || host.is_symlink()
        }) {
            return Err(format!("the file `{existing}` already exists on the instance and was not installed by the previous deployment (file_exists_behavior: DISALLOW)"));
        }
    }
    let mut installed: Vec<String> = Vec::new();
    for directory in &directories {
        create_directories(instance, directory, &mut installed)?;
    }
    for (source, destination) in &files {
        // The destination itself may be a link a hook made: it is replaced, never followed.
        let host_destination = instance.host_path_nofollow(destination);
        if host_destination.exists() || host_destination.is_symlink() {
            if spec.file_exists == FileExists::Retain {
                summary.retained += 1;
                continue;
            }
            remove_path(&host_destination)
                .map_err(|error| format!("cannot replace `{destination}`: {error}"))?;
        }
        std::fs::copy(instance.host_path(source), &host_destination)
            .map_err(|error| format!("cannot copy to `{destination}`: {error}"))?;
        installed.push(destination.clone());
        summary.copied += 1;
    }
    for permission in &spec.permissions {
        apply_permission(instance, permission, &mut summary)?;
    }
    let host_cleanup = instance.host_path(cleanup_file);
    if let Some(parent) = host_cleanup.parent() {
        std::fs::create_dir_all(parent).map_err(|error| error.to_string())?;
    }
    let mut listing = installed.join("\n");
    listing.push('\n');
    std::fs::write(&host_cleanup, listing)
        .map_err(|error| format!("cannot write the cleanup list: {error}"))?;
    Ok(summary)
}

/// Deletes what the previous deployment installed: files first, then directories left empty.
fn remove_previous(instance: &Instance, cleanup_file: &str) -> usize {
    let Ok(listing) = std::fs::read_to_string(instance.host_path(cleanup_file)) else {
        return 0;
    };
    let mut removed = 0;
    let entries: Vec<&str> = listing
        .lines()
        .filter(|line| line.starts_with('/'))
        .collect();
    for entry in &entries {
        let path = instance.host_path_nofollow(entry);
        if path.is_file() || path.is_symlink() {
            removed += usize::from(std::fs::remove_file(&path).is_ok());
        }
    }
    for entry in entries.iter().rev() {
        let path = instance.host_path_nofollow(entry);
        if path.is_dir() && !path.is_symlink() {
            removed += usize::from(std::fs::remove_dir(&path).is_ok());
        }
    }
    removed
}

fn plan_tree(
    host_dir: &Path,
    source: &str,
    destination: &str,
    directories: &mut Vec<String>,
    files: &mut Vec<(String, String)>,
) {
    let Ok(entries) = std::fs::read_dir(host_dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let (child_source, child_destination) = (join(source, &name), join(destination, &name));
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            directories.push(child_destination.clone());
            plan_tree(
                &entry.path(),
                &child_source,
                &child_destination,
                directories,
                files,
            );
        } else {
            files.push((child_source, child_destination));
        }
    }
}

/// Creates `directory` and its missing ancestors, recording each one created.
fn create_directories(
    instance: &Instance,
    directory: &str,
    installed: &mut Vec<String>,
) -> Result<(), String> {
    let mut current = String::new();
    for part in directory.split('/').filter(|part| !part.is_empty()) {
        current = join(&current, part);
        let host = instance.host_path(&current);
        if host.is_dir() {
            continue;
        }
        if host.exists() {
            return Err(format!(
                "`{current}` exists on the instance and is not a directory"
            ));
        }
        std::fs::create_dir(&host)
            .map_err(|error| format!("cannot create `{current}`: {error}"))?;
        installed.push(current.clone());
    }
    Ok(())
}

fn apply_permission(
    instance: &Instance,
    permission: &Permission,
    summary: &mut InstallSummary,
) -> Result<(), String> {
    let host_object = instance.host_path(&permission.object);
    if !host_object.exists() {
        return Err(format!(
            "the permissions object `{}` does not exist",
            permission.object
        ));
    }
    let mut targets: Vec<String> = Vec::new();
    if host_object.is_file() {
        targets.push(permission.object.clone());
    } else {
        let pattern = Glob::new(permission.pattern.as_deref().unwrap_or("**"));
        let except: Vec<Glob> = permission
            .except
            .iter()
            .map(|pattern| Glob::new(pattern))
            .collect();
        let wants = |is_dir: bool| {
            permission.types.is_empty()
                || permission
                    .types
                    .iter()
                    .any(|kind| kind == if is_dir { "directory" } else { "file" })
        };
        let mut entries = Vec::new();
        walk(&host_object, "", &mut entries);
        for (relative, is_dir) in entries {
            let name = relative.rsplit('/').next().unwrap_or_default();
            let matched = pattern.matches(&relative) || pattern.matches(name);
            let excepted = except
                .iter()
                .any(|glob| glob.matches(&relative) || glob.matches(name));
            if matched && !excepted && wants(is_dir) {
                targets.push(join(&permission.object, &relative));
            }
        }
    }
    for target in &targets {
        if let Some(mode) = permission.mode {
            std::fs::set_permissions(
                instance.host_path(target),
                std::fs::Permissions::from_mode(mode),
            )
            .map_err(|error| format!("cannot chmod `{target}`: {error}"))?;
        }
        let owner_group = match (&permission.owner, &permission.group) {
            (Some(owner), Some(group)) => Some(format!("{owner}:{group}")),
            (Some(owner), None) => Some(owner.clone()),
            (None, Some(group)) => Some(format!(":{group}")),
            (None, None) => None,
        };
        if let Some(owner_group) = owner_group {
            instance
                .chown(&owner_group, target)
                .map_err(|error| format!("cannot chown `{target}` to `{owner_group}`: {error}"))?;
        }
    }
    if !permission.except.is_empty() || permission.pattern.is_some() {
        summary.notes.push(format!(
            "permissions on {} applied to {} path(s)",
            permission.object,
            targets.len()
        ));
    }
    Ok(())
}

/// Every entry below `dir` (directories included), relative, with whether it is a directory.
fn walk(dir: &Path, prefix: &str, entries: &mut Vec<(String, bool)>) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in listing.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
        entries.push((relative.clone(), is_dir));
        if is_dir {
            walk(&entry.path(), &relative, entries);
        }
    }
}

fn remove_path(path: &Path) -> std::io::Result<()> {
    if path.is_dir() && !path.is_symlink() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}

/// Joins instance paths with exactly one `/`.
pub(crate) fn join(base: &str, name: &str) -> String {
    let name = name.trim_start_matches('/');
    if name.is_empty() {
        return if base.is_empty() {
            "/".to_owned()
        } else {
            base.to_owned()
        };
    }
    format!("{}/{name}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn joins_instance_paths() {
        assert_eq!(join("/srv/app", "x"), "/srv/app/x");
        assert_eq!(join("/srv/app/", "/x"), "/srv/app/x");
        assert_eq!(join("", "srv"), "/srv");
        assert_eq!(join("/a", ""), "/a");
    }
}
