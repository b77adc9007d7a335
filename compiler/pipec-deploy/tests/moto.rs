//! The deploy paths against a real AWS API: the moto server on a loopback port, reached with
//! `endpoint_url`, retries disabled. One test runs the scenarios in order on one server.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pipec_deploy::api::{
    ApiResult, BoxFuture, ChangeSetPage, CloudFormationApi, CreateChangeSetInput, CreatedChangeSet,
    EventsPage, StackInfo, StackResource,
};
use pipec_deploy::{
    apply, client_from_options, destroy, outputs, plan, render_apply, render_destroy,
    render_outputs, render_plan, ApplyOutcome, AwsOptions, ChangeAction, DeployRequest,
    DestroyOutcome, NoProgress, NonInteractive, PlanExit, PlanKind, PollPolicy, RenderOptions,
    SdkClient,
};

use common::{diagnostics_text, fixture, isolate_aws_environment, start_moto};

const TEXT: RenderOptions = RenderOptions { color: false };

fn request(template: String, manifest: pipec_deploy::Manifest) -> DeployRequest {
    let mut request = DeployRequest::new(template, manifest);
    request.options.poll = PollPolicy {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
    };
    request
}

async fn client(endpoint: &str) -> SdkClient {
    client_from_options(&AwsOptions {
        profile: None,
        region: Some("us-east-1".to_string()),
        endpoint_url: Some(endpoint.to_string()),
        max_attempts: Some(1),
    })
    .await
    .unwrap()
}

#[test]
fn deploy_paths_against_moto() {
    isolate_aws_environment();
    let moto = start_moto();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(scenarios(&moto.endpoint));
}

