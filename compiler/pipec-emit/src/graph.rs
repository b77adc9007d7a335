//! `pipec graph`: the pipeline as a picture (Mermaid or DOT text). Stages hold their actions;
//! consecutive stages are linked; dotted edges go to the resources each action uses (the
//! repository, the CodeBuild project, the deployment group, the instances its tags select,
//! the site bucket) and to the roles those resources run as.

use std::fmt::Write as _;

use pipec_ir::{Action, Program, S3Deploy, Target};

/// The output language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    /// Mermaid `flowchart` text (renders on GitHub).
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

struct Graph {
    clusters: Vec<(String, String, Vec<(String, String)>)>,
    flow: Vec<(String, String)>,
    uses: Vec<(String, String, Option<String>)>,
    resources: Vec<(String, String, Shape)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Store,
    Box,
    Role,
}

fn id(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|part| pipec_ir::names::sanitize(part, "", '_'))
        .collect::<Vec<_>>()
        .join("_")
}

fn collect(program: &Program) -> Graph {
    let mut graph = Graph {
        clusters: Vec::new(),
        flow: Vec::new(),
        uses: Vec::new(),
        resources: Vec::new(),
    };
    let add_resource = |graph: &mut Graph, node: String, label: String, shape: Shape| {
        if !graph
            .resources
            .iter()
            .any(|(existing, _, _)| *existing == node)
        {
            graph.resources.push((node, label, shape));
        }
    };
    for pipeline in &program.pipelines {
        let mut previous: Vec<String> = Vec::new();
        for stage in &pipeline.stages {
            let mut nodes = Vec::new();
            for (index, action) in stage.actions.iter().enumerate() {
                let node = id(&["A", &pipeline.origin.name, &stage.name, &index.to_string()]);
                let label = match action {
                    Action::Source(name) => format!("source: repo.{name}"),
                    Action::Build(name) => format!("build: build.{name}"),
                    Action::Deploy(name) => format!("deploy: deploy.{name}"),
                    Action::Approval => "manual approval".to_string(),
                };
                match action {
                    Action::Source(name) => {
                        if let Some(repo) =
                            program.repos.iter().find(|repo| repo.origin.name == *name)
                        {
                            let resource = id(&["R", "repo", name]);
                            add_resource(
                                &mut graph,
                                resource.clone(),
                                format!("CodeCommit {}\nbranch {}", repo.aws_name, repo.branch),
                                Shape::Store,
                            );
                            graph.uses.push((node.clone(), resource, None));
                        }
                    }
                    Action::Build(name) => {
                        if let Some(build) = program
                            .builds
                            .iter()
                            .find(|build| build.origin.name == *name)
                        {
                            let resource = id(&["R", "build", name]);
                            add_resource(
                                &mut graph,
                                resource.clone(),
                                format!("CodeBuild {}\n{}", build.aws_name, build.image),
                                Shape::Box,
                            );
                            graph.uses.push((node.clone(), resource.clone(), None));
                            let role = build.role.clone().map_or_else(
                                || format!("generated role of build {name}"),
                                |role| format!("role {role}"),
                            );
                            let role_node = id(&["R", "role", &role]);
                            add_resource(&mut graph, role_node.clone(), role, Shape::Role);
                            graph
                                .uses
                                .push((resource, role_node, Some("runs as".to_string())));
                        }
                    }
                    Action::Deploy(name) => {
                        if let Some(deploy) = program
                            .deploys
                            .iter()
                            .find(|deploy| deploy.origin.name == *name)
                        {
                            match &deploy.target {
                                Target::Ec2(ec2) => {
                                    let groups = &ec2.groups;
                                    let resource = id(&["R", "deploy", name]);
                                    add_resource(
                                        &mut graph,
                                        resource.clone(),
                                        format!(
                                            "CodeDeploy {}\n{} hooks",
                                            ec2.group_name,
                                            ec2.hooks.len()
                                        ),
                                        Shape::Box,
                                    );
                                    graph.uses.push((node.clone(), resource.clone(), None));
                                    let wanted: Vec<String> = groups
                                        .iter()
                                        .flatten()
                                        .map(|filter| format!("{}={}", filter.key, filter.value))
                                        .collect();
                                    for instance in &program.instances {
                                        // No groups matched every instance here before.
                                        let matched = groups.is_empty()
                                            || pipec_ir::groups_select(groups, &instance.tags);
                                        if matched {
                                            let instance_node =
                                                id(&["R", "instance", &instance.origin.name]);
                                            add_resource(
                                                &mut graph,
                                                instance_node.clone(),
                                                format!(
                                                    "EC2 {}\n{}",
                                                    instance.origin.name, instance.instance_type
                                                ),
                                                Shape::Box,
                                            );
                                            graph.uses.push((
                                                resource.clone(),
                                                instance_node.clone(),
                                                Some(format!("tags {}", wanted.join(", "))),
                                            ));
                                            if let Some(role) = &instance.role {
                                                let role_node =
                                                    id(&["R", "role", &format!("role {role}")]);
                                                add_resource(
                                                    &mut graph,
                                                    role_node.clone(),
                                                    format!("role {role}"),
                                                    Shape::Role,
                                                );
                                                graph.uses.push((
                                                    instance_node,
                                                    role_node,
                                                    Some("profile".to_string()),
                                                ));
                                            }
                                        }
                                    }
                                }
                                Target::S3(S3Deploy { site, .. }) => {
                                    let resource = id(&["R", "site", site]);
                                    add_resource(
                                        &mut graph,
                                        resource.clone(),
                                        format!("S3 website site.{site}"),
                                        Shape::Store,
                                    );
                                    graph.uses.push((node.clone(), resource, None));
                                }
                            }
                        }
                    }
                    Action::Approval => {}
                }
                nodes.push((node, label));
            }
            for from in &previous {
                for (to, _) in &nodes {
                    graph.flow.push((from.clone(), to.clone()));
                }
            }
            previous = nodes.iter().map(|(node, _)| node.clone()).collect();
            graph.clusters.push((
                id(&["S", &pipeline.origin.name, &stage.name]),
                format!("{} / {}", pipeline.origin.name, stage.name),
                nodes,
            ));
        }
    }
    graph
}

