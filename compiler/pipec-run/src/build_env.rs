//! The environment of a build: the env file for secrets, the precedence of variables, and
//! CodeBuild's built-in variables. Values are passed to the shell through its environment,
//! never through shell text.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use pipec_diagnostics::{Code, Diagnostic};

use crate::buildspec::Buildspec;
use crate::context::uuid_from;
use crate::manifest::BuildEntry;
use crate::shell::is_variable_name;

/// Values from `--env-file`: `KEY=VALUE` lines.
pub(crate) type Secrets = BTreeMap<String, String>;

/// Reads the env file: `KEY=VALUE` per line, `#` comments and blank lines ignored, an optional
/// `export ` prefix, and one pair of matching outer quotes removed from the value.
pub(crate) fn read_env_file(path: Option<&Path>) -> Result<Secrets, Diagnostic> {
    let secrets = Secrets::new();
    let Some(path) = path else {
        return Ok(secrets);
    };
    let text = std::fs::read_to_string(path).map_err(|error| {
        Diagnostic::error(
            Code::RUN_UNRESOLVED_SECRET,
            format!("cannot read the env file `{}`", path.display()),
        )
        .note(error.to_string())
    })?;
    Ok(parse_env_file(&text))
}

fn parse_env_file(text: &str) -> Secrets {
    let mut secrets = Secrets::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let unquoted = [('"', '"'), ('\'', '\'')]
            .iter()
            .find_map(|(open, close)| {
                value
                    .strip_prefix(*open)
                    .and_then(|rest| rest.strip_suffix(*close))
            })
            .unwrap_or(value);
        secrets.insert(key.trim().to_owned(), unquoted.to_owned());
    }
    secrets
}

/// What CodeBuild itself sets.
pub(crate) struct Builtins<'a> {
    pub(crate) project: &'a str,
    pub(crate) build_number: u64,
    pub(crate) src_dir: &'a Path,
    pub(crate) resolved_version: &'a str,
    pub(crate) initiator: String,
    pub(crate) region: &'a str,
}

/// The full environment of the build shell.
pub(crate) fn environment(
    spec: &Buildspec,
    entry: &BuildEntry,
    secrets: &Secrets,
    builtins: &Builtins<'_>,
) -> Result<Vec<(String, String)>, Diagnostic> {
    let mut env: BTreeMap<String, String> = std::env::vars().collect();
    let mut missing: Vec<String> = Vec::new();
    let mut bad_names: Vec<String> = Vec::new();
    let mut set = |env: &mut BTreeMap<String, String>, name: &str, value: String| {
        if is_variable_name(name) {
            env.insert(name.to_owned(), value);
        } else {
            bad_names.push(name.to_owned());
        }
    };
    let mut resolve = |name: &str, reference: &str| -> Option<String> {
        let value = secrets
            .get(name)
            .or_else(|| secrets.get(reference))
            .cloned();
        if value.is_none() {
            missing.push(format!("`{name}` ({reference})"));
        }
        value
    };
    // Lowest precedence first.
    for (name, value) in &spec.variables {
        set(&mut env, name, value.clone());
    }
    for (name, reference) in spec.parameter_store.iter().chain(&spec.secrets_manager) {
        if let Some(value) = resolve(name, reference) {
            set(&mut env, name, value);
        }
    }
    for variable in &entry.environment {
        match variable.kind.as_str() {
            "PARAMETER_STORE" | "SECRETS_MANAGER" => {
                if let Some(value) = resolve(&variable.name, &variable.value) {
                    set(&mut env, &variable.name, value);
                }
            }
            _ => set(&mut env, &variable.name, variable.value.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(Diagnostic::error(Code::RUN_UNRESOLVED_SECRET, format!("no local value for {}", missing.join(", ")))
            .note("These variables come from SSM Parameter Store or Secrets Manager, which a local run does not call.")
            .help("Pass `--env-file FILE` with a `NAME=VALUE` line for each of them."));
    }
    if !bad_names.is_empty() {
        return Err(Diagnostic::error(
            Code::RUN_INVALID_BUILD_OUTPUT,
            format!(
                "invalid environment variable name(s): {}",
                bad_names.join(", ")
            ),
        ));
    }
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_millis())
        .unwrap_or_default();
    let build_id = format!(
        "{}:{}",
        builtins.project,
        uuid_from(&format!(
            "{}/{}/{started}",
            builtins.project, builtins.build_number
        ))
    );
    let mut set_builtin = |name: &str, value: String| {
        env.insert(name.to_owned(), value);
    };
    set_builtin(
        "CODEBUILD_SRC_DIR",
        builtins.src_dir.to_string_lossy().into_owned(),
    );
    set_builtin(
        "CODEBUILD_BUILD_ARN",
        format!(
            "arn:aws:codebuild:{}:000000000000:build/{build_id}",
            builtins.region
        ),
    );
    set_builtin("CODEBUILD_BUILD_ID", build_id);
    set_builtin("CODEBUILD_BUILD_NUMBER", builtins.build_number.to_string());
    set_builtin(
        "CODEBUILD_RESOLVED_SOURCE_VERSION",
        builtins.resolved_version.to_owned(),
    );
    set_builtin(
        "CODEBUILD_SOURCE_VERSION",
        builtins.resolved_version.to_owned(),
    );
    set_builtin("CODEBUILD_BUILD_SUCCEEDING", "1".to_owned());
    set_builtin("CODEBUILD_INITIATOR", builtins.initiator.clone());
    set_builtin("CODEBUILD_BUILD_IMAGE", entry.image.clone());
    set_builtin("CODEBUILD_START_TIME", started.to_string());
    set_builtin("AWS_REGION", builtins.region.to_owned());
    set_builtin("AWS_DEFAULT_REGION", builtins.region.to_owned());
    set_builtin("PIPEC_LOCAL_RUN", "1".to_owned());
    Ok(env.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_lines() {
        let secrets = parse_env_file(
            "# comment\n\nA=1\nexport B = \"two words\"\n/fe/token='x=y'\nnot a pair\n",
        );
        assert_eq!(secrets.get("A").map(String::as_str), Some("1"));
        assert_eq!(secrets.get("B").map(String::as_str), Some("two words"));
        assert_eq!(secrets.get("/fe/token").map(String::as_str), Some("x=y"));
        assert_eq!(secrets.len(), 3);
    }
}
