//! `cargo bench -p pipec-tests --bench compile`: the library-level cost of the compiler's entry
//! points (no process start, no file IO): `check` of the seed and of generated 10k- and
//! 100k-line programs, `format` of the 10k-line program, `build` (check + emit) of the seed and
//! of a 100k-line program kept under CloudFormation's resource limit. Whole-process figures
//! come from `scripts/bench.sh`; both are recorded in docs/performance.md.

use std::sync::OnceLock;

use divan::Bencher;
use pipec_tests::generate::{generate, Shape};
use pipec_tests::{repo_root, DirLoader};

fn main() {
    divan::main();
}

fn seed() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        std::fs::read_to_string(repo_root().join("examples/seed-ec2/pipeline.pipe"))
            .expect("examples/seed-ec2/pipeline.pipe")
    })
}

fn services(lines: usize) -> &'static str {
    static TEXTS: OnceLock<[String; 2]> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        [
            generate(Shape::services(10_000)),
            generate(Shape::services(100_000)),
        ]
    });
    if lines == 10_000 {
        &texts[0]
    } else {
        &texts[1]
    }
}

fn long_scripts() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| generate(Shape::long_scripts(100_000, 20)))
}

fn loader() -> DirLoader {
    DirLoader {
        base: repo_root().join("examples/seed-ec2"),
    }
}

fn check(text: String) -> pipec_driver::Checked {
    pipec_driver::check("pipeline.pipe", text, &loader(), &[])
}

#[divan::bench]
fn check_seed(bencher: Bencher<'_, '_>) {
    bencher
        .with_inputs(|| seed().to_string())
        .bench_values(check);
}

#[divan::bench(args = [10_000, 100_000], sample_count = 20)]
fn check_generated(bencher: Bencher<'_, '_>, lines: usize) {
    let text = services(lines);
    bencher.with_inputs(|| text.to_string()).bench_values(check);
}

#[divan::bench(sample_count = 20)]
fn format_generated_10k(bencher: Bencher<'_, '_>) {
    let text = services(10_000);
    bencher.bench(|| pipec_driver::format(divan::black_box(text)));
}

#[divan::bench]
fn build_seed(bencher: Bencher<'_, '_>) {
    bencher
        .with_inputs(|| seed().to_string())
        .bench_values(|text| {
            let mut checked = check(text);
            let artifacts = pipec_driver::build(&mut checked);
            (checked, artifacts)
        });
}

#[divan::bench(sample_count = 10)]
fn build_long_scripts_100k(bencher: Bencher<'_, '_>) {
    let text = long_scripts();
    bencher
        .with_inputs(|| text.to_string())
        .bench_values(|text| {
            let mut checked = check(text);
            let artifacts = pipec_driver::build(&mut checked);
            (checked, artifacts)
        });
}
