//! What software the instance sandbox offers its hooks. A real instance has its OS's base set
//! (`curl`, `python3` on both Amazon Linux 2023 and Ubuntu 24.04) plus what its UserData
//! installs (the manifest's `instances[].software`, from `pipec_ir::software`); this machine
//! may have more. Catalogue software the instance does not get is hidden from the hooks: each
//! command it provides (`Software::commands`) that resolves to a file on `PATH` is covered by a
//! stub that says what is missing and exits 127, as `bash` does for a command it cannot find
//! (docs/run-local.md, "Software"). Software the instance does get but this machine lacks is
//! reported (P7020): the local run cannot stand for it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pipec_diagnostics::{Code, Diagnostic};
use pipec_ir::shell::quote;
use pipec_ir::software::{self, CATALOG};

use crate::manifest::InstanceEntry;

/// Directories searched besides this process's `PATH`: the ones a systemd service (the
/// CodeDeploy agent) and a login shell put on `PATH` on both supported OSes.
const STANDARD_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// What one deploy's sandbox offers.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Offer {
    /// The instance the message names (the first one the deploy selects).
    pub(crate) instance: String,
    /// `(command, software)` for each command to hide.
    pub(crate) hidden: Vec<(String, String)>,
    /// `(instance, software, commands missing here, instance source)` for software the
    /// instance installs but this machine lacks.
    pub(crate) missing_here: Vec<(String, String, Vec<String>, String)>,
}

/// Decides what to hide for a deploy that selects `instances`. `None` when the deploy selects
/// none of the program's instances: then nothing is known about them, and nothing is hidden.
/// With several instances, each must work, so the sandbox offers what all of them have.
pub(crate) fn offer(
    instances: &[InstanceEntry],
    has_command: &dyn Fn(&str) -> bool,
) -> Option<Offer> {
    let first = instances.first()?;
    let visible_on = |instance: &InstanceEntry| -> BTreeSet<&'static str> {
        CATALOG
            .iter()
            .filter(|entry| {
                software::in_base_image(entry.name, &instance.os)
                    || (instance.agent && instance.software.iter().any(|name| name == entry.name))
            })
            .map(|entry| entry.name)
            .collect()
    };
    let mut visible = visible_on(first);
    for instance in instances.iter().skip(1) {
        let other = visible_on(instance);
        visible.retain(|name| other.contains(name));
    }
    let provided: BTreeSet<&str> = CATALOG
        .iter()
        .filter(|entry| visible.contains(entry.name))
        .flat_map(|entry| entry.commands.iter().copied())
        .collect();
    let mut hidden: Vec<(String, String)> = Vec::new();
    for entry in CATALOG.iter().filter(|entry| !visible.contains(entry.name)) {
        for command in entry.commands {
            if !provided.contains(command) && !hidden.iter().any(|(known, _)| known == command) {
                hidden.push(((*command).to_owned(), entry.name.to_owned()));
            }
        }
    }
    let mut missing_here = Vec::new();
    for instance in instances {
        for name in visible_on(instance) {
            let Some(entry) = software::find(name) else {
                continue;
            };
            let absent: Vec<String> = entry
                .commands
                .iter()
                .filter(|command| !has_command(command))
                .map(|command| (*command).to_owned())
                .collect();
            if !absent.is_empty() {
                missing_here.push((
                    instance.name.clone(),
                    name.to_owned(),
                    absent,
                    instance.source.clone(),
                ));
            }
        }
    }
    Some(Offer {
        instance: first.name.clone(),
        hidden,
        missing_here,
    })
}

/// P7020: instance `instance` of deploy `deploy` installs `software`, but `commands` are not
/// on this machine.
pub(crate) fn not_on_host(
    deploy: &str,
    instance: &str,
    software: &str,
    commands: &[String],
) -> Diagnostic {
    let list: Vec<String> = commands
        .iter()
        .map(|command| format!("`{command}`"))
        .collect();
    Diagnostic::warning(
        Code::RUN_SOFTWARE_NOT_ON_HOST,
        format!(
            "instance `{instance}` installs `{software}`, but this machine has no {}",
            list.join(" or ")
        ),
    )
    .note(format!(
        "Hooks of deploy `{deploy}` that use it fail here with `command not found`, although they may work on AWS: the local run cannot stand for it."
    ))
    .help(format!(
        "install `{software}` on this machine to run those hooks locally"
    ))
}

/// The directories searched for commands: this process's `PATH` (hooks inherit it), then the
/// standard ones, without duplicates.
pub(crate) fn search_path() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    dirs.extend(STANDARD_PATH.iter().map(PathBuf::from));
    let mut seen = BTreeSet::new();
    dirs.retain(|dir| dir.is_absolute() && seen.insert(dir.clone()));
    dirs
}

