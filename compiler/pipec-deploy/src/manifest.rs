//! The read-only view of `manifest.json` (build output format 1) that deploy needs: the stack
//! name, the capabilities, and for every logical id its `.pipe` block, source line and whether it
//! holds data. Unknown fields are ignored so that additive format changes do not break deploy.

use std::collections::BTreeMap;

use pipec_diagnostics::{Code, Diagnostic};
use serde::Deserialize;

/// The manifest format this crate understands.
pub const MANIFEST_FORMAT: u32 = 1;

/// The parts of `manifest.json` deploy reads.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Format number; must be [`MANIFEST_FORMAT`].
    pub format: u32,
    /// The `.pipe` file the build came from, as given on the command line.
    #[serde(default)]
    pub input: String,
    /// The default stack name.
    #[serde(default)]
    pub stack_name: String,
    /// `CAPABILITY_IAM` / `CAPABILITY_NAMED_IAM` when the template needs them.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// The template file entry.
    #[serde(default)]
    pub template: Option<TemplateEntry>,
    /// Every logical id of the template.
    #[serde(default)]
    pub resources: BTreeMap<String, ManifestResource>,
    /// Stack outputs by their `.pipe` name.
    #[serde(default)]
    pub outputs: BTreeMap<String, ManifestOutput>,
    /// Pipelines by their `.pipe` label.
    #[serde(default)]
    pub pipelines: BTreeMap<String, ManifestPipeline>,
    /// Builds by their `.pipe` label.
    #[serde(default)]
    pub builds: BTreeMap<String, ManifestBuild>,
    /// Deploys by their `.pipe` label.
    #[serde(default)]
    pub deploys: BTreeMap<String, ManifestDeploy>,
}

/// One entry of `manifest.pipelines`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ManifestPipeline {
    /// The template's logical id.
    #[serde(default)]
    pub logical_id: String,
    /// The pipeline's name in AWS.
    #[serde(default)]
    pub name: String,
    /// `file:line` of the block.
    #[serde(default)]
    pub source: String,
    /// Its stages in order.
    #[serde(default)]
    pub stages: Vec<ManifestStage>,
}

/// One stage of a manifest pipeline.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ManifestStage {
    /// The stage name (as in AWS).
    #[serde(default)]
    pub name: String,
    /// Its actions; each is named after its block's label in AWS.
    #[serde(default)]
    pub actions: Vec<ManifestAction>,
}

/// One action of a manifest stage.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ManifestAction {
    /// The block it runs (`repo.app`, `build.app`, `deploy.web`).
    #[serde(default)]
    pub block: String,
    /// `source`, `build`, `deploy`, `approval`, …
    #[serde(default)]
    pub kind: String,
    /// The branch of a source action.
    #[serde(default)]
    pub branch: Option<String>,
}

/// One entry of `manifest.builds`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ManifestBuild {
    /// `file:line` of the block.
    #[serde(default)]
    pub source: String,
}

/// One entry of `manifest.deploys`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ManifestDeploy {
    /// `ec2`, …
    #[serde(default)]
    pub kind: String,
    /// The CodeDeploy application name.
    #[serde(default)]
    pub application: Option<String>,
    /// The CodeDeploy deployment group name.
    #[serde(default)]
    pub deployment_group: Option<String>,
    /// `file:line` of the block.
    #[serde(default)]
    pub source: String,
    /// The lifecycle hooks.
    #[serde(default)]
    pub hooks: Vec<ManifestHook>,
}

/// One hook of a manifest deploy.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ManifestHook {
    /// The lifecycle event.
    #[serde(default)]
    pub event: String,
    /// The hook's name in `.pipe`.
    #[serde(default)]
    pub name: String,
    /// The script's path in the bundle (`scripts/AfterInstall-install.sh`).
    #[serde(default)]
    pub script: String,
    /// `file:line` of the `hook` line.
    #[serde(default)]
    pub source: String,
}

/// `manifest.template`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct TemplateEntry {
    /// Path relative to the build directory.
    #[serde(default)]
    pub path: String,
    /// Size in bytes.
    #[serde(default)]
    pub bytes: u64,
    /// True when the template is over 51,200 bytes and must go through S3.
    #[serde(default)]
    pub needs_upload: bool,
}

