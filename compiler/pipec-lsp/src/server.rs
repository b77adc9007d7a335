//! The main loop: owns the open documents and the connection, answers requests, and runs the
//! analysis on a worker thread: at once when it is idle; changes that arrive while a check runs
//! are coalesced into one check when it ends (after `debounceMs` without changes, default 0).
//! Results carry the document versions they were
//! computed from; a result whose versions are no longer current is dropped, so stale
//! diagnostics never overwrite newer ones. Every request and notification handler runs under
//! `catch_unwind`: a panic becomes an error response (or a log message), never a dead server.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{after, never, select, unbounded, Receiver, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as notif, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionParams, CodeActionProviderCapability, CompletionOptions, CompletionParams,
    CompletionResponse, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DocumentFormattingParams, DocumentSymbolParams,
    DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse, HoverParams,
    HoverProviderCapability, InitializeParams, LogMessageParams, MessageType, OneOf,
    PrepareRenameResponse, PublishDiagnosticsParams, ReferenceParams, RenameOptions, RenameParams,
    SemanticTokens, SemanticTokensFullOptions, SemanticTokensOptions, SemanticTokensParams,
    SemanticTokensRangeParams, SemanticTokensRangeResult, SemanticTokensResult,
    SemanticTokensServerCapabilities, ServerCapabilities, ServerInfo, TextDocumentPositionParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri, WorkDoneProgressOptions,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::analysis::{analyze, Analysis, Snapshot, Unit};
use crate::convert::PositionEncoding;
use crate::diagnostics::{group, group_unit, FileDiagnostics};
use crate::documents::{Document, Documents};
use crate::navigation::Mapped;
use crate::remap::Remap;
use crate::{edits, navigation, semantic, symbols};

/// Settings the client may pass as `initializationOptions`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Options {
    /// When changes arrived while a check was running: how long they must pause, in
    /// milliseconds, before the next check. An idle server checks a change at once.
    debounce_ms: u64,
    /// Enables `pipec/test/*` requests that exist only to test the server's robustness.
    test_hooks: bool,
}

/// An error answered to a request.
struct RequestError {
    code: ErrorCode,
    message: String,
}

type RequestResult = Result<Value, RequestError>;

/// A snapshot handed to the analysis worker.
struct Job {
    generation: u64,
    versions: BTreeMap<String, i32>,
    snapshot: Snapshot,
    encoding: PositionEncoding,
}

/// What the worker sends back.
struct JobResult {
    generation: u64,
    versions: BTreeMap<String, i32>,
    outcome: Result<(Arc<Analysis>, BTreeMap<String, FileDiagnostics>), String>,
}

/// Runs the server on a connection until `exit`. Returns an error when the client exits
/// without `shutdown` or the connection fails.
pub(crate) fn run(connection: &Connection) -> anyhow::Result<()> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_deref());
    let encoding = PositionEncoding::negotiate(offered);
    // Whether the client re-requests semantic tokens when asked (they name what the analysis
    // resolved, which may finish after the client's request).
    let semantic_refresh = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|workspace| workspace.semantic_tokens.as_ref())
        .and_then(|tokens| tokens.refresh_support)
        .unwrap_or(false);
    let options: Options = params
        .initialization_options
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default();
    let result = serde_json::json!({
        "capabilities": capabilities(encoding),
        "serverInfo": ServerInfo { name: "pipec".to_string(), version: Some(env!("CARGO_PKG_VERSION").to_string()) },
    });
    connection.initialize_finish(id, result)?;

    let (job_sender, job_receiver) = unbounded::<Job>();
    let (result_sender, result_receiver) = unbounded::<JobResult>();
    let worker = std::thread::Builder::new()
        .name("pipec-analysis".to_string())
        .spawn(move || analysis_worker(&job_receiver, &result_sender))?;
    let mut server = Server {
        sender: connection.sender.clone(),
        encoding,
        options,
        documents: Documents::default(),
        shutdown_requested: false,
        jobs: job_sender,
        generation: 0,
        deadline: None,
        running: false,
        dirty: false,
        last_change: Instant::now(),
        published: BTreeSet::new(),
        fixes: BTreeMap::new(),
        last_analysis: None,
        last_good: BTreeMap::new(),
        semantic_refresh,
        refresh_requests: 0,
    };
    let outcome = server.main_loop(&connection.receiver, &result_receiver);
    drop(server);
    let _ = worker.join();
    outcome
}

