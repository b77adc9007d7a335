//! Reads an EC2 `appspec.yml` (version 0.0) from a revision: `files`, `file_exists_behavior`,
//! `permissions` and `hooks`, checked the way the CodeDeploy agent checks them (unknown
//! lifecycle events, hooks without `location`, bad timeouts and modes are errors).

use serde_yaml_ng::Value;

/// Every event name the agent accepts in `hooks`.
const KNOWN_EVENTS: [&str; 9] = [
    "BeforeBlockTraffic",
    "AfterBlockTraffic",
    "ApplicationStop",
    "BeforeInstall",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

/// What to do with files that already exist at a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum FileExists {
    /// Fail the deployment.
    #[default]
    Disallow,
    /// Replace them.
    Overwrite,
    /// Keep them and skip the copy.
    Retain,
}

/// One `files` entry.
#[derive(Clone, Debug)]
pub(crate) struct FileMapping {
    pub(crate) source: String,
    pub(crate) destination: String,
}

/// One `permissions` entry.
#[derive(Clone, Debug, Default)]
pub(crate) struct Permission {
    pub(crate) object: String,
    pub(crate) pattern: Option<String>,
    pub(crate) except: Vec<String>,
    pub(crate) owner: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) mode: Option<u32>,
    /// `file` and/or `directory`; empty means both.
    pub(crate) types: Vec<String>,
}

/// One hook script.
#[derive(Clone, Debug)]
pub(crate) struct HookScript {
    pub(crate) location: String,
    pub(crate) timeout_seconds: u64,
    pub(crate) runas: Option<String>,
}

/// A parsed appspec.
#[derive(Clone, Debug, Default)]
pub(crate) struct AppSpec {
    pub(crate) files: Vec<FileMapping>,
    pub(crate) file_exists: FileExists,
    pub(crate) permissions: Vec<Permission>,
    /// Event → scripts, for the events in [`EVENTS`] (others are accepted and ignored).
    pub(crate) hooks: Vec<(String, Vec<HookScript>)>,
}

impl AppSpec {
    /// The scripts of `event` (none when absent).
    pub(crate) fn scripts(&self, event: &str) -> &[HookScript] {
        self.hooks
            .iter()
            .find(|(name, _)| name == event)
            .map_or(&[], |(_, scripts)| scripts.as_slice())
    }
}

