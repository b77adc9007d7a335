//! The real [`CloudFormationApi`]: the AWS SDK for CloudFormation (and S3, only to stage
//! templates over 51,200 bytes); and the real [`Ec2Api`] through `ec2.rs` (EC2 `DescribeVpcs`,
//! the default-VPC check before planning). This module owns every SDK type; each call's result is
//! converted to the plain types of `api.rs`, and each SDK error to a classified [`ApiError`].

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::{Capability, ChangeSetType, TemplateStage};
use aws_sdk_cloudformation::Client;
use pipec_diagnostics::Diagnostic;

use crate::api::{
    ApiError, ApiErrorKind, ApiResult, BoxFuture, ChangeSetPage, CloudFormationApi,
    CreateChangeSetInput, CreatedChangeSet, Ec2Api, EventsPage, RawChangeDetail, RawResourceChange,
    StackEvent, StackInfo, StackOutput, StackResource,
};
use crate::ec2::QueryEc2;
use crate::errors::{api_diagnostics, classify};

/// How to reach AWS: the common flags of every deploy command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsOptions {
    /// `--profile`: a named profile of the shared config files.
    pub profile: Option<String>,
    /// `--region`: overrides the profile's and the environment's region.
    pub region: Option<String>,
    /// `--endpoint-url`: an emulator or a private endpoint (S3 then uses path-style URLs).
    pub endpoint_url: Option<String>,
    /// Total attempts per call including the SDK's retries; `Some(1)` disables retries (tests
    /// against moto, where a retried create would duplicate work). `None`: the SDK's default.
    pub max_attempts: Option<u32>,
}

/// The AWS SDK implementation of [`CloudFormationApi`].
#[derive(Clone, Debug)]
pub struct SdkClient {
    cloudformation: Client,
    s3: aws_sdk_s3::Client,
    ec2: QueryEc2,
    region: String,
    endpoint_url: Option<String>,
}

/// Builds the real client from the standard credential chain and the common flags.
///
/// # Errors
/// `P6004` when no region is configured.
pub async fn client_from_options(options: &AwsOptions) -> Result<SdkClient, Vec<Diagnostic>> {
    let (config, region) = load_config(options).await?;
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(options.endpoint_url.is_some())
        .build();
    Ok(SdkClient {
        cloudformation: Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3_config),
        ec2: QueryEc2::new(&config, &region, options.endpoint_url.as_deref()),
        region,
        endpoint_url: options.endpoint_url.clone(),
    })
}

/// The shared SDK configuration of the common flags, and its region.
///
/// # Errors
/// `P6004` when no region is configured.
pub(crate) async fn load_config(
    options: &AwsOptions,
) -> Result<(aws_config::SdkConfig, String), Vec<Diagnostic>> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint_url) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint_url);
    }
    if let Some(attempts) = options.max_attempts {
        loader = loader.retry_config(if attempts <= 1 {
            RetryConfig::disabled()
        } else {
            RetryConfig::standard().with_max_attempts(attempts)
        });
    }
    let config = loader.load().await;
    let Some(region) = config.region().map(ToString::to_string) else {
        let error = ApiError::of_kind("configuration", ApiErrorKind::Region, "", "", None);
        return Err(api_diagnostics(&error));
    };
    Ok((config, region))
}

/// Converts any SDK error into a classified [`ApiError`].
pub(crate) fn convert<E>(operation: &str, error: &SdkError<E, HttpResponse>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or_default();
            let message = context.err().message().unwrap_or_default();
            let status = context.raw().status().as_u16();
            ApiError::of_kind(
                operation,
                classify(code, message, Some(status)),
                code,
                message,
                Some(status),
            )
        }
        SdkError::ResponseError(context) => {
            let status = context.raw().status().as_u16();
            let body = context
                .raw()
                .body()
                .bytes()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
                .to_string();
            let message = if body.contains("<html") || body.contains("<!doctype") {
                "the endpoint answered with an HTML page instead of an AWS response".to_string()
            } else {
                format!("the response could not be read: {}", error_chain(error))
            };
            ApiError::of_kind(
                operation,
                ApiErrorKind::Unreachable,
                "",
                &message,
                Some(status),
            )
        }
        SdkError::TimeoutError(_) => ApiError::of_kind(
            operation,
            ApiErrorKind::Unreachable,
            "",
            "the request timed out",
            None,
        ),
        _ => {
            let text = error_chain(error);
            let lower = text.to_lowercase();
            let kind = if lower.contains("expired") {
                ApiErrorKind::ExpiredCredentials
            } else if lower.contains("credential") || lower.contains("identity") {
                ApiErrorKind::NoCredentials
            } else if lower.contains("region") || lower.contains("endpoint resolution") {
                ApiErrorKind::Region
            } else {
                ApiErrorKind::Unreachable
            };
            ApiError::of_kind(operation, kind, "", &text, None)
        }
    }
}