fn capabilities(encoding: PositionEncoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_string()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: semantic::legend(),
                range: Some(true),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            },
        )),
        ..ServerCapabilities::default()
    }
}

/// The worker: analyses the newest job waiting, skipping older ones.
fn analysis_worker(jobs: &Receiver<Job>, results: &Sender<JobResult>) {
    while let Ok(mut job) = jobs.recv() {
        while let Ok(newer) = jobs.try_recv() {
            job = newer;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let read = |path: &std::path::Path| crate::analysis::read_source(path);
            let analysis = analyze(&job.snapshot, &read);
            let grouped = group(&analysis, job.encoding);
            (Arc::new(analysis), grouped)
        }))
        .map_err(|panic| panic_message(panic.as_ref()));
        let result = JobResult {
            generation: job.generation,
            versions: job.versions,
            outcome,
        };
        if results.send(result).is_err() {
            break;
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_string()
    }
}

struct Server {
    sender: Sender<Message>,
    encoding: PositionEncoding,
    options: Options,
    documents: Documents,
    shutdown_requested: bool,
    jobs: Sender<Job>,
    /// The generation of the last job sent.
    generation: u64,
    /// When the next analysis is due, if one waits for changes to pause.
    deadline: Option<Instant>,
    /// True while the worker checks a job.
    running: bool,
    /// True when documents changed since the running (or pending) job's snapshot.
    dirty: bool,
    /// When the documents last changed.
    last_change: Instant,
    /// URIs whose last published list was not empty.
    published: BTreeSet<String>,
    /// Quick fixes per URI, with the version they were computed for.
    fixes: BTreeMap<String, (Option<i32>, Vec<crate::diagnostics::QuickFix>)>,
    /// The newest analysis whose versions were current when it arrived.
    last_analysis: Option<Arc<Analysis>>,
    /// Per document, the newest analysis in which it had no syntax error.
    last_good: BTreeMap<String, Arc<Analysis>>,
    /// True when the client accepts `workspace/semanticTokens/refresh`.
    semantic_refresh: bool,
    /// How many refresh requests were sent (their ids).
    refresh_requests: u64,
}

impl Server {
    fn main_loop(
        &mut self,
        messages: &Receiver<Message>,
        results: &Receiver<JobResult>,
    ) -> anyhow::Result<()> {
        loop {
            let timer = match self.deadline {
                Some(deadline) => after(deadline.saturating_duration_since(Instant::now())),
                None => never(),
            };
            select! {
                recv(messages) -> message => {
                    let Ok(message) = message else {
                        anyhow::bail!("the client closed the connection without `exit`");
                    };
                    match message {
                        Message::Request(request) => {
                            let response = self.handle_request(request);
                            self.send(Message::Response(response));
                        }
                        Message::Notification(notification) => {
                            if notification.method == notif::Exit::METHOD {
                                if self.shutdown_requested {
                                    return Ok(());
                                }
                                anyhow::bail!("the client sent `exit` before `shutdown`");
                            }
                            self.handle_notification(notification);
                        }
                        Message::Response(_) => {}
                    }
                }
                recv(results) -> result => {
                    if let Ok(result) = result {
                        self.running = false;
                        self.apply_result(result);
                        if self.dirty {
                            self.coalesced();
                        }
                    }
                }
                recv(timer) -> _ => {
                    self.deadline = None;
                    if !self.running {
                        self.start_analysis();
                    }
                }
            }
        }
    }

    fn send(&self, message: Message) {
        // A send fails only when the writer thread is gone; the loop ends on the next receive.
        let _ = self.sender.send(message);
    }

    fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        self.send(Message::Notification(Notification::new(
            N::METHOD.to_string(),
            params,
        )));
    }

    fn log(&self, typ: MessageType, message: String) {
        self.notify::<notif::LogMessage>(LogMessageParams { typ, message });
    }

    /// The documents changed: checks at once when idle, else waits for the running check.
    fn changed(&mut self) {
        self.last_change = Instant::now();
        if self.running || self.deadline.is_some() {
            self.dirty = true;
            if self.deadline.is_some() {
                self.coalesced();
            }
        } else {
            self.start_analysis();
        }
    }

    /// Changes came while a check ran: the next check starts once they paused `debounceMs`.
    fn coalesced(&mut self) {
        let due = self.last_change + Duration::from_millis(self.options.debounce_ms);
        if due <= Instant::now() {
            self.start_analysis();
        } else {
            self.deadline = Some(due);
        }
    }

    fn start_analysis(&mut self) {
        self.deadline = None;
        self.running = true;
        self.dirty = false;
        self.generation += 1;
        let mut snapshot = Snapshot::default();
        let mut versions = BTreeMap::new();
        for (uri, document) in self.documents.iter() {
            snapshot.files.insert(uri.clone(), document.text.clone());
            versions.insert(uri.clone(), document.version);
        }
        let job = Job {
            generation: self.generation,
            versions,
            snapshot,
            encoding: self.encoding,
        };
        let _ = self.jobs.send(job);
    }

    /// Publishes a result unless a document changed since its snapshot was taken.
    fn apply_result(&mut self, result: JobResult) {
        let current: BTreeMap<String, i32> = self
            .documents
            .iter()
            .map(|(uri, document)| (uri.clone(), document.version))
            .collect();
        if result.versions != current || result.generation > self.generation {
            return;
        }
        let mut refresh = false;
        let grouped = match result.outcome {
            Ok((analysis, grouped)) => {
                for (uri, unit) in &analysis.units {
                    if !unit.syntax_errors {
                        self.last_good.insert(uri.clone(), Arc::clone(&analysis));
                    }
                }
                self.last_good.retain(|uri, _| current.contains_key(uri));
                self.last_analysis = Some(analysis);
                refresh = true;
                grouped
            }
            Err(panic) => {
                self.log(
                    MessageType::ERROR,
                    format!("pipec: the analysis failed: {panic}"),
                );
                crash_report(&current, &panic)
            }
        };
        let mut now_published = BTreeSet::new();
        self.fixes.clear();
        for (uri, file) in grouped {
            if !file.diagnostics.is_empty() {
                now_published.insert(uri.clone());
            } else if !self.published.contains(&uri) && !current.contains_key(&uri) {
                // A clean file that is not open and had nothing shown: nothing to say.
                continue;
            }
            let version = current.get(&uri).copied();
            self.publish(&uri, file.diagnostics, version);
            self.fixes.insert(uri, (version, file.fixes));
        }
        for stale in self
            .published
            .difference(&now_published)
            .cloned()
            .collect::<Vec<_>>()
        {
            if !self.fixes.contains_key(&stale) {
                self.publish(&stale, Vec::new(), current.get(&stale).copied());
            }
        }
        self.published = now_published;
        // After the diagnostics, which the user waits for more.
        if refresh {
            self.refresh_semantic_tokens();
        }
    }

    /// Asks the client to request semantic tokens again: a new analysis may name differently
    /// what an earlier request saw (a reference typed before its check ended). The client's
    /// answer is ignored.
    fn refresh_semantic_tokens(&mut self) {
        if !self.semantic_refresh {
            return;
        }
        self.refresh_requests += 1;
        let id = RequestId::from(format!("pipec-semantic-refresh-{}", self.refresh_requests));
        self.send(Message::Request(Request::new(
            id,
            req::SemanticTokensRefresh::METHOD.to_string(),
            Value::Null,
        )));
    }

    fn publish(&self, uri: &str, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let Ok(uri) = Uri::from_str(uri) else { return };
        self.notify::<notif::PublishDiagnostics>(PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        });
    }

    fn handle_notification(&mut self, notification: Notification) {
        let method = notification.method.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.dispatch_notification(notification)
        }));
        if let Err(panic) = outcome {
            self.log(
                MessageType::ERROR,
                format!(
                    "pipec: internal error in `{method}`: {}",
                    panic_message(panic.as_ref())
                ),
            );
        }
    }

    fn dispatch_notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            notif::DidOpenTextDocument::METHOD => {
                if let Some(params) = params::<DidOpenTextDocumentParams>(notification.params) {
                    let document = params.text_document;
                    self.documents.open(
                        document.uri.as_str().to_string(),
                        document.version,
                        document.text,
                    );
                    self.changed();
                }
            }
            notif::DidChangeTextDocument::METHOD => {
                if let Some(params) = params::<DidChangeTextDocumentParams>(notification.params) {
                    let uri = params.text_document.uri.as_str();
                    let encoding = self.encoding;
                    if let Some(document) = self.documents.get_mut(uri) {
                        document.apply(
                            params.text_document.version,
                            params.content_changes,
                            encoding,
                        );
                        self.changed();
                    }
                }
            }
            notif::DidCloseTextDocument::METHOD => {
                if let Some(params) = params::<DidCloseTextDocumentParams>(notification.params) {
                    self.documents.close(params.text_document.uri.as_str());
                    self.changed();
                }
            }
            _ => {}
        }
    }

    fn handle_request(&mut self, request: Request) -> Response {
        let id: RequestId = request.id.clone();
        let method = request.method.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.dispatch_request(request)));
        match outcome {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err(error)) => Response::new_err(id, error.code as i32, error.message),
            Err(panic) => {
                let message = format!(
                    "internal error in pipec while handling `{method}`: {}",
                    panic_message(panic.as_ref())
                );
                self.log(MessageType::ERROR, message.clone());
                Response::new_err(id, ErrorCode::InternalError as i32, message)
            }
        }
    }

    fn dispatch_request(&mut self, request: Request) -> RequestResult {
        if self.shutdown_requested {
            return Err(RequestError {
                code: ErrorCode::InvalidRequest,
                message: "the server is shutting down".into(),
            });
        }
        match request.method.as_str() {
            req::Shutdown::METHOD => {
                self.shutdown_requested = true;
                Ok(Value::Null)
            }
            req::DocumentSymbolRequest::METHOD => {
                let params: DocumentSymbolParams = request_params(request.params)?;
                let Some(document) = self.documents.get(params.text_document.uri.as_str()) else {
                    return Ok(Value::Null);
                };
                let parsed = crate::analysis::parse(pipec_span::FileId(0), &document.text);
                let outline = symbols::outline(&parsed.file, document.text_ref(), self.encoding);
                to_value(DocumentSymbolResponse::Nested(outline))
            }
            req::Formatting::METHOD => {
                let params: DocumentFormattingParams = request_params(request.params)?;
                let Some(document) = self.documents.get(params.text_document.uri.as_str()) else {
                    return Ok(Value::Null);
                };
                to_value(edits::format(document.text_ref(), self.encoding))
            }
            req::CodeActionRequest::METHOD => {
                let params: CodeActionParams = request_params(request.params)?;
                let uri = params.text_document.uri.as_str();
                let version = self.documents.get(uri).map(|document| document.version);
                let actions = match self.fixes.get(uri) {
                    Some((fixed_version, fixes)) if *fixed_version == version => {
                        edits::code_actions(fixes, params.range)
                    }
                    _ => Vec::new(),
                };
                to_value(actions)
            }
            req::HoverRequest::METHOD => {
                let params: HoverParams = request_params(request.params)?;
                let (uri, offset) = self.locate(&params.text_document_position_params);
                let Some(document) = self.documents.get(&uri) else {
                    return Ok(Value::Null);
                };
                let programs = self.programs_for(&uri);
                to_value(navigation::hover(&programs, &uri, &document.text, offset))
            }
            req::Completion::METHOD => {
                let params: CompletionParams = request_params(request.params)?;
                let (uri, offset) = self.locate(&params.text_document_position);
                let Some(document) = self.documents.get(&uri) else {
                    return Ok(Value::Null);
                };
                let units = self.units_for(&uri);
                to_value(CompletionResponse::Array(navigation::completion(
                    &units,
                    &document.text,
                    offset,
                )))
            }
            req::GotoDefinition::METHOD => {
                let params: GotoDefinitionParams = request_params(request.params)?;
                let (uri, offset) = self.locate(&params.text_document_position_params);
                let programs = self.programs_for(&uri);
                let open = |uri: &str| self.documents.get(uri).map(Document::text_ref);
                to_value(
                    navigation::definition(&programs, &uri, offset, &open, self.encoding)
                        .map(GotoDefinitionResponse::Scalar),
                )
            }
            req::References::METHOD => {
                let params: ReferenceParams = request_params(request.params)?;
                let (uri, offset) = self.locate(&params.text_document_position);
                let Some(unit) = self.current_unit(&uri) else {
                    return Ok(Value::Null);
                };
                let include = params.context.include_declaration;
                to_value(navigation::references(
                    unit,
                    &uri,
                    offset,
                    include,
                    self.encoding,
                ))
            }
            req::PrepareRenameRequest::METHOD => {
                let params: TextDocumentPositionParams = request_params(request.params)?;
                let (uri, offset) = self.locate(&params);
                let Some(unit) = self.current_unit(&uri) else {
                    return Ok(Value::Null);
                };
                to_value(
                    navigation::prepare_rename(unit, &uri, offset, self.encoding)
                        .map(PrepareRenameResponse::Range),
                )
            }
            req::Rename::METHOD => {
                let params: RenameParams = request_params(request.params)?;
                let (uri, offset) = self.locate(&params.text_document_position);
                let Some(unit) = self.current_unit(&uri) else {
                    return Ok(Value::Null);
                };
                match navigation::rename(unit, &uri, offset, &params.new_name, self.encoding) {
                    Ok(edit) => to_value(edit),
                    Err(message) => Err(RequestError {
                        code: ErrorCode::InvalidParams,
                        message,
                    }),
                }
            }
            req::SemanticTokensFullRequest::METHOD => {
                let params: SemanticTokensParams = request_params(request.params)?;
                let data = self.semantic_tokens(params.text_document.uri.as_str(), None);
                to_value(data.map(|data| {
                    SemanticTokensResult::Tokens(SemanticTokens {
                        result_id: None,
                        data,
                    })
                }))
            }
            req::SemanticTokensRangeRequest::METHOD => {
                let params: SemanticTokensRangeParams = request_params(request.params)?;
                let data =
                    self.semantic_tokens(params.text_document.uri.as_str(), Some(params.range));
                to_value(data.map(|data| {
                    SemanticTokensRangeResult::Tokens(SemanticTokens {
                        result_id: None,
                        data,
                    })
                }))
            }
            "pipec/test/panic" if self.options.test_hooks => panic!("a panic requested by a test"),
            _ => Err(RequestError {
                code: ErrorCode::MethodNotFound,
                message: format!("unknown method `{}`", request.method),
            }),
        }
    }
}

