//! Lowering of `deploy` blocks: targets, files, permissions and hooks.

use super::Lowerer;
use super::{Ctx, Declared, HookBody};
use crate::check::{nested_spec, Fields, ScopeId};
use crate::report::Report;
use crate::schema::{self, FieldRule};
use crate::validate::{NameRule, Validate};
use crate::value::Value;
use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::{Deploy, Ec2Deploy, Hook, Kind, Origin, Permission, S3Deploy, TagFilter, Target};
use pipec_span::Span;
use pipec_syntax::ast::{Block, Expr, ExprKind, Item};
use std::collections::BTreeMap;

/// A target as read from `target = …`, before the rest of the deploy block is lowered.
enum LoweredTarget {
    /// `ec2 { … }`: the tag groups.
    Ec2(Vec<Vec<TagFilter>>),
    /// `s3 { … }`.
    S3(S3Deploy),
}

impl<'a> Lowerer<'_, 'a> {
    pub(super) fn lower_deploy(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Option<Deploy> {
        let from = match fields.attrs.get("from") {
            Some((_, expr, scope)) => self.ev.want_ref(expr, *scope, Kind::Build),
            None => {
                let example = self
                    .only_of_kind(Kind::Build)
                    .unwrap_or_else(|| "build.NAME".to_string());
                self.missing(decl, "from", &example);
                None
            }
        };
        let target = match fields.attrs.get("target") {
            Some((_, expr, scope)) => self.lower_target(decl, expr, *scope),
            None => {
                self.missing(decl, "target", "ec2 { tags = { Deploy = \"web\" } }");
                None
            }
        };
        let spec = schema::of_kind(Kind::Deploy);
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::CodeDeploy, true);
        let config = self.attr_choice(fields, spec.attr("config")).to_string();
        let file_exists = self
            .attr_choice_opt(fields, spec.attr("file_exists"))
            .map(str::to_string);
        let auto_rollback = self.attr_bool(fields, spec.attr("auto_rollback"));
        let role = fields
            .attrs
            .get("role")
            .and_then(|(_, expr, scope)| self.ev.want_ref(expr, *scope, Kind::Role));
        let mut files = Vec::new();
        let mut permissions = Vec::new();
        let mut hooks: Vec<Hook> = Vec::new();
        let is_s3 = matches!(target, Some(LoweredTarget::S3(_)));
        for (block, scope) in &fields.blocks {
            if is_s3 {
                self.report(
                    Diagnostic::error(
                        Code::UNEXPECTED_ITEM,
                        format!("`{}` applies only to EC2 deploys", block.keyword.name),
                    )
                    .primary(block.keyword.span.clone(), "not for an S3 target")
                    .help("an S3 deploy copies the build output to the bucket; remove this block"),
                );
                continue;
            }
            match block.keyword.name.as_str() {
                "files" => self.lower_files(block, *scope, &mut files),
                "permissions" => self.lower_permission(block, *scope, &mut permissions),
                _ => {
                    if let Some(hook) = self.lower_hook(
                        block.keyword.span.clone(),
                        &block.labels,
                        HookBody::Block(&block.body.items, *scope),
                        block.keyword.span.to(&block.body.span),
                    ) {
                        hooks.push(hook);
                    }
                }
            }
        }
        for (decl_item, _) in &fields.decls {
            if is_s3 {
                self.report(
                    Diagnostic::error(Code::UNEXPECTED_ITEM, "hooks apply only to EC2 deploys")
                        .primary(decl_item.keyword.span.clone(), "not for an S3 target")
                        .help("remove the hook"),
                );
                continue;
            }
            let span = decl_item.keyword.span.to(&decl_item.value.span);
            if let Some(hook) = self.lower_hook(
                decl_item.keyword.span.clone(),
                &decl_item.labels,
                HookBody::Preset(&decl_item.value),
                span,
            ) {
                hooks.push(hook);
            }
        }
        self.check_hooks(&mut hooks);
        let tags = self.tags(ctx, fields, &decl.name_span);
        let target = match target? {
            LoweredTarget::Ec2(groups) => Target::Ec2(Ec2Deploy {
                application_name: aws_name.clone(),
                group_name: aws_name,
                groups,
                config,
                files,
                file_exists,
                permissions,
                hooks,
                auto_rollback,
                role,
            }),
            LoweredTarget::S3(s3) => Target::S3(s3),
        };
        Some(Deploy {
            origin,
            from: from?,
            target,
            tags,
        })
    }

    /// A `files` block: `"source" -> "/destination"` lines, checked, appended to `files`.
    fn lower_files(&mut self, block: &'a Block, scope: ScopeId, files: &mut Vec<(String, String)>) {
        let items = block.body.items.iter().map(|item| (item, scope)).collect();
        let inner = self.fields(items, nested_spec("deploy", "files"), "`files`");
        for (source, destination, scope) in &inner.exprs {
            let Some(destination) = destination else {
                self.report(
                    Diagnostic::error(
                        Code::UNEXPECTED_ITEM,
                        "a `files` entry maps a source to a destination",
                    )
                    .primary(source.span.clone(), "no `->`")
                    .help("write `\"source\" -> \"/absolute/destination\"`"),
                );
                continue;
            };
            let (Some(source_text), Some(destination_text)) = (
                self.ev.want_str(source, *scope),
                self.ev.want_str(destination, *scope),
            ) else {
                continue;
            };
            if !destination_text.starts_with('/') {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_VALUE,
                        format!("destination `{destination_text}` is not an absolute path"),
                    )
                    .primary(destination.span.clone(), "must start with `/`")
                    .help("CodeDeploy copies to absolute paths on the instance, e.g. \"/srv/app\""),
                );
                continue;
            }
            if source_text.starts_with('/') && source_text != "/" {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_VALUE,
                        format!("source `{source_text}` must be relative to the bundle root"),
                    )
                    .primary(source.span.clone(), "absolute source")
                    .help("write the path inside the build output, or \"/\" for all of it"),
                );
                continue;
            }
            let source_ok = self.check_field(
                FieldRule::RelativePath,
                "`files` source",
                &source_text,
                &source.span,
            );
            if !source_ok
                || !self.check_field(
                    FieldRule::InstancePath,
                    "`files` destination",
                    &destination_text,
                    &destination.span,
                )
            {
                continue;
            }
            files.push((source_text, destination_text));
        }
    }

    /// A `permissions "/path" { … }` block, appended to `permissions` unless its path is
    /// invalid or already listed (reported).
    fn lower_permission(
        &mut self,
        block: &'a Block,
        scope: ScopeId,
        permissions: &mut Vec<Permission>,
    ) {
        let object = match block.labels.as_slice() {
            [label] if label.quoted && label.text.starts_with('/') => self
                .check_field(
                    FieldRule::InstancePath,
                    "`permissions` path",
                    &label.text,
                    &label.span,
                )
                .then(|| label.text.clone()),
            [label] => {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_VALUE,
                        "`permissions` takes an absolute path in quotes",
                    )
                    .primary(label.span.clone(), "expected \"/path\"")
                    .help("write `permissions \"/srv/app\" { owner = \"app\" }`"),
                );
                None
            }
            _ => {
                self.report(
                    Diagnostic::error(
                        Code::MISSING_ATTRIBUTE,
                        "`permissions` needs the path it applies to",
                    )
                    .primary(block.keyword.span.clone(), "no path")
                    .help("write `permissions \"/srv/app\" { owner = \"app\" }`"),
                );
                None
            }
        };
        let items = block.body.items.iter().map(|item| (item, scope)).collect();
        let inner = self.fields(items, nested_spec("deploy", "permissions"), "`permissions`");
        let mode = inner.attrs.get("mode").and_then(|(_, expr, scope)| {
            let value = self.ev.eval(expr, *scope);
            let text = match value {
                Value::Int(number) => Some(number.to_string()),
                other => self.ev.value_str(&other, &expr.span),
            }?;
            self.check_mode(&text, &expr.span).then_some(text)
        });
        let types: Vec<String> = match inner.attrs.get("type") {
            Some((_, expr, scope)) => {
                let mut types = Vec::new();
                for (text, span) in self.ev.want_str_list(expr, *scope).unwrap_or_default() {
                    if text == "file" || text == "directory" {
                        types.push(text);
                    } else {
                        self.report(
                            Diagnostic::error(
                                Code::INVALID_VALUE,
                                format!("`{text}` is not a permission type"),
                            )
                            .primary(span, "not allowed")
                            .help("use \"file\" and/or \"directory\""),
                        );
                    }
                }
                types
            }
            None => Vec::new(),
        };
        let except = self
            .attr_checked_list(&inner, "permissions", "except")
            .map(|(except, _)| except)
            .unwrap_or_default();
        let permission = Permission {
            object: object.clone().unwrap_or_default(),
            pattern: self.attr_checked(&inner, "permissions", "pattern"),
            except,
            owner: self.attr_checked(&inner, "permissions", "owner"),
            group: self.attr_checked(&inner, "permissions", "group"),
            mode,
            types,
        };
        if let Some(object) = object {
            if permissions
                .iter()
                .any(|other: &Permission| other.object == object)
            {
                self.report(
                    Diagnostic::error(
                        Code::DUPLICATE_ATTRIBUTE,
                        format!("permissions for `{object}` are given twice"),
                    )
                    .primary(block.labels[0].span.clone(), "again here")
                    .help("CodeDeploy fails when one object is listed twice: merge the blocks"),
                );
            } else {
                permissions.push(permission);
            }
        }
    }

    fn lower_target(
        &mut self,
        decl: &Declared<'a>,
        expr: &'a Expr,
        scope: ScopeId,
    ) -> Option<LoweredTarget> {
        let ExprKind::Apply(path, body) = &expr.kind else {
            let value = self.ev.eval(expr, scope);
            self.ev.mismatch(&expr.span, "`ec2 { … }` or `s3 { … }`", &value, "write `target = ec2 { tags = { Deploy = \"web\" } }` or `target = s3 { site = site.NAME }`");
            return None;
        };
        let name = path
            .iter()
            .map(|segment| segment.name.as_str())
            .collect::<Vec<_>>()
            .join(".");
        let Some(spec) = schema::target(&name) else {
            let names = schema::TARGETS.iter().map(|target| target.keyword);
            let mut diag = Diagnostic::error(
                Code::INVALID_VALUE,
                format!("`{name}` is not a deploy target"),
            )
            .primary(expr.span.clone(), "unknown target");
            if let Some(best) = did_you_mean(&name, names) {
                diag = diag.help(format!("did you mean `{best}`?"));
            } else {
                diag = diag.help("targets are `ec2 { tags = … }` and `s3 { site = … }`");
            }
            self.report(diag);
            return None;
        };
        let items: Vec<(&'a Item, ScopeId)> = body.items.iter().map(|item| (item, scope)).collect();
        let inner = self.fields(items, spec, &format!("`{name}`"));
        let lowered = match spec.keyword {
            "ec2" => self.lower_ec2_target(expr, &inner),
            "s3" => self.lower_s3_target(expr, &inner),
            other => {
                self.report(
                    Diagnostic::new(
                        Code::INTERNAL_ERROR,
                        format!("the schema's deploy target `{other}` has no lowering"),
                    )
                    .primary(expr.span.clone(), "this target"),
                );
                None
            }
        };
        if lowered.is_some() {
            self.ev.record_target(decl.definition, spec.keyword);
        }
        lowered
    }

    /// `ec2 { tags = {…} }` or `ec2 { tag_groups = [{…}, {…}] }`: the tag groups, in the
    /// order written.
    fn lower_ec2_target(&mut self, expr: &Expr, inner: &Fields<'a>) -> Option<LoweredTarget> {
        let mut given: Vec<_> = ["tags", "tag_groups"]
            .into_iter()
            .filter_map(|name| inner.attrs.get(name).map(|entry| (name, *entry)))
            .collect();
        given.sort_by_key(|(_, (key, _, _))| key.span.start());
        if given.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MISSING_ATTRIBUTE,
                    "`ec2` needs the tags that select instances",
                )
                .primary(expr.span.clone(), "no `tags`")
                .help("write `ec2 { tags = { Deploy = \"web\" } }`"),
            );
        }
        let mut groups = Vec::new();
        for (name, (_, value, scope)) in given {
            if name == "tags" {
                groups.extend(self.tag_group(value, scope));
                continue;
            }
            let list = match &value.kind {
                ExprKind::List(elements) => elements.iter().collect::<Vec<_>>(),
                _ => {
                    let found = self.ev.eval(value, scope);
                    self.ev.mismatch(
                        &value.span,
                        "a list of tag maps",
                        &found,
                        "write `tag_groups = [{ Role = \"web\" }, { Env = \"prod\" }]`",
                    );
                    Vec::new()
                }
            };
            if list.len() > 2 {
                self.report(
                    Diagnostic::error(Code::INVALID_VALUE, format!("{} tag groups; at most 2 can be given", list.len()))
                        .primary(value.span.clone(), "too many groups")
                        .note("CodeDeploy allows 3 tag groups; pipec adds one (`pipec:stack`) that keeps the selection to this environment's instances")
                        .help("merge groups: an instance must match one tag of every group"),
                );
            }
            for element in list {
                groups.extend(self.tag_group(element, scope));
            }
        }
        (!groups.is_empty()).then_some(LoweredTarget::Ec2(groups))
    }

    /// `s3 { site = site.web }`.
    fn lower_s3_target(&mut self, expr: &Expr, inner: &Fields<'a>) -> Option<LoweredTarget> {
        let site = match inner.attrs.get("site") {
            Some((_, value, scope)) => self.ev.want_ref(value, *scope, Kind::Site),
            None => {
                let example = self
                    .only_of_kind(Kind::Site)
                    .unwrap_or_else(|| "site.NAME".to_string());
                self.report(
                    Diagnostic::error(
                        Code::MISSING_ATTRIBUTE,
                        "`s3` needs the `site` to deploy to",
                    )
                    .primary(expr.span.clone(), "no `site`")
                    .help(format!("write `s3 {{ site = {example} }}`")),
                );
                None
            }
        };
        let prefix = self.attr_str(inner, "prefix");
        Some(LoweredTarget::S3(S3Deploy {
            site: site?,
            prefix,
        }))
    }

    pub(super) fn tag_group(&mut self, expr: &Expr, scope: ScopeId) -> Option<Vec<TagFilter>> {
        let entries = self.ev.want_map(expr, scope)?;
        if entries.is_empty() {
            self.report(
                Diagnostic::error(Code::INVALID_VALUE, "an empty tag filter selects nothing")
                    .primary(expr.span.clone(), "no tags")
                    .help("write at least one `Key = \"value\"`"),
            );
            return None;
        }
        if entries.len() > 10 {
            self.report(
                Diagnostic::error(
                    Code::INVALID_VALUE,
                    format!("{} tags in one group; CodeDeploy allows 10", entries.len()),
                )
                .primary(expr.span.clone(), "too many tags")
                .help("use fewer tags, or split them into `tag_groups`"),
            );
        }
        let mut filters = Vec::new();
        for (key, key_span, value, value_span) in entries {
            let Some(value) = self.ev.value_str(&value, &value_span) else {
                continue;
            };
            let value = if value == "*" { String::new() } else { value };
            if self.check_tag(&key, &value, &key_span, &value_span) {
                filters.push(TagFilter { key, value });
            }
        }
        Some(filters)
    }

    pub(super) fn lower_hook(
        &mut self,
        keyword_span: Span,
        labels: &'a [pipec_syntax::ast::Label],
        body: HookBody<'a>,
        span: Span,
    ) -> Option<Hook> {
        let (event_label, name_label) = match labels {
            [event, name] => (event, name),
            _ => {
                self.report(
                    Diagnostic::error(
                        Code::SYNTAX_ERROR,
                        "a hook names its lifecycle event and itself",
                    )
                    .primary(keyword_span, "expected `hook EVENT \"name\"`")
                    .help("write `hook application_start \"start\" { run \"…\" }`"),
                );
                return None;
            }
        };
        let event = match schema::HOOK_EVENTS
            .iter()
            .find(|(name, aws)| *name == event_label.text || *aws == event_label.text)
        {
            Some((_, aws)) => Some(*aws),
            None => {
                let names: Vec<&str> = schema::HOOK_EVENTS.iter().map(|(name, _)| *name).collect();
                let reserved = [
                    "install",
                    "download_bundle",
                    "block_traffic",
                    "allow_traffic",
                    "Install",
                    "DownloadBundle",
                    "BlockTraffic",
                    "AllowTraffic",
                ];
                let mut diag = Diagnostic::error(
                    Code::UNKNOWN_HOOK_EVENT,
                    format!(
                        "`{}` is not a lifecycle event hooks can run in",
                        event_label.text
                    ),
                )
                .primary(event_label.span.clone(), "unknown event");
                if reserved.contains(&event_label.text.as_str()) {
                    diag = diag.note("This event is reserved for the CodeDeploy agent itself.");
                }
                diag = match did_you_mean(&event_label.text, names.iter().copied()) {
                    Some(best) if !reserved.contains(&event_label.text.as_str()) => {
                        diag.help(format!("did you mean `{best}`?")).fix(
                            format!("replace with `{best}`"),
                            event_label.span.clone(),
                            best,
                        )
                    }
                    _ => diag.help(format!("events: {}", names.join(", "))),
                };
                self.report(diag);
                None
            }
        };
        let name = name_label.text.clone();
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            self.report(
                Diagnostic::error(Code::INVALID_NAME, format!("hook name `{name}` cannot name a script file"))
                    .primary(name_label.span.clone(), "letters, digits, `-` and `_`")
                    .help("the hook becomes scripts/<Event>-<name>.sh: use 1 to 64 letters, digits, `-` or `_`"),
            );
        }
        let items = match body {
            HookBody::Block(items, scope) => items.iter().map(|item| (item, scope)).collect(),
            HookBody::Preset(value) => self.ev.apply_preset(value, "a hook")?,
        };
        let fields = self.fields(items, nested_spec("deploy", "hook"), "a hook");
        let commands = self.commands(&fields);
        if commands.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MISSING_ATTRIBUTE,
                    format!("hook `{name}` has no commands"),
                )
                .primary(name_label.span.clone(), "nothing to run")
                .help("add `run \"command\"`, or apply a preset: `= node.start { … }`"),
            );
        }
        let timeout = self.attr_int(
            &fields,
            nested_spec("deploy", "hook").attr("timeout"),
            "a hook timeout (seconds)",
        );
        let runas = self.attr_checked(&fields, "hook", "runas");
        let needs = match fields.attrs.get("needs") {
            Some((_, expr, scope)) => self.software_list(expr, *scope),
            None => Vec::new(),
        };
        Some(Hook {
            event: event?.to_string(),
            name,
            commands,
            timeout,
            runas,
            needs,
            location: self.location(&span),
            span: name_label.span.clone(),
        })
    }

    pub(super) fn check_hooks(&mut self, hooks: &mut [Hook]) {
        let mut seen: BTreeMap<(String, String), Span> = BTreeMap::new();
        let mut totals: BTreeMap<String, i64> = BTreeMap::new();
        for hook in hooks.iter() {
            let key = (hook.event.clone(), hook.name.clone());
            if let Some(first) = seen.get(&key) {
                let first = first.clone();
                self.report(
                    Diagnostic::error(
                        Code::DUPLICATE_HOOK,
                        format!("two `{}` hooks are named `{}`", hook.event, hook.name),
                    )
                    .primary(hook.span.clone(), "declared again here")
                    .secondary(first, "first declared here")
                    .help("rename one of them, or merge their commands"),
                );
            } else {
                seen.insert(key, hook.span.clone());
            }
            let total = totals.entry(hook.event.clone()).or_insert(0);
            *total += hook.timeout.unwrap_or(3600);
            let all_have_timeouts = true;
            if *total > 3600 && all_have_timeouts {
                self.report(
                    Diagnostic::error(Code::HOOK_TIMEOUT, format!("the `{}` hooks add up to {total} seconds", hook.event))
                        .primary(hook.span.clone(), "exceeds the 3600-second limit of one lifecycle event")
                        .note("A hook without `timeout` counts as 3600 seconds, the agent's default.")
                        .help("give each hook a `timeout` so that the event's total stays within 3600 seconds"),
                );
                *total = i64::MIN / 2;
            }
        }
        hooks.sort_by_key(|hook| {
            // Lifecycle order, then declaration order (block hooks and preset hooks alike).
            (
                schema::HOOK_EVENTS
                    .iter()
                    .position(|(_, aws)| *aws == hook.event),
                hook.span.file,
                hook.span.start(),
            )
        });
    }
}
