//! A last check on the finished template: every `Ref`, `Fn::GetAtt`, `${…}` of an `Fn::Sub` and
//! `DependsOn` names something the template declares (a resource, a parameter) or a pseudo
//! parameter (`AWS::Region`, …). Sema only lets references to declared blocks through and emit
//! builds each from the schema's mapping, so a dangling one is a bug in pipec: reported as P9000
//! here rather than as a template CloudFormation rejects at deploy time.

use std::collections::BTreeSet;

use serde_json::Value;

/// The references of `template` that name nothing it declares, each as `where: what`.
pub(crate) fn dangling(template: &Value) -> Vec<String> {
    let declared: BTreeSet<&str> = ["Resources", "Parameters"]
        .iter()
        .filter_map(|section| template.get(section)?.as_object())
        .flat_map(|map| map.keys().map(String::as_str))
        .collect();
    let mut found = Vec::new();
    walk(
        template,
        &mut String::new(),
        &declared,
        &BTreeSet::new(),
        &mut found,
    );
    found
}

fn known(name: &str, declared: &BTreeSet<&str>, locals: &BTreeSet<String>) -> bool {
    name.starts_with("AWS::") || declared.contains(name) || locals.contains(name)
}

fn walk(
    value: &Value,
    at: &mut String,
    declared: &BTreeSet<&str>,
    locals: &BTreeSet<String>,
    found: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(target)) = map.get("Ref") {
                    if !known(target, declared, locals) {
                        found.push(format!("{at}: Ref to `{target}`"));
                    }
                    return;
                }
                if let Some(get_att) = map.get("Fn::GetAtt") {
                    let target = match get_att {
                        Value::Array(parts) => parts.first().and_then(Value::as_str),
                        Value::String(dotted) => dotted.split('.').next(),
                        _ => None,
                    };
                    match target {
                        Some(target) if declared.contains(target) => {}
                        _ => found.push(format!("{at}: Fn::GetAtt of `{get_att}`")),
                    }
                    return;
                }
                if let Some(sub) = map.get("Fn::Sub") {
                    let (text, variables) = match sub {
                        Value::String(text) => (Some(text.as_str()), None),
                        Value::Array(parts) => (
                            parts.first().and_then(Value::as_str),
                            parts.get(1).and_then(Value::as_object),
                        ),
                        _ => (None, None),
                    };
                    let mut scope = locals.clone();
                    if let Some(variables) = variables {
                        scope.extend(variables.keys().cloned());
                        for (name, inner) in variables {
                            let len = at.len();
                            at.push_str(&format!(".Fn::Sub.{name}"));
                            walk(inner, at, declared, locals, found);
                            at.truncate(len);
                        }
                    }
                    for name in sub_names(text.unwrap_or_default()) {
                        let base = name.split('.').next().unwrap_or_default();
                        if !known(base, declared, &scope) {
                            found.push(format!("{at}: Fn::Sub names `${{{name}}}`"));
                        }
                    }
                    return;
                }
            }
            for (key, inner) in map {
                if key == "DependsOn" {
                    let targets: Vec<&str> = match inner {
                        Value::String(one) => vec![one.as_str()],
                        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                        _ => Vec::new(),
                    };
                    for target in targets {
                        if !declared.contains(target) {
                            found.push(format!("{at}.DependsOn: `{target}`"));
                        }
                    }
                    continue;
                }
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(key);
                walk(inner, at, declared, locals, found);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{index}]"));
                walk(inner, at, declared, locals, found);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// The `${Name}` and `${Name.Attr}` of an `Fn::Sub` template; `${!…}` is literal text.
fn sub_names(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            out.push(name.trim());
        }
        rest = &after[end + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::dangling;

    #[test]
    fn declared_names_and_pseudo_parameters_are_fine() {
        let template = json!({
            "Resources": {
                "Repo": { "Type": "AWS::CodeCommit::Repository" },
                "Role": {
                    "Type": "AWS::IAM::Role",
                    "DependsOn": ["Repo"],
                    "Properties": {
                        "A": { "Ref": "Repo" },
                        "B": { "Fn::GetAtt": ["Repo", "Arn"] },
                        "C": { "Fn::GetAtt": "Repo.Arn" },
                        "D": { "Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${Repo.Name}/${!Literal}" },
                        "E": { "Fn::Sub": ["${Local}-${Repo}", { "Local": { "Ref": "AWS::StackName" } }] }
                    }
                }
            },
            "Outputs": { "O": { "Value": { "Ref": "Role" } } }
        });
        assert_eq!(dangling(&template), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_dangling_reference_is_found_where_it_is() {
        let template = json!({
            "Resources": {
                "Role": {
                    "Type": "AWS::IAM::Role",
                    "DependsOn": "Gone",
                    "Properties": {
                        "A": { "Ref": "Missing" },
                        "B": [{ "Fn::GetAtt": ["Nope", "Arn"] }],
                        "C": { "Fn::Sub": "${Absent.Arn}" },
                        "D": { "Fn::Sub": ["${X}", { "X": { "Ref": "Lost" } }] }
                    }
                }
            },
            "Outputs": { "O": { "Value": { "Fn::GetAtt": "Away.Name" } } }
        });
        assert_eq!(
            dangling(&template),
            [
                "Outputs.O.Value: Fn::GetAtt of `\"Away.Name\"`",
                "Resources.Role.DependsOn: `Gone`",
                "Resources.Role.Properties.A: Ref to `Missing`",
                "Resources.Role.Properties.B[0]: Fn::GetAtt of `[\"Nope\",\"Arn\"]`",
                "Resources.Role.Properties.C: Fn::Sub names `${Absent.Arn}`",
                "Resources.Role.Properties.D.Fn::Sub.X: Ref to `Lost`",
            ]
        );
    }
}
