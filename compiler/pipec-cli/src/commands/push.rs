//! `pipec push FILE [--branch B]`: pushes the current git repository's `HEAD` to the pipeline's
//! CodeCommit repository through the AWS credential chain. With `git-remote-codecommit` on the
//! PATH it pushes to `codecommit::REGION://[PROFILE@]REPO`; otherwise to the HTTPS clone URL with
//! the AWS CLI's credential helper (`aws codecommit credential-helper`), set for this one command
//! only (`git -c`), never written to the user's git config. `--git-url` pushes to any other git
//! URL (a mirror, or a local bare repository in tests) without calling AWS.

use std::path::Path;
use std::process::Command;

use pipec_deploy::{Diagnostic, Manifest};
use pipec_diagnostics::Code;
use termcolor::ColorChoice;

use crate::aws::args::{self, CommonArgs};
use crate::aws::report;
use crate::aws::session::Session;
use crate::output::{EXIT_ERRORS, EXIT_OK};

/// Arguments of `pipec push`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// The branch to push to (default: the branch the pipeline's source action watches).
    #[arg(long)]
    pub(crate) branch: Option<String>,
    /// The `repo` block (its label) when the file declares several.
    #[arg(long, value_name = "NAME")]
    pub(crate) repo: Option<String>,
    /// Push to this git URL instead of the CodeCommit repository (no AWS call).
    #[arg(long, value_name = "URL")]
    pub(crate) git_url: Option<String>,
    /// Print the git command instead of running it.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

fn failed(message: impl Into<String>, help: &str) -> Vec<Diagnostic> {
    vec![Diagnostic::new(Code::PUSH_FAILED, message).help(help.to_string())]
}

/// The `repo` block to push to and the branch its source action watches.
fn pick_repo(
    manifest: &Manifest,
    wanted: Option<&str>,
) -> Result<(String, String), Vec<Diagnostic>> {
    let repos: Vec<(String, String)> = manifest
        .resources
        .iter()
        .filter(|(_, r)| r.resource_type == "AWS::CodeCommit::Repository")
        .map(|(logical, r)| (r.block.clone(), logical.clone()))
        .collect();
    let found = match wanted {
        Some(label) => {
            let block = format!("repo.{}", label.trim_start_matches("repo."));
            repos.iter().find(|(b, _)| *b == block).cloned()
        }
        None if repos.len() == 1 => repos.first().cloned(),
        None => None,
    };
    found.ok_or_else(|| {
        let names: Vec<&str> = repos.iter().map(|(b, _)| b.as_str()).collect();
        failed(
            "no CodeCommit repository to push to",
            &if names.is_empty() {
                "The file declares no `repo` block.".to_string()
            } else {
                format!("Pass `--repo NAME`, one of: {}.", names.join(", "))
            },
        )
    })
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir);
    command
}

/// Pushes; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    match push(args, color) {
        Ok(code) => code,
        Err(diagnostics) => {
            report::print_errors(None, &diagnostics, args.common.format, color);
            EXIT_ERRORS
        }
    }
}

fn push(args: &Args, color: ColorChoice) -> Result<u8, Vec<Diagnostic>> {
    let common: &CommonArgs = &args.common;
    let prepared = args::prepare(common, color).map_err(|_| Vec::new())?;
    let manifest = &prepared.request.manifest;
    let (block, logical) = pick_repo(manifest, args.repo.as_deref())?;
    let branch = args
        .branch
        .clone()
        .unwrap_or_else(|| pipec_deploy::operate::source_branch(manifest, &block));
    let here = std::env::current_dir().map_err(|e| {
        failed(
            format!("no working directory: {e}"),
            "Run from the project's git repository.",
        )
    })?;
    let head = git(&here)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .output();
    match head {
        Err(_) => return Err(failed("git is not installed (or not on the PATH)", "Install git, then run `pipec push FILE` again.")),
        Ok(out) if !out.status.success() => {
            return Err(failed(
                "this directory is not a git repository with a commit",
                "Run `git init`, `git add -A` and `git commit -m \"first commit\"` in the project, then `pipec push FILE`.",
            ))
        }
        Ok(_) => {}
    }
    let mut command = git(&here);
    let url = match &args.git_url {
        Some(url) => url.clone(),
        None => {
            if common.endpoint_url.is_some() {
                return Err(failed(
                    "`--endpoint-url` points at an emulator or private endpoint, which has no git server",
                    "Pass `--git-url URL` to push elsewhere, or leave `--endpoint-url` out.",
                ));
            }
            let session = Session::start(color).map_err(|_| Vec::new())?;
            let client = session.client(common, color).map_err(|_| Vec::new())?;
            let resources = session
                .runtime
                .block_on(
                    pipec_deploy::api::CloudFormationApi::describe_stack_resources(
                        &client,
                        &prepared.request.stack_name,
                    ),
                )
                .map_err(|e| vec![pipec_deploy::api_diagnostic(&e)])?;
            let name = resources
                .iter()
                .find(|r| r.logical_id == logical)
                .and_then(|r| r.physical_id.clone())
                .ok_or_else(|| {
                    failed(
                        format!(
                            "stack `{}` has no repository `{block}`",
                            prepared.request.stack_name
                        ),
                        "Run `pipec apply FILE` first.",
                    )
                })?;
            let region = client.region().to_string();
            if on_path("git-remote-codecommit") {
                match &common.profile {
                    Some(profile) => format!("codecommit::{region}://{profile}@{name}"),
                    None => format!("codecommit::{region}://{name}"),
                }
            } else if on_path("aws") {
                command.args([
                    "-c",
                    "credential.helper=",
                    "-c",
                    "credential.helper=!aws codecommit credential-helper $@",
                    "-c",
                    "credential.UseHttpPath=true",
                ]);
                if let Some(profile) = &common.profile {
                    command.env("AWS_PROFILE", profile);
                }
                format!("https://git-codecommit.{region}.amazonaws.com/v1/repos/{name}")
            } else {
                return Err(failed(
                    format!("neither `git-remote-codecommit` nor the AWS CLI is installed to push to `{name}`"),
                    &format!(
                        "Install one (`pip install git-remote-codecommit`, or the AWS CLI v2), or push by hand to https://git-codecommit.{region}.amazonaws.com/v1/repos/{name} with CodeCommit HTTPS Git credentials of your IAM user."
                    ),
                ));
            }
        }
    };
    let refspec = format!("HEAD:refs/heads/{branch}");
    command.args(["push", &url, &refspec]);
    if args.dry_run {
        println!("git push {url} {refspec}");
        return Ok(EXIT_OK);
    }
    eprintln!("Pushing HEAD to {url} (branch {branch})...");
    let output = command
        .output()
        .map_err(|e| failed(format!("git could not run: {e}"), "Install git."))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(vec![Diagnostic::new(Code::PUSH_FAILED, format!("`git push` to {url} failed"))
            .note(format!("git says:\n{}", tail.join("\n")))
            .help("A rejected push means the branch has other commits: pull them first. An authentication error: check the profile's CodeCommit permissions (codecommit:GitPush).")]);
    }
    println!("Pushed HEAD to branch {branch} of {url}.");
    println!(
        "Start the pipeline with `pipec release {}`.",
        common.file.display()
    );
    Ok(EXIT_OK)
}
