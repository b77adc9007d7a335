//! `pipec explain CODE`: the long description of a diagnostic code.

use crate::output::{EXIT_OK, EXIT_USAGE};

/// Arguments of `pipec explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A code (`P2003`), its name (`unresolved-reference`), or an AWS failure code
    /// (`HEALTH_CONSTRAINTS`, `ScriptFailed`, `COMMAND_EXECUTION_ERROR`); `--list` lists them all.
    #[arg(required_unless_present = "list")]
    pub(crate) code: Option<String>,
    /// List every code with its name.
    #[arg(long)]
    pub(crate) list: bool,
}

/// Prints the explanation; returns the exit code.
pub(crate) fn run(args: &Args) -> u8 {
    if args.list {
        for info in pipec_diagnostics::ALL_CODES {
            println!("{}  {:<32} {:?}", info.number, info.name, info.severity);
        }
        for entry in pipec_deploy::operate::aws_codes::AWS_CODES {
            println!("{:<24} AWS {} failure code", entry.code, entry.service);
        }
        return EXIT_OK;
    }
    let wanted = args.code.as_deref().unwrap_or_default();
    match pipec_diagnostics::Code::lookup(wanted) {
        Some(code) => {
            print!("{}", code.doc());
            EXIT_OK
        }
        None => {
            if let Some(entry) = pipec_deploy::operate::aws_codes::lookup(wanted) {
                print!("{}", pipec_deploy::operate::aws_codes::explain(entry));
                return EXIT_OK;
            }
            let names = pipec_diagnostics::ALL_CODES
                .iter()
                .flat_map(|info| [info.number, info.name]);
            match pipec_diagnostics::did_you_mean(wanted, names) {
                Some(best) => eprintln!("error: no diagnostic code `{wanted}`\nhelp: did you mean `{best}`? (`pipec explain --list` lists them all)"),
                None => eprintln!("error: no diagnostic code `{wanted}`\nhelp: `pipec explain --list` lists them all"),
            }
            EXIT_USAGE
        }
    }
}
