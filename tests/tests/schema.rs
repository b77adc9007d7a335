//! The schema is the one source (issue 13): every block kind and deploy target has a documented
//! spec, every export of every kind compiles to a `Ref`/`Fn::GetAtt`/`Fn::Sub` of a resource
//! the template declares, and every default the schema gives is the value lowering writes.

use pipec_driver::schema::{self, AttrType, BlockSpec, DefaultValue, Literal, BLOCKS, TARGETS};
use pipec_driver::NoFiles;
use pipec_tests::{render, venv_tool};
use serde_json::{json, Value};

/// One block of each kind with only its required attributes (and the nested blocks a kind
/// cannot do without), plus a repo that is only referred to.
const MINIMAL: &str = r#"project = "schema"

repo app {}
repo existing {
  create = false
  name = "existing-repo"
}
build app {
  source = repo.app
  build { run "make" }
  artifacts { base_dir = "dist" }
}
instance web { tags = { Deploy = "web" } }
deploy web {
  from = build.app
  target = ec2 { tags = { Deploy = "web" } }
  hook application_start "start" { run "true" }
}
site docs {}
role ci { trust = [service.codebuild] }
policy readers { allow ["codecommit:GitPull"] on [repo.app] }
group readers {}
user bob {}
pipeline main {
  stage source { repo.app }
  stage build { build.app }
  stage deploy { deploy.web }
}
"#;

/// The block of each kind that `MINIMAL` declares.
fn declared(kind: &str) -> &'static str {
    match kind {
        "repo" | "build" => "app",
        "instance" | "deploy" => "web",
        "site" => "docs",
        "role" => "ci",
        "policy" | "group" => "readers",
        "user" => "bob",
        "pipeline" => "main",
        other => panic!("MINIMAL declares no `{other}`"),
    }
}

fn documented(spec: &BlockSpec, problems: &mut Vec<String>) {
    if spec.doc.is_empty() || spec.aws.is_empty() {
        problems.push(format!("`{}` lacks doc or aws", spec.keyword));
    }
    for attr in spec.attrs {
        let at = format!("`{}.{}`", spec.keyword, attr.name);
        if attr.doc.is_empty() || attr.aws.is_empty() {
            problems.push(format!("{at} lacks doc or aws"));
        }
        if attr.ty.display().is_empty() {
            problems.push(format!("{at} has no type text"));
        }
        if attr.required && attr.default.is_some() {
            problems.push(format!("{at} is required and has a default"));
        }
        if let AttrType::Enum(choices) = &attr.ty {
            if choices.is_empty() {
                problems.push(format!("{at} has no choices"));
            }
        }
        // A written default must fit the attribute's type, so lowering can read it.
        if let Some(DefaultValue::Written(literal) | DefaultValue::Aws(literal)) = &attr.default {
            let fits = match (literal, &attr.ty) {
                (Literal::Str(_) | Literal::SsmAmi(_), AttrType::Str) => true,
                (Literal::Bool(_), AttrType::Bool) => true,
                (Literal::Int(number), AttrType::Number { min, max, .. }) => {
                    (*min..=*max).contains(number)
                }
                (Literal::Choice(name), AttrType::Enum(choices)) => {
                    choices.iter().any(|choice| choice.name == *name)
                }
                (Literal::StrList(_), AttrType::StrList) => true,
                _ => false,
            };
            if !fits {
                problems.push(format!(
                    "{at}: default {literal:?} does not fit {:?}",
                    attr.ty
                ));
            }
        }
    }
    for export in spec.exports {
        if export.doc.is_empty() {
            problems.push(format!(
                "`{}.{}` export lacks doc",
                spec.keyword, export.name
            ));
        }
    }
}