async fn scenarios(endpoint: &str) {
    let api = client(endpoint).await;
    let stack = "pipec-moto";
    let (template, manifest) = fixture(stack);
    let mut base = request(template.clone(), manifest.clone());

    // A plan of a new stack: everything is `+`, and nothing is left behind.
    let first = plan(&api, &base, &NoProgress).await.unwrap();
    assert_eq!(first.kind, PlanKind::Create);
    assert_eq!(first.exit(), PlanExit::Changes);
    assert!(first
        .changes
        .iter()
        .all(|change| change.action == ChangeAction::Add));
    insta::assert_snapshot!("moto_plan_new", render_plan(&first, TEXT));
    insta::assert_json_snapshot!("moto_plan_new_json", first);
    assert!(
        api.describe_stack(stack).await.unwrap().is_none(),
        "plan must not leave a stack behind"
    );

    // Apply without a terminal and without --yes is refused.
    let refused = apply(&api, &base, &NonInteractive, &NoProgress)
        .await
        .unwrap_err();
    insta::assert_snapshot!("moto_apply_refused_without_yes", diagnostics_text(&refused));
    assert!(api.describe_stack(stack).await.unwrap().is_none());

    // Apply with --yes.
    base.options.yes = true;
    let applied = apply(&api, &base, &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        applied.outcome,
        ApplyOutcome::Succeeded,
        "{:?}",
        applied.diagnostics
    );
    assert_eq!(applied.final_status.as_deref(), Some("CREATE_COMPLETE"));
    let resources = api.describe_stack_resources(stack).await.unwrap();
    assert_eq!(resources.len(), 3);

    // Plan again: no changes, exit 0.
    let again = plan(&api, &base, &NoProgress).await.unwrap();
    assert_eq!(again.exit(), PlanExit::NoChanges);
    insta::assert_snapshot!("moto_plan_no_changes", render_plan(&again, TEXT));

    // A tag change is `~` with old → new.
    let retagged = template.replace("\"Value\": \"dev\"", "\"Value\": \"prod\"");
    let mut changed = request(retagged.clone(), manifest.clone());
    changed.options.yes = true;
    let tag_plan = plan(&api, &changed, &NoProgress).await.unwrap();
    assert_eq!(tag_plan.changes.len(), 1);
    assert_eq!(tag_plan.changes[0].action, ChangeAction::Modify);
    insta::assert_snapshot!("moto_plan_tag_change", render_plan(&tag_plan, TEXT));
    let tag_apply = apply(&api, &changed, &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(tag_apply.outcome, ApplyOutcome::Succeeded);
    assert_eq!(tag_apply.final_status.as_deref(), Some("UPDATE_COMPLETE"));
    let after = plan(&api, &changed, &NoProgress).await.unwrap();
    assert_eq!(
        after.exit(),
        PlanExit::NoChanges,
        "{}",
        render_plan(&after, TEXT)
    );

    // Removing the data resource: apply refuses without allow_data_loss, and leaves no change set.
    let mut value: serde_json::Value = serde_json::from_str(&retagged).unwrap();
    value["Resources"]
        .as_object_mut()
        .unwrap()
        .remove("BucketSite");
    value["Outputs"] = serde_json::json!({});
    let mut losing = request(value.to_string(), manifest.clone());
    losing.options.yes = true;
    let loss = apply(&api, &losing, &NonInteractive, &NoProgress)
        .await
        .unwrap_err();
    insta::assert_snapshot!("moto_apply_data_loss_refused", diagnostics_text(&loss));
    assert_eq!(
        api.describe_stack(stack).await.unwrap().unwrap().status,
        "UPDATE_COMPLETE"
    );

    // Outputs (moto leaves them empty on change-set stacks; the call and rendering still work).
    let listed = outputs(&api, stack, &manifest).await.unwrap();
    insta::assert_snapshot!("moto_outputs", render_outputs(&listed, TEXT));

    // Destroy: refused without --yes, then done; the bucket is retained.
    let no = destroy(
        &api,
        &request(retagged.clone(), manifest.clone()),
        &NonInteractive,
        &NoProgress,
    )
    .await
    .unwrap_err();
    insta::assert_snapshot!("moto_destroy_refused_without_yes", diagnostics_text(&no));
    let destroyed = destroy(&api, &changed, &NonInteractive, &NoProgress)
        .await
        .unwrap();
    assert_eq!(destroyed.outcome, DestroyOutcome::Deleted);
    assert_eq!(destroyed.retained.len(), 1);
    let mut shown = render_destroy(&destroyed, TEXT);
    shown = shown.replace(
        destroyed.retained[0].physical_id.as_deref().unwrap_or("?"),
        "<physical id>",
    );
    insta::assert_snapshot!("moto_destroy", normalize_secs(&shown));
    assert!(api.describe_stack(stack).await.unwrap().is_none());

    // What pipec itself costs in an apply: total time minus the time spent waiting on the API.
    let timed = Timed {
        inner: client(endpoint).await,
        nanos: AtomicU64::new(0),
        calls: AtomicU64::new(0),
    };
    let (template, manifest) = fixture("pipec-moto-timed");
    let mut timed_request = request(template, manifest);
    timed_request.options.yes = true;
    let started = Instant::now();
    let report = apply(&timed, &timed_request, &NonInteractive, &NoProgress)
        .await
        .unwrap();
    let total = started.elapsed();
    assert_eq!(report.outcome, ApplyOutcome::Succeeded);
    let api_time = Duration::from_nanos(timed.nanos.load(Ordering::SeqCst));
    let own = total.saturating_sub(api_time);
    eprintln!(
        "apply against moto: total {:.1} ms, {} API calls taking {:.1} ms, pipec's own time {:.2} ms (includes poll sleeps)",
        total.as_secs_f64() * 1e3,
        timed.calls.load(Ordering::SeqCst),
        api_time.as_secs_f64() * 1e3,
        own.as_secs_f64() * 1e3
    );
    let text = render_apply(&report, TEXT);
    assert!(
        text.starts_with("Applied stack `pipec-moto-timed`"),
        "{text}"
    );

    // An endpoint that does not answer: P6005, no hang.
    let dead = client("http://127.0.0.1:9").await;
    let unreachable = plan(&dead, &base, &NoProgress).await.unwrap_err();
    assert_eq!(
        unreachable[0].code.number(),
        "P6005",
        "{}",
        diagnostics_text(&unreachable)
    );
}

fn normalize_secs(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        match (line.find(" in "), line.rfind(" s.")) {
            (Some(start), Some(end)) if end > start => {
                out.push_str(&format!("{} in <secs> s.", &line[..start]))
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Wraps a client and adds up the time spent inside API calls.
struct Timed<T> {
    inner: T,
    nanos: AtomicU64,
    calls: AtomicU64,
}

impl<T: CloudFormationApi> Timed<T> {
    fn time<'a, R: Send + 'a>(
        &'a self,
        future: BoxFuture<'a, ApiResult<R>>,
    ) -> BoxFuture<'a, ApiResult<R>> {
        Box::pin(async move {
            let started = Instant::now();
            let result = future.await;
            let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.nanos.fetch_add(nanos, Ordering::SeqCst);
            self.calls.fetch_add(1, Ordering::SeqCst);
            result
        })
    }
}

impl<T: CloudFormationApi> CloudFormationApi for Timed<T> {
    fn describe_stack<'a>(
        &'a self,
        stack_name: &'a str,
    ) -> BoxFuture<'a, ApiResult<Option<StackInfo>>> {
        self.time(self.inner.describe_stack(stack_name))
    }
    fn get_template<'a>(&'a self, stack_name: &'a str) -> BoxFuture<'a, ApiResult<String>> {
        self.time(self.inner.get_template(stack_name))
    }
    fn get_change_set_template<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>> {
        self.time(
            self.inner
                .get_change_set_template(stack_name, change_set_id),
        )
    }
    fn create_change_set<'a>(
        &'a self,
        input: &'a CreateChangeSetInput,
    ) -> BoxFuture<'a, ApiResult<CreatedChangeSet>> {
        self.time(self.inner.create_change_set(input))
    }
    fn describe_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<ChangeSetPage>> {
        self.time(
            self.inner
                .describe_change_set(stack_name, change_set_id, next_token),
        )
    }
    fn delete_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>> {
        self.time(self.inner.delete_change_set(stack_name, change_set_id))
    }
    fn execute_change_set<'a>(
        &'a self,
        stack_name: &'a str,
        change_set_id: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>> {
        self.time(
            self.inner
                .execute_change_set(stack_name, change_set_id, client_token),
        )
    }
    fn describe_stack_events<'a>(
        &'a self,
        stack_name: &'a str,
        next_token: Option<&'a str>,
    ) -> BoxFuture<'a, ApiResult<EventsPage>> {
        self.time(self.inner.describe_stack_events(stack_name, next_token))
    }
    fn describe_stack_resources<'a>(
        &'a self,
        stack_name: &'a str,
    ) -> BoxFuture<'a, ApiResult<Vec<StackResource>>> {
        self.time(self.inner.describe_stack_resources(stack_name))
    }
    fn delete_stack<'a>(
        &'a self,
        stack_name: &'a str,
        client_token: &'a str,
    ) -> BoxFuture<'a, ApiResult<()>> {
        self.time(self.inner.delete_stack(stack_name, client_token))
    }
    fn upload_template<'a>(
        &'a self,
        bucket: Option<&'a str>,
        key: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, ApiResult<String>> {
        self.time(self.inner.upload_template(bucket, key, body))
    }
}
