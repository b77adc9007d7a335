//! The parts of `manifest.json` (docs/build-output.md, format 1) that a local run needs, read
//! tolerantly: unknown fields are ignored, optional ones default. This module only parses; it
//! does not decide what to run.

use std::collections::BTreeMap;
use std::path::Path;

use pipec_diagnostics::{Code, Diagnostic};
use serde::Deserialize;

/// The manifest, reduced to what `pipec run --local` uses.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Manifest {
    /// Layout version (1).
    pub format: u32,
    /// The `.pipe` file as given to `pipec build`.
    pub input: String,
    /// The default stack name; used to name local builds.
    pub stack_name: String,
    /// Pipelines by name.
    pub pipelines: BTreeMap<String, PipelineEntry>,
    /// Builds by name.
    pub builds: BTreeMap<String, BuildEntry>,
    /// Deploys by name.
    pub deploys: BTreeMap<String, DeployEntry>,
}

/// One pipeline.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PipelineEntry {
    /// The CodePipeline name.
    pub name: String,
    /// `file:line` of its block.
    pub source: String,
    /// Stages in order.
    pub stages: Vec<StageEntry>,
}

/// One pipeline stage.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct StageEntry {
    /// Stage name.
    pub name: String,
    /// Its actions.
    pub actions: Vec<ActionEntry>,
}

/// One pipeline action.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionEntry {
    /// `source`, `build` or `deploy`.
    pub kind: String,
    /// The block it runs, e.g. `build.app`.
    pub block: String,
    /// For sources: the branch.
    pub branch: Option<String>,
}

/// One build (a CodeBuild project).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct BuildEntry {
    /// Path of the buildspec, relative to the output directory.
    pub buildspec: String,
    /// The CodeBuild image.
    pub image: String,
    /// Build timeout.
    pub timeout_minutes: Option<u64>,
    /// The project's environment variables, in order.
    pub environment: Vec<EnvironmentEntry>,
    /// `file:line` of its block.
    pub source: String,
}

/// One project environment variable.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct EnvironmentEntry {
    /// Variable name.
    pub name: String,
    /// `PLAINTEXT`, `PARAMETER_STORE` or `SECRETS_MANAGER`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The value, parameter name or secret id.
    pub value: String,
}

/// One deploy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeployEntry {
    /// `ec2` or `s3`.
    pub kind: String,
    /// The build whose output it deploys.
    pub from: String,
    /// EC2: the revision layout directory.
    pub dir: Option<String>,
    /// EC2: the CodeDeploy application name.
    pub application: Option<String>,
    /// EC2: the deployment group name.
    pub deployment_group: Option<String>,
    /// EC2: hooks in lifecycle order.
    pub hooks: Vec<HookEntry>,
    /// EC2: the program's instances it selects, with the software they install.
    pub instances: Vec<InstanceEntry>,
    /// `file:line` of its block.
    pub source: String,
}

/// An instance an EC2 deploy selects.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct InstanceEntry {
    /// The instance block's name.
    pub name: String,
    /// `amazon_linux` or `ubuntu`.
    pub os: String,
    /// Whether it runs the CodeDeploy agent (and so has UserData that installs software).
    pub agent: bool,
    /// What its UserData installs (names of `pipec_ir::software::CATALOG`).
    pub software: Vec<String>,
    /// `file:line` of its block.
    pub source: String,
}

/// One hook of an EC2 deploy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HookEntry {
    /// CodeDeploy event name, e.g. `BeforeInstall`.
    pub event: String,
    /// The hook's name in the `.pipe` file.
    pub name: String,
    /// Script path relative to the revision root.
    pub script: String,
    /// Timeout in seconds.
    pub timeout: Option<u64>,
    /// `file:line` of the hook's declaration.
    pub source: String,
}

impl Manifest {
    /// Reads and parses `DIR/manifest.json`.
    ///
    /// # Errors
    /// `P7007` when the file is missing or not a manifest.
    pub fn load(output_dir: &Path) -> Result<Manifest, Diagnostic> {
        let path = output_dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|error| {
            Diagnostic::error(
                Code::RUN_INVALID_BUILD_OUTPUT,
                format!("cannot read `{}`", path.display()),
            )
            .note(error.to_string())
            .help("Run `pipec build FILE -o DIR` first, and pass that DIR.")
        })?;
        serde_json::from_str(&text).map_err(|error| {
            Diagnostic::error(
                Code::RUN_INVALID_BUILD_OUTPUT,
                format!("`{}` is not a pipec manifest", path.display()),
            )
            .note(error.to_string())
        })
    }

    /// The hook entry declaring `script` for `event`, if the manifest lists it.
    #[must_use]
    pub fn hook(&self, deploy: &str, event: &str, script: &str) -> Option<&HookEntry> {
        let wanted = script.trim_start_matches("./");
        self.deploys
            .get(deploy)?
            .hooks
            .iter()
            .find(|hook| hook.event == event && hook.script.trim_start_matches("./") == wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_ignored() {
        let text = r#"{"format": 1, "future": true, "builds": {"app": {"buildspec": "b.yml", "x": 1}},
            "deploys": {"web": {"kind": "ec2", "from": "app", "hooks": [{"event": "BeforeInstall", "script": "s.sh", "source": "p.pipe:4", "runas": null}]}}}"#;
        let manifest: Manifest = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(manifest.builds["app"].buildspec, "b.yml");
        assert_eq!(
            manifest
                .hook("web", "BeforeInstall", "./s.sh")
                .map(|hook| hook.source.as_str()),
            Some("p.pipe:4")
        );
    }
}