#[test]
fn every_block_kind_and_target_has_a_documented_spec() {
    let mut problems = Vec::new();
    for kind in schema::Kind::ALL {
        match schema::top_level(kind.keyword()) {
            Some(_) => {
                if schema::exports(kind, None).is_empty() {
                    problems.push(format!("`{}` exports nothing", kind.keyword()));
                }
            }
            None => problems.push(format!("no spec for `{}`", kind.keyword())),
        }
    }
    for spec in BLOCKS.iter().chain(TARGETS) {
        documented(spec, &mut problems);
        for keyword in spec.blocks {
            let nested = schema::nested(spec.keyword, keyword).or_else(|| {
                schema::PHASES
                    .contains(&spec.keyword)
                    .then(|| schema::nested("phase", keyword))
                    .flatten()
            });
            match nested {
                Some(nested) if !nested.doc.is_empty() => {}
                _ => problems.push(format!(
                    "`{}` lists `{keyword}` without a spec",
                    spec.keyword
                )),
            }
        }
    }
    let deploy = schema::top_level("deploy").map(|spec| spec.attr("target"));
    match deploy.map(|attr| &attr.ty) {
        Some(AttrType::Target(targets)) if targets.len() == TARGETS.len() => {}
        other => problems.push(format!(
            "`deploy.target` does not list the targets: {other:?}"
        )),
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Compiles `text` cleanly and returns the checked program.
fn check(text: &str) -> pipec_driver::Checked {
    let checked = pipec_driver::check("schema.pipe", text.to_string(), &NoFiles, &[]);
    assert!(
        checked.diagnostics().is_empty(),
        "not clean:\n{}",
        render(&checked)
    );
    checked
}

/// The `${…}` names of an `Fn::Sub` template.
fn sub_names(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        if rest.starts_with('!') {
            continue;
        }
        let end = rest.find('}').unwrap_or(rest.len());
        names.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    names
}

#[test]
fn every_export_of_every_kind_emits_a_reference_to_a_declared_resource() {
    let mut text = MINIMAL.to_string();
    let mut expected = Vec::new();
    for spec in BLOCKS.iter().filter(|spec| spec.parent.is_empty()) {
        let Some(kind) = schema::Kind::from_keyword(spec.keyword) else {
            continue;
        };
        // `MINIMAL`'s deploy goes to EC2; what an S3 deploy exports (nothing) is checked by
        // `every_target_exports_exactly_what_the_schema_says`.
        let target = (kind == schema::Kind::Deploy).then_some("ec2");
        let mut names = vec![declared(spec.keyword)];
        if spec.keyword == "repo" {
            names.push("existing");
        }
        for name in names {
            for export in schema::exports(kind, target) {
                let output = format!("{}_{name}_{}", spec.keyword, export.name);
                text.push_str(&format!(
                    "output {output} = {}.{name}.{}\n",
                    spec.keyword, export.name
                ));
                expected.push((output, export.cfn));
            }
        }
    }
    let mut checked = check(&text);
    let artifacts = pipec_driver::build(&mut checked);
    assert!(
        checked.diagnostics().is_empty(),
        "emit reported:\n{}",
        render(&checked)
    );
    let artifacts = artifacts.expect("builds");
    let (_, bytes) = artifacts
        .files
        .iter()
        .find(|(file, _)| file == "template.json")
        .expect("template.json");
    // cfn-lint knows every resource type's `Fn::GetAtt` attributes (E1010) and checks every
    // `Ref` and `Fn::Sub` name.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("template.json");
    std::fs::write(&path, bytes).expect("write template");
    let linted = std::process::Command::new(venv_tool("cfn-lint"))
        .arg(&path)
        .output()
        .expect("run cfn-lint");
    assert!(
        linted.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&linted.stdout),
        String::from_utf8_lossy(&linted.stderr)
    );
    let template: Value = serde_json::from_slice(bytes).expect("JSON");
    let resources = template["Resources"].as_object().expect("Resources");
    let outputs = template["Outputs"].as_object().expect("Outputs");
    assert_eq!(outputs.len(), expected.len());
    for (output, cfn) in expected {
        let id: String = output
            .split('_')
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                })
            })
            .collect();
        let value = &outputs[&format!("Output{id}")]["Value"];
        let problem = match (cfn, value) {
            (schema::Cfn::Ref | schema::Cfn::RefOf(_), _) => value["Ref"]
                .as_str()
                .filter(|id| resources.contains_key(*id))
                .is_none()
                .then_some("not a Ref of a resource"),
            (schema::Cfn::GetAtt(att) | schema::Cfn::GetAttOrExisting(att, _), _)
                if value.get("Fn::GetAtt").is_some() =>
            {
                (value["Fn::GetAtt"][1] != json!(att)
                    || !resources.contains_key(value["Fn::GetAtt"][0].as_str().unwrap_or_default()))
                .then_some("not a GetAtt of the mapped attribute of a resource")
            }
            (schema::Cfn::GetAttOrExisting(_, "{}"), Value::String(name)) => {
                (name != "existing-repo").then_some("not the existing repository's name")
            }
            (schema::Cfn::GetAttOrExisting(..) | schema::Cfn::Sub(_), _) => {
                match value["Fn::Sub"].as_str() {
                    Some(template) => sub_names(template)
                        .iter()
                        .any(|name| {
                            !name.starts_with("AWS::")
                                && !resources.contains_key(name.split('.').next().unwrap_or(""))
                        })
                        .then_some("an Fn::Sub naming something undeclared"),
                    None => Some("not an Fn::Sub"),
                }
            }
            _ => Some("not a GetAtt"),
        };
        assert!(problem.is_none(), "{output}: {value}: {problem:?}");
    }
}

