//! `pipec-deploy`: `pipec plan`, `apply`, `destroy` and `outputs` through CloudFormation change
//! sets. This is the only crate that uses the AWS SDK, and it never prints: every function
//! returns data (plans, reports, [`Diagnostic`]s with `P6xxx` codes) and emits
//! [`ProgressEvent`]s through a [`ProgressSink`]; the CLI renders them.
//!
//! # Use
//!
//! ```no_run
//! # async fn demo(template: String, manifest_text: &str) -> Result<(), Vec<pipec_diagnostics::Diagnostic>> {
//! use pipec_deploy::*;
//! let api = client_from_options(&AwsOptions { region: Some("eu-west-1".into()), ..AwsOptions::default() }).await?;
//! let manifest = Manifest::from_json(manifest_text)?;
//! let request = DeployRequest::new(template, manifest);
//! let plan = plan(&api, &request, &NoProgress).await?;
//! let text = render_plan(&plan, RenderOptions::default()); // `+` add, `~` modify, `-` remove, `-/+` replace
//! let exit = plan.exit();                                    // --detailed-exitcode: 0 / 2 (errors: 1)
//! let report = apply(&api, &request, &NonInteractive, &NoProgress).await?; // needs options.yes
//! # let _ = (text, exit, report); Ok(()) }
//! ```
//!
//! - [`plan`]: CREATE or UPDATE change set with the manifest's capabilities, all pages with
//!   property values, a [`Plan`] (IAM first, grouped by `.pipe` block, data loss flagged),
//!   "no changes" recognised; the change set (and a new stack's placeholder) deleted unless kept.
//! - [`apply`]: plan, refuse data loss unless `allow_data_loss`, confirm through a [`Confirmer`]
//!   (no terminal and no `yes`: `P6016`), execute with a client token, follow with backoff until
//!   the stack settles; an [`ApplyReport`] with outputs, time, or failures at their `.pipe` lines.
//! - [`apply_change_set`]: `apply --change-set ID` executes exactly a change set kept by
//!   `plan --keep`, after checking it belongs to the stack, is executable and was made from the
//!   template compiled now (`P6020`, `P6021`); then as [`apply`].
//! - [`destroy`], [`outputs`]: delete and follow, listing what is retained; read outputs.
//! - Stack states: waits for (or with `no_wait` refuses) running operations; `ROLLBACK_COMPLETE`
//!   is recreated with `replace_failed`; `UPDATE_ROLLBACK_FAILED` is explained;
//!   `REVIEW_IN_PROGRESS` is planned as a new stack with a warning.
//! - [`check_network`]: before planning, an `instance` without `subnet` needs the region's
//!   default VPC; asked through [`Ec2Api`](api::Ec2Api) (`DescribeVpcs`), `P6033` at the
//!   instance's line when there is none, a `P6034` warning when EC2 cannot be asked.
//! - [`CancelFlag`]: the CLI's Ctrl-C handler sets it; following stops and reports `Detached`.
//! - [`operate`]: `pipec release`, `status` and `logs` through
//!   [`OperateApi`](operate::api::OperateApi) (CodePipeline, CodeBuild, CodeDeploy, CloudWatch
//!   Logs): [`operate::SdkOperate`] for AWS, a scripted fake under `cfg(test)` or the `fake`
//!   feature; failures come back as diagnostics located at their `.pipe` lines.
//! - [`CloudFormationApi`](api::CloudFormationApi) is the seam: [`SdkClient`] for AWS (or an
//!   emulator through `endpoint_url`), `fake::FakeCloudFormation` for fault tests (compiled only
//!   under `cfg(test)` or with the `fake` feature, like the operate fake).
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod api;
mod apply;
mod change_set;
mod destroy;
mod diff;
mod ec2;
mod errors;
mod events;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
mod located;
mod manifest;
mod network;
pub mod operate;
mod options;
mod plan;
mod progress;
mod render;
mod reviewed;
pub(crate) mod sdk;
mod stack;
mod tokens;

pub use apply::{apply, ApplyOutcome, ApplyReport, ResourceFailure};
pub use change_set::plan;
pub use destroy::{
    destroy, outputs, DestroyOutcome, DestroyReport, OutputEntry, OutputsReport, RetainedResource,
};
pub use errors::{api_diagnostic, classify};
pub use events::{is_in_progress, ProgressEvent};
pub use located::Located;
pub use manifest::{
    parse_source, source_location, Manifest, ManifestAction, ManifestBuild, ManifestDeploy,
    ManifestHook, ManifestOutput, ManifestPipeline, ManifestResource, ManifestStage, TemplateEntry,
    MANIFEST_FORMAT,
};
pub use network::{check_network, instances_without_subnet, NetworkCheck};
pub use options::{
    Answer, CancelFlag, CollectProgress, ConfirmSubject, Confirmer, DeployOptions, DeployRequest,
    NoProgress, NonInteractive, PollPolicy, ProgressSink, EXIT_INTERRUPTED,
};
pub use pipec_diagnostics::Diagnostic;
pub use plan::{
    ChangeAction, Plan, PlanExit, PlanKind, PropertyChange, ResourceChange,
    MAX_INLINE_TEMPLATE_BYTES,
};
pub use render::{
    render_apply, render_destroy, render_event, render_outputs, render_plan, RenderOptions,
};
pub use reviewed::apply_change_set;
pub use sdk::{client_from_options, AwsOptions, SdkClient};
