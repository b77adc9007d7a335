//! IAM lints: wildcard actions and resources, `iam:PassRole` on `*`, admin-equivalent grants,
//! and policies attached straight to users. Warnings with a reason; never errors.

use pipec_diagnostics::{Code, Diagnostic};
use pipec_span::Span;

use crate::report::Report;

/// What the lints need to know about one statement.
pub(crate) struct StatementFacts<'s> {
    pub(crate) allow: bool,
    pub(crate) actions: &'s [(String, Span)],
    pub(crate) resources_any: Option<Span>,
    pub(crate) span: Span,
}

/// The IAM lints, for anything that reports (the checker).
pub(crate) trait Lint: Report {
    fn lint_statement(&mut self, facts: &StatementFacts<'_>) {
        if !facts.allow {
            return;
        }
        let all_actions = facts.actions.iter().find(|(action, _)| action == "*");
        let iam_all = facts
            .actions
            .iter()
            .find(|(action, _)| action.eq_ignore_ascii_case("iam:*"));
        if let (Some((_, span)), Some(_)) = (all_actions, &facts.resources_any) {
            self.report(
                Diagnostic::warning(Code::IAM_ADMIN_GRANT, "this statement grants every action on every resource")
                    .primary(span.clone(), "`*` on `*`")
                    .secondary(facts.span.clone(), "administrator-equivalent statement")
                    .note("A principal with this grant can do anything in the account, including granting itself more.")
                    .help("grant the actions the principal needs on the resources it uses"),
            );
            return;
        }
        if let Some((_, span)) = iam_all {
            self.report(
                Diagnostic::warning(
                    Code::IAM_ADMIN_GRANT,
                    "`iam:*` lets the principal grant itself any permission",
                )
                .primary(span.clone(), "administrator-equivalent")
                .help("allow only the IAM actions needed, on the roles or users concerned"),
            );
        }
        for (action, span) in facts.actions {
            if action.ends_with('*') && !action.eq_ignore_ascii_case("iam:*") {
                self.report(
                    Diagnostic::warning(
                        Code::IAM_WILDCARD_ACTION,
                        format!("`{action}` allows every matching action, now and in the future"),
                    )
                    .primary(span.clone(), "wildcard action")
                    .help("list the actions the principal needs"),
                );
            }
            if action.eq_ignore_ascii_case("iam:PassRole") {
                if let Some(resource) = &facts.resources_any {
                    self.report(
                        Diagnostic::warning(Code::IAM_PASSROLE_WILDCARD, "`iam:PassRole` on every role")
                            .primary(resource.clone(), "any role can be passed")
                            .secondary(span.clone(), "PassRole allowed here")
                            .note("Passing any role lets the holder give a service, and so themselves, the permissions of the most powerful role in the account.")
                            .help("allow `iam:PassRole` only on the roles that must be passed, e.g. `on [role.web]`"),
                    );
                    continue;
                }
            }
        }
        if let Some(resource) = &facts.resources_any {
            if !facts
                .actions
                .iter()
                .any(|(action, _)| action.eq_ignore_ascii_case("iam:PassRole"))
            {
                self.report(
                    Diagnostic::warning(
                        Code::IAM_WILDCARD_RESOURCE,
                        "this statement applies to every resource",
                    )
                    .primary(resource.clone(), "`*` resource")
                    .help(
                        "name the resources, e.g. with references like `repo.app` or narrow ARNs",
                    ),
                );
            }
        }
    }

    fn lint_user_policy(&mut self, span: &Span, user: &str) {
        self.report(
            Diagnostic::warning(
                Code::IAM_POLICY_ON_USER,
                format!("a policy is attached directly to user `{user}`"),
            )
            .primary(span.clone(), "attached to a user")
            .note("Per-user grants drift and are hard to review; AWS recommends groups or roles.")
            .help("attach the policy to a group and add the user to it"),
        );
    }

    fn lint_admin_managed(&mut self, name: &str, span: &Span) {
        if ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"].contains(&name) {
            self.report(
                Diagnostic::warning(
                    Code::IAM_ADMIN_GRANT,
                    format!("`{name}` is an administrator-equivalent managed policy"),
                )
                .primary(span.clone(), "very broad grant")
                .help("attach a policy with the actions the principal needs"),
            );
        }
    }
}

impl<T: Report> Lint for T {}