/// Where the IR keeps each attribute the schema gives a written default, as a JSON pointer
/// below the block's entry in the serialized program (`None`: checked by hand below).
const DEFAULT_FIELDS: &[(&str, &str, &str)] = &[
    ("repo", "branch", "/branch"),
    ("repo", "create", "/create"),
    ("build", "image", "/image"),
    ("build", "compute", "/compute"),
    ("build", "privileged", "/privileged"),
    ("build", "timeout", "/timeout_minutes"),
    ("artifacts", "files", "/artifacts/files"),
    ("artifacts", "discard_paths", "/artifacts/discard_paths"),
    ("deploy", "config", "/target/Ec2/config"),
    ("deploy", "auto_rollback", "/target/Ec2/auto_rollback"),
    ("instance", "ami", "/ami"),
    ("instance", "type", "/instance_type"),
    ("instance", "agent", "/agent"),
    ("instance", "os", "/os"),
    ("site", "index", "/index"),
    ("role", "profile", "/profile"),
];

/// The IR list and the block a nested spec's defaults are read from.
fn ir_entry<'v>(program: &'v Value, keyword: &str) -> &'v Value {
    let (list, kind) = match keyword {
        "artifacts" => ("builds", "build"),
        other => (
            match other {
                "repo" => "repos",
                "build" => "builds",
                "deploy" => "deploys",
                "instance" => "instances",
                "site" => "sites",
                "role" => "roles",
                other => panic!("no IR list for `{other}`"),
            },
            other,
        ),
    };
    program[list]
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|entry| entry["origin"]["name"] == json!(declared(kind)))
        })
        .unwrap_or_else(|| panic!("`{keyword}` not lowered"))
}

#[test]
fn every_default_in_the_schema_is_the_value_lowering_writes() {
    let checked = check(MINIMAL);
    let program = serde_json::to_value(&checked.analysis.program).expect("serializes");
    let mut checked_count = 0;
    for spec in BLOCKS.iter().chain(TARGETS) {
        for attr in spec.attrs {
            let Some(DefaultValue::Written(literal)) = &attr.default else {
                continue;
            };
            let Some((_, _, pointer)) = DEFAULT_FIELDS
                .iter()
                .find(|(block, name, _)| *block == spec.keyword && *name == attr.name)
            else {
                panic!(
                    "`{}.{}` has a written default: add where the IR keeps it to DEFAULT_FIELDS",
                    spec.keyword, attr.name
                );
            };
            let expected = match literal {
                Literal::Str(text) => json!(text),
                Literal::Bool(flag) => json!(flag),
                Literal::Int(number) => json!(number),
                // The agent is a bool in the IR: whether it is installed.
                Literal::Choice(name) if attr.name == "agent" => json!(*name == "codedeploy"),
                Literal::Choice(name) => json!(attr
                    .ty
                    .choices()
                    .iter()
                    .find(|choice| choice.name == *name)
                    .map(|choice| choice.aws)),
                Literal::StrList(items) => json!(items),
                Literal::SsmAmi(os) => json!(schema::ssm_ami(os)),
            };
            let found = ir_entry(&program, spec.keyword).pointer(pointer);
            assert_eq!(
                found,
                Some(&expected),
                "`{}.{}`: lowering writes {found:?}, the schema says {}",
                spec.keyword,
                attr.name,
                literal.display()
            );
            checked_count += 1;
        }
    }
    assert_eq!(checked_count, DEFAULT_FIELDS.len());
}

/// A `target = …` value for each deploy target of the schema.
const TARGET_EXAMPLES: &[(&str, &str)] = &[
    ("ec2", "ec2 { tags = { Deploy = \"web\" } }"),
    ("s3", "s3 { site = site.docs }"),
];

