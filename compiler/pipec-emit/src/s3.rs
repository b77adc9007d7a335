//! S3: the shared pipeline artifact bucket and the `site` website buckets with their public
//! read policy.

use pipec_ir::{Kind, Site};
use serde_json::{json, Map, Value};

use crate::ctx::{cfn_ref, put_tags, retain, sub, Ctx, Owner};
use crate::text::primary_id;

/// Logical id of the shared artifact bucket.
pub(crate) const ARTIFACT_BUCKET: &str = "ArtifactBucket";

/// The artifact bucket exists when some pipeline does.
pub(crate) fn has_artifact_bucket(ctx: &Ctx<'_>) -> bool {
    !ctx.program.pipelines.is_empty()
}

/// `arn:…:s3:::<artifact bucket>` and `…/*`.
pub(crate) fn artifact_bucket_arns() -> (Value, Value) {
    (
        json!({ "Fn::GetAtt": [ARTIFACT_BUCKET, "Arn"] }),
        sub(&format!("${{{ARTIFACT_BUCKET}.Arn}}/*")),
    )
}

/// Emits the artifact bucket: SSE-S3, all public access blocked, versioned, retained.
pub(crate) fn emit_artifact_bucket(ctx: &mut Ctx<'_>) {
    if !has_artifact_bucket(ctx) {
        return;
    }
    let id = ctx.lid(ARTIFACT_BUCKET, "", "");
    let mut props = Map::new();
    props.insert(
        "BucketEncryption".into(),
        json!({ "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" } }] }),
    );
    props.insert(
        "PublicAccessBlockConfiguration".into(),
        json!({ "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true }),
    );
    props.insert(
        "OwnershipControls".into(),
        json!({ "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] }),
    );
    props.insert(
        "VersioningConfiguration".into(),
        json!({ "Status": "Enabled" }),
    );
    put_tags(&mut props, &ctx.program.tags);
    let owner = ctx.shared_owner();
    ctx.add(&id, "AWS::S3::Bucket", &owner, props, retain());
}

/// Emits a site: a website bucket whose policy (not ACLs) makes objects public.
pub(crate) fn emit_site(ctx: &mut Ctx<'_>, site: &Site) {
    let owner = Owner::block(Kind::Site, &site.origin);
    let id = primary_id(ctx, Kind::Site, &site.origin.name);
    let mut props = Map::new();
    if let Some(name) = &site.bucket_name {
        props.insert("BucketName".into(), json!(name));
    }
    let mut website = Map::new();
    website.insert("IndexDocument".into(), json!(site.index));
    if let Some(error) = &site.error {
        website.insert("ErrorDocument".into(), json!(error));
    }
    props.insert("WebsiteConfiguration".into(), Value::Object(website));
    props.insert(
        "BucketEncryption".into(),
        json!({ "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" } }] }),
    );
    props.insert(
        "PublicAccessBlockConfiguration".into(),
        json!({ "BlockPublicAcls": true, "BlockPublicPolicy": false, "IgnorePublicAcls": true, "RestrictPublicBuckets": false }),
    );
    props.insert(
        "OwnershipControls".into(),
        json!({ "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] }),
    );
    put_tags(&mut props, &site.tags);
    ctx.add(&id, "AWS::S3::Bucket", &owner, props, retain());

    let policy_id = ctx.lid("Site", &site.origin.name, "BucketPolicy");
    let mut props = Map::new();
    props.insert("Bucket".into(), cfn_ref(&id));
    props.insert(
        "PolicyDocument".into(),
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": sub(&format!("${{{id}.Arn}}/*"))
            }]
        }),
    );
    ctx.add(
        &policy_id,
        "AWS::S3::BucketPolicy",
        &owner,
        props,
        Map::new(),
    );
}