/// The error and its sources as `a: b: c`, each by its `Display` only. (The SDK's
/// `DisplayErrorContext` ends with the whole error's `Debug` dump, which is not for people.)
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        // Some layers repeat their source's text; keep each piece once.
        if !text.is_empty() && !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        next = current.source();
    }
    parts.join(": ")
}

/// The result of an SDK call (`….send().await`) as an [`ApiResult`]: the one place where SDK
/// errors become classified [`ApiError`]s, and where "not found" answers become `None`.
pub(crate) trait Sent<T> {
    /// The output, or the error converted for `operation` (`DescribeStacks`).
    fn or_api(self, operation: &str) -> ApiResult<T>;
    /// As [`Sent::or_api`], with `Ok(None)` when the service's error code and message answer
    /// `missing` (the thing asked for does not exist).
    fn or_missing(self, operation: &str, missing: fn(&str, &str) -> bool) -> ApiResult<Option<T>>;
}

impl<T, E> Sent<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn or_api(self, operation: &str) -> ApiResult<T> {
        self.map_err(|error| convert(operation, &error))
    }

    fn or_missing(self, operation: &str, missing: fn(&str, &str) -> bool) -> ApiResult<Option<T>> {
        match self {
            Ok(output) => Ok(Some(output)),
            Err(error)
                if error.as_service_error().is_some_and(|service| {
                    missing(
                        service.code().unwrap_or_default(),
                        service.message().unwrap_or_default(),
                    )
                }) =>
            {
                Ok(None)
            }
            Err(error) => Err(convert(operation, &error)),
        }
    }
}

/// CloudFormation's answer for a stack that does not exist.
fn stack_missing(code: &str, message: &str) -> bool {
    code == "ValidationError" && message.contains("does not exist")
}

fn opt(text: Option<&str>) -> Option<String> {
    text.filter(|text| !text.is_empty())
        .map(ToString::to_string)
}

fn text(text: Option<&str>) -> String {
    text.unwrap_or_default().to_string()
}

impl CloudFormationApi for SdkClient {
    fn describe_stack<'a>(
        &'a self,
        stack_name: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<StackInfo>>> {
        Box::pin(async move {
            let Some(output) = self
                .cloudformation
                .describe_stacks()
                .stack_name(stack_name)
                .send()
                .await
                .or_missing("DescribeStacks", stack_missing)?
            else {
                return Ok(None);
            };
            Ok(output.stacks().first().map(|stack| StackInfo {
                stack_id: text(stack.stack_id()),
                stack_name: text(stack.stack_name()),
                status: stack
                    .stack_status()
                    .map(|status| status.as_str().to_string())
                    .unwrap_or_default(),
                status_reason: opt(stack.stack_status_reason()),
                outputs: stack
                    .outputs()
                    .iter()
                    .map(|output| StackOutput {
                        key: text(output.output_key()),
                        value: text(output.output_value()),
                        description: opt(output.description()),
                    })
                    .collect(),
            }))
        })
    }

    fn get_template<'a>(&'a self, stack_name: &'a str) -> BoxFuture<'a, ApiResult<String>> {
        Box::pin(async move {
            let output = self
                .cloudformation
                .get_template()
                .stack_name(stack_name)
                .send()
                .await
                .or_api("GetTemplate")?;
            Ok(text(output.template_body()))
        })
    }