/// One entry of `manifest.resources`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ManifestResource {
    /// The CloudFormation resource type.
    #[serde(rename = "type", default)]
    pub resource_type: String,
    /// The `.pipe` block it came from (`repo.app`), empty for shared resources.
    #[serde(default)]
    pub block: String,
    /// `file:line` (1-based) of that block.
    #[serde(default)]
    pub source: String,
    /// True for resources that hold data (repositories, buckets).
    #[serde(default)]
    pub data: bool,
}

/// One entry of `manifest.outputs`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct ManifestOutput {
    /// The template's output logical id.
    #[serde(default)]
    pub logical_id: String,
    /// `file:line` of the declaration.
    #[serde(default)]
    pub source: String,
}

impl Manifest {
    /// Parses `manifest.json` text.
    ///
    /// # Errors
    /// A `P6008` diagnostic (alone in the vector) when the text is not a manifest of a known format.
    pub fn from_json(text: &str) -> Result<Manifest, Vec<Diagnostic>> {
        let manifest: Result<Manifest, Diagnostic> = serde_json::from_str(text).map_err(|error| {
            Diagnostic::new(Code::MANIFEST_INVALID, "the build manifest cannot be read")
                .note(format!("manifest.json: {error}"))
                .help("Run `pipec build` again to regenerate the build directory.")
        });
        let manifest: Manifest = manifest.map_err(|diag| vec![diag])?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(vec![Diagnostic::new(
                Code::MANIFEST_INVALID,
                format!(
                    "the build manifest has format {}, this pipec reads format {MANIFEST_FORMAT}",
                    manifest.format
                ),
            )
            .help("Build with the same pipec version that deploys.")]);
        }
        Ok(manifest)
    }

    /// The manifest entry of a logical id.
    #[must_use]
    pub fn resource(&self, logical_id: &str) -> Option<&ManifestResource> {
        self.resources.get(logical_id)
    }

    /// True when the logical id holds data.
    #[must_use]
    pub fn is_data(&self, logical_id: &str) -> bool {
        self.resource(logical_id)
            .is_some_and(|resource| resource.data)
    }
}

/// The `.pipe` file and 1-based line that declared `logical_id`, from `manifest.resources`.
#[must_use]
pub fn source_location(manifest: &Manifest, logical_id: &str) -> Option<(String, u32)> {
    parse_source(&manifest.resource(logical_id)?.source)
}

/// Splits `file:line` at its last colon; `None` when there is no line number.
#[must_use]
pub fn parse_source(source: &str) -> Option<(String, u32)> {
    let (file, line) = source.rsplit_once(':')?;
    let line: u32 = line.trim().parse().ok()?;
    if file.is_empty() || line == 0 {
        return None;
    }
    Some((file.to_string(), line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_manifest_and_ignores_unknown_fields() {
        let text = r#"{"format":1,"pipec":"0.1.0","stack_name":"s","capabilities":["CAPABILITY_NAMED_IAM"],
            "resources":{"RepoApp":{"type":"AWS::CodeCommit::Repository","block":"repo.app",
            "source":"examples/p.pipe:14","data":true,"extra":1}},"pipelines":{}}"#;
        let manifest = Manifest::from_json(text).unwrap_or_default();
        assert!(manifest.is_data("RepoApp"));
        assert_eq!(
            source_location(&manifest, "RepoApp"),
            Some(("examples/p.pipe".to_string(), 14))
        );
        assert_eq!(source_location(&manifest, "Nope"), None);
    }

    #[test]
    fn rejects_other_formats_and_bad_json() {
        assert!(Manifest::from_json(r#"{"format":2}"#).is_err());
        assert!(Manifest::from_json("{").is_err());
        assert_eq!(
            parse_source("C:\\x\\p.pipe:3"),
            Some(("C:\\x\\p.pipe".to_string(), 3))
        );
        assert_eq!(parse_source("p.pipe"), None);
    }
}