/// Parses appspec text; the error is a readable reason.
pub(crate) fn parse(text: &str) -> Result<AppSpec, String> {
    if text.trim().is_empty() {
        return Err("the application specification file was empty".to_owned());
    }
    let document: Value = serde_yaml_ng::from_str(text).map_err(|error| error.to_string())?;
    match document.get("version") {
        Some(Value::Number(number)) if number.as_f64() == Some(0.0) => {}
        other => {
            return Err(format!(
                "invalid version value ({})",
                other.map(scalar).unwrap_or_default()
            ))
        }
    }
    match document.get("os").map(scalar).as_deref() {
        Some("linux") => {}
        other => {
            return Err(format!(
                "unsupported os `{}` (a local run stands for a Linux instance)",
                other.unwrap_or_default()
            ))
        }
    }
    let file_exists = match document.get("file_exists_behavior").map(scalar).as_deref() {
        None | Some("DISALLOW") => FileExists::Disallow,
        Some("OVERWRITE") => FileExists::Overwrite,
        Some("RETAIN") => FileExists::Retain,
        Some(other) => return Err(format!("invalid file_exists_behavior `{other}`")),
    };
    let mut spec = AppSpec {
        file_exists,
        ..AppSpec::default()
    };
    for entry in sequence(document.get("files")) {
        let source = entry.get("source").map(scalar).unwrap_or_default();
        let destination = entry.get("destination").map(scalar).unwrap_or_default();
        if source.is_empty() || destination.is_empty() {
            return Err("a files entry lacks its source or destination".to_owned());
        }
        if !destination.starts_with('/') {
            return Err(format!(
                "files destination `{destination}` is not an absolute path"
            ));
        }
        spec.files.push(FileMapping {
            source,
            destination,
        });
    }
    for entry in sequence(document.get("permissions")) {
        let object = entry.get("object").map(scalar).unwrap_or_default();
        if object.is_empty() {
            return Err("a permissions entry lacks its object".to_owned());
        }
        let mode = match entry.get("mode") {
            None | Some(Value::Null) => None,
            Some(value) => Some(parse_mode(&scalar(value))?),
        };
        let types = sequence(entry.get("type"))
            .iter()
            .map(scalar)
            .collect::<Vec<_>>();
        if let Some(bad) = types
            .iter()
            .find(|kind| !matches!(kind.as_str(), "file" | "directory"))
        {
            return Err(format!(
                "permission type `{bad}` is neither `file` nor `directory`"
            ));
        }
        if spec
            .permissions
            .iter()
            .any(|existing: &Permission| existing.object == object)
        {
            return Err(format!("permissions list the object `{object}` twice"));
        }
        spec.permissions.push(Permission {
            object,
            pattern: entry
                .get("pattern")
                .map(scalar)
                .filter(|pattern| !pattern.is_empty()),
            except: sequence(entry.get("except")).iter().map(scalar).collect(),
            owner: entry
                .get("owner")
                .map(scalar)
                .filter(|owner| !owner.is_empty()),
            group: entry
                .get("group")
                .map(scalar)
                .filter(|group| !group.is_empty()),
            mode,
            types,
        });
    }
    if let Some(Value::Mapping(hooks)) = document.get("hooks") {
        for (event, scripts) in hooks {
            let event = scalar(event);
            if !KNOWN_EVENTS.contains(&event.as_str()) {
                return Err(format!(
                    "the file contains an unknown lifecycle event `{event}`"
                ));
            }
            let mut parsed = Vec::new();
            for script in sequence(Some(scripts)) {
                let location = script.get("location").map(scalar).unwrap_or_default();
                if location.is_empty() {
                    return Err(format!("a script of `{event}` has no location"));
                }
                let timeout_seconds = match script.get("timeout") {
                    None | Some(Value::Null) => 3600,
                    Some(value) => scalar(value)
                        .trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|seconds| *seconds > 0)
                        .ok_or_else(|| {
                            format!("script `{location}` of `{event}` has an invalid timeout")
                        })?,
                };
                parsed.push(HookScript {
                    location,
                    timeout_seconds,
                    runas: script
                        .get("runas")
                        .map(scalar)
                        .filter(|user| !user.is_empty()),
                });
            }
            spec.hooks.push((event, parsed));
        }
    }
    Ok(spec)
}

/// An octal mode of 1–4 digits 0–7.
fn parse_mode(text: &str) -> Result<u32, String> {
    if text.is_empty() || text.len() > 4 || !text.chars().all(|digit| ('0'..='7').contains(&digit))
    {
        return Err(format!("invalid mode `{text}`"));
    }
    u32::from_str_radix(text, 8).map_err(|error| error.to_string())
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        _ => String::new(),
    }
}

fn sequence(value: Option<&Value>) -> Vec<Value> {
    match value {
        Some(Value::Sequence(items)) => items.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_appspec() {
        let text = "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /srv/app\nfile_exists_behavior: OVERWRITE\npermissions:\n  - object: /srv/app\n    mode: \"0750\"\n    type: [file]\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 30\n";
        let spec = parse(text).unwrap_or_default();
        assert_eq!(spec.files.len(), 1);
        assert_eq!(spec.file_exists, FileExists::Overwrite);
        assert_eq!(spec.permissions[0].mode, Some(0o750));
        assert_eq!(spec.scripts("ApplicationStart")[0].timeout_seconds, 30);
        assert!(spec.scripts("BeforeInstall").is_empty());
    }

    #[test]
    fn agent_rejections() {
        assert!(parse("").is_err());
        assert!(parse("version: '0.0'\nos: linux\n").is_err());
        assert!(parse("version: 0.0\nos: linux\nhooks:\n  Start: []\n").is_err());
        assert!(
            parse("version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - timeout: 5\n").is_err()
        );
        assert!(
            parse("version: 0.0\nos: linux\npermissions:\n  - object: /x\n    mode: u+x\n")
                .is_err()
        );
    }
}
