//! Instance software: hooks say what they need (`needs = ["node"]`, set by the stdlib presets),
//! an instance installs what it says (`software = [...]`) or, without that attribute, what the
//! hooks of the deploys that select it need; a hook whose target instances never install what
//! it needs is an error (P4007), because the first real deployment would fail with "command not
//! found" and nothing to roll back to (aws-facts §9: AL2023 ships no Node.js).

use super::Lowerer;
use crate::check::ScopeId;
use crate::report::Report;
use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::software::{self, CATALOG};
use pipec_ir::{groups_select, Instance, Program};
use pipec_syntax::ast::Expr;
use std::collections::BTreeSet;

impl Lowerer<'_, '_> {
    /// Reads a list of software names (`["node", "curl"]`), reporting unknown names.
    pub(super) fn software_list(&mut self, expr: &Expr, scope: ScopeId) -> Vec<String> {
        let mut names = Vec::new();
        for (value, span) in self.ev.want_list(expr, scope).unwrap_or_default() {
            let Some(name) = self.ev.value_str(&value, &span) else {
                continue;
            };
            if software::find(&name).is_some() {
                if !names.contains(&name) {
                    names.push(name);
                }
                continue;
            }
            let known: Vec<&str> = CATALOG.iter().map(|software| software.name).collect();
            let mut diag = Diagnostic::error(
                Code::INVALID_VALUE,
                format!("pipec does not know how to install `{name}`"),
            )
            .primary(span.clone(), "unknown software")
            .note(format!("Known software: {}.", known.join(", ")));
            diag = match did_you_mean(&name, known.iter().copied()) {
                Some(best) => diag.help(format!("did you mean `{best}`?")).fix(
                    format!("replace with `\"{best}\"`"),
                    span,
                    format!("\"{best}\""),
                ),
                None => diag.help(
                    "install other software in a `before_install` hook, or bake it into the AMI",
                ),
            };
            self.report(diag);
        }
        names.sort();
        names
    }

    /// Decides what each instance installs and reports hooks whose instances lack what they
    /// need. Runs after every block is lowered.
    pub(super) fn resolve_software(&mut self, program: &mut Program) {
        let deploys = &program.deploys;
        let mut reports = Vec::new();
        for instance in &mut program.instances {
            let selecting: Vec<_> = deploys
                .iter()
                .filter_map(|deploy| Some((&deploy.origin.name, deploy.ec2()?)))
                .filter(|(_, ec2)| groups_select(&ec2.groups, &instance.tags))
                .collect();
            let needed: BTreeSet<&str> = selecting
                .iter()
                .flat_map(|(_, ec2)| ec2.hooks.iter())
                .flat_map(|hook| hook.needs.iter().map(String::as_str))
                .collect();
            if instance.software_span.is_none() && instance.agent {
                instance.software = needed.iter().map(|name| (*name).to_string()).collect();
                continue;
            }
            for (deploy_name, ec2) in &selecting {
                for hook in &ec2.hooks {
                    let missing: Vec<&String> = hook
                        .needs
                        .iter()
                        .filter(|name| {
                            !software::in_base_image(name, &instance.os)
                                && (!instance.agent || !instance.software.contains(name))
                        })
                        .collect();
                    if missing.is_empty() {
                        continue;
                    }
                    reports.push(missing_software(instance, deploy_name, hook, &missing));
                }
            }
        }
        for diag in reports {
            self.report(diag);
        }
    }
}

fn missing_software(
    instance: &Instance,
    deploy: &str,
    hook: &pipec_ir::Hook,
    missing: &[&String],
) -> Diagnostic {
    let list: Vec<String> = missing.iter().map(|name| format!("`{name}`")).collect();
    let name = &instance.origin.name;
    let mut diag = Diagnostic::error(
        Code::MISSING_SOFTWARE,
        format!(
            "hook `{}` of deploy `{deploy}` needs {} on instance `{name}`, which never installs it",
            hook.name,
            list.join(" and ")
        ),
    )
    .primary(hook.span.clone(), format!("needs {}", list.join(", ")));
    if !instance.agent {
        diag = diag
            .secondary(
                instance.origin.span.clone(),
                "`agent = none`: no UserData installs anything",
            )
            .note("Without the CodeDeploy agent pipec writes no UserData for the instance.")
            .help("remove `agent = none`, or use an AMI that has it and drop the preset");
    } else {
        let span = instance
            .software_span
            .clone()
            .unwrap_or_else(|| instance.origin.span.clone());
        let mut wanted: Vec<String> = instance.software.clone();
        wanted.extend(missing.iter().map(|name| (*name).clone()));
        wanted.sort();
        wanted.dedup();
        let quoted: Vec<String> = wanted.iter().map(|name| format!("\"{name}\"")).collect();
        diag = diag
            .secondary(span.clone(), "the instance installs only this")
            .note("The first deployment would fail with `command not found` and nothing to roll back to.")
            .help(format!("install it at first boot: `software = [{}]`", quoted.join(", ")));
        if instance.software_span.is_some() {
            diag = diag.fix(
                "add the missing software",
                span,
                format!("[{}]", quoted.join(", ")),
            );
        }
    }
    diag
}
