//! Lowering of `pipeline` blocks and the checks that span several blocks.

use super::Lowerer;
use super::{Ctx, Declared};
use crate::check::{nested_spec, single_label, DeclBody, Fields};
use crate::report::Report;
use crate::validate::NameRule;
use crate::value::Value;
use pipec_diagnostics::{Code, Diagnostic};
use pipec_ir::names::file_part;
use pipec_ir::{Action, Deploy, Ec2Deploy, Kind, Origin, Pipeline, Program, Stage};
use pipec_span::Span;
use pipec_syntax::ast::ItemKind;
use std::collections::{BTreeMap, BTreeSet};

impl<'a> Lowerer<'_, 'a> {
    pub(super) fn lower_pipeline(
        &mut self,
        ctx: &Ctx,
        decl: &Declared<'a>,
        origin: Origin,
        fields: &Fields<'a>,
    ) -> Pipeline {
        let aws_name = self.aws_name(ctx, fields, decl, NameRule::Pipeline, true);
        let mut stages: Vec<Stage> = Vec::new();
        let mut stage_spans: Vec<Span> = Vec::new();
        let mut action_spans: Vec<Vec<Span>> = Vec::new();
        for (block, scope) in &fields.blocks {
            let Some(label) = single_label(self, &block.keyword.span, &block.labels, "stage")
            else {
                continue;
            };
            if let Some(index) = stages.iter().position(|stage| stage.name == label.text) {
                let first = stage_spans[index].clone();
                self.report(
                    Diagnostic::error(
                        Code::DUPLICATE_DECLARATION,
                        format!("stage `{}` appears twice", label.text),
                    )
                    .primary(label.span.clone(), "again here")
                    .secondary(first, "first here")
                    .help("stage names are unique within a pipeline"),
                );
                continue;
            }
            let items = block.body.items.iter().map(|item| (item, *scope)).collect();
            let inner = self.fields(items, nested_spec("pipeline", "stage"), "a stage");
            let mut actions = Vec::new();
            let mut spans = Vec::new();
            for (expr, target, scope) in &inner.exprs {
                if let Some(target) = target {
                    self.report(
                        Diagnostic::error(Code::UNEXPECTED_ITEM, "`->` is not used in stages")
                            .primary(target.span.clone(), "unexpected")
                            .help(
                                "list the blocks the stage runs, e.g. `stage build { build.app }`",
                            ),
                    );
                }
                let action = match self.ev.eval(expr, *scope) {
                    Value::Block(Kind::Repo, name) => Some(Action::Source(name)),
                    Value::Block(Kind::Build, name) => Some(Action::Build(name)),
                    Value::Block(Kind::Deploy, name) => Some(Action::Deploy(name)),
                    Value::Symbol(path) if path == ["approval"] => Some(Action::Approval),
                    Value::Block(kind, name) => {
                        self.report(
                            Diagnostic::error(
                                Code::WRONG_REFERENCE_KIND,
                                format!("{} cannot be a pipeline action", kind.article()),
                            )
                            .primary(expr.span.clone(), format!("{} {name}", kind.keyword()))
                            .help("stages run repos (sources), builds, deploys and `approval`"),
                        );
                        None
                    }
                    other => {
                        self.ev.mismatch(
                            &expr.span,
                            "a repo, build or deploy reference, or `approval`",
                            &other,
                            "write `stage build { build.app }`",
                        );
                        None
                    }
                };
                if let Some(action) = action {
                    actions.push(action);
                    spans.push(expr.span.clone());
                }
            }
            if actions.is_empty() && inner.exprs.is_empty() {
                self.report(
                    Diagnostic::error(
                        Code::INVALID_PIPELINE,
                        format!("stage `{}` has no actions", label.text),
                    )
                    .primary(label.span.clone(), "empty stage")
                    .help("list what the stage runs, e.g. `stage build { build.app }`"),
                );
            }
            let location = self.location(&block.keyword.span);
            stages.push(Stage {
                name: label.text.clone(),
                actions,
                location,
            });
            stage_spans.push(label.span.clone());
            action_spans.push(spans);
        }
        self.check_pipeline(decl, &stages, &stage_spans, &action_spans);
        let tags = self.tags(ctx, fields, &decl.name_span);
        Pipeline {
            origin,
            aws_name,
            stages,
            tags,
        }
    }

    pub(super) fn check_pipeline(
        &mut self,
        decl: &Declared<'a>,
        stages: &[Stage],
        stage_spans: &[Span],
        action_spans: &[Vec<Span>],
    ) {
        if stages.len() < 2 {
            self.report(
                Diagnostic::error(
                    Code::INVALID_PIPELINE,
                    format!("pipeline `{}` needs at least two stages", decl.name),
                )
                .primary(
                    decl.name_span.clone(),
                    format!(
                        "{} stage{}",
                        stages.len(),
                        if stages.len() == 1 { "" } else { "s" }
                    ),
                )
                .help("start with `stage source { repo.NAME }`, then `stage build { build.NAME }`"),
            );
        }
        let mut sources: BTreeSet<String> = BTreeSet::new();
        let mut builds: BTreeSet<String> = BTreeSet::new();
        for (index, stage) in stages.iter().enumerate() {
            for (action, span) in stage.actions.iter().zip(&action_spans[index]) {
                match action {
                    Action::Source(repo) => {
                        if index != 0 {
                            self.report(
                                Diagnostic::error(
                                    Code::INVALID_PIPELINE,
                                    "sources must be in the first stage",
                                )
                                .primary(span.clone(), "a source in a later stage")
                                .secondary(stage_spans[0].clone(), "first stage")
                                .help("move it into the first stage"),
                            );
                        }
                        sources.insert(repo.clone());
                    }
                    other if index == 0 => {
                        let _ = other;
                        self.report(
                            Diagnostic::error(
                                Code::INVALID_PIPELINE,
                                "the first stage holds only sources",
                            )
                            .primary(span.clone(), "not a source")
                            .help(
                                "put repos in the first stage and builds or deploys in later ones",
                            ),
                        );
                    }
                    Action::Build(build) => {
                        let source = self.blocks_build_source(build);
                        if let Some(source) = source {
                            if !sources.contains(&source) {
                                self.report(
                                    Diagnostic::error(Code::INVALID_PIPELINE, format!("build `{build}` reads repo `{source}`, which no earlier stage provides"))
                                        .primary(span.clone(), "input not available here")
                                        .help(format!("add `repo.{source}` to the first stage")),
                                );
                            }
                        }
                        builds.insert(build.clone());
                    }
                    Action::Deploy(deploy) => {
                        if let Some(from) = self.blocks_deploy_from(deploy) {
                            if !builds.contains(&from) {
                                self.report(
                                    Diagnostic::error(Code::INVALID_PIPELINE, format!("deploy `{deploy}` takes build `{from}`, which no earlier stage runs"))
                                        .primary(span.clone(), "input not available here")
                                        .help(format!("run `build.{from}` in an earlier stage")),
                                );
                            }
                        }
                    }
                    Action::Approval => {}
                }
            }
        }
    }

    /// The `source` a build block names, read from its syntax (used before lowering finishes).
    pub(super) fn blocks_build_source(&self, build: &str) -> Option<String> {
        // A misspelled repo is reported where it is written, not again here.
        self.attr_reference(Kind::Build, build, "source")
            .filter(|repo| self.ev.names().block(Kind::Repo, repo).is_some())
    }

    pub(super) fn blocks_deploy_from(&self, deploy: &str) -> Option<String> {
        self.attr_reference(Kind::Deploy, deploy, "from")
            .filter(|build| self.ev.names().block(Kind::Build, build).is_some())
    }

    pub(super) fn attr_reference(&self, kind: Kind, name: &str, attr: &str) -> Option<String> {
        let decl = self.ev.names().block(kind, name)?;
        let DeclBody::Block(block) = decl.body else {
            return None;
        };
        block.body.items.iter().find_map(|item| match &item.kind {
            ItemKind::Attr(found) if found.key.text == attr => found
                .value
                .as_path()
                .and_then(|path| path.get(1))
                .map(|segment| segment.name.clone()),
            _ => None,
        })
    }

    pub(super) fn cross_checks(&mut self, program: &Program) {
        for instance in &program.instances {
            if let Some(role_name) = &instance.role {
                if let Some(role) = program
                    .roles
                    .iter()
                    .find(|role| role.origin.name == *role_name)
                {
                    if !role.profile {
                        self.report(
                            Diagnostic::error(
                                Code::INVALID_VALUE,
                                format!("role `{role_name}` has no instance profile"),
                            )
                            .primary(instance.origin.span.clone(), "instance uses it")
                            .secondary(role.origin.span.clone(), "role declared here")
                            .help("set `profile = true` in the role"),
                        );
                    }
                    if !role
                        .trust
                        .iter()
                        .any(|principal| principal.starts_with("ec2."))
                    {
                        self.report(
                            Diagnostic::error(
                                Code::INVALID_VALUE,
                                format!("role `{role_name}` does not trust EC2"),
                            )
                            .primary(instance.origin.span.clone(), "instance uses it")
                            .secondary(role.origin.span.clone(), "role declared here")
                            .help("add `service.ec2` to the role's `trust`"),
                        );
                    }
                }
            }
        }
        let mut feeders: BTreeMap<&str, &Deploy> = BTreeMap::new();
        for deploy in &program.deploys {
            let Some(ec2) = deploy.ec2() else {
                continue;
            };
            let groups = &ec2.groups;
            if let Some(first) = feeders.get(deploy.from.as_str()) {
                self.report(
                    Diagnostic::error(Code::SHARED_BUILD_OUTPUT, format!("deploys `{}` and `{}` both take build `{}`", first.origin.name, deploy.origin.name, deploy.from))
                        .primary(deploy.origin.span.clone(), "second EC2 deploy of the same build")
                        .secondary(first.origin.span.clone(), "first one")
                        .note("The bundle's appspec.yml must sit at the root of the build output, so one build output carries one deploy's appspec.")
                        .help("declare one build per EC2 deploy"),
                );
            } else {
                feeders.insert(deploy.from.as_str(), deploy);
                if let Some(build) = program
                    .builds
                    .iter()
                    .find(|build| build.origin.name == deploy.from)
                {
                    let problem = if build.artifacts.discard_paths {
                        Some("`discard_paths = true` would flatten the bundle's `scripts/` folder")
                    } else if build
                        .artifacts
                        .base_dir
                        .as_deref()
                        .is_some_and(|dir| dir.contains(['*', '?', '[']))
                    {
                        Some(
                            "a glob `base_dir` leaves no single folder to write `appspec.yml` into",
                        )
                    } else {
                        None
                    };
                    for diag in bundle_excludes(build, deploy, ec2) {
                        self.report(diag);
                    }
                    if let Some(problem) = problem {
                        self.report(
                            Diagnostic::error(Code::INVALID_VALUE, format!("build `{}` cannot carry the bundle of deploy `{}`", build.origin.name, deploy.origin.name))
                                .primary(build.origin.span.clone(), problem)
                                .secondary(deploy.origin.span.clone(), "EC2 deploy of this build")
                                .note("The bundle's appspec.yml and scripts/ are written into the build output's root.")
                                .help("remove `discard_paths`, or use a plain `base_dir`"),
                        );
                    }
                }
            }
            // No groups count as matched here (nothing to warn about).
            let matched = program.instances.iter().any(|instance| {
                groups.is_empty() || pipec_ir::groups_select(groups, &instance.tags)
            });
            if !matched {
                let wanted: Vec<String> = groups
                    .iter()
                    .flatten()
                    .map(|filter| format!("{}={}", filter.key, filter.value))
                    .collect();
                self.report(
                    Diagnostic::warning(Code::UNMATCHED_TAG_FILTER, format!("no instance of this program carries the tags deploy `{}` selects", deploy.origin.name))
                        .primary(deploy.origin.span.clone(), format!("selects {}", wanted.join(", ")))
                        .help("fix the tag filter or tag an `instance`; ignore this if the instances are managed elsewhere"),
                );
            }
        }
    }
}

