//! What plan and apply ask before the change set: whether the program's instances have a
//! network to land in (`pipec_deploy::check_network`). A missing default VPC stops the verb with
//! `P6033` at each instance's line; a lookup that fails is a `P6034` warning and the verb goes on.

use pipec_deploy::api::Ec2Api;
use pipec_deploy::DeployRequest;
use pipec_span::SourceDb;
use termcolor::ColorChoice;

use crate::aws::args::DeployFormat;
use crate::aws::report::{place, print_errors, print_to_stderr};
use crate::aws::session::Session;
use crate::output::EXIT_ERRORS;

/// Runs the checks; `Err(1)` after printing the errors when the verb must stop.
pub(crate) fn preflight(
    session: &Session,
    ec2: &dyn Ec2Api,
    request: &DeployRequest,
    db: &SourceDb,
    format: DeployFormat,
    color: ColorChoice,
) -> Result<(), u8> {
    let check = session.runtime.block_on(pipec_deploy::check_network(
        ec2,
        &request.template_body,
        &request.manifest,
    ));
    print_to_stderr(db, &check.warnings, color);
    if check.failed() {
        let mut placed = place(db, &check.errors, None);
        for label in placed
            .iter_mut()
            .flat_map(|diagnostic| &mut diagnostic.labels)
        {
            "no `subnet`: launched into the default VPC".clone_into(&mut label.message);
        }
        print_errors(Some(db), &placed, format, color);
        return Err(EXIT_ERRORS);
    }
    Ok(())
}
