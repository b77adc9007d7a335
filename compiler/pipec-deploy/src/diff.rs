//! From CloudFormation's resource changes to the plan's [`ResourceChange`]s: the `.pipe` block
//! and source of each resource (from the manifest, or the deployed template for removed ones),
//! the property changes with short before/after values, replacement reasons, and the replaced
//! EC2 instances a deployment group selects (`needs_redeploy`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::api::{CloudFormationApi, RawChangeDetail, RawResourceChange};
use crate::manifest::Manifest;
use crate::plan::{ChangeAction, PropertyChange, ResourceChange};

pub(crate) fn new_change(
    action: ChangeAction,
    logical_id: &str,
    resource_type: &str,
    physical_id: Option<String>,
    manifest: &Manifest,
) -> ResourceChange {
    let entry = manifest.resource(logical_id);
    ResourceChange {
        action,
        conditional: false,
        logical_id: logical_id.to_string(),
        resource_type: resource_type.to_string(),
        physical_id,
        block: entry.map(|entry| entry.block.clone()).unwrap_or_default(),
        source: entry
            .map(|entry| entry.source.clone())
            .filter(|source| !source.is_empty()),
        data: entry.is_some_and(|entry| entry.data),
        iam: resource_type.starts_with("AWS::IAM::"),
        replacement_reasons: Vec::new(),
        properties: Vec::new(),
        needs_redeploy: false,
    }
}

pub(crate) fn needs_deployed_template(raw: &[RawResourceChange]) -> bool {
    raw.iter().any(|change| {
        change.action == "Modify"
            && change.before_context.is_none()
            && change
                .details
                .iter()
                .all(|detail| detail.before_value.is_none() && detail.after_value.is_none())
    })
}

/// True when a removed resource is not in the (new) manifest: its block, source and data flag
/// then come from the deployed template.
pub(crate) fn removes_unknown(raw: &[RawResourceChange], manifest: &Manifest) -> bool {
    raw.iter()
        .any(|change| change.action == "Remove" && manifest.resource(&change.logical_id).is_none())
}

/// Fills a removed resource's block, source and data flag from the deployed template: the
/// `Metadata.pipec` that emit writes, and `DeletionPolicy: Retain` (emit's mark of data).
fn from_deployed(resource: &mut ResourceChange, deployed: Option<&Value>) {
    let Some(body) = deployed
        .and_then(|template| template.get("Resources"))
        .and_then(|resources| resources.get(&resource.logical_id))
    else {
        return;
    };
    let meta = body.pointer("/Metadata/pipec");
    let field = |name: &str| {
        meta.and_then(|meta| meta.get(name))
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(ToString::to_string)
    };
    if let Some(block) = field("block") {
        resource.block = block;
    }
    if resource.source.is_none() {
        resource.source = field("source");
    }
    let policy = body.get("DeletionPolicy").and_then(Value::as_str);
    resource.data |= matches!(policy, Some("Retain" | "RetainExceptOnCreate" | "Snapshot"));
}

/// The plan's changes from a change set's `raw` changes. The deployed template of `stack` (a
/// name or id) is read only for an update whose changes need it (a replacement reason, or a
/// removed resource the manifest does not know); `template_body` is the proposed template.
pub(crate) async fn changes_of(
    api: &dyn CloudFormationApi,
    stack: &str,
    create: bool,
    raw: &[RawResourceChange],
    manifest: &Manifest,
    template_body: &str,
) -> Vec<ResourceChange> {
    let deployed = if !create && (needs_deployed_template(raw) || removes_unknown(raw, manifest)) {
        api.get_template(stack)
            .await
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    } else {
        None
    };
    let proposed = serde_json::from_str::<Value>(template_body).ok();
    build_changes(raw, manifest, deployed.as_ref(), proposed.as_ref())
}

