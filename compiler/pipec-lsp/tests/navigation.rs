//! End-to-end tests of the features that need the checker: quick fixes, hover, completion,
//! go to definition, find references and rename.
#![allow(clippy::unwrap_used)]

mod common;

use common::{pos, Client};
use serde_json::{json, Value};

const URI: &str = "file:///work/project/nav.pipe";

const PROGRAM: &str = "param env = \"dev\"

// The web role.
role web {
  trust   = [service.ec2]
  profile = true
}

instance web {
  role = role.web
  tags = { Deploy = \"web\", Env = env }
}

repo app {
  brnch = \"main\"
}
";

/// The (line, character) of the `nth` occurrence of `needle`, plus `shift` characters (ASCII).
fn at(needle: &str, nth: usize, shift: u32) -> Value {
    let offset = PROGRAM.match_indices(needle).nth(nth).unwrap().0;
    let line = PROGRAM[..offset].matches('\n').count();
    let column = offset - PROGRAM[..offset].rfind('\n').map_or(0, |index| index + 1);
    json!({ "line": line, "character": u32::try_from(column).unwrap() + shift })
}

fn started() -> Client {
    let mut client = Client::start_default();
    client.open(URI, PROGRAM);
    client.diagnostics_at(URI, 1);
    client
}

fn position_params(position: Value) -> Value {
    json!({ "textDocument": { "uri": URI }, "position": position })
}

#[test]
fn quick_fix_from_did_you_mean() {
    let mut client = started();
    let range = json!({ "start": at("brnch", 0, 0), "end": at("brnch", 0, 5) });
    let actions = client
        .request("textDocument/codeAction", json!({ "textDocument": { "uri": URI }, "range": range, "context": { "diagnostics": [] } }))
        .unwrap();
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    assert_eq!(actions[0]["kind"], "quickfix");
    let edit = &actions[0]["edit"]["changes"][URI][0];
    assert_eq!(edit["newText"], "branch");
    assert_eq!(edit["range"]["start"], at("brnch", 0, 0));
    // Nowhere near the diagnostic: nothing.
    let range = json!({ "start": at("param", 0, 0), "end": at("param", 0, 1) });
    let actions = client
        .request("textDocument/codeAction", json!({ "textDocument": { "uri": URI }, "range": range, "context": { "diagnostics": [] } }))
        .unwrap();
    assert_eq!(actions, json!([]));
    assert!(client.shutdown().success());
}

#[test]
fn hover_shows_schema_docs_and_what_a_reference_points_at() {
    let mut client = started();
    let hover = client
        .request("textDocument/hover", position_params(at("role.web", 0, 6)))
        .unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("role web"), "{text}");
    let hover = client
        .request("textDocument/hover", position_params(at("profile", 0, 2)))
        .unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("**profile**: bool"), "{text}");
    assert!(text.contains("AWS:"), "{text}");
    let hover = client
        .request("textDocument/hover", position_params(at("instance", 0, 1)))
        .unwrap();
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("AWS::EC2::Instance"));
    let hover = client
        .request("textDocument/hover", position_params(at("ec2", 0, 1)))
        .unwrap();
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("ec2.amazonaws.com"));
    // The value rule the checker applies is part of the attribute's hover.
    client.replace(URI, 2, "repo app {\n  branch = \"main\"\n}\n");
    let hover = client
        .request(
            "textDocument/hover",
            position_params(json!({ "line": 1, "character": 3 })),
        )
        .unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("Allowed: a git branch name"), "{text}");
    assert!(client.shutdown().success());
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn completion_by_context_even_while_the_file_is_broken() {
    let mut client = started();
    // Top level: block kinds.
    client.replace(URI, 2, &format!("{PROGRAM}\nrep"));
    let end = json!({ "line": PROGRAM.lines().count() + 1, "character": 3 });
    let items = client
        .request("textDocument/completion", position_params(end))
        .unwrap();
    assert!(labels(&items).contains(&"repo".to_string()), "{items}");
    assert!(labels(&items).contains(&"pipeline".to_string()));
    // Attributes of the enclosing block, while the file does not parse.
    client.replace(URI, 3, &format!("{PROGRAM}\ndeploy d {{\n  con"));
    let position = json!({ "line": PROGRAM.lines().count() + 2, "character": 5 });
    let items = client
        .request("textDocument/completion", position_params(position))
        .unwrap();
    assert!(labels(&items).contains(&"config".to_string()), "{items}");
    // Enum values.
    client.replace(URI, 4, &format!("{PROGRAM}\ndeploy d {{\n  config = "));
    let position = json!({ "line": PROGRAM.lines().count() + 2, "character": 11 });
    let items = client
        .request("textDocument/completion", position_params(position))
        .unwrap();
    assert!(
        labels(&items).contains(&"one_at_a_time".to_string()),
        "{items}"
    );
    // References of the expected kind after `role.`, from the last good analysis.
    client.replace(URI, 5, &format!("{PROGRAM}\nbuild b {{\n  role = role."));
    let position = json!({ "line": PROGRAM.lines().count() + 2, "character": 14 });
    let items = client
        .request("textDocument/completion", position_params(position))
        .unwrap();
    assert_eq!(labels(&items), ["web"], "{items}");
    // Hook events.
    client.replace(URI, 6, &format!("{PROGRAM}\ndeploy d {{\n  hook "));
    let position = json!({ "line": PROGRAM.lines().count() + 2, "character": 7 });
    let items = client
        .request("textDocument/completion", position_params(position))
        .unwrap();
    assert!(
        labels(&items).contains(&"before_install".to_string()),
        "{items}"
    );
    // Stdlib modules and their presets.
    client.replace(
        URI,
        7,
        "use std.hooks.node\ndeploy d {\n  hook application_start \"s\" = node.",
    );
    let items = client
        .request(
            "textDocument/completion",
            position_params(json!({ "line": 2, "character": 38 })),
        )
        .unwrap();
    assert!(labels(&items).contains(&"start".to_string()), "{items}");
    client.replace(URI, 8, "use std.");
    let items = client
        .request(
            "textDocument/completion",
            position_params(json!({ "line": 0, "character": 8 })),
        )
        .unwrap();
    assert!(labels(&items).contains(&"std.roles".to_string()), "{items}");
    assert!(client.shutdown().success());
}

