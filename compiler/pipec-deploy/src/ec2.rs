//! The real [`Ec2Api`], without the EC2 SDK: the one call deploy makes, `DescribeVpcs` filtered
//! on `isDefault=true`, as an EC2 Query request (a form POST, an XML answer) signed with SigV4 by
//! `aws-sigv4` and sent through the SDK's default HTTPS connector, with credentials from the same
//! chain and the same `--endpoint-url`/`--region` as every other call. `aws-sdk-ec2` would do the
//! same for about six minutes of extra compile time per build (docs/performance.md, "The EC2
//! SDK"); everything used here is already linked by the other SDK crates.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use crate::api::{ApiError, ApiErrorKind, ApiResult, BoxFuture, Ec2Api};
use crate::errors::classify;

/// The operation, as errors name it.
const OPERATION: &str = "DescribeVpcs";
/// The EC2 Query API version the request speaks.
const API_VERSION: &str = "2016-11-15";

/// EC2 through signed Query requests.
#[derive(Clone, Debug)]
pub(crate) struct QueryEc2 {
    credentials: Option<SharedCredentialsProvider>,
    connector: Option<SharedHttpConnector>,
    region: String,
    endpoint: String,
}

impl QueryEc2 {
    /// The client for `config`'s credentials in `region`, at `endpoint_url` (an emulator) or
    /// EC2's regional endpoint.
    pub(crate) fn new(
        config: &aws_config::SdkConfig,
        region: &str,
        endpoint_url: Option<&str>,
    ) -> Self {
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(20))
            .build();
        let connector = aws_smithy_http_client::default_connector(
            &settings,
            aws_smithy_async::rt::sleep::default_async_sleep(),
        );
        QueryEc2 {
            credentials: config.credentials_provider(),
            connector,
            region: region.to_string(),
            endpoint: endpoint_url.map_or_else(|| regional_endpoint(region), ToString::to_string),
        }
    }

    async fn default_vpc_id(&self) -> ApiResult<Option<String>> {
        let failed = |kind, message: &str| ApiError::of_kind(OPERATION, kind, "", message, None);
        let Some(provider) = &self.credentials else {
            return Err(failed(ApiErrorKind::NoCredentials, "no credentials"));
        };
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|error| failed(ApiErrorKind::NoCredentials, &error.to_string()))?;
        let Some(connector) = &self.connector else {
            return Err(failed(ApiErrorKind::Unreachable, "no HTTPS client"));
        };
        let url = format!("{}/", self.endpoint.trim_end_matches('/'));
        let request = signed_request(&url, &self.region, credentials.into(), SystemTime::now())
            .map_err(|error| failed(ApiErrorKind::Region, &error))?;
        let request = aws_smithy_runtime_api::http::Request::try_from(request)
            .map_err(|error| failed(ApiErrorKind::Region, &error.to_string()))?;
        let response = connector
            .call(request)
            .await
            .map_err(|error| failed(ApiErrorKind::Unreachable, &error.to_string()))?;
        let status = response.status().as_u16();
        let body = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|error| failed(ApiErrorKind::Unreachable, &error.to_string()))?
            .into_bytes();
        let text = String::from_utf8_lossy(&body);
        if (200..300).contains(&status) {
            return Ok(first_element(&text, "vpcId"));
        }
        let code = first_element(&text, "Code").unwrap_or_default();
        let message = first_element(&text, "Message").unwrap_or_else(|| text.trim().to_string());
        Err(ApiError::of_kind(
            OPERATION,
            classify(&code, &message, Some(status)),
            &code,
            &message,
            Some(status),
        ))
    }
}

impl Ec2Api for QueryEc2 {
    fn default_vpc(&self) -> BoxFuture<'_, ApiResult<Option<String>>> {
        Box::pin(self.default_vpc_id())
    }
}

/// `https://ec2.REGION.amazonaws.com` (`.amazonaws.com.cn` in the China regions).
fn regional_endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://ec2.{region}.{suffix}")
}

/// The form body of `DescribeVpcs` with the filter `isDefault=true`.
fn describe_default_vpcs_body() -> String {
    format!(
        "Action=DescribeVpcs&Version={API_VERSION}&Filter.1.Name=isDefault&Filter.1.Value.1=true"
    )
}

/// The POST to `url`, signed with SigV4 for `ec2` in `region` at `time`.
fn signed_request(
    url: &str,
    region: &str,
    identity: Identity,
    time: SystemTime,
) -> Result<http::Request<SdkBody>, String> {
    let body = describe_default_vpcs_body();
    let uri: http::Uri = url.parse().map_err(|error| format!("`{url}`: {error}"))?;
    let host = uri
        .authority()
        .map(ToString::to_string)
        .ok_or_else(|| format!("`{url}` has no host"))?;
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let headers = [("content-type", content_type), ("host", host.as_str())];
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("ec2")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|error| error.to_string())?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|error| error.to_string())?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|error| error.to_string())?
        .into_parts();
    let mut request = http::Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", content_type)
        .header("host", host)
        .body(SdkBody::from(body))
        .map_err(|error| error.to_string())?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request)
}

/// The text of the first `<name>…</name>` element of an EC2 Query answer.
fn first_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    let text = xml[start..end].trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_names_the_default_vpc_or_the_error() {
        let found = "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
            <requestId>r</requestId><vpcSet><item><vpcId>vpc-0abc</vpcId><state>available</state>\
            <isDefault>true</isDefault></item></vpcSet></DescribeVpcsResponse>";
        assert_eq!(first_element(found, "vpcId").as_deref(), Some("vpc-0abc"));
        let none = "<DescribeVpcsResponse><requestId>r</requestId><vpcSet/></DescribeVpcsResponse>";
        assert_eq!(first_element(none, "vpcId"), None);
        let denied = "<Response><Errors><Error><Code>UnauthorizedOperation</Code>\
            <Message>You are not authorized to perform this operation.</Message></Error>\
            </Errors><RequestID>r</RequestID></Response>";
        assert_eq!(
            first_element(denied, "Code").as_deref(),
            Some("UnauthorizedOperation")
        );
        assert_eq!(
            classify("UnauthorizedOperation", "", Some(403)),
            ApiErrorKind::AccessDenied
        );
    }

    #[test]
    fn the_request_is_a_signed_form_post_to_the_regional_endpoint() {
        assert_eq!(
            regional_endpoint("eu-west-1"),
            "https://ec2.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            regional_endpoint("cn-north-1"),
            "https://ec2.cn-north-1.amazonaws.com.cn"
        );
        let credentials =
            aws_credential_types::Credentials::new("AKID", "SECRET", None, None, "test");
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let request = signed_request(
            "https://ec2.eu-west-1.amazonaws.com/",
            "eu-west-1",
            credentials.into(),
            time,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(request.method(), "POST");
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let authorization = header("authorization");
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKID/20231114/eu-west-1/ec2/aws4_request"
            ),
            "{authorization}"
        );
        assert!(
            authorization.contains("SignedHeaders=content-type;host;x-amz-date"),
            "{authorization}"
        );
        assert_eq!(header("x-amz-date"), "20231114T221320Z");
        assert_eq!(header("host"), "ec2.eu-west-1.amazonaws.com");
        assert_eq!(
            request.body().bytes(),
            Some(describe_default_vpcs_body().as_bytes())
        );
        assert!(describe_default_vpcs_body().contains("Filter.1.Name=isDefault"));
    }
}
