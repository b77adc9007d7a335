//! The failure codes AWS reports for CodeDeploy deployments and lifecycle hooks and for CodeBuild
//! phases, with what to check and the AWS page that says more. `pipec explain` reads this table
//! for names that are not pipec diagnostic codes (they are AWS's names, not `P####` codes, so they
//! live here and not in the diagnostic registry).

/// One AWS failure code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwsCode {
    /// AWS's name, as reported (`HEALTH_CONSTRAINTS`, `ScriptFailed`, `COMMAND_EXECUTION_ERROR`).
    pub code: &'static str,
    /// Other spellings AWS uses for the same failure (the lifecycle-event form of a
    /// deployment code: `SCRIPT_FAILED` / `ScriptFailed`).
    pub aliases: &'static [&'static str],
    /// `CodeDeploy` or `CodeBuild`.
    pub service: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// What to check, in order.
    pub check: &'static str,
    /// The AWS documentation page.
    pub url: &'static str,
}

const CD_TROUBLE: &str =
    "https://docs.aws.amazon.com/codedeploy/latest/userguide/troubleshooting-deployments.html";
const CD_EC2: &str =
    "https://docs.aws.amazon.com/codedeploy/latest/userguide/troubleshooting-ec2-instances.html";
const CB_TROUBLE: &str =
    "https://docs.aws.amazon.com/codebuild/latest/userguide/troubleshooting.html";

/// Every code `pipec explain` knows.
pub const AWS_CODES: &[AwsCode] = &[
    AwsCode {
        code: "HEALTH_CONSTRAINTS",
        aliases: &["HEALTH_CONSTRAINTS_INVALID"],
        service: "CodeDeploy",
        meaning: "Too many instances failed for the deployment configuration's minimum healthy hosts, so CodeDeploy stopped the deployment.",
        check: "Run `pipec logs FILE deploy.NAME` and read the first failed hook on each instance; with one instance any failure breaks the constraint (CodeDeployDefault.OneAtATime needs all but one healthy).",
        url: CD_TROUBLE,
    },
    AwsCode {
        code: "NO_INSTANCES",
        aliases: &[],
        service: "CodeDeploy",
        meaning: "No instance matched the deployment group: the tag filters select nothing, or the matching instances are stopped or terminated.",
        check: "Check the `instance` block's tags against the deploy's target, that the instance is running (`pipec outputs FILE`), and that it is in the stack's region.",
        url: CD_TROUBLE,
    },
    AwsCode {
        code: "AGENT_ISSUE",
        aliases: &[],
        service: "CodeDeploy",
        meaning: "The CodeDeploy agent on the instance did not answer: not installed, not running, or unable to reach CodeDeploy and S3.",
        check: "On the instance: `sudo systemctl status codedeploy-agent`, /var/log/aws/codedeploy-agent/codedeploy-agent.log, and /var/log/cloud-init-output.log for the bootstrap; the instance needs outbound HTTPS and its instance profile.",
        url: CD_EC2,
    },
    AwsCode {
        code: "IAM_ROLE_PERMISSIONS",
        aliases: &["IAM_ROLE_MISSING"],
        service: "CodeDeploy",
        meaning: "CodeDeploy's service role lacks permissions (or does not exist), so it cannot read the instances or the deployment group.",
        check: "The deploy's role must trust codedeploy.amazonaws.com and carry AWSCodeDeployRole; run `pipec plan FILE` to see whether the stack still matches the file.",
        url: CD_TROUBLE,
    },
    AwsCode {
        code: "SCRIPT_FAILED",
        aliases: &["ScriptFailed"],
        service: "CodeDeploy",
        meaning: "A lifecycle hook's script exited with a non-zero status.",
        check: "Read the log tail shown by `pipec logs FILE deploy.NAME` at the `hook` line; run the hooks locally with `pipec run --local FILE`. The full output is in /opt/codedeploy-agent/deployment-root/deployment-logs/codedeploy-agent-deployments.log on the instance.",
        url: CD_EC2,
    },
    AwsCode {
        code: "SCRIPT_TIMED_OUT",
        aliases: &["ScriptTimedOut", "TIMEOUT"],
        service: "CodeDeploy",
        meaning: "A lifecycle hook ran longer than its timeout.",
        check: "Raise the hook's `timeout` (at most 3600 seconds) or make it faster; a script that starts a server must not wait for it in the foreground (close stdout/stderr of background processes).",
        url: CD_EC2,
    },
    AwsCode {
        code: "SCRIPT_MISSING",
        aliases: &["ScriptMissing"],
        service: "CodeDeploy",
        meaning: "The appspec names a script that is not in the revision bundle.",
        check: "The build must put appspec.yml and scripts/ at the root of its output; pipec's buildspec does so in post_build, so check that the build's `artifacts` do not exclude them.",
        url: CD_EC2,
    },
    AwsCode {
        code: "SCRIPT_NOT_EXECUTABLE",
        aliases: &["ScriptNotExecutable"],
        service: "CodeDeploy",
        meaning: "A hook script is not executable by the user it runs as.",
        check: "Check the hook's `runas` user and the file mode of the scripts in the artifact.",
        url: CD_EC2,
    },
    AwsCode {
        code: "REVISION_MISSING",
        aliases: &["APPLICATION_MISSING", "DEPLOYMENT_GROUP_MISSING"],
        service: "CodeDeploy",
        meaning: "The revision, application or deployment group the deployment names does not exist.",
        check: "Run `pipec plan FILE`: a difference means the stack was changed outside pipec; `pipec apply FILE` restores it.",
        url: CD_TROUBLE,
    },
    AwsCode {
        code: "COMMAND_EXECUTION_ERROR",
        aliases: &[],
        service: "CodeBuild",
        meaning: "A command of the buildspec exited with a non-zero status.",
        check: "`pipec logs FILE build.NAME` shows the phase's output and the failing `run` line; reproduce with `pipec run --local FILE`.",
        url: CB_TROUBLE,
    },
    AwsCode {
        code: "CLIENT_ERROR",
        aliases: &[],
        service: "CodeBuild",
        meaning: "CodeBuild could not set the build up: a source it cannot download, an image it cannot pull, a role it cannot assume, or an artifact it cannot upload.",
        check: "Read the phase message (DOWNLOAD_SOURCE, PROVISIONING or UPLOAD_ARTIFACTS); check the build role's permissions on the artifact bucket and the repository, and the `image`.",
        url: CB_TROUBLE,
    },
    AwsCode {
        code: "YAML_FILE_ERROR",
        aliases: &[],
        service: "CodeBuild",
        meaning: "The buildspec could not be parsed.",
        check: "pipec writes the buildspec; run `pipec check FILE` and report it as a pipec bug if it passes.",
        url: CB_TROUBLE,
    },
];

