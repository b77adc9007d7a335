//! The default-VPC check before planning, through the scripted `FakeEc2`: an instance without
//! `subnet` in a region without a default VPC is `P6033` at its `.pipe` line; a denied lookup is
//! a `P6034` warning and planning goes on; a program whose instances all have a subnet asks
//! nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod common;

use pipec_deploy::api::{ApiError, ApiErrorKind};
use pipec_deploy::fake::FakeEc2;
use pipec_deploy::{check_network, Manifest, ManifestResource};

use common::diagnostics_text;

/// `instance.web` without a subnet, `instance.api` with one.
const TEMPLATE: &str = r#"{"Resources": {
    "InstanceWeb": {"Type": "AWS::EC2::Instance", "Properties": {"InstanceType": "t3.micro"}},
    "InstanceApi": {"Type": "AWS::EC2::Instance", "Properties": {"SubnetId": "subnet-1"}},
    "RepoApp": {"Type": "AWS::CodeCommit::Repository"}
}}"#;

fn manifest() -> Manifest {
    let mut manifest = Manifest::default();
    for (logical_id, block, source) in [
        ("InstanceWeb", "instance.web", "pipeline.pipe:29"),
        ("InstanceApi", "instance.api", "pipeline.pipe:40"),
    ] {
        manifest.resources.insert(
            logical_id.to_string(),
            ManifestResource {
                resource_type: "AWS::EC2::Instance".to_string(),
                block: block.to_string(),
                source: source.to_string(),
                data: false,
            },
        );
    }
    manifest
}

#[tokio::test]
async fn an_instance_without_subnet_needs_the_default_vpc() {
    let ec2 = FakeEc2::default_vpc(None);
    let check = check_network(&ec2, TEMPLATE, &manifest()).await;
    assert!(check.failed());
    assert!(check.asked);
    assert_eq!(ec2.calls(), 1);
    assert_eq!(check.errors.len(), 1, "only the instance without a subnet");
    assert_eq!(
        check.errors[0].location,
        Some(("pipeline.pipe".to_string(), 29))
    );
    let text = diagnostics_text(&[check.errors[0].diagnostic.clone()]);
    assert!(text.contains("[P6033]"), "{text}");
    assert!(text.contains("`subnet"), "{text}");
    insta::assert_snapshot!("no_default_vpc", text);
}

#[tokio::test]
async fn a_default_vpc_lets_planning_go_on() {
    let ec2 = FakeEc2::default_vpc(Some("vpc-1"));
    let check = check_network(&ec2, TEMPLATE, &manifest()).await;
    assert!(!check.failed());
    assert!(check.warnings.is_empty());
    assert_eq!(ec2.calls(), 1);
}

#[tokio::test]
async fn a_denied_lookup_warns_and_planning_goes_on() {
    let denied = ApiError::of_kind(
        "DescribeVpcs",
        ApiErrorKind::AccessDenied,
        "UnauthorizedOperation",
        "You are not authorized to perform this operation.",
        Some(403),
    );
    let ec2 = FakeEc2::failing(denied);
    let check = check_network(&ec2, TEMPLATE, &manifest()).await;
    assert!(!check.failed());
    let text = diagnostics_text(&check.warnings);
    assert!(text.contains("[P6034]"), "{text}");
    assert!(text.contains("ec2:DescribeVpcs"), "{text}");
    insta::assert_snapshot!("default_vpc_unknown", text);
}

#[tokio::test]
async fn instances_with_a_subnet_ask_nothing() {
    let ec2 = FakeEc2::default_vpc(None);
    let only_api = r#"{"Resources": {
        "InstanceApi": {"Type": "AWS::EC2::Instance", "Properties": {"SubnetId": "subnet-1"}}
    }}"#;
    let check = check_network(&ec2, only_api, &manifest()).await;
    assert!(!check.failed());
    assert!(!check.asked);
    assert_eq!(ec2.calls(), 0);
}