/// P4008: `exclude` patterns of `build` that match a file of `deploy`'s bundle. CodeBuild
/// applies `exclude-paths` to everything under the base directory (aws-facts §2.2), and the
/// bundle (`appspec.yml`, `scripts/<Event>-<hook>.sh`) is written at its root, so such a pattern
/// drops it from the artifact the CodeDeploy action receives.
fn bundle_excludes(build: &pipec_ir::Build, deploy: &Deploy, ec2: &Ec2Deploy) -> Vec<Diagnostic> {
    // The script names as pipec-emit writes them (`codedeploy::script_path`).
    let mut bundle = vec!["appspec.yml".to_string()];
    bundle.extend(ec2.hooks.iter().map(|hook| {
        format!(
            "scripts/{}-{}.sh",
            file_part(&hook.event),
            file_part(&hook.name)
        )
    }));
    build
        .artifacts
        .exclude
        .iter()
        .filter_map(|pattern| {
            let glob = pipec_ir::glob::Glob::new(pattern);
            let hit = bundle.iter().find(|path| glob.matches(path))?;
            Some(
                Diagnostic::error(
                    Code::EXCLUDE_STRIPS_BUNDLE,
                    format!("`exclude` pattern `{pattern}` of build `{}` would drop `{hit}` of deploy `{}` from the build output", build.origin.name, deploy.origin.name),
                )
                .primary(build.origin.span.clone(), format!("excludes `{hit}`"))
                .secondary(deploy.origin.span.clone(), "EC2 deploy of this build")
                .note("CodeBuild applies `exclude-paths` to pipec's `appspec.yml` and `scripts/` too; without them the deployment fails.")
                .help("make the pattern more specific, e.g. `src/**/*.sh` instead of `**/*.sh`"),
            )
        })
        .collect()
}
