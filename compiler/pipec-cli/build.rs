//! Records the git revision the binary is built from, for `pipec --version`:
//! `PIPEC_GIT_REV` is the short commit id of `HEAD`, or the value of the `PIPEC_GIT_REV` environment variable at build time (for builds from a
//! source tarball), or `unknown` when neither git nor the variable is there.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str], dir: &Path) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    Some(text.trim().to_owned())
}

fn main() {
    println!("cargo:rerun-if-env-changed=PIPEC_GIT_REV");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let dir = Path::new(&dir);
    let rev = match std::env::var("PIPEC_GIT_REV") {
        Ok(rev) if !rev.trim().is_empty() => rev.trim().to_owned(),
        _ => match git(&["rev-parse", "--short=12", "HEAD"], dir) {
            Some(rev) if !rev.is_empty() => {
                // Rebuild the version when HEAD moves (a commit, a checkout, a reset).
                for name in ["HEAD", "logs/HEAD"] {
                    if let Some(path) = git(&["rev-parse", "--git-path", name], dir) {
                        let path = dir.join(path);
                        if path.exists() {
                            println!("cargo:rerun-if-changed={}", path.display());
                        }
                    }
                }
                rev
            }
            _ => "unknown".to_owned(),
        },
    };
    println!("cargo:rustc-env=PIPEC_GIT_REV={rev}");
}
