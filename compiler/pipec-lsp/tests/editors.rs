//! The editor files are well-formed and agree with each other: VS Code's manifest names the
//! grammar and language configuration that exist, and Neovim's plugin directory registers `*.pipe`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::Value;

fn editors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../editors")
}

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(editors().join(path)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

#[test]
fn vscode_manifest_points_at_existing_files() {
    let manifest = json("vscode/package.json");
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "pipe");
    assert_eq!(language["extensions"][0], ".pipe");
    let configuration = language["configuration"].as_str().unwrap();
    let config = json(&format!("vscode/{configuration}"));
    assert_eq!(config["comments"]["lineComment"], "//");
    let grammar = &manifest["contributes"]["grammars"][0];
    let grammar_file = json(&format!("vscode/{}", grammar["path"].as_str().unwrap()));
    assert_eq!(grammar_file["scopeName"], grammar["scopeName"]);
    assert!(manifest["dependencies"]["vscode-languageclient"].is_string());
    // `main` is the esbuild bundle of src/extension.js (made by scripts/package-vscode.sh).
    assert_eq!(manifest["main"], "./dist/extension.js");
    let extension = std::fs::read_to_string(editors().join("vscode/src/extension.js")).unwrap();
    assert!(extension.contains("args: [\"lsp\"]"));
}

#[test]
fn neovim_plugin_registers_the_filetype_and_server() {
    let plugin = std::fs::read_to_string(editors().join("nvim/lua/pipec/init.lua")).unwrap();
    assert!(plugin.contains("extension = { pipe = \"pipe\" }"));
    let ftdetect = std::fs::read_to_string(editors().join("nvim/ftdetect/pipe.vim")).unwrap();
    assert!(ftdetect.contains("*.pipe setfiletype pipe"));
    assert!(plugin.contains("vim.lsp.start"));
    assert!(plugin.contains("\"pipec\", \"lsp\""));
}