/// Builds the diff model from CloudFormation's changes.
pub(crate) fn build_changes(
    raw: &[RawResourceChange],
    manifest: &Manifest,
    deployed: Option<&Value>,
    proposed: Option<&Value>,
) -> Vec<ResourceChange> {
    let mut changes: Vec<ResourceChange> = raw
        .iter()
        .map(|change| {
            let action = match (change.action.as_str(), change.replacement.as_str()) {
                ("Add", _) => ChangeAction::Add,
                ("Remove", _) => ChangeAction::Remove,
                ("Modify", "True" | "Conditional") => ChangeAction::Replace,
                ("Modify", _) => ChangeAction::Modify,
                ("Import", _) => ChangeAction::Import,
                _ => ChangeAction::Dynamic,
            };
            let mut resource = new_change(
                action,
                &change.logical_id,
                &change.resource_type,
                change.physical_id.clone(),
                manifest,
            );
            resource.conditional = change.replacement == "Conditional";
            if action == ChangeAction::Remove && manifest.resource(&change.logical_id).is_none() {
                from_deployed(&mut resource, deployed);
            }
            if matches!(
                action,
                ChangeAction::Modify | ChangeAction::Replace | ChangeAction::Dynamic
            ) {
                resource.properties = property_changes(change, deployed, proposed);
                resource.replacement_reasons = replacement_reasons(&change.details);
                if action == ChangeAction::Replace && resource.replacement_reasons.is_empty() {
                    resource
                        .replacement_reasons
                        .push("CloudFormation replaces it".to_string());
                }
            }
            resource.needs_redeploy = action == ChangeAction::Replace
                && change.resource_type == "AWS::EC2::Instance"
                && proposed.is_some_and(|template| deployed_to(template, &change.logical_id));
            resource
        })
        .collect();
    changes.sort_by_key(ResourceChange::order_key);
    changes
}

/// True when a deployment group of `template` selects the instance `logical_id`.
fn deployed_to(template: &Value, logical_id: &str) -> bool {
    !groups_selecting(template, logical_id).is_empty()
}

/// The logical ids of the deployment groups of `template` that select the instance
/// `logical_id` by its tags: `Ec2TagFilters` are OR-ed, the groups of `Ec2TagSet` AND-ed
/// (aws-facts §9).
pub(crate) fn groups_selecting(template: &Value, logical_id: &str) -> Vec<String> {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    let tags: Vec<(&str, &str)> = resources
        .get(logical_id)
        .and_then(|instance| instance.pointer("/Properties/Tags"))
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|tag| {
                    (
                        tag.get("Key").and_then(Value::as_str).unwrap_or_default(),
                        tag.get("Value").and_then(Value::as_str).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let matches = |filter: &Value| {
        let key = filter
            .get("Key")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let value = filter
            .get("Value")
            .and_then(Value::as_str)
            .unwrap_or_default();
        tags.iter()
            .any(|(k, v)| match filter.get("Type").and_then(Value::as_str) {
                Some("KEY_ONLY") => *k == key,
                Some("VALUE_ONLY") => *v == value,
                _ => *k == key && *v == value,
            })
    };
    let selects = |resource: &Value| {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::CodeDeploy::DeploymentGroup")
        {
            return false;
        }
        if let Some(filters) = resource
            .pointer("/Properties/Ec2TagFilters")
            .and_then(Value::as_array)
        {
            return filters.iter().any(matches);
        }
        resource
            .pointer("/Properties/Ec2TagSet/Ec2TagSetList")
            .and_then(Value::as_array)
            .is_some_and(|groups| {
                !groups.is_empty()
                    && groups.iter().all(|group| {
                        group
                            .get("Ec2TagGroup")
                            .and_then(Value::as_array)
                            .is_some_and(|filters| filters.iter().any(matches))
                    })
            })
    };
    resources
        .iter()
        .filter(|(_, resource)| selects(resource))
        .map(|(group, _)| group.clone())
        .collect()
}

fn detail_name(detail: &RawChangeDetail) -> String {
    match (&detail.name, &detail.path) {
        (Some(name), _) => name.clone(),
        (None, Some(path)) => path
            .trim_start_matches("/Properties/")
            .trim_start_matches('/')
            .to_string(),
        (None, None) => detail.attribute.clone(),
    }
}

fn replacement_reasons(details: &[RawChangeDetail]) -> Vec<String> {
    let mut reasons: Vec<String> = Vec::new();
    for detail in details {
        let reason = match detail.requires_recreation.as_str() {
            "Always" => format!("`{}` requires replacement", detail_name(detail)),
            "Conditionally" => format!("`{}` may require replacement", detail_name(detail)),
            _ => continue,
        };
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    reasons
}

/// The changed properties: CloudFormation's own values first, then its before/after contexts,
/// then a comparison of the deployed and the new template (for emulators that give neither).
fn property_changes(
    change: &RawResourceChange,
    deployed: Option<&Value>,
    proposed: Option<&Value>,
) -> Vec<PropertyChange> {
    let mut by_name: BTreeMap<String, PropertyChange> = BTreeMap::new();
    for detail in &change.details {
        let name = detail_name(detail);
        let entry = by_name
            .entry(name.clone())
            .or_insert_with(|| PropertyChange {
                name,
                before: None,
                after: None,
                recreation: String::new(),
                caused_by: None,
            });
        if entry.before.is_none() {
            entry.before = detail.before_value.as_deref().map(short_text);
        }
        if entry.after.is_none() {
            entry.after = detail.after_value.as_deref().map(short_text);
        }
        let recreation = detail.requires_recreation.to_lowercase();
        if rank(&recreation) > rank(&entry.recreation) {
            entry.recreation = recreation;
        }
        if detail.change_source.as_deref() != Some("DirectModification") {
            if let Some(cause) = &detail.causing_entity {
                entry.caused_by = Some(cause.clone());
            }
        }
    }
    let contexts = change
        .before_context
        .as_deref()
        .zip(change.after_context.as_deref())
        .and_then(|(before, after)| {
            Some((
                properties_of(&serde_json::from_str(before).ok()?),
                properties_of(&serde_json::from_str(after).ok()?),
            ))
        });
    let templates = || {
        let resource =
            |template: &Value| template.get("Resources")?.get(&change.logical_id).cloned();
        Some((
            resource(deployed?)
                .map(|r| properties_of(&r))
                .unwrap_or_default(),
            resource(proposed?)
                .map(|r| properties_of(&r))
                .unwrap_or_default(),
        ))
    };
    if let Some((before, after)) = contexts.or_else(templates) {
        let names: std::collections::BTreeSet<&String> =
            before.keys().chain(after.keys()).collect();
        for name in names {
            let (old, new) = (before.get(name), after.get(name));
            if old == new {
                continue;
            }
            let entry = by_name
                .entry(name.clone())
                .or_insert_with(|| PropertyChange {
                    name: name.clone(),
                    before: None,
                    after: None,
                    recreation: "never".to_string(),
                    caused_by: None,
                });
            if entry.before.is_none() {
                entry.before = old.map(short_value);
            }
            if entry.after.is_none() {
                entry.after = new.map(short_value);
            }
        }
    }
    by_name.into_values().collect()
}

fn rank(recreation: &str) -> u8 {
    match recreation {
        "always" => 3,
        "conditionally" => 2,
        "never" => 1,
        _ => 0,
    }
}

/// The `Properties` object of a resource (or the value itself when it has none).
fn properties_of(value: &Value) -> serde_json::Map<String, Value> {
    value
        .get("Properties")
        .unwrap_or(value)
        .as_object()
        .cloned()
        .unwrap_or_default()
}

const SHORT: usize = 80;

fn short_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ (Value::Array(_) | Value::Object(_))) => short_value(&value),
        _ => cut(text),
    }
}