#[test]
fn definition_references_and_rename() {
    let mut client = started();
    let definition = client
        .request(
            "textDocument/definition",
            position_params(at("role.web", 0, 6)),
        )
        .unwrap();
    assert_eq!(definition["uri"], URI);
    assert_eq!(definition["range"]["start"], at("role web", 0, 5));

    let params = json!({ "textDocument": { "uri": URI }, "position": at("env", 0, 0), "context": { "includeDeclaration": true } });
    let references = client.request("textDocument/references", params).unwrap();
    let starts: Vec<Value> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|location| location["range"]["start"].clone())
        .collect();
    assert_eq!(starts, [at("env", 0, 0), at("env", 1, 0)]);

    let range = client
        .request(
            "textDocument/prepareRename",
            position_params(at("role.web", 0, 6)),
        )
        .unwrap();
    assert_eq!(range["start"], at("role.web", 0, 5));
    let params = json!({ "textDocument": { "uri": URI }, "position": at("role web", 0, 6), "newName": "site_role" });
    let edit = client.request("textDocument/rename", params).unwrap();
    let edits = edit["changes"][URI].as_array().unwrap();
    let mut starts: Vec<(u64, u64)> = edits
        .iter()
        .map(|edit| pos(&edit["range"]["start"]))
        .collect();
    starts.sort_unstable();
    assert_eq!(
        starts,
        [pos(&at("role web", 0, 5)), pos(&at("role.web", 0, 5))]
    );
    assert!(edits.iter().all(|edit| edit["newText"] == "site_role"));
    let params = json!({ "textDocument": { "uri": URI }, "position": at("role web", 0, 6), "newName": "not a name" });
    assert!(client.request("textDocument/rename", params).is_err());
    assert!(client.shutdown().success());
}

/// Go to definition on a stdlib preset opens the module's read-only copy in the cache, and
/// hover on it shows the preset's own doc comment.
#[test]
fn stdlib_presets_have_a_definition_and_their_own_docs() {
    let cache = tempfile::tempdir().unwrap();
    let seed = include_str!("../../../examples/seed-ec2/pipeline.pipe");
    let node = include_str!("../../../stdlib/hooks/node.pipe");
    let (mut client, _) =
        Client::start_with_env(json!({}), json!({}), &[("XDG_CACHE_HOME", cache.path())]);
    client.open(URI, seed);
    client.diagnostics_at(URI, 1);
    let offset = seed.find("node.start").unwrap() + 6;
    let line = seed[..offset].matches('\n').count();
    let column = offset - seed[..offset].rfind('\n').unwrap() - 1;
    let position = json!({ "line": line, "character": column });

    let hover = client
        .request("textDocument/hover", position_params(position.clone()))
        .unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("preset start"), "{text}");
    assert!(text.contains("Starts `entry` with node in `dir`"), "{text}");

    let path = cache.path().join(format!(
        "pipec/stdlib-{}/hooks/node.pipe",
        env!("CARGO_PKG_VERSION")
    ));
    for _ in 0..2 {
        let definition = client
            .request("textDocument/definition", position_params(position.clone()))
            .unwrap();
        assert_eq!(
            definition["uri"],
            format!("file://{}", path.display()),
            "{definition}"
        );
        let start = node.find("preset start").unwrap() + "preset ".len();
        let line = node[..start].matches('\n').count();
        assert_eq!(
            definition["range"]["start"],
            json!({ "line": line, "character": 7 })
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), node);
        assert!(std::fs::metadata(&path).unwrap().permissions().readonly());
        // A copy that differs (another build of the same version) is replaced.
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        std::fs::set_permissions(&path, permissions).unwrap();
        std::fs::write(&path, "changed").unwrap();
    }
    // The editor opens the copy: it is checked like any file, and is clean.
    let stdlib_uri = format!("file://{}", path.display());
    client.open(&stdlib_uri, node);
    let params = client.diagnostics_at(&stdlib_uri, 1);
    assert_eq!(params["diagnostics"], json!([]), "{params}");
    assert!(client.shutdown().success());
}

