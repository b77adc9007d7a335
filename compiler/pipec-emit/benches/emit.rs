//! Measures `emit` on the seed-like EC2 program (no external harness):
//! `cargo bench -p pipec-emit --profile dev` (debug) or plain `cargo bench` (release).
#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

fn main() {
    let program = common::ec2_program("");
    let warmup = pipec_emit::emit(&program);
    let total_bytes: usize = warmup.0.files.iter().map(|(_, bytes)| bytes.len()).sum();
    let runs = 200u32;
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(pipec_emit::emit(std::hint::black_box(&program)));
    }
    let per_run = start.elapsed() / runs;
    println!("emit(seed-like EC2 program): {per_run:?} per run over {runs} runs; {} files, {total_bytes} bytes", warmup.0.files.len());
}
