//! Confirmation on the terminal: shows the plan (or what destroy deletes) and asks for `yes`.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use pipec_deploy::{ConfirmSubject, Confirmer, RenderOptions};

use crate::aws::session::PromptState;

/// Confirmation on the terminal. With `--yes` it does not ask but still shows what is about to
/// happen (so the log of an automated apply holds the plan), which is why the CLI passes
/// `--yes` here rather than in [`pipec_deploy::DeployOptions::yes`]: the library then skips the
/// confirmer altogether.
pub(crate) struct TerminalConfirmer {
    pub(crate) assume_yes: bool,
    pub(crate) render: RenderOptions,
    /// Where the plan goes: stdout for `--format human`, stderr for JSON.
    pub(crate) plan_to_stdout: bool,
    pub(crate) prompt: Arc<PromptState>,
}

impl Confirmer for TerminalConfirmer {
    fn is_interactive(&self) -> bool {
        self.assume_yes || (std::io::stdin().is_terminal() && std::io::stderr().is_terminal())
    }

    fn confirm(&self, subject: ConfirmSubject<'_>) -> bool {
        let (shown, question) = match subject {
            ConfirmSubject::Apply(plan) => (
                {
                    // Apply keeps the change set to execute it; that is not news here.
                    let mut shown = plan.clone();
                    shown.change_set_kept = false;
                    pipec_deploy::render_plan(&shown, self.render)
                },
                format!(
                    "Apply these changes to stack `{}`? Only `yes` is accepted: ",
                    plan.stack_name
                ),
            ),
            ConfirmSubject::Destroy {
                stack_name,
                retained,
            } => {
                let mut shown =
                    format!("Stack `{stack_name}` and everything in it will be deleted");
                if retained.is_empty() {
                    shown.push_str(".\n");
                } else {
                    shown.push_str(&format!(", except (retained): {}.\n", retained.join(", ")));
                }
                (
                    shown,
                    format!("Destroy stack `{stack_name}`? Only `yes` is accepted: "),
                )
            }
        };
        if self.plan_to_stdout {
            print!("{shown}");
            let _ = std::io::stdout().flush();
        } else {
            eprint!("{shown}");
        }
        if self.assume_yes {
            return true;
        }
        self.prompt
            .ask(&question)
            .is_some_and(|answer| answer.trim() == "yes")
    }
}
