//! Instance software: what hooks can ask for (`needs = ["node"]`), and how an instance's
//! UserData installs it on each OS family pipec supports. One table, read by the checker
//! (names, docs, completion), the emitter (packages per OS) and the local runner.
//!
//! Facts (aws-facts §9 and §7): Amazon Linux 2023 ships no Node.js and packages Node 20 as
//! `nodejs20` + `nodejs20-npm` (AL2023 user guide, "Node.js in AL2023": namespaced `node-20`,
//! `npm-20`, the plain names chosen through `alternatives`); Ubuntu 24.04 has `nodejs`/`npm` in
//! universe, needs `apt-get update` first on a fresh instance, and needs `python3-venv` for
//! `python3 -m venv`; both images ship `curl` (AL2023 as `curl-minimal`) and `python3`.

/// One piece of software a hook can need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Software {
    /// The name used in `needs = [...]` and `software = [...]`.
    pub name: &'static str,
    /// What it provides, for hover and docs.
    pub doc: &'static str,
    /// Packages to install on Amazon Linux 2023 (empty: part of the image).
    pub amazon_linux: &'static [&'static str],
    /// Packages to install on Ubuntu 24.04 (empty: part of the image).
    pub ubuntu: &'static [&'static str],
    /// Commands that must be on `PATH` once it is installed; the UserData checks them, so a
    /// package that does not provide them fails the bootstrap, not the first deployment.
    pub commands: &'static [&'static str],
    /// On Amazon Linux: `(command, namespaced command)` pairs linked when `alternatives` has not
    /// made the plain name (AL2023 namespaces Node.js as `node-20`/`npm-20`).
    pub amazon_linux_links: &'static [(&'static str, &'static str)],
}

/// The names of [`CATALOG`], in its order (the schema lists them as allowed values; a test
/// keeps the two in step).
pub const NAMES: &[&str] = &["curl", "nginx", "node", "python3", "python3-venv"];

/// Every name hooks may need, sorted by name.
pub const CATALOG: &[Software] = &[
    Software {
        name: "curl",
        doc: "the curl HTTP client (health checks)",
        amazon_linux: &[],
        ubuntu: &[],
        commands: &["curl"],
        amazon_linux_links: &[],
    },
    Software {
        name: "nginx",
        doc: "the nginx web server",
        amazon_linux: &["nginx"],
        ubuntu: &["nginx"],
        commands: &["nginx"],
        amazon_linux_links: &[],
    },
    Software {
        name: "node",
        doc: "Node.js 20 with npm",
        amazon_linux: &["nodejs20", "nodejs20-npm"],
        ubuntu: &["nodejs", "npm"],
        commands: &["node", "npm"],
        amazon_linux_links: &[("node", "node-20"), ("npm", "npm-20")],
    },
    Software {
        name: "python3",
        doc: "Python 3",
        amazon_linux: &[],
        ubuntu: &[],
        commands: &["python3"],
        amazon_linux_links: &[],
    },
    Software {
        name: "python3-venv",
        doc: "Python 3 with `python3 -m venv` and pip in a virtual environment",
        amazon_linux: &["python3-pip"],
        ubuntu: &["python3-venv"],
        commands: &["python3"],
        amazon_linux_links: &[],
    },
];

/// The entry called `name`.
#[must_use]
pub fn find(name: &str) -> Option<&'static Software> {
    CATALOG.iter().find(|software| software.name == name)
}

/// True when `name` is part of `os`'s image (nothing to install), e.g. `curl`.
#[must_use]
pub fn in_base_image(name: &str, os: &str) -> bool {
    find(name).is_some_and(|software| {
        if os == "ubuntu" {
            software.ubuntu.is_empty()
        } else {
            software.amazon_linux.is_empty()
        }
    })
}

/// The packages that install `names` on `os` (`amazon_linux` or `ubuntu`), sorted, without
/// duplicates.
#[must_use]
pub fn packages(os: &str, names: &[String]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = names
        .iter()
        .filter_map(|name| find(name))
        .flat_map(|software| {
            if os == "ubuntu" {
                software.ubuntu.iter()
            } else {
                software.amazon_linux.iter()
            }
        })
        .copied()
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The Amazon Linux `(command, namespaced command)` links of `names`.
#[must_use]
pub fn amazon_linux_links(names: &[String]) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = names
        .iter()
        .filter_map(|name| find(name))
        .flat_map(|software| software.amazon_linux_links.iter().copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The commands that `names` must put on `PATH`, sorted, without duplicates.
#[must_use]
pub fn commands(names: &[String]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = names
        .iter()
        .filter_map(|name| find(name))
        .flat_map(|software| software.commands.iter().copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_sorted_and_names_are_shell_safe() {
        let names: Vec<&str> = CATALOG.iter().map(|software| software.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(names, NAMES);
        for software in CATALOG {
            for word in software
                .amazon_linux
                .iter()
                .chain(software.ubuntu)
                .chain(software.commands)
            {
                assert!(
                    word.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                    "{word} must be one plain shell word"
                );
            }
        }
    }

    #[test]
    fn packages_depend_on_the_os() {
        let node = vec!["node".to_string(), "curl".to_string()];
        assert_eq!(
            packages("amazon_linux", &node),
            ["nodejs20", "nodejs20-npm"]
        );
        assert_eq!(packages("ubuntu", &node), ["nodejs", "npm"]);
        assert_eq!(commands(&node), ["curl", "node", "npm"]);
        assert!(packages("ubuntu", &["unknown".to_string()]).is_empty());
    }
}