/// A value in one short line: tag lists as `k=v, …`, strings as they are, the rest as JSON.
fn short_value(value: &Value) -> String {
    if let Some(tags) = as_tags(value) {
        return cut(&tags);
    }
    match value {
        Value::String(text) => cut(text),
        other => cut(&other.to_string()),
    }
}

fn as_tags(value: &Value) -> Option<String> {
    let items = value.as_array()?;
    let pairs: Option<Vec<String>> = items
        .iter()
        .map(|item| {
            let object = item.as_object()?;
            if object.len() != 2 {
                return None;
            }
            let key = object.get("Key")?.as_str()?;
            let value = object.get("Value")?;
            Some(format!(
                "{key}={}",
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), ToString::to_string)
            ))
        })
        .collect();
    pairs
        .filter(|pairs| !pairs.is_empty())
        .map(|pairs| pairs.join(", "))
}

fn cut(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > SHORT {
        format!("{}…", line.chars().take(SHORT).collect::<String>())
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_short() {
        let value: Value =
            serde_json::json!([{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "fe"}]);
        assert_eq!(short_value(&value), "env=dev, team=fe");
        assert_eq!(short_text("plain"), "plain");
        assert!(short_value(&Value::String("x".repeat(200))).ends_with('…'));
    }

    #[test]
    fn a_removed_resource_is_described_by_the_deployed_template() {
        // The new manifest no longer knows `RepoApp`; the deployed template does.
        let deployed = serde_json::json!({"Resources": {"RepoApp": {
            "Type": "AWS::CodeCommit::Repository",
            "DeletionPolicy": "Retain",
            "Metadata": {"pipec": {"block": "repo.app", "source": "pipeline.pipe:16"}}
        }}});
        let raw = vec![RawResourceChange {
            action: "Remove".to_string(),
            logical_id: "RepoApp".to_string(),
            resource_type: "AWS::CodeCommit::Repository".to_string(),
            ..RawResourceChange::default()
        }];
        let manifest = Manifest::default();
        assert!(removes_unknown(&raw, &manifest));
        let changes = build_changes(&raw, &manifest, Some(&deployed), None);
        assert_eq!(changes[0].block, "repo.app");
        assert_eq!(changes[0].source.as_deref(), Some("pipeline.pipe:16"));
        assert!(changes[0].loses_data());
        let unknown = build_changes(&raw, &manifest, None, None);
        assert!(!unknown[0].loses_data());
    }
}