/// Renders the program's pipelines.
#[must_use]
pub fn graph(program: &Program, format: GraphFormat) -> String {
    let graph = collect(program);
    match format {
        GraphFormat::Mermaid => mermaid(&graph),
        GraphFormat::Dot => dot(&graph),
    }
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;").replace('\n', "<br/>")
}

fn mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for (cluster, label, nodes) in &graph.clusters {
        let _ = writeln!(out, "  subgraph {cluster}[\"{}\"]", mermaid_text(label));
        for (node, label) in nodes {
            let _ = writeln!(out, "    {node}[\"{}\"]", mermaid_text(label));
        }
        out.push_str("  end\n");
    }
    for (node, label, shape) in &graph.resources {
        let text = mermaid_text(label);
        let _ = match shape {
            Shape::Store => writeln!(out, "  {node}[(\"{text}\")]"),
            Shape::Box => writeln!(out, "  {node}[\"{text}\"]"),
            Shape::Role => writeln!(out, "  {node}{{{{\"{text}\"}}}}"),
        };
    }
    for (from, to) in &graph.flow {
        let _ = writeln!(out, "  {from} --> {to}");
    }
    for (from, to, label) in &graph.uses {
        let _ = match label {
            Some(label) => writeln!(out, "  {from} -.->|\"{}\"| {to}", mermaid_text(label)),
            None => writeln!(out, "  {from} -.-> {to}"),
        };
    }
    out
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn dot(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph pipeline {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
    );
    for (cluster, label, nodes) in &graph.clusters {
        let _ = writeln!(
            out,
            "  subgraph cluster_{cluster} {{\n    label=\"{}\";",
            dot_text(label)
        );
        for (node, label) in nodes {
            let _ = writeln!(out, "    {node} [label=\"{}\"];", dot_text(label));
        }
        out.push_str("  }\n");
    }
    for (node, label, shape) in &graph.resources {
        let shape = match shape {
            Shape::Store => "cylinder",
            Shape::Box => "box",
            Shape::Role => "hexagon",
        };
        let _ = writeln!(
            out,
            "  {node} [label=\"{}\", shape={shape}];",
            dot_text(label)
        );
    }
    for (from, to) in &graph.flow {
        let _ = writeln!(out, "  {from} -> {to};");
    }
    for (from, to, label) in &graph.uses {
        let _ = match label {
            Some(label) => writeln!(
                out,
                "  {from} -> {to} [style=dashed, label=\"{}\"];",
                dot_text(label)
            ),
            None => writeln!(out, "  {from} -> {to} [style=dashed];"),
        };
    }
    out.push_str("}\n");
    out
}