#[test]
fn deploy_targets_have_attributes_docs_and_references_from_the_schema() {
    let mut client = started();
    // The attributes of `ec2 { … }`, while the file does not parse.
    client.replace(
        URI,
        2,
        &format!("{PROGRAM}\ndeploy d {{\n  target = ec2 {{\n    ta"),
    );
    let position = json!({ "line": PROGRAM.lines().count() + 3, "character": 6 });
    let items = client
        .request("textDocument/completion", position_params(position))
        .unwrap();
    assert!(labels(&items).contains(&"tags".to_string()), "{items}");
    assert!(
        labels(&items).contains(&"tag_groups".to_string()),
        "{items}"
    );
    assert!(!labels(&items).contains(&"config".to_string()), "{items}");
    // `site = ` in `s3 { … }` offers the sites of the last good analysis (the typed spec
    // says `site` takes a site reference).
    client.replace(URI, 3, &format!("{PROGRAM}\nsite docs {{}}\n"));
    client.diagnostics_at(URI, 3);
    let text = format!("{PROGRAM}\nsite docs {{}}\ndeploy d {{\n  target = s3 {{ site = ");
    client.replace(URI, 4, &text);
    let last = text.lines().last().unwrap();
    let position = json!({ "line": text.lines().count() - 1, "character": last.len() });
    let items = client
        .request("textDocument/completion", position_params(position))
        .unwrap();
    assert!(labels(&items).contains(&"site.docs".to_string()), "{items}");
    assert!(!labels(&items).contains(&"role.web".to_string()), "{items}");
    // Hover on a target attribute shows its schema docs.
    let text =
        format!("{PROGRAM}\ndeploy d {{\n  target = ec2 {{\n    tag_groups = []\n  }}\n}}\n");
    client.replace(URI, 5, &text);
    let line = PROGRAM.lines().count() + 3;
    let hover = client
        .request(
            "textDocument/hover",
            position_params(json!({ "line": line, "character": 6 })),
        )
        .unwrap();
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        value.contains("**tag_groups**: list of tag maps"),
        "{hover}"
    );
    assert!(value.contains("Ec2TagSet"), "{hover}");
    assert!(client.shutdown().success());
}

#[test]
fn a_deploy_offers_the_exports_of_its_target() {
    let program = "repo app {}
build app {
  source = repo.app
  build { run \"make\" }
}
site docs {}
deploy web {
  from = build.app
  target = ec2 { tags = { Deploy = \"web\" } }
}
deploy docs {
  from = build.app
  target = s3 { site = site.docs }
}
output app = deploy.web.name
";
    let mut client = Client::start_default();
    client.open(URI, program);
    client.diagnostics_at(URI, 1);
    // Hover on an EC2 deploy's export shows its doc.
    let line = program.lines().count() - 1;
    let hover = client
        .request(
            "textDocument/hover",
            position_params(json!({ "line": line, "character": 25 })),
        )
        .unwrap();
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        value.contains("**deploy.web.name**: the CodeDeploy application name"),
        "{hover}"
    );
    // After `deploy.web.`: the exports of `ec2`; after `deploy.docs.`: none (an S3 deploy
    // exports nothing), from the last good analysis while the file is broken.
    for (version, name, expected) in [(2, "web", vec!["group", "name"]), (3, "docs", vec![])] {
        let text = format!("{program}output other = deploy.{name}.");
        client.replace(URI, version, &text);
        let last = text.lines().last().unwrap();
        let position = json!({ "line": text.lines().count() - 1, "character": last.len() });
        let items = client
            .request("textDocument/completion", position_params(position))
            .unwrap();
        let mut got = labels(&items);
        got.sort();
        assert_eq!(got, expected, "deploy.{name}.: {items}");
    }
    assert!(client.shutdown().success());
}
