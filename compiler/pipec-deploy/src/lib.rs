//! Deploys pipec's build output through CloudFormation change sets.
#![warn(missing_docs)]

pub mod api;
mod errors;
mod manifest;
mod options;
mod plan;
mod progress;
mod sdk;
mod tokens;

pub use errors::{api_diagnostic, classify};
pub use manifest::{parse_source, source_location, Manifest, ManifestOutput, ManifestResource, TemplateEntry, MANIFEST_FORMAT};
pub use options::*;
pub use plan::*;
pub use progress::{is_in_progress, ProgressEvent};
pub use sdk::{client_from_options, AwsOptions, SdkClient};
