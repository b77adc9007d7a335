//! Whether the program's instances have a network to land in, asked before planning. An
//! `instance` without `subnet` is launched into the region's default VPC (and its security group,
//! without `vpc`, is made there); in an account or region without a default VPC, CloudFormation
//! fails at the security group or the instance ("No default VPC for this user"), after the
//! stack has started changing. [`check_network`] finds out first through [`Ec2Api`] and reports
//! `P6033` at each such instance's `.pipe` line, saying what to set. When EC2 cannot be asked
//! (`ec2:DescribeVpcs` denied, an emulator without EC2, …) it warns (`P6034`) and planning goes on.

use pipec_diagnostics::{Code, Diagnostic};
use serde_json::Value;

use crate::api::{ApiErrorKind, Ec2Api};
use crate::errors::api_diagnostic;
use crate::located::Located;
use crate::manifest::{parse_source, Manifest};

/// What [`check_network`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkCheck {
    /// `P6033` at each instance that needs a default VPC the region does not have.
    pub errors: Vec<Located>,
    /// `P6034` when the default VPC could not be looked up.
    pub warnings: Vec<Diagnostic>,
    /// True when EC2 was asked (the program has an instance without `subnet`).
    pub asked: bool,
}

impl NetworkCheck {
    /// True when planning must stop.
    #[must_use]
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// The logical ids of the template's instances that launch into the default VPC: an
/// `AWS::EC2::Instance` without `SubnetId` or `NetworkInterfaces`.
#[must_use]
pub fn instances_without_subnet(template_body: &str) -> Vec<String> {
    let Ok(template) = serde_json::from_str::<Value>(template_body) else {
        return Vec::new();
    };
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    resources
        .iter()
        .filter(|(_, body)| body.get("Type").and_then(Value::as_str) == Some("AWS::EC2::Instance"))
        .filter(|(_, body)| {
            let properties = body.get("Properties");
            let has = |name: &str| properties.and_then(|p| p.get(name)).is_some();
            !has("SubnetId") && !has("NetworkInterfaces")
        })
        .map(|(logical_id, _)| logical_id.clone())
        .collect()
}

/// Asks EC2 for the region's default VPC when the template has an instance without a subnet;
/// `P6033` at each such instance when there is none, `P6034` when EC2 cannot be asked.
pub async fn check_network(
    ec2: &dyn Ec2Api,
    template_body: &str,
    manifest: &Manifest,
) -> NetworkCheck {
    let instances = instances_without_subnet(template_body);
    if instances.is_empty() {
        return NetworkCheck::default();
    }
    let mut check = NetworkCheck {
        asked: true,
        ..NetworkCheck::default()
    };
    match ec2.default_vpc().await {
        Ok(Some(_)) => {}
        Ok(None) => {
            check.errors = instances
                .iter()
                .map(|logical_id| no_default_vpc(logical_id, manifest))
                .collect();
        }
        Err(error) => {
            let reason = if error.kind == ApiErrorKind::AccessDenied {
                "the credentials may not call `ec2:DescribeVpcs`".to_string()
            } else {
                api_diagnostic(&error).message
            };
            check.warnings.push(
                Diagnostic::warning(
                    Code::DEFAULT_VPC_UNKNOWN,
                    "cannot tell whether the region has a default VPC",
                )
                .note(format!(
                    "pipec asks EC2 (`DescribeVpcs`) because {} into the default VPC; {reason}.",
                    described(&instances, manifest)
                ))
                .help("Planning goes on. If the account has no default VPC in this region, set `subnet` and `vpc` on each `instance`; to let pipec check, allow `ec2:DescribeVpcs`."),
            );
        }
    }
    check
}

/// `` `instance.web` launches `` or `2 instances launch`.
fn described(instances: &[String], manifest: &Manifest) -> String {
    match instances {
        [one] => format!("`{}` launches", block_of(one, manifest)),
        many => format!("{} instances launch", many.len()),
    }
}

fn block_of(logical_id: &str, manifest: &Manifest) -> String {
    manifest
        .resource(logical_id)
        .map(|entry| entry.block.clone())
        .filter(|block| !block.is_empty())
        .unwrap_or_else(|| logical_id.to_string())
}

fn no_default_vpc(logical_id: &str, manifest: &Manifest) -> Located {
    let block = block_of(logical_id, manifest);
    let location = manifest
        .resource(logical_id)
        .and_then(|entry| parse_source(&entry.source));
    Located {
        diagnostic: Diagnostic::error(
            Code::NO_DEFAULT_VPC,
            format!("`{block}` needs a default VPC, and the region has none"),
        )
        .note("An instance without `subnet` is launched into the region's default VPC, and its security group is made there; this account has no default VPC in the region, so CloudFormation would fail at them after the stack has started changing.")
        .help("Set `subnet = \"subnet-…\"` and `vpc = \"vpc-…\"` (the subnet's VPC) on the instance; `aws ec2 describe-subnets` lists them. Or create a default VPC with `aws ec2 create-default-vpc`."),
        location,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_instances_without_a_subnet_need_the_default_vpc() {
        let template = serde_json::json!({"Resources": {
            "InstanceWeb": {"Type": "AWS::EC2::Instance", "Properties": {"InstanceType": "t3.micro"}},
            "InstanceApi": {"Type": "AWS::EC2::Instance", "Properties": {"SubnetId": "subnet-1"}},
            "InstanceEni": {"Type": "AWS::EC2::Instance", "Properties": {"NetworkInterfaces": []}},
            "RepoApp": {"Type": "AWS::CodeCommit::Repository"}
        }});
        assert_eq!(
            instances_without_subnet(&template.to_string()),
            vec!["InstanceWeb".to_string()]
        );
        assert!(instances_without_subnet("not json").is_empty());
        assert!(instances_without_subnet("{}").is_empty());
    }
}