    fn get_change_set_template<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>> {
        Box::pin(async move {
            let output = self
                .cloudformation
                .get_template()
                .stack_name(stack_name)
                .change_set_name(change_set_id)
                .template_stage(TemplateStage::Original)
                .send()
                .await
                .or_api("GetTemplate")?;
            Ok(text(output.template_body()))
        })
    }

    fn create_change_set<'a>(
        &'a self,
        input: &'a CreateChangeSetInput,
    ) -> BoxFuture<'a, ApiResult<CreatedChangeSet>> {
        Box::pin(async move {
            let mut request = self
                .cloudformation
                .create_change_set()
                .stack_name(&input.stack_name)
                .change_set_name(&input.change_set_name)
                .change_set_type(if input.create {
                    ChangeSetType::Create
                } else {
                    ChangeSetType::Update
                })
                .client_token(&input.client_token)
                .description(&input.description)
                .set_template_body(input.template_body.clone())
                .set_template_url(input.template_url.clone());
            for capability in &input.capabilities {
                request = request.capabilities(Capability::from(capability.as_str()));
            }
            let output = request.send().await.or_api("CreateChangeSet")?;
            Ok(CreatedChangeSet {
                change_set_id: text(output.id()),
                stack_id: text(output.stack_id()),
            })
        })
    }

    fn describe_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<ChangeSetPage>> {
        Box::pin(async move {
            let output = self
                .cloudformation
                .describe_change_set()
                .set_stack_name(
                    (!change_set_id.starts_with("arn:")).then(|| stack_name.to_string()),
                )
                .change_set_name(change_set_id)
                .include_property_values(true)
                .set_next_token(next_token.map(ToString::to_string))
                .send()
                .await
                .or_api("DescribeChangeSet")?;
            let changes = output
                .changes()
                .iter()
                .filter_map(|change| change.resource_change())
                .map(|change| RawResourceChange {
                    action: change
                        .action()
                        .map(|a| a.as_str().to_string())
                        .unwrap_or_default(),
                    logical_id: text(change.logical_resource_id()),
                    physical_id: opt(change.physical_resource_id()),
                    resource_type: text(change.resource_type()),
                    replacement: change
                        .replacement()
                        .map(|r| r.as_str().to_string())
                        .unwrap_or_default(),
                    details: change
                        .details()
                        .iter()
                        .map(|detail| {
                            let target = detail.target();
                            RawChangeDetail {
                                attribute: target
                                    .and_then(|t| t.attribute())
                                    .map(|a| a.as_str().to_string())
                                    .unwrap_or_default(),
                                name: opt(target.and_then(|t| t.name())),
                                path: opt(target.and_then(|t| t.path())),
                                requires_recreation: target
                                    .and_then(|t| t.requires_recreation())
                                    .map(|r| r.as_str().to_string())
                                    .unwrap_or_default(),
                                before_value: target
                                    .and_then(|t| t.before_value())
                                    .map(ToString::to_string),
                                after_value: target
                                    .and_then(|t| t.after_value())
                                    .map(ToString::to_string),
                                attribute_change_type: target
                                    .and_then(|t| t.attribute_change_type())
                                    .map(|a| a.as_str().to_string()),
                                change_source: detail
                                    .change_source()
                                    .map(|c| c.as_str().to_string()),
                                causing_entity: opt(detail.causing_entity()),
                            }
                        })
                        .collect(),
                    before_context: opt(change.before_context()),
                    after_context: opt(change.after_context()),
                })
                .collect();
            Ok(ChangeSetPage {
                change_set_id: text(output.change_set_id()),
                change_set_name: text(output.change_set_name()),
                stack_id: text(output.stack_id()),
                stack_name: text(output.stack_name()),
                description: opt(output.description()),
                status: output
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                status_reason: opt(output.status_reason()),
                execution_status: output
                    .execution_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                changes,
                next_token: opt(output.next_token()),
            })
        })
    }

    fn delete_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            self.cloudformation
                .delete_change_set()
                .stack_name(stack_name)
                .change_set_name(change_set_id)
                .send()
                .await
                .or_api("DeleteChangeSet")?;
            Ok(())
        })
    }

    fn execute_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            self.cloudformation
                .execute_change_set()
                .stack_name(stack_name)
                .change_set_name(change_set_id)
                .client_request_token(client_token)
                .send()
                .await
                .or_api("ExecuteChangeSet")?;
            Ok(())
        })
    }

    fn describe_stack_events<'a>(
        &'a self,
        stack_name: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<EventsPage>> {
        Box::pin(async move {
            let output = self
                .cloudformation
                .describe_stack_events()
                .stack_name(stack_name)
                .set_next_token(next_token.map(ToString::to_string))
                .send()
                .await
                .or_api("DescribeStackEvents")?;
            let events = output
                .stack_events()
                .iter()
                .map(|event| StackEvent {
                    event_id: text(event.event_id()),
                    logical_id: text(event.logical_resource_id()),
                    resource_type: text(event.resource_type()),
                    status: event
                        .resource_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    reason: opt(event.resource_status_reason()),
                    timestamp: event
                        .timestamp()
                        .map(|t| t.as_secs_f64())
                        .unwrap_or_default(),
                    client_token: opt(event.client_request_token()),
                })
                .collect();
            Ok(EventsPage {
                events,
                next_token: opt(output.next_token()),
            })
        })
    }

    fn describe_stack_resources<'a>(
        &'a self,
        stack_name: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<StackResource>>> {
        Box::pin(async move {
            let output = self
                .cloudformation
                .describe_stack_resources()
                .stack_name(stack_name)
                .send()
                .await
                .or_api("DescribeStackResources")?;
            Ok(output
                .stack_resources()
                .iter()
                .map(|resource| StackResource {
                    logical_id: text(resource.logical_resource_id()),
                    physical_id: opt(resource.physical_resource_id()),
                    resource_type: text(resource.resource_type()),
                    status: resource
                        .resource_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    reason: opt(resource.resource_status_reason()),
                })
                .collect())
        })
    }

    fn delete_stack<'a>(
        &'a self,
        stack_name: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            self.cloudformation
                .delete_stack()
                .stack_name(stack_name)
                .client_request_token(client_token)
                .send()
                .await
                .or_api("DeleteStack")?;
            Ok(())
        })
    }

    fn upload_template<'a>(
        &'a self,
        bucket: Option<&'a str>,
        key: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>> {
        Box::pin(async move {
            let bucket = match bucket {
                Some(bucket) => bucket.to_string(),
                None => self.staging_bucket().await?,
            };
            self.s3
                .put_object()
                .bucket(&bucket)
                .key(key)
                .content_type("application/json")
                .body(aws_sdk_s3::primitives::ByteStream::from(
                    body.as_bytes().to_vec(),
                ))
                .send()
                .await
                .or_api("PutObject")?;
            Ok(match &self.endpoint_url {
                Some(endpoint) => format!("{}/{bucket}/{key}", endpoint.trim_end_matches('/')),
                None => format!("https://{bucket}.s3.{}.amazonaws.com/{key}", self.region),
            })
        })
    }
}

impl Ec2Api for SdkClient {
    fn default_vpc(&self) -> BoxFuture<'_, ApiResult<Option<String>>> {
        self.ec2.default_vpc()
    }
}

impl SdkClient {
    /// The region the client talks to.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Finds this region's `pipec-templates-<region>-…` bucket, or creates one.
    async fn staging_bucket(&self) -> ApiResult<String> {
        let prefix = format!("pipec-templates-{}-", self.region);
        let listed = self
            .s3
            .list_buckets()
            .prefix(&prefix)
            .send()
            .await
            .or_api("ListBuckets")?;
        if let Some(name) = listed
            .buckets()
            .iter()
            .filter_map(|bucket| bucket.name())
            .find(|name| name.starts_with(&prefix))
        {
            return Ok(name.to_string());
        }
        let name = format!("{prefix}{}", &crate::tokens::unique_hex(&self.region)[..12]);
        let mut request = self.s3.create_bucket().bucket(&name);
        if self.region != "us-east-1" {
            request = request.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                        self.region.as_str(),
                    ))
                    .build(),
            );
        }
        request.send().await.or_api("CreateBucket")?;
        Ok(name)
    }
}
