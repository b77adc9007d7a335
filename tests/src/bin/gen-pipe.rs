//! `gen-pipe LINES [SERVICES]`: prints a generated, valid program of LINES lines. With SERVICES,
//! the lines go to that many services with long scripts (few CloudFormation resources);
//! without, to many small services.

use pipec_tests::generate::{generate, Shape};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |text: &String| text.replace('_', "").parse::<usize>().ok();
    let shape = match args.as_slice() {
        [lines] => parse(lines).map(Shape::services),
        [lines, services] => parse(lines)
            .zip(parse(services))
            .map(|(lines, services)| Shape::long_scripts(lines, services)),
        _ => None,
    };
    let Some(shape) = shape else {
        eprintln!("usage: gen-pipe LINES [SERVICES]");
        return std::process::ExitCode::from(2);
    };
    print!("{}", generate(shape));
    std::process::ExitCode::SUCCESS
}
