//! The emit context: logical-id allocation, the resource table with its manifest metadata,
//! and small builders for CloudFormation intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Sub`) and tags.
//! It owns no knowledge of particular AWS resource types.

use std::collections::BTreeMap;

use pipec_diagnostics::Diagnostic;
use pipec_ir::{Kind, Program, Tag};
use serde_json::{json, Map, Value};

/// What the manifest records about one resource.
#[derive(Clone, Debug)]
pub(crate) struct ResourceMeta {
    /// CloudFormation type.
    pub(crate) kind: String,
    /// `repo.app`, or `""` for shared resources.
    pub(crate) block: String,
    /// `file:line`.
    pub(crate) source: String,
    /// Holds data (Retain).
    pub(crate) data: bool,
}

/// Where a resource came from.
#[derive(Clone, Debug)]
pub(crate) struct Owner {
    /// `repo.app`, or `""`.
    pub(crate) block: String,
    /// `file:line`.
    pub(crate) source: String,
}

impl Owner {
    /// The owner for a block of `kind` with its origin.
    pub(crate) fn block(kind: Kind, origin: &pipec_ir::Origin) -> Owner {
        Owner {
            block: format!("{}.{}", kind.keyword(), origin.name),
            source: origin.location.clone(),
        }
    }
}

/// State shared by every lowering function.
pub(crate) struct Ctx<'p> {
    /// The program.
    pub(crate) program: &'p Program,
    /// `Resources` of the template.
    pub(crate) resources: Map<String, Value>,
    /// Manifest data per logical id.
    pub(crate) meta: BTreeMap<String, ResourceMeta>,
    /// Diagnostics (bugs and quotas).
    pub(crate) diags: Vec<Diagnostic>,
    /// Logical ids by `(kind keyword, block name, suffix)`.
    ids: BTreeMap<(String, String, String), String>,
    /// Logical ids in use.
    taken: std::collections::BTreeSet<String>,
    /// Some IAM resource is created.
    any_iam: bool,
    /// Some IAM resource has an explicit name.
    named_iam: bool,
}

impl<'p> Ctx<'p> {
    /// A fresh context.
    pub(crate) fn new(program: &'p Program) -> Self {
        Ctx {
            program,
            resources: Map::new(),
            meta: BTreeMap::new(),
            diags: Vec::new(),
            ids: BTreeMap::new(),
            taken: std::collections::BTreeSet::new(),
            any_iam: false,
            named_iam: false,
        }
    }

    /// The logical id of `suffix` for the block `name` of `kind` (`""` for shared
    /// resources): `prefix + PascalCase(name) + suffix`, allocated on first use. A collision
    /// (`a-b` and `a_b` both give `AB`) gets the next free number appended; allocation happens
    /// in program order, so the result is stable.
    pub(crate) fn lid(&mut self, prefix: &str, name: &str, suffix: &str) -> String {
        let key = (prefix.to_string(), name.to_string(), suffix.to_string());
        if let Some(id) = self.ids.get(&key) {
            return id.clone();
        }
        let base = format!("{prefix}{}{suffix}", pascal(name));
        let base = if base.is_empty() {
            "Resource".to_string()
        } else {
            base
        };
        let mut id = base.clone();
        let mut n = 2;
        while self.taken.contains(&id) {
            id = format!("{base}{n}");
            n += 1;
        }
        self.taken.insert(id.clone());
        self.ids.insert(key, id.clone());
        id
    }

    /// Adds a resource with its `Metadata.pipec`. `extra` holds top-level attributes such as
    /// `DependsOn` or `DeletionPolicy`.
    pub(crate) fn add(
        &mut self,
        id: &str,
        kind: &str,
        owner: &Owner,
        properties: Map<String, Value>,
        extra: Map<String, Value>,
    ) {
        let data = extra
            .get("DeletionPolicy")
            .is_some_and(|policy| policy == "Retain" || policy == "RetainExceptOnCreate");
        if kind.starts_with("AWS::IAM::") {
            self.any_iam = true;
            let named = [
                "RoleName",
                "UserName",
                "GroupName",
                "InstanceProfileName",
                "ManagedPolicyName",
            ];
            if named.iter().any(|key| properties.contains_key(*key)) {
                self.named_iam = true;
            }
        }
        let mut resource = Map::new();
        resource.insert("Type".into(), json!(kind));
        resource.insert(
            "Metadata".into(),
            json!({ "pipec": { "source": owner.source, "block": owner.block } }),
        );
        if !properties.is_empty() {
            resource.insert("Properties".into(), Value::Object(properties));
        }
        resource.extend(extra);
        if self
            .resources
            .insert(id.to_string(), Value::Object(resource))
            .is_some()
        {
            self.diags
                .push(Diagnostic::bug(format!("logical id `{id}` emitted twice")));
        }
        self.meta.insert(
            id.to_string(),
            ResourceMeta {
                kind: kind.to_string(),
                block: owner.block.clone(),
                source: owner.source.clone(),
                data,
            },
        );
    }

    /// The stack capabilities the template needs.
    pub(crate) fn capabilities(&self) -> Vec<String> {
        if self.named_iam {
            vec!["CAPABILITY_NAMED_IAM".to_string()]
        } else if self.any_iam {
            vec!["CAPABILITY_IAM".to_string()]
        } else {
            Vec::new()
        }
    }

    /// Records a compiler bug.
    pub(crate) fn bug(&mut self, message: impl Into<String>) {
        self.diags.push(Diagnostic::bug(message));
    }

    /// The owner record for shared resources.
    pub(crate) fn shared_owner(&self) -> Owner {
        Owner {
            block: String::new(),
            source: self.program.source_name.clone(),
        }
    }
}