impl Server {
    /// The URI and byte offset of a position in an open document (offset 0 when not open).
    fn locate(&self, position: &TextDocumentPositionParams) -> (String, usize) {
        let uri = position.text_document.uri.as_str().to_string();
        let offset = self.documents.get(&uri).map_or(0, |document| {
            document.text_ref().offset(position.position, self.encoding)
        });
        (uri, offset)
    }

    /// The newest checked program rooted at `uri`, only while it was computed from the text
    /// every open document of it has now: its offsets are never applied to a changed text.
    fn current_unit(&self, uri: &str) -> Option<&Unit> {
        let unit = self.last_analysis.as_ref()?.units.get(uri)?;
        let fresh = unit.db.ids().all(|file| {
            match unit.uri(file).and_then(|known| self.documents.get(known)) {
                Some(document) => unit.db.text(file) == document.text,
                None => true,
            }
        });
        fresh.then_some(unit)
    }

    /// The programs that can answer about names in `uri`, newest first: the newest analysis,
    /// then, while it has a syntax error in `uri`, the last one without. Each comes with the
    /// map from the text of `uri` it was checked from to the text now.
    fn programs_for(&self, uri: &str) -> Vec<Mapped<'_>> {
        let Some(document) = self.documents.get(uri) else {
            return Vec::new();
        };
        let newest = self
            .last_analysis
            .as_ref()
            .and_then(|analysis| analysis.units.get(uri));
        let mut units: Vec<&Unit> = newest.into_iter().collect();
        if newest.is_none_or(|unit| unit.syntax_errors) {
            if let Some(good) = self
                .last_good
                .get(uri)
                .and_then(|analysis| analysis.units.get(uri))
            {
                if newest.is_none_or(|newest| !std::ptr::eq(newest, good)) {
                    units.push(good);
                }
            }
        }
        units
            .into_iter()
            .filter_map(|unit| {
                let file = unit.file(uri)?;
                let remap = Remap::new(unit.db.text(file), &document.text);
                Some(Mapped { unit, remap })
            })
            .collect()
    }

    /// The semantic tokens of the open document `uri` (within `range`), from its current text
    /// and the names of the newest program that knows them (`programs_for`).
    fn semantic_tokens(
        &self,
        uri: &str,
        range: Option<lsp_types::Range>,
    ) -> Option<Vec<lsp_types::SemanticToken>> {
        let document = self.documents.get(uri)?;
        let parsed = crate::analysis::parse(pipec_span::FileId(0), &document.text);
        let programs = self.programs_for(uri);
        let names = programs
            .first()
            .and_then(|program| {
                let file = program.unit.file(uri)?;
                Some(semantic::Names::from_index(
                    &program.unit.index,
                    file,
                    program.remap,
                ))
            })
            .unwrap_or_default();
        let mut tokens = semantic::collect(&parsed.file, &document.text, &names);
        if parsed.has_errors() {
            // What the error swallowed: from the last text that parsed, where it is unchanged.
            let good = programs.iter().find_map(|program| {
                let file = program.unit.file(uri)?;
                (!program.unit.syntax_errors).then_some((program, file))
            });
            if let Some((program, file)) = good {
                let older_text = program.unit.db.text(file);
                let older = crate::analysis::parse(pipec_span::FileId(0), older_text);
                let identity = Remap::new(older_text, older_text);
                let older_names = semantic::Names::from_index(&program.unit.index, file, identity);
                let older_tokens = semantic::collect(&older.file, older_text, &older_names);
                tokens =
                    semantic::fill_from_older(tokens, &parsed.file, older_tokens, program.remap);
            }
        }
        let text = document.text_ref();
        let range = range.map(|range| text.offsets(range, self.encoding));
        Some(semantic::encode(&tokens, text, self.encoding, range))
    }

    /// The programs whose names completion offers (names only: their offsets are not used).
    fn units_for(&self, uri: &str) -> Vec<&Unit> {
        self.programs_for(uri)
            .into_iter()
            .map(|program| program.unit)
            .collect()
    }
}

