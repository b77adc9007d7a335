//! Lowering of `repo` and `build` blocks.

use super::Lowerer;
use super::{Ctx, Declared};
use crate::check::{nested_spec, Fields, ScopeId};
use crate::report::Report;
use crate::schema;
use crate::validate::{NameRule, Validate};
use crate::value::Value;
use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::{Artifacts, Build, EnvKind, EnvVar, Kind, Origin, Phase, Repo};
use pipec_span::Span;
use pipec_syntax::ast::{Block, Item};
use std::collections::BTreeMap;

impl<'a> Lowerer<'_, 'a> {
    pub(super) fn lower_repo(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Repo {
        let spec = schema::of_kind(Kind::Repo);
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::Repo, true);
        let branch = self
            .attr_checked(fields, "repo", "branch")
            .unwrap_or_else(|| spec.attr("branch").default_text().to_string());
        let description = self.attr_checked(fields, "repo", "description");
        let create = self.attr_bool(fields, spec.attr("create"));
        if !create && !fields.has_attr("name") {
            self.missing(decl, "name", "\"existing-repository\"");
        }
        let tags = self.tags(ctx, fields, &decl.name_span);
        Repo {
            origin,
            aws_name,
            branch,
            description,
            create,
            tags,
        }
    }

    pub(super) fn lower_build(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Option<Build> {
        let source = match fields.attrs.get("source") {
            Some((_, expr, scope)) => self.ev.want_ref(expr, *scope, Kind::Repo),
            None => {
                let example = self
                    .only_of_kind(Kind::Repo)
                    .unwrap_or_else(|| "repo.NAME".to_string());
                self.missing(decl, "source", &example);
                None
            }
        };
        let spec = schema::of_kind(Kind::Build);
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::Project, true);
        let image = self.attr_str_or_default(fields, spec.attr("image"));
        let compute = self.attr_choice(fields, spec.attr("compute")).to_string();
        let environment_type = if image.contains("aarch64") {
            "ARM_CONTAINER"
        } else {
            "LINUX_CONTAINER"
        }
        .to_string();
        let privileged = self.attr_bool(fields, spec.attr("privileged"));
        let runtimes = self.build_runtimes(fields, &image);
        let env = self.build_env(fields);
        let timeout = spec.attr("timeout");
        let timeout_minutes = self
            .attr_int(fields, timeout, "a build timeout (minutes)")
            .unwrap_or_else(|| timeout.default_int());
        let cache = self
            .attr_checked_list(fields, "build", "cache")
            .map(|(paths, _)| paths)
            .unwrap_or_default();
        let role = fields
            .attrs
            .get("role")
            .and_then(|(_, expr, scope)| self.ev.want_ref(expr, *scope, Kind::Role));
        let description = self.attr_checked(fields, "build", "description");
        let mut phases: Vec<Phase> = Vec::new();
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut artifacts = default_artifacts();
        for (block, scope) in &fields.blocks {
            let keyword = block.keyword.name.as_str();
            if let Some(first) = seen.get(keyword) {
                let first = first.clone();
                self.report(
                    Diagnostic::error(
                        Code::DUPLICATE_ATTRIBUTE,
                        format!("`{keyword}` appears twice"),
                    )
                    .primary(block.keyword.span.clone(), "again here")
                    .secondary(first, "first here")
                    .help("merge the two blocks"),
                );
                continue;
            }
            seen.insert(keyword.to_string(), block.keyword.span.clone());
            if let Some(label) = block.labels.first() {
                self.report(
                    Diagnostic::error(Code::UNEXPECTED_ITEM, format!("`{keyword}` takes no name"))
                        .primary(label.span.clone(), "remove this")
                        .help(format!("write `{keyword} {{ … }}`")),
                );
            }
            let items: Vec<(&'a Item, ScopeId)> =
                block.body.items.iter().map(|item| (item, *scope)).collect();
            if keyword == "artifacts" {
                self.lower_artifacts(items, &mut artifacts);
                continue;
            }
            phases.push(self.lower_phase(keyword, block, items));
        }
        phases.sort_by_key(|phase| schema::PHASES.iter().position(|name| *name == phase.name));
        if phases.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MISSING_ATTRIBUTE,
                    format!("build `{}` has no phase", decl.name),
                )
                .primary(decl.name_span.clone(), "nothing to run")
                .help("add a phase, e.g. `build { run \"make\" }`"),
            );
        }
        let tags = self.tags(ctx, fields, &decl.name_span);
        Some(Build {
            origin,
            aws_name,
            source: source?,
            image,
            compute,
            environment_type,
            privileged,
            runtimes,
            env,
            phases,
            artifacts,
            cache,
            timeout_minutes,
            role,
            description,
            tags,
        })
    }

    /// An `artifacts` block: what it sets replaces the defaults in `artifacts`.
    fn lower_artifacts(&mut self, items: Vec<(&'a Item, ScopeId)>, artifacts: &mut Artifacts) {
        let artifacts_spec = nested_spec("build", "artifacts");
        let inner = self.fields(items, artifacts_spec, "`artifacts`");
        let listed = inner
            .attrs
            .get("files")
            .map(|(_, expr, _)| expr.span.clone());
        if let (Some((files, written)), Some(span)) =
            (self.attr_checked_list(&inner, "artifacts", "files"), listed)
        {
            if written == 0 {
                self.report(
                    Diagnostic::error(Code::INVALID_VALUE, "`files` must list at least one glob")
                        .primary(span, "empty")
                        .help("write `files = [\"**/*\"]` to output everything"),
                );
            } else {
                artifacts.files = files;
            }
        }
        artifacts.base_dir = self.attr_checked(&inner, "artifacts", "base_dir");
        artifacts.discard_paths = self.attr_bool(&inner, artifacts_spec.attr("discard_paths"));
        if let Some((exclude, _)) = self.attr_checked_list(&inner, "artifacts", "exclude") {
            artifacts.exclude = exclude;
        }
    }

    /// The `runtime` map, checked against the runtimes `image` lists.
    fn build_runtimes(&mut self, fields: &Fields<'a>, image: &str) -> Vec<(String, String)> {
        let mut runtimes = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get("runtime") {
            for (name, name_span, value, value_span) in
                self.ev.want_map(expr, *scope).unwrap_or_default()
            {
                let version = match value {
                    Value::Int(number) => Some(number.to_string()),
                    other => self.ev.value_str(&other, &value_span),
                };
                let Some(version) = version else { continue };
                self.check_runtime(image, &name, &version, &name_span, &value_span);
                runtimes.push((name, version));
            }
        }
        runtimes
    }

    /// One build phase (`install`, `pre_build`, `build`, `post_build`) with its `finally`.
    fn lower_phase(
        &mut self,
        keyword: &str,
        block: &'a Block,
        items: Vec<(&'a Item, ScopeId)>,
    ) -> Phase {
        let owner = format!("the `{keyword}` phase");
        let phase_spec = nested_spec("build", keyword);
        let inner = self.fields(items, phase_spec, &owner);
        let commands = self.commands(&inner);
        let mut finally = Vec::new();
        for (finally_block, finally_scope) in &inner.blocks {
            let items = finally_block
                .body
                .items
                .iter()
                .map(|item| (item, *finally_scope))
                .collect();
            let finally_fields = self.fields(items, nested_spec("phase", "finally"), "`finally`");
            finally.extend(self.commands(&finally_fields));
        }
        if commands.is_empty() {
            self.report(
                Diagnostic::error(
                    Code::MISSING_ATTRIBUTE,
                    format!("the `{keyword}` phase has no commands"),
                )
                .primary(block.keyword.span.clone(), "no `run` statement")
                .help("add `run \"command\"`, or remove the phase"),
            );
        }
        let on_failure = self
            .attr_choice_opt(&inner, phase_spec.attr("on_failure"))
            .map(str::to_string);
        let run_as = self.attr_checked(&inner, "phase", "run_as");
        Phase {
            name: keyword.to_string(),
            commands,
            finally,
            on_failure,
            run_as,
        }
    }

    /// The `env` map: plain values, `ssm(…)` and `secret(…)`; invalid names and values are
    /// reported and left out.
    fn build_env(&mut self, fields: &Fields<'a>) -> Vec<EnvVar> {
        let mut env = Vec::new();
        if let Some((_, expr, scope)) = fields.attrs.get("env") {
            for (name, name_span, value, value_span) in
                self.ev.want_map(expr, *scope).unwrap_or_default()
            {
                if name.starts_with("CODEBUILD_")
                    || !name
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                {
                    self.report(
                        Diagnostic::error(
                            Code::INVALID_NAME,
                            format!("`{name}` cannot be a build variable name"),
                        )
                        .primary(name_span.clone(), "invalid variable name")
                        .help("use letters, digits and `_`, not starting with `CODEBUILD_`"),
                    );
                    continue;
                }
                let (kind, text) = match value {
                    Value::Str(text) => {
                        if !self.check_field(
                            schema::FieldRule::EnvValue,
                            &format!("value of `{name}`"),
                            &text,
                            &value_span,
                        ) {
                            continue;
                        }
                        self.check_credential(&name, &text, &value_span);
                        (EnvKind::Plaintext, text)
                    }
                    Value::Int(number) => (EnvKind::Plaintext, number.to_string()),
                    Value::Bool(flag) => (EnvKind::Plaintext, flag.to_string()),
                    Value::Ssm(parameter) => (EnvKind::ParameterStore, parameter),
                    Value::Secret(secret) => (EnvKind::SecretsManager, secret),
                    other => {
                        self.ev.mismatch(&value_span, "a string, `ssm(\"…\")` or `secret(\"…\")`", &other, "build variables are strings or references to SSM parameters and secrets");
                        continue;
                    }
                };
                env.push(EnvVar {
                    name,
                    kind,
                    value: text,
                });
            }
        }
        env
    }

    pub(super) fn check_runtime(
        &mut self,
        image: &str,
        name: &str,
        version: &str,
        name_span: &Span,
        value_span: &Span,
    ) {
        let Some((_, runtimes)) = schema::RUNTIMES.iter().find(|(known, _)| *known == image) else {
            return;
        };
        let Some((_, versions)) = runtimes.iter().find(|(runtime, _)| *runtime == name) else {
            let names: Vec<&str> = runtimes.iter().map(|(runtime, _)| *runtime).collect();
            let mut diag = Diagnostic::warning(
                Code::UNKNOWN_RUNTIME,
                format!("`{image}` has no runtime `{name}`"),
            )
            .primary(name_span.clone(), "unknown runtime");
            diag = match did_you_mean(name, names.iter().copied()) {
                Some(best) => diag.help(format!("did you mean `{best}`?")).fix(
                    format!("replace with `{best}`"),
                    name_span.clone(),
                    best,
                ),
                None => diag.help(format!("runtimes on this image: {}", names.join(", "))),
            };
            self.report(diag);
            return;
        };
        let matches = version == "latest"
            || version.starts_with('$')
            || versions.iter().any(|known| {
                *known == version
                    || version.strip_suffix(".x").is_some_and(|major| {
                        known.split('.').next() == Some(major) || *known == major
                    })
            });
        if !matches {
            self.report(
                Diagnostic::warning(
                    Code::UNKNOWN_RUNTIME,
                    format!("`{image}` does not list {name} {version}"),
                )
                .primary(value_span.clone(), "version not on this image")
                .help(format!("versions on this image: {}", versions.join(", "))),
            );
        }
    }

    pub(super) fn commands(&mut self, fields: &Fields<'a>) -> Vec<String> {
        let mut commands = Vec::new();
        let mut open = None;
        for (statement, scope) in fields.statements("run").collect::<Vec<_>>() {
            if let Some(clause) = statement.clauses.first() {
                self.report(
                    Diagnostic::error(
                        Code::UNEXPECTED_ITEM,
                        format!("`run` takes no `{}` clause", clause.keyword.name),
                    )
                    .primary(clause.keyword.span.clone(), "not allowed here")
                    .help("write `run \"command\"`"),
                );
            }
            let value = self.command_value(&statement.argument, scope, &mut open);
            match value {
                Value::Str(command) => {
                    if command.trim().is_empty() {
                        self.report(
                            Diagnostic::error(Code::INVALID_VALUE, "empty command")
                                .primary(statement.argument.span.clone(), "nothing to run")
                                .help("remove the statement or write a command"),
                        );
                    } else {
                        commands.push(command);
                    }
                }
                Value::List(items) => {
                    for (item, span) in items {
                        if item == Value::Error {
                            commands.push(String::new());
                        } else if let Some(command) = self.ev.value_str(&item, &span) {
                            commands.push(command);
                        }
                    }
                }
                // Reported already; a placeholder keeps "no commands" from following it.
                Value::Error => commands.push(String::new()),
                other => self.ev.mismatch(
                    &statement.argument.span,
                    "a command string",
                    &other,
                    "write `run \"command\"`",
                ),
            }
        }
        commands
    }
}

/// The build output without an `artifacts` block: the schema's defaults.
fn default_artifacts() -> Artifacts {
    let spec = nested_spec("build", "artifacts");
    Artifacts {
        files: spec
            .attr("files")
            .default_list()
            .iter()
            .map(|glob| (*glob).to_string())
            .collect(),
        base_dir: None,
        discard_paths: spec.attr("discard_paths").default_bool(),
        exclude: Vec::new(),
    }
}