/// For resources that hold data: kept when the stack deletes them (`RetainExceptOnCreate`) and
/// when an update replaces them (`UpdateReplacePolicy: Retain`). `RetainExceptOnCreate` (since
/// July 2023) still deletes a resource that the operation now rolling back had created, so a
/// failed first create leaves no named repository or bucket behind to make every retry fail
/// "already exists" (aws-facts §9); a resource that held data before is never deleted.
pub(crate) fn retain() -> Map<String, Value> {
    let mut extra = Map::new();
    extra.insert("DeletionPolicy".into(), json!("RetainExceptOnCreate"));
    extra.insert("UpdateReplacePolicy".into(), json!("Retain"));
    extra
}

/// `DependsOn` a list of logical ids.
pub(crate) fn depends_on(ids: &[String]) -> Map<String, Value> {
    let mut extra = Map::new();
    if !ids.is_empty() {
        extra.insert("DependsOn".into(), json!(ids));
    }
    extra
}

/// Upper camel case of the alphanumeric runs of `name`: `my_app-2` → `MyApp2`.
pub(crate) fn pascal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            if upper {
                out.push(ch.to_ascii_uppercase());
            } else {
                out.push(ch);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

/// `{"Ref": id}`.
pub(crate) fn cfn_ref(id: &str) -> Value {
    json!({ "Ref": id })
}

/// `{"Fn::GetAtt": [id, attr]}`.
pub(crate) fn get_att(id: &str, attr: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attr] })
}

/// `{"Fn::Sub": template}`.
pub(crate) fn sub(template: &str) -> Value {
    json!({ "Fn::Sub": template })
}

/// Escapes literal text for an `Fn::Sub` template: `${` becomes `${!`.
pub(crate) fn sub_escape(text: &str) -> String {
    text.replace("${", "${!")
}

/// `Tags` as a list of `{Key, Value}`; `None` when empty.
pub(crate) fn tags(tags: &[Tag]) -> Option<Value> {
    if tags.is_empty() {
        return None;
    }
    Some(Value::Array(
        tags.iter()
            .map(|tag| json!({ "Key": tag.key, "Value": tag.value }))
            .collect(),
    ))
}

/// Inserts `Tags` when there are any.
pub(crate) fn put_tags(properties: &mut Map<String, Value>, list: &[Tag]) {
    if let Some(value) = tags(list) {
        properties.insert("Tags".into(), value);
    }
}

/// Pretty JSON, two-space indent, trailing newline, keys sorted. Sorting is explicit so that
/// the bytes stay the same even in a build where some dependency turns on serde_json's
/// `preserve_order` (the optional `deep` feature does).
pub(crate) fn to_json_bytes(value: &mut Value, diags: &mut Vec<Diagnostic>) -> Vec<u8> {
    value.sort_all_objects();
    match serde_json::to_vec_pretty(value) {
        Ok(mut bytes) => {
            bytes.push(b'\n');
            bytes
        }
        Err(error) => {
            diags.push(Diagnostic::bug(format!("cannot serialize JSON: {error}")));
            Vec::new()
        }
    }
}

/// The pipeline ARN, built with `Fn::Sub` (it is not a GetAtt).
pub(crate) fn pipeline_arn(name: &str) -> Value {
    sub(&format!(
        "arn:${{AWS::Partition}}:codepipeline:${{AWS::Region}}:${{AWS::AccountId}}:{}",
        sub_escape(name)
    ))
}

/// A service trust policy. Against the confused deputy, every service that assumes the role on
/// behalf of a resource of this account is held to this account (`aws:SourceAccount`) and, when
/// the caller passes its resource (`source_arn`), to that resource (`aws:SourceArn`). CodeBuild,
/// CodeDeploy, CodePipeline and EventBridge document these keys for their service roles
/// (aws-facts §9 "Confused deputy"; CodeDeploy: "Cross-service confused deputy prevention",
/// SourceArn = the deployment group ARN; CodeBuild: SourceArn = the project ARN). EC2 sets
/// neither when an instance profile's role is assumed, so `ec2.amazonaws.com` stays
/// unconditioned, in a statement of its own.
pub(crate) fn trust(services: &[&str], source_arn: Option<&Value>) -> Value {
    let (ec2, others): (Vec<&str>, Vec<&str>) = services
        .iter()
        .partition(|service| service.starts_with("ec2."));
    let mut statements = Vec::new();
    if !ec2.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Principal": { "Service": ec2 },
            "Action": "sts:AssumeRole"
        }));
    }
    if !others.is_empty() {
        let mut condition = json!({
            "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } }
        });
        if let Some(arn) = source_arn {
            condition["ArnLike"] = json!({ "aws:SourceArn": arn });
        }
        statements.push(json!({
            "Effect": "Allow",
            "Principal": { "Service": others },
            "Action": "sts:AssumeRole",
            "Condition": condition
        }));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// A policy document from statements.
pub(crate) fn document(statements: Vec<Value>) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// One Allow statement.
pub(crate) fn allow(sid: &str, actions: &[&str], resources: Vec<Value>) -> Value {
    json!({ "Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources })
}

#[cfg(test)]
mod tests {
    use super::pascal;

    #[test]
    fn pascal_case_keeps_only_alphanumerics() {
        assert_eq!(pascal("app"), "App");
        assert_eq!(pascal("my_app-2"), "MyApp2");
        assert_eq!(pascal("fe.web"), "FeWeb");
        assert_eq!(pascal("ünï"), "N");
        assert_eq!(pascal("é"), "");
    }
}