#[test]
fn every_deploy_target_of_the_schema_lowers() {
    for target in TARGETS {
        let Some((_, example)) = TARGET_EXAMPLES
            .iter()
            .find(|(keyword, _)| *keyword == target.keyword)
        else {
            panic!(
                "deploy target `{}` has no example in TARGET_EXAMPLES",
                target.keyword
            );
        };
        let text = format!(
            "project = \"targets\"\nrepo app {{}}\nbuild app {{\n  source = repo.app\n  build {{ run \"make\" }}\n}}\ninstance web {{ tags = {{ Deploy = \"web\" }} }}\nsite docs {{}}\ndeploy out {{\n  from = build.app\n  target = {example}\n}}\npipeline main {{\n  stage source {{ repo.app }}\n  stage build {{ build.app }}\n  stage deploy {{ deploy.out }}\n}}\n"
        );
        let checked = check(&text);
        let deploys = &checked.analysis.program.deploys;
        assert_eq!(deploys.len(), 1, "`{}` did not lower", target.keyword);
    }
}

#[test]
fn every_target_exports_exactly_what_the_schema_says() {
    // Every export name of any target, referred to from a deploy to each target: it compiles
    // when the target exports it, and is P3018 at the reference otherwise.
    let all: Vec<&str> = TARGETS
        .iter()
        .flat_map(|target| target.exports.iter().map(|export| export.name))
        .collect();
    assert!(!all.is_empty(), "no target exports anything");
    for target in TARGETS {
        let (_, example) = TARGET_EXAMPLES
            .iter()
            .find(|(keyword, _)| *keyword == target.keyword)
            .expect("an example");
        for attr in &all {
            let text = format!(
                "project = \"targets\"\nrepo app {{}}\nbuild app {{\n  source = repo.app\n  build {{ run \"make\" }}\n}}\ninstance web {{ tags = {{ Deploy = \"web\" }} }}\nsite docs {{}}\ndeploy out {{\n  from = build.app\n  target = {example}\n}}\npipeline main {{\n  stage source {{ repo.app }}\n  stage build {{ build.app }}\n  stage deploy {{ deploy.out }}\n}}\noutput read = deploy.out.{attr}\n"
            );
            let checked = pipec_driver::check("targets.pipe", text.clone(), &NoFiles, &[]);
            let codes: Vec<&str> = checked
                .diagnostics()
                .iter()
                .map(|diag| diag.code.number())
                .collect();
            let exported = target.exports.iter().any(|export| export.name == *attr);
            let reference = text.rfind(attr).expect("the reference");
            if exported {
                assert!(
                    codes.is_empty(),
                    "`{}` {attr}: {}",
                    target.keyword,
                    render(&checked)
                );
            } else {
                assert_eq!(
                    codes,
                    ["P3018"],
                    "`{}` {attr}: {}",
                    target.keyword,
                    render(&checked)
                );
                let span = &checked.diagnostics()[0].labels[0].span;
                assert_eq!(
                    span.start(),
                    reference,
                    "`{}` {attr}: not at the reference",
                    target.keyword
                );
            }
        }
    }
}

#[test]
fn an_existing_repository_has_one_arn_in_references_policies_and_pipelines() {
    // `repo.existing.arn` (the schema's export) and the ARN emit writes for the repository in an
    // IAM statement and in the pipeline's permissions are one value.
    let text = r#"project = "arns"

repo existing {
  create = false
  name = "existing-repo"
}
build app {
  source = repo.existing
  build { run "make" }
}
policy readers { allow ["codecommit:GitPull"] on [repo.existing] }
pipeline main {
  stage source { repo.existing }
  stage build { build.app }
}
output arn = repo.existing.arn
"#;
    let mut checked = check(text);
    let artifacts = pipec_driver::build(&mut checked).expect("builds");
    let (_, bytes) = artifacts
        .files
        .iter()
        .find(|(file, _)| file == "template.json")
        .expect("template.json");
    let template: Value = serde_json::from_slice(bytes).expect("JSON");
    let arn = &template["Outputs"]["OutputArn"]["Value"];
    assert!(
        arn["Fn::Sub"]
            .as_str()
            .is_some_and(|sub| sub.ends_with(":existing-repo")),
        "{arn}"
    );
    let mut found = Vec::new();
    let mut stack = vec![("".to_string(), &template["Resources"])];
    while let Some((at, value)) = stack.pop() {
        if value == arn {
            found.push(at.clone());
        }
        match value {
            Value::Object(map) => stack.extend(map.iter().map(|(k, v)| (format!("{at}/{k}"), v))),
            Value::Array(items) => stack.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, v)| (format!("{at}/{index}"), v)),
            ),
            _ => {}
        }
    }
    let in_policy = found.iter().any(|at| at.starts_with("/PolicyReaders/"));
    let in_pipeline = found.iter().any(|at| !at.starts_with("/PolicyReaders/"));
    assert!(
        in_policy && in_pipeline,
        "the export's ARN is used at {found:?}"
    );
}
