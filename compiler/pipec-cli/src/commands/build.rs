//! `pipec build FILE -o DIR`: check, then write the template, buildspecs, appspecs, hook
//! scripts and manifest. Atomic: files go to a temporary sibling directory that replaces `DIR`
//! only when everything is written, so `DIR` is never half-written.

use std::path::{Path, PathBuf};

use pipec_diagnostics::{Code, Diagnostic};
use termcolor::ColorChoice;

use crate::output::{self, Format, EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

/// Arguments of `pipec build`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The `.pipe` file.
    pub(crate) file: PathBuf,
    /// The output directory (replaced as a whole).
    #[arg(short, long, default_value = "out")]
    pub(crate) out: PathBuf,
    /// Override a `param`: `--var env=prod` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = output::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// Exit with 1 (and write nothing) when there are warnings.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
}

/// What a successful compile produced.
pub(crate) struct Built {
    pub(crate) checked: pipec_driver::Checked,
    pub(crate) artifacts: pipec_driver::Artifacts,
}

/// Checks and emits `file`; prints diagnostics. `Err(exit code)` when nothing can be built.
pub(crate) fn compile(
    file: &Path,
    vars: &[(String, String)],
    format: Format,
    color: ColorChoice,
    deny_warnings: bool,
) -> Result<Built, u8> {
    let text = match output::read_root(file) {
        Ok(text) => text,
        Err(diagnostic) => {
            output::print_plain(&diagnostic, format, color);
            return Err(EXIT_USAGE);
        }
    };
    let name = file.to_string_lossy().into_owned();
    let mut checked = pipec_driver::check(&name, text, &output::DiskLoader, vars);
    let artifacts = pipec_driver::build(&mut checked);
    output::print_diagnostics(&checked.db, checked.diagnostics(), format, color);
    let (errors, warnings) = pipec_driver::counts(checked.diagnostics());
    match artifacts {
        Some(artifacts) if errors == 0 && !(deny_warnings && warnings > 0) => {
            Ok(Built { checked, artifacts })
        }
        _ => {
            if format != Format::Json {
                crate::commands::check::summary(errors, warnings);
            }
            Err(EXIT_ERRORS)
        }
    }
}

/// Builds; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let built = match compile(
        &args.file,
        &args.vars,
        args.format,
        color,
        args.deny_warnings,
    ) {
        Ok(built) => built,
        Err(code) => return code,
    };
    if let Err(diagnostic) = write_atomically(&args.out, &built.artifacts) {
        output::print_plain(&diagnostic, args.format, color);
        return EXIT_USAGE;
    }
    if args.format != Format::Json {
        let (_, warnings) = pipec_driver::counts(built.checked.diagnostics());
        eprintln!(
            "wrote {} files to {}{}",
            built.artifacts.files.len(),
            args.out.display(),
            if warnings > 0 {
                format!(
                    " ({warnings} warning{})",
                    if warnings == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        );
    }
    EXIT_OK
}

/// Writes every artifact under a temporary sibling of `out`, then swaps it into place.
pub(crate) fn write_atomically(
    out: &Path,
    artifacts: &pipec_driver::Artifacts,
) -> Result<(), Diagnostic> {
    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map_or_else(|| "out".into(), |name| name.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.pipec-tmp-{}", std::process::id()));
    let io_error = |what: &str, path: &Path, error: &std::io::Error| {
        Diagnostic::error(
            Code::IO_ERROR,
            format!(
                "cannot {what} `{}`: {}",
                path.display(),
                output::io_reason(error)
            ),
        )
        .help(
            "check that the output directory's parent exists and is writable; nothing was changed",
        )
    };
    if let Err(error) = std::fs::create_dir_all(&parent) {
        return Err(io_error("create", &parent, &error));
    }
    let _ = std::fs::remove_dir_all(&staging);
    let result = (|| {
        std::fs::create_dir(&staging).map_err(|error| io_error("create", &staging, &error))?;
        for (path, bytes) in &artifacts.files {
            let target = staging.join(path);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|error| io_error("create", dir, &error))?;
            }
            std::fs::write(&target, bytes).map_err(|error| io_error("write", &target, &error))?;
            if path.ends_with(".sh") {
                set_executable(&target).map_err(|error| io_error("chmod", &target, &error))?;
            }
        }
        if out.is_file() {
            return Err(Diagnostic::error(
                Code::IO_ERROR,
                format!("`{}` is a file, not a directory", out.display()),
            )
            .help("choose another output directory with -o"));
        }
        let backup = parent.join(format!(".{name}.pipec-old-{}", std::process::id()));
        if out.exists() {
            std::fs::rename(out, &backup).map_err(|error| io_error("replace", out, &error))?;
        }
        if let Err(error) = std::fs::rename(&staging, out) {
            // Put the previous output back.
            let _ = std::fs::rename(&backup, out);
            return Err(io_error("replace", out, &error));
        }
        let _ = std::fs::remove_dir_all(&backup);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

#[cfg(unix)]
fn set_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> std::io::Result<()> {
    Ok(())
}
