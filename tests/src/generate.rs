//! Generates large, valid `.pipe` programs for benchmarks and the fuzz corpus.
//!
//! A program is a header (project, params, lets, tags, stdlib imports, a preset) followed by
//! "services": each one a repo, a role and an instance, a build with phases, an EC2 deploy with
//! hooks, a policy, a group, a user and a pipeline — the mix a real program has. The text is in
//! canonical format and `pipec check` accepts it with no diagnostic at all; the number of lines
//! is exactly what was asked for (the tail is padded with comments).

use std::fmt::Write as _;

/// The shape of a generated program.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// The number of lines of the program.
    pub lines: usize,
    /// Extra `run` commands per build phase and per inline hook: 0 gives many small services
    /// (hundreds of resources for big programs); a large value gives few services with long
    /// scripts, which keeps a big program under CloudFormation's 500 resources.
    pub commands: usize,
}

impl Shape {
    /// Many small services: about 130 lines each.
    #[must_use]
    pub fn services(lines: usize) -> Self {
        Self { lines, commands: 0 }
    }

    /// Few services with long scripts: `services` services share the lines. A service makes
    /// 21 CloudFormation resources (2 more are shared), so up to 23 services stay under 500.
    #[must_use]
    pub fn long_scripts(lines: usize, services: usize) -> Self {
        // A service has about 130 fixed lines plus 5 scripts of `commands` lines.
        let per_service = lines / services.max(1);
        Self {
            lines,
            commands: per_service.saturating_sub(HEADER_LINES + 130) / 5,
        }
    }
}

/// An upper bound of the header's length, so that a shape never asks for less.
const HEADER_LINES: usize = 40;

/// Generates a program of exactly `shape.lines` lines (at least the header's length).
#[must_use]
pub fn generate(shape: Shape) -> String {
    let mut out = String::with_capacity(shape.lines * 32);
    header(&mut out);
    let mut lines = count_lines(&out);
    let mut index = 0;
    loop {
        let mut unit = String::new();
        service(&mut unit, index, shape.commands);
        let unit_lines = count_lines(&unit);
        if lines + unit_lines > shape.lines {
            break;
        }
        out.push_str(&unit);
        lines += unit_lines;
        index += 1;
    }
    for filler in lines..shape.lines {
        let _ = writeln!(out, "// filler line {}", filler - lines + 1);
    }
    out
}

fn count_lines(text: &str) -> usize {
    text.bytes().filter(|byte| *byte == b'\n').count()
}

fn header(out: &mut String) {
    out.push_str(
        r#"// A generated program: many services, each built, deployed and run by its own pipeline.
use std.hooks.node
use std.roles

project = "gen"

param env = "dev"
param port = 8080

let base_dir = "/srv"
let release = "release-${env}"

tags {
  Project = "gen"
  Env = env
}

/// A hook that prints a greeting.
preset greet {
  param who = string
  run "echo hello ${who}"
  timeout = 30
}

role deployer = roles.codedeploy_service
"#,
    );
}

/// One service: repo, role, instance, build, deploy, policy, group, user, pipeline.
fn service(out: &mut String, index: usize, commands: usize) {
    let name = format!("svc{index}");
    let dir = format!("${{base_dir}}/{name}");
    let _ = write!(
        out,
        r#"
// ---- service {index} ----
repo {name} {{
  name = "gen-{name}-${{env}}"
  branch = release
  description = "Service number {index}"
  tags = {{ Service = "{name}" }}
}}

role {name}_host {{
  trust = [service.ec2]
  profile = true
  managed = [aws_policy("AmazonSSMReadOnlyAccess")]
}}

instance {name} {{
  type = "t3.micro"
  role = role.{name}_host
  ingress = [port, {{ port = 22, cidr = "10.0.0.0/8" }}]
  tags = {{ Deploy = "{name}" }}
}}

build {name} {{
  source = repo.{name}
  compute = medium
  runtime = {{ nodejs = "20" }}
  env = {{
    NODE_ENV = "production"
    SERVICE = "{name}"
    TOKEN = ssm("/gen/{name}/token")
  }}
  timeout = 30
  cache = ["node_modules/**/*"]

  install {{
    run "npm ci"
"#
    );
    commands_block(out, "    ", "install", index, commands);
    let _ = write!(
        out,
        r#"  }}
  build {{
    run "npm run build -- --service {name}"
    run "npm test"
"#
    );
    commands_block(out, "    ", "build", index, commands);
    let _ = write!(
        out,
        r#"    on_failure = abort
    finally {{
      run "echo build of {name} finished"
    }}
  }}
  post_build {{
    run "echo ${{release}} > dist/RELEASE"
"#
    );
    commands_block(out, "    ", "post", index, commands);
    let _ = write!(
        out,
        r#"  }}
  artifacts {{
    files = ["**/*"]
    exclude = ["**/*.map", "node_modules/**/*"]
  }}
}}

deploy {name} {{
  from = build.{name}
  target = ec2 {{ tags = {{ Deploy = "{name}" }} }}
  config = one_at_a_time
  file_exists = overwrite

  files {{
    "/" -> "{dir}"
  }}
  permissions "/srv" {{
    owner = "ec2-user"
    mode = "0755"
  }}

  hook application_stop "stop" = node.stop {{ service = "{name}" }}
  hook before_install "prepare" {{
    run "mkdir -p {dir}"
    run "rm -rf {dir}/dist"
"#
    );
    commands_block(out, "    ", "prepare", index, commands);
    let _ = write!(
        out,
        r#"    timeout = 60
  }}
  hook after_install "install" = node.install {{ dir = "{dir}" }}
  hook application_start "start" = node.start {{
    dir = "{dir}"
    port = port
    service = "{name}"
  }}
  hook validate_service "health" {{
    run "curl -fsS http://127.0.0.1:${{port}}/health"
"#
    );
    commands_block(out, "    ", "health", index, commands);
    let _ = write!(
        out,
        r#"    timeout = 120
    runas = "ec2-user"
  }}
  hook validate_service "hello" = greet {{ who = "{name}" }}
}}

policy {name}_ops {{
  allow ["codepipeline:StartPipelineExecution", "codepipeline:GetPipelineState"] on [pipeline.{name}]
  allow ["codecommit:GitPull", "codecommit:GitPush"] on [repo.{name}]
  deny ["codecommit:DeleteRepository"] on [repo.{name}]
}}

group {name}_devs {{
  policies = [policy.{name}_ops]
}}

user {name}_owner {{
  groups = [group.{name}_devs]
}}

pipeline {name} {{
  stage source {{ repo.{name} }}
  stage build {{ build.{name} }}
  stage approve {{ approval }}
  stage deploy {{ deploy.{name} }}
}}

output {name}_clone = repo.{name}.clone_url_http
"#
    );
}

fn commands_block(out: &mut String, indent: &str, what: &str, index: usize, commands: usize) {
    for step in 0..commands {
        let _ = writeln!(
            out,
            "{indent}run \"./scripts/{what}.sh --service svc{index} --step {step} --dir ${{base_dir}}\""
        );
    }
}
