//! Measures didChange → publishDiagnostics as an editor sees it: through the real server
//! binary over stdio, with default settings (no `initializationOptions`), on the seed pipeline
//! (about 100 lines) and on a generated 5,000-line file. Prints figures; asserts nothing about
//! time.
//!
//! Run: `cargo bench -p pipec-lsp --bench did_change` (optimized, the figures in
//! docs/performance.md), or with `--profile dev` for a debug build.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::Client;
use serde_json::json;

const URI: &str = "file:///bench/big.pipe";
const SEED_URI: &str = "file:///bench/seed/pipeline.pipe";

/// About `lines` lines of realistic blocks.
fn generate(lines: usize) -> String {
    let mut text = String::from("use std.roles\nparam env = \"dev\"\n\n");
    let mut index = 0;
    while text.lines().count() < lines {
        text.push_str(&format!(
            "repo app{index} {{\n  name   = \"app-{index}-${{env}}\"\n  branch = \"main\"\n}}\n\nbuild app{index} {{\n  source  = repo.app{index}\n  image   = \"aws/codebuild/standard:7.0\"\n  runtime = {{ nodejs = \"18\" }}\n  install {{ run \"npm ci\" }}\n  build {{\n    run \"npm run build\"\n    run \"npm test\"\n  }}\n  artifacts {{ files = [\"**/*\"] }}\n}}\n\n"
        ));
        index += 1;
    }
    text
}

/// Opens `text`, then alternately breaks and repairs a line in its middle, 40 times; prints
/// the figures.
fn measure(client: &mut Client, name: &str, uri: &str, text: &str) {
    let n_lines = text.lines().count();
    let opened = Instant::now();
    client.open(uri, text);
    client.diagnostics_at(uri, 1);
    println!("{name}: {n_lines} lines, {} bytes", text.len());
    println!("  didOpen → publishDiagnostics: {:?}", opened.elapsed());
    let line = u32::try_from(n_lines / 2).unwrap();
    let mut timings: Vec<Duration> = Vec::new();
    let mut n_with_errors = 0;
    for version in 2..=41 {
        let started = Instant::now();
        if version % 2 == 0 {
            client.change(uri, version, &[((line, 0), (line, 0), "= ")]);
        } else {
            client.change(uri, version, &[((line, 0), (line, 2), "")]);
        }
        let params = client.diagnostics_at(uri, version);
        timings.push(started.elapsed());
        n_with_errors += usize::from(!params["diagnostics"].as_array().unwrap().is_empty());
    }
    timings.sort();
    let total: Duration = timings.iter().sum();
    println!(
        "  didChange → publishDiagnostics over {} edits ({n_with_errors} with an error): min {:?}, median {:?}, mean {:?}, max {:?}",
        timings.len(),
        timings[0],
        timings[timings.len() / 2],
        total / u32::try_from(timings.len()).unwrap(),
        timings[timings.len() - 1],
    );
}

fn main() {
    // Default settings, as an editor that passes none.
    let (mut client, _) = Client::start(json!({}), json!({}));
    let seed = include_str!("../../../examples/seed-ec2/pipeline.pipe");
    measure(&mut client, "seed", SEED_URI, seed);
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": SEED_URI } }),
    );
    let text = generate(5_000);
    measure(&mut client, "generated", URI, &text);
    let started = Instant::now();
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": URI } }),
        )
        .unwrap();
    println!(
        "documentSymbol ({} top-level symbols): {:?}",
        symbols.as_array().map_or(0, Vec::len),
        started.elapsed()
    );
    assert!(client.shutdown().success());
}
