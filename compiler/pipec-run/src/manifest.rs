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

/// One deploy: what every target has, and the target by its `kind`. A kind this version
/// does not know makes the manifest invalid (P7007) rather than being run as another target.
#[derive(Clone, Debug, Deserialize)]
pub struct DeployEntry {
    /// The build whose output it deploys.
    #[serde(default)]
    pub from: String,
    /// `file:line` of its block.
    #[serde(default)]
    pub source: String,
    /// Where it goes, with what only that target has.
    #[serde(flatten)]
    pub target: DeployTarget,
}

/// Where a deploy goes (`kind` in the manifest).
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DeployTarget {
    /// `ec2`: CodeDeploy's lifecycle on the instances chosen by tags.
    Ec2(Ec2Entry),
    /// `s3`: a copy of the build output into a site bucket.
    S3(S3Entry),
}

/// An EC2 deploy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Ec2Entry {
    /// The revision layout directory.
    pub dir: Option<String>,
    /// The CodeDeploy application name.
    pub application: Option<String>,
    /// The deployment group name.
    pub deployment_group: Option<String>,
    /// Hooks in lifecycle order.
    pub hooks: Vec<HookEntry>,
    /// The program's instances it selects, with the software they install.
    pub instances: Vec<InstanceEntry>,
}

/// An S3 deploy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct S3Entry {
    /// The site bucket's logical id.
    pub bucket: Option<String>,
    /// Key prefix.
    pub prefix: Option<String>,
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
        let DeployTarget::Ec2(ec2) = &self.deploys.get(deploy)?.target else {
            return None;
        };
        ec2.hooks
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
        assert!(matches!(
            manifest.deploys["web"].target,
            DeployTarget::Ec2(_)
        ));
        assert_eq!(
            manifest
                .hook("web", "BeforeInstall", "./s.sh")
                .map(|hook| hook.source.as_str()),
            Some("p.pipe:4")
        );
    }

    #[test]
    fn each_deploy_kind_reads_its_own_fields_and_an_unknown_kind_is_an_error() {
        let text = r#"{"deploys": {"site": {"kind": "s3", "from": "app", "bucket": "SiteDocsBucket", "prefix": "v1", "hooks": []}}}"#;
        let manifest: Manifest = serde_json::from_str(text).expect("an s3 deploy");
        let DeployTarget::S3(s3) = &manifest.deploys["site"].target else {
            panic!("read as {:?}", manifest.deploys["site"].target);
        };
        assert_eq!(s3.bucket.as_deref(), Some("SiteDocsBucket"));
        assert_eq!(manifest.deploys["site"].from, "app");
        let text = r#"{"deploys": {"fn": {"kind": "lambda", "from": "app"}}}"#;
        assert!(serde_json::from_str::<Manifest>(text).is_err());
        let text = r#"{"deploys": {"web": {"from": "app"}}}"#;
        assert!(serde_json::from_str::<Manifest>(text).is_err());
    }
}
