//! The flags every AWS verb takes (AWS CLI conventions) and the program they name: the `.pipe`
//! file compiled in memory into a [`DeployRequest`] ([`prepare`]).

use std::path::PathBuf;

use pipec_deploy::{AwsOptions, DeployRequest, Manifest};
use pipec_diagnostics::{Code, Diagnostic};
use termcolor::ColorChoice;

use crate::compile::{compile, Built};
use crate::output::{self, Format, EXIT_ERRORS};

/// `--format` of the deploy verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DeployFormat {
    /// Text for people: the plan diff, progress lines, summaries.
    Human,
    /// One JSON document on stdout (progress and diagnostics still go to stderr).
    Json,
}

/// The flags every deploy verb takes.
#[derive(Debug, clap::Args)]
pub(crate) struct CommonArgs {
    /// The `.pipe` file.
    pub(crate) file: PathBuf,
    /// A named profile of the AWS shared config files.
    #[arg(long, env = "AWS_PROFILE")]
    pub(crate) profile: Option<String>,
    /// The AWS region (overrides the profile's and `AWS_REGION`).
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// Send AWS calls to this endpoint (an emulator or a private endpoint).
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// The stack (default: the manifest's, from the project and `env`).
    #[arg(long, value_name = "NAME")]
    pub(crate) stack_name: Option<String>,
    /// Override a `param`: `--var env=prod` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = output::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DeployFormat::Human)]
    pub(crate) format: DeployFormat,
}

/// A compiled program ready to deploy.
pub(crate) struct Prepared {
    pub(crate) built: Built,
    pub(crate) request: DeployRequest,
}

/// Compiles `args.file` in memory and builds the request; prints compile diagnostics (always
/// human, on stderr, so stdout stays one JSON document with `--format json`).
pub(crate) fn prepare(args: &CommonArgs, color: ColorChoice) -> Result<Prepared, u8> {
    let built = compile(&args.file, &args.vars, Format::Human, color, false)?;
    let file_text = |path: &str| {
        built
            .artifacts
            .file(path)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .ok_or_else(|| {
                Diagnostic::error(Code::IO_ERROR, format!("the build produced no `{path}`"))
                    .help("this is a bug in pipec; please report it with the `.pipe` file")
            })
    };
    let texts = file_text("template.json")
        .and_then(|template| file_text("manifest.json").map(|manifest| (template, manifest)));
    let (template, manifest_text) = match texts {
        Ok(texts) => texts,
        Err(diagnostic) => {
            output::print_plain(&diagnostic, Format::Human, color);
            return Err(EXIT_ERRORS);
        }
    };
    let manifest = match Manifest::from_json(&manifest_text) {
        Ok(manifest) => manifest,
        Err(diagnostics) => {
            output::print_diagnostics(&built.checked.db, &diagnostics, Format::Human, color);
            return Err(EXIT_ERRORS);
        }
    };
    let mut request = DeployRequest::new(template, manifest);
    if let Some(stack_name) = &args.stack_name {
        request.stack_name.clone_from(stack_name);
    }
    Ok(Prepared { built, request })
}

/// The AWS client options of the flags.
pub(crate) fn aws_options(args: &CommonArgs) -> AwsOptions {
    AwsOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
        max_attempts: None,
    }
}

/// Whether stdout JSON was asked for.
pub(crate) fn json(format: DeployFormat) -> bool {
    format == DeployFormat::Json
}