/// The entry of an AWS code or alias (case-insensitive; `-` and `_` alike).
#[must_use]
pub fn lookup(name: &str) -> Option<&'static AwsCode> {
    let wanted = normalize(name);
    AWS_CODES.iter().find(|entry| {
        normalize(entry.code) == wanted || entry.aliases.iter().any(|a| normalize(a) == wanted)
    })
}

fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The text `pipec explain CODE` prints for an AWS code.
#[must_use]
pub fn explain(entry: &AwsCode) -> String {
    let mut text = format!("# {} ({} failure code)\n\n", entry.code, entry.service);
    text.push_str(&format!("## What it means\n\n{}\n\n", entry.meaning));
    text.push_str(&format!("## What to check\n\n{}\n\n", entry.check));
    text.push_str(&format!("## More\n\n{}\n", entry.url));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_aliases_are_found_in_any_spelling() {
        assert_eq!(
            lookup("ScriptFailed").map(|e| e.code),
            Some("SCRIPT_FAILED")
        );
        assert_eq!(
            lookup("script-failed").map(|e| e.code),
            Some("SCRIPT_FAILED")
        );
        assert_eq!(
            lookup("health_constraints").map(|e| e.code),
            Some("HEALTH_CONSTRAINTS")
        );
        assert_eq!(lookup("CLIENT_ERROR").map(|e| e.service), Some("CodeBuild"));
        assert!(lookup("P6001").is_none());
        assert!(explain(lookup("NO_INSTANCES").expect("known"))
            .contains("https://docs.aws.amazon.com/"));
    }
}
