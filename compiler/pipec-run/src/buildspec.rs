//! Reads a generated `buildspec.yml` (version 0.2) into the parts a local run executes: the
//! `env` maps, the four phases with their `commands`, `finally`, `on-failure` and
//! `runtime-versions`, and `artifacts`. Parsing goes through `serde_yaml_ng::Value`, so unknown
//! keys are ignored and YAML 1.1 spellings (`yes`/`no`) are accepted where booleans are expected.

use serde_yaml_ng::Value;

/// The phases, in CodeBuild's order.
pub(crate) const PHASES: [&str; 4] = ["install", "pre_build", "build", "post_build"];

/// What to do when a command of a phase fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnFailure {
    /// Follow CodeBuild's transitions (the default).
    Abort,
    /// Go on with the next phase.
    Continue,
}

/// One phase.
#[derive(Clone, Debug)]
pub(crate) struct Phase {
    /// `install`, `pre_build`, `build` or `post_build`.
    pub(crate) name: &'static str,
    pub(crate) commands: Vec<String>,
    pub(crate) finally: Vec<String>,
    pub(crate) on_failure: OnFailure,
    /// `runtime-versions` (install only): runtime → version.
    pub(crate) runtime_versions: Vec<(String, String)>,
}

/// The `artifacts` section.
#[derive(Clone, Debug, Default)]
pub(crate) struct ArtifactSpec {
    pub(crate) files: Vec<String>,
    pub(crate) base_directory: Option<String>,
    pub(crate) discard_paths: bool,
    pub(crate) exclude_paths: Vec<String>,
}

/// A parsed buildspec.
#[derive(Clone, Debug, Default)]
pub(crate) struct Buildspec {
    /// `env.variables`.
    pub(crate) variables: Vec<(String, String)>,
    /// `env.parameter-store`: variable → parameter name.
    pub(crate) parameter_store: Vec<(String, String)>,
    /// `env.secrets-manager`: variable → secret reference.
    pub(crate) secrets_manager: Vec<(String, String)>,
    /// `env.shell`, when given.
    pub(crate) shell: Option<String>,
    /// Present phases, in order.
    pub(crate) phases: Vec<Phase>,
    pub(crate) artifacts: Option<ArtifactSpec>,
}

/// Parses buildspec text; the error is a readable reason.
pub(crate) fn parse(text: &str) -> Result<Buildspec, String> {
    let document: Value = serde_yaml_ng::from_str(text).map_err(|error| error.to_string())?;
    if !document.is_mapping() {
        return Err("the buildspec is not a YAML mapping".to_owned());
    }
    let version = document.get("version").map(scalar).unwrap_or_default();
    if version != "0.2" {
        return Err(format!(
            "unsupported buildspec version `{version}` (expected 0.2)"
        ));
    }
    let env = document.get("env");
    let mut buildspec = Buildspec {
        variables: pairs(env.and_then(|env| env.get("variables"))),
        parameter_store: pairs(env.and_then(|env| env.get("parameter-store"))),
        secrets_manager: pairs(env.and_then(|env| env.get("secrets-manager"))),
        shell: env.and_then(|env| env.get("shell")).map(scalar),
        ..Buildspec::default()
    };
    let phases = document.get("phases");
    for name in PHASES {
        let Some(phase) = phases.and_then(|phases| phases.get(name)) else {
            continue;
        };
        let on_failure = match phase.get("on-failure").map(scalar).as_deref() {
            None | Some("ABORT") => OnFailure::Abort,
            Some("CONTINUE") => OnFailure::Continue,
            Some(other) => {
                return Err(format!(
                    "phase `{name}`: unknown on-failure `{other}` (expected ABORT or CONTINUE)"
                ))
            }
        };
        buildspec.phases.push(Phase {
            name,
            commands: strings(phase.get("commands")),
            finally: strings(phase.get("finally")),
            on_failure,
            runtime_versions: pairs(phase.get("runtime-versions")),
        });
    }
    if let Some(artifacts) = document.get("artifacts") {
        buildspec.artifacts = Some(ArtifactSpec {
            files: strings(artifacts.get("files")),
            base_directory: artifacts
                .get("base-directory")
                .map(scalar)
                .filter(|base| !base.is_empty()),
            discard_paths: artifacts.get("discard-paths").is_some_and(truthy),
            exclude_paths: strings(artifacts.get("exclude-paths")),
        });
    }
    Ok(buildspec)
}

/// A scalar as text (numbers as written, booleans as `true`/`false`).
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        _ => String::new(),
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::String(text) => matches!(text.to_ascii_lowercase().as_str(), "yes" | "true" | "on"),
        _ => false,
    }
}

/// A list of scalars, or one scalar as a list of one.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().map(scalar).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![scalar(other)],
    }
}

/// A mapping of scalars, in document order.
fn pairs(value: Option<&Value>) -> Vec<(String, String)> {
    match value {
        Some(Value::Mapping(map)) => map
            .iter()
            .map(|(key, value)| (scalar(key), scalar(value)))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_phases_env_and_artifacts() {
        let text = "version: 0.2\nenv:\n  variables:\n    A: '1'\n    B: 2\n  parameter-store:\n    TOKEN: /x/token\nphases:\n  build:\n    on-failure: CONTINUE\n    commands:\n      - echo hi\n    finally:\n      - echo bye\n  install:\n    runtime-versions:\n      nodejs: 20\n    commands: [true]\nartifacts:\n  files:\n    - '**/*'\n  discard-paths: yes\n  base-directory: dist\n";
        let spec = parse(text).unwrap_or_default();
        assert_eq!(
            spec.variables,
            vec![("A".into(), "1".into()), ("B".into(), "2".into())]
        );
        assert_eq!(
            spec.parameter_store,
            vec![("TOKEN".into(), "/x/token".into())]
        );
        let names: Vec<_> = spec.phases.iter().map(|phase| phase.name).collect();
        assert_eq!(names, ["install", "build"]);
        assert_eq!(spec.phases[1].on_failure, OnFailure::Continue);
        assert_eq!(spec.phases[1].finally, ["echo bye"]);
        assert_eq!(
            spec.phases[0].runtime_versions,
            vec![("nodejs".into(), "20".into())]
        );
        let artifacts = spec.artifacts.unwrap_or_default();
        assert!(artifacts.discard_paths);
        assert_eq!(artifacts.base_directory.as_deref(), Some("dist"));
    }

    #[test]
    fn rejects_other_versions_and_bad_on_failure() {
        assert!(parse("version: 0.1\nphases: {}\n").is_err());
        assert!(parse(
            "version: 0.2\nphases:\n  build:\n    on-failure: RETRY\n    commands: [x]\n"
        )
        .is_err());
    }
}