/// A P9000 diagnostic at line 0 of every open file, when the analysis itself failed.
fn crash_report(open: &BTreeMap<String, i32>, panic: &str) -> BTreeMap<String, FileDiagnostics> {
    let mut unit = Unit::default();
    for uri in open.keys() {
        let file = unit.db.add(uri.clone(), String::new());
        unit.uris.push(Some(uri.clone()));
        unit.diagnostics.push((
            file,
            pipec_diagnostics::Diagnostic::bug(format!("the checker crashed: {panic}")),
        ));
    }
    let mut grouped = BTreeMap::new();
    group_unit(
        &unit,
        PositionEncoding(pipec_span::Encoding::Utf16),
        &mut grouped,
    );
    grouped
}

fn params<P: DeserializeOwned>(value: Value) -> Option<P> {
    serde_json::from_value(value).ok()
}

fn request_params<P: DeserializeOwned>(value: Value) -> Result<P, RequestError> {
    serde_json::from_value(value).map_err(|error| RequestError {
        code: ErrorCode::InvalidParams,
        message: format!("invalid parameters: {error}"),
    })
}

fn to_value<T: serde::Serialize>(value: T) -> RequestResult {
    serde_json::to_value(value).map_err(|error| RequestError {
        code: ErrorCode::InternalError,
        message: format!("cannot encode the answer: {error}"),
    })
}
