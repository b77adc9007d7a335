//! Shared helpers of the end-to-end tests: the repository root, a loader rooted at a fixture
//! directory, and diagnostics rendered as the CLI prints them (without color).

use std::path::{Path, PathBuf};

pub mod generate;

use pipec_driver::{Checked, FileLoader};

/// The repository root.
#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Reads `use`d files relative to `base` (file names in the database stay relative, so that
/// snapshots do not depend on the machine).
pub struct DirLoader {
    /// Directory that relative names are resolved against.
    pub base: PathBuf,
}

impl FileLoader for DirLoader {
    fn load(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(self.base.join(path)).map_err(|_| "no such file".to_string())
    }
}

/// `// vars: a=b c=d` on the first line of a fixture sets `--var`s.
#[must_use]
pub fn fixture_vars(text: &str) -> Vec<(String, String)> {
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("// vars:"))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|pair| pair.split_once('='))
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the fixture `name` (relative to `base`).
///
/// # Panics
/// When the fixture cannot be read.
#[must_use]
pub fn check_fixture(base: &Path, name: &str) -> (String, Checked) {
    let text = std::fs::read_to_string(base.join(name))
        .unwrap_or_else(|error| panic!("read {name}: {error}"));
    let vars = fixture_vars(&text);
    let checked = pipec_driver::check(
        name,
        text.clone(),
        &DirLoader {
            base: base.to_path_buf(),
        },
        &vars,
    );
    (text, checked)
}

/// Diagnostics as `pipec check` prints them, without color.
#[must_use]
pub fn render(checked: &Checked) -> String {
    let mut buffer = termcolor::NoColor::new(Vec::new());
    let _ = pipec_diagnostics::render_human(&checked.db, checked.diagnostics(), &mut buffer);
    String::from_utf8_lossy(&buffer.into_inner()).into_owned()
}