/// True when `command` is an executable file in one of `dirs` on this machine.
pub(crate) fn on_host(command: &str, dirs: &[PathBuf]) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    dirs.iter().any(|dir| {
        std::fs::metadata(dir.join(command))
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    })
}

/// The stub that stands for `command` of `software`, which instance `instance` does not
/// install: the message goes to stderr, and the exit status is 127, bash's for a command it
/// cannot find. Every interpolated word is quoted.
pub(crate) fn stub_script(command: &str, software: &str, instance: &str) -> String {
    let message = format!(
        "{command}: command not found (instance {instance} does not install `{software}`; add it to `software` or use a preset that needs it)"
    );
    format!(
        "#!/bin/sh\n# pipec run --local: software the instance does not install.\nprintf '%s\\n' {} >&2\nexit 127\n",
        quote(&message)
    )
}

/// Writes one stub per hidden command into `dir` (emptied first); returns `(command, stub)`.
pub(crate) fn write_stubs(dir: &Path, offer: &Offer) -> std::io::Result<Vec<(String, PathBuf)>> {
    use std::os::unix::fs::PermissionsExt as _;
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let mut stubs = Vec::new();
    for (command, software) in &offer.hidden {
        let path = dir.join(command);
        std::fs::write(&path, stub_script(command, software, &offer.instance))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        stubs.push((command.clone(), path));
    }
    Ok(stubs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(name: &str, os: &str, software: &[&str]) -> InstanceEntry {
        InstanceEntry {
            name: name.to_owned(),
            os: os.to_owned(),
            agent: true,
            software: software.iter().map(|name| (*name).to_owned()).collect(),
            source: format!("p.pipe:{}", name.len()),
        }
    }

    #[test]
    fn hides_what_the_instance_does_not_install() {
        let all = |_: &str| true;
        let offer = offer(&[instance("web", "amazon_linux", &["nginx"])], &all);
        let offer = offer.unwrap_or_default();
        // curl and python3 are part of both images; node is not installed.
        assert_eq!(
            offer.hidden,
            [
                ("node".to_owned(), "node".to_owned()),
                ("npm".to_owned(), "node".to_owned())
            ]
        );
        assert!(offer.missing_here.is_empty());
        let with_node = super::offer(&[instance("web", "ubuntu", &["node"])], &all);
        assert_eq!(
            with_node.map(|offer| offer.hidden),
            Some(vec![("nginx".to_owned(), "nginx".to_owned())])
        );
    }

    #[test]
    fn several_instances_offer_what_all_have_and_none_offers_everything() {
        let all = |_: &str| true;
        let offer = offer(
            &[
                instance("a", "amazon_linux", &["node", "nginx"]),
                instance("b", "amazon_linux", &["node"]),
            ],
            &all,
        );
        assert_eq!(
            offer.map(|offer| offer.hidden),
            Some(vec![("nginx".to_owned(), "nginx".to_owned())])
        );
        assert_eq!(super::offer(&[], &all), None);
        // Without an agent there is no UserData: only the base image.
        let mut bare = instance("bare", "amazon_linux", &["node"]);
        bare.agent = false;
        let hidden = super::offer(&[bare], &all).map(|offer| offer.hidden.len());
        assert_eq!(hidden, Some(3));
    }

    #[test]
    fn software_missing_here_is_reported() {
        let no_nginx = |command: &str| command != "nginx";
        let offer = offer(&[instance("web", "ubuntu", &["nginx"])], &no_nginx);
        assert_eq!(
            offer.map(|offer| offer.missing_here),
            Some(vec![(
                "web".to_owned(),
                "nginx".to_owned(),
                vec!["nginx".to_owned()],
                "p.pipe:3".to_owned()
            )])
        );
    }

    #[test]
    fn software_missing_here_is_a_p7020_warning() {
        let diagnostic = not_on_host("web", "web", "node", &["node".to_owned(), "npm".to_owned()]);
        let json = pipec_diagnostics::render_json(&pipec_span::SourceDb::new(), &[diagnostic]);
        insta::assert_snapshot!(json);
    }

    #[test]
    fn the_stub_prints_its_message_and_exits_127() -> std::io::Result<()> {
        let temp = tempfile::tempdir()?;
        let offer = Offer {
            instance: "web's".to_owned(),
            hidden: vec![("node".to_owned(), "node".to_owned())],
            missing_here: Vec::new(),
        };
        let stubs = write_stubs(&temp.path().join("stubs"), &offer)?;
        let output = std::process::Command::new(&stubs[0].1)
            .arg("--version")
            .output()?;
        assert_eq!(output.status.code(), Some(127));
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "node: command not found (instance web's does not install `node`; add it to `software` or use a preset that needs it)\n"
        );
        Ok(())
    }
}
