//! Hover, completion, go to definition, find references and rename. Names come from the
//! driver's symbol index (of the newest analysis, and of the last one without syntax errors
//! for names in a part that does not parse now); what a word means where it stands comes from
//! `context` (a text scan that works on broken files) and the sema schema.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use lsp_types::{
    CompletionItem, CompletionItemKind, Documentation, Hover, HoverContents, Location,
    MarkupContent, MarkupKind, Range, TextEdit, Uri, WorkspaceEdit,
};
use pipec_driver::schema::{self, AttrSpec, AttrType, BlockSpec};
use pipec_driver::stdlib;
use pipec_span::Span;

use crate::analysis::Unit;
use crate::context::{cursor_context, path_at, Enclosing, Slot};
use crate::convert::{PositionEncoding, TextRef};
use crate::diagnostics::span_range;
use crate::remap::Remap;

/// The definition named at `offset` of `uri`: its index in `unit`.
fn definition_at(unit: &Unit, uri: &str, offset: usize) -> Option<usize> {
    let file = unit.file(uri)?;
    unit.index.definition_at(file, offset)
}

fn location(unit: &Unit, span: &Span, encoding: PositionEncoding) -> Option<Location> {
    let uri = Uri::from_str(unit.uri(span.file)?).ok()?;
    Some(Location {
        uri,
        range: span_range(unit, span, encoding)?,
    })
}

/// A checked program with the map from the text of `uri` it was checked from to the text now.
pub(crate) struct Mapped<'a> {
    /// The program.
    pub(crate) unit: &'a Unit,
    /// Old text of the document → its text now.
    pub(crate) remap: Remap,
}

/// Where the name at `offset` is declared, from the newest of `programs` that knows it.
/// `open` gives the current text of an open document: a declaration in one is placed through
/// the map from the text the program saw, or not at all when that part changed since.
pub(crate) fn definition<'t>(
    programs: &[Mapped<'_>],
    uri: &str,
    offset: usize,
    open: &dyn Fn(&str) -> Option<TextRef<'t>>,
    encoding: PositionEncoding,
) -> Option<Location> {
    for program in programs {
        let unit = program.unit;
        let Some(old) = program.remap.to_old(offset) else {
            continue;
        };
        let Some(target) = definition_at(unit, uri, old) else {
            continue;
        };
        let span = &unit.index.definitions.get(target)?.name_span;
        let Some(file_uri) = unit.uri(span.file) else {
            return stdlib_location(unit, span, encoding);
        };
        let Some(now) = open(file_uri) else {
            return location(unit, span, encoding);
        };
        let remap = Remap::new(unit.db.text(span.file), now.text);
        let Some((start, end)) = remap.range_to_new(span.start(), span.end()) else {
            continue;
        };
        return Some(Location {
            uri: Uri::from_str(file_uri).ok()?,
            range: now.range(start, end, encoding),
        });
    }
    None
}

/// A declaration in a stdlib module: in the module's read-only copy in the cache.
fn stdlib_location(unit: &Unit, span: &Span, encoding: PositionEncoding) -> Option<Location> {
    let uri = crate::stdlib_files::uri(unit.db.name(span.file), unit.db.text(span.file))?;
    Some(Location {
        uri: Uri::from_str(&uri).ok()?,
        range: span_range(unit, span, encoding)?,
    })
}

/// The `///` comment on the lines just above the line holding `offset`.
fn doc_comment(text: &str, offset: usize) -> Option<String> {
    let line_start = text.get(..offset)?.rfind('\n').map_or(0, |index| index + 1);
    let mut lines: Vec<&str> = text[..line_start]
        .lines()
        .rev()
        .map_while(|line| line.trim().strip_prefix("///"))
        .map(str::trim)
        .collect();
    lines.reverse();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Every use of the name at `offset` (and its declaration when asked).
pub(crate) fn references(
    unit: &Unit,
    uri: &str,
    offset: usize,
    include_declaration: bool,
    encoding: PositionEncoding,
) -> Vec<Location> {
    let Some(target) = definition_at(unit, uri, offset) else {
        return Vec::new();
    };
    let mut spans: Vec<&Span> = Vec::new();
    if include_declaration {
        if let Some(definition) = unit.index.definitions.get(target) {
            spans.push(&definition.name_span);
        }
    }
    spans.extend(
        unit.index
            .references_to(target)
            .map(|reference| &reference.span),
    );
    spans
        .into_iter()
        .filter_map(|span| location(unit, span, encoding))
        .collect()
}

/// The range of the name at `offset`, when it can be renamed.
pub(crate) fn prepare_rename(
    unit: &Unit,
    uri: &str,
    offset: usize,
    encoding: PositionEncoding,
) -> Option<Range> {
    let file = unit.file(uri)?;
    let span = unit
        .index
        .references
        .iter()
        .map(|reference| &reference.span)
        .chain(
            unit.index
                .definitions
                .iter()
                .map(|definition| &definition.name_span),
        )
        .find(|span| span.file == file && span.contains(offset))?;
    // Stdlib presets and names outside files cannot be edited.
    let target = unit.index.definition_at(file, offset)?;
    unit.uri(unit.index.definitions.get(target)?.name_span.file)?;
    span_range(unit, span, encoding)
}

/// The edits renaming the name at `offset` to `new_name` (declaration and every reference).
/// An error message when the name cannot be renamed to that.
// `lsp_types::Uri` hashes by its text; see `edits::code_actions`.
#[allow(clippy::mutable_key_type)]
pub(crate) fn rename(
    unit: &Unit,
    uri: &str,
    offset: usize,
    new_name: &str,
    encoding: PositionEncoding,
) -> Result<Option<WorkspaceEdit>, String> {
    let valid = new_name.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_')
        && new_name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    if !valid {
        return Err(format!(
            "`{new_name}` is not a name: use letters, digits and `_`, starting with a letter"
        ));
    }
    let Some(target) = definition_at(unit, uri, offset) else {
        return Ok(None);
    };
    let Some(definition) = unit.index.definitions.get(target) else {
        return Ok(None);
    };
    if unit.uri(definition.name_span.file).is_none() {
        return Err(format!(
            "`{}` is declared in the standard library",
            definition.name
        ));
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    let spans = std::iter::once(&definition.name_span).chain(
        unit.index
            .references_to(target)
            .map(|reference| &reference.span),
    );
    for span in spans {
        let Some(Location { uri, range }) = location(unit, span, encoding) else {
            continue;
        };
        changes.entry(uri).or_default().push(TextEdit {
            range,
            new_text: new_name.to_string(),
        });
    }
    Ok(Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    }))
}

/// The spec of the innermost enclosing block, `None` inside a value (other than a deploy
/// target, `target = ec2 { … }`) or an unknown block.
fn block_spec(enclosing: &[Enclosing]) -> Option<&'static BlockSpec> {
    let mut spec: Option<&'static BlockSpec> = None;
    for block in enclosing {
        if block.is_value {
            let attr = spec?.attrs.iter().find(|attr| attr.name == block.keyword)?;
            let AttrType::Target(targets) = attr.ty else {
                return None;
            };
            let applied = block.labels.first()?;
            spec = targets.iter().find(|target| target.keyword == applied);
            spec?;
            continue;
        }
        spec = match spec {
            None => schema::top_level(&block.keyword),
            Some(parent) => schema::nested(parent.keyword, &block.keyword).or_else(|| {
                schema::PHASES
                    .contains(&parent.keyword)
                    .then(|| schema::nested("phase", &block.keyword))
                    .flatten()
            }),
        };
        spec?;
    }
    spec
}

/// The attribute spec the value at the cursor belongs to.
fn value_attr(enclosing: &[Enclosing], key: &str) -> Option<&'static AttrSpec> {
    block_spec(enclosing)?
        .attrs
        .iter()
        .find(|attr| attr.name == key)
}

/// The block kind a reference-typed attribute expects (`role reference` → `role`).
fn expected_kind(attr: &AttrSpec) -> Option<&'static str> {
    attr.ty.reference_kind().map(|kind| kind.keyword())
}

/// An attribute's hover text: type, doc, default, values, the value rule the checker applies
/// (`schema::field_rule`, the same table), and the AWS property.
fn attr_markdown(block: &str, attr: &AttrSpec) -> String {
    let mut out = format!("**{}**: {}", attr.name, attr.ty.display());
    if attr.required {
        out.push_str(" (required)");
    }
    out.push_str(&format!("\n\n{}", attr.doc));
    if let Some(default) = &attr.default {
        out.push_str(&format!("\n\nDefault: `{}`", default.display()));
    }
    let values = attr.ty.values();
    if !values.is_empty() {
        let values: Vec<String> = values.iter().map(|value| format!("`{value}`")).collect();
        out.push_str(&format!("\n\nValues: {}", values.join(", ")));
    }
    if let Some(rule) = schema::field_rule(block, attr.name) {
        out.push_str(&format!("\n\nAllowed: {}", rule.doc()));
    }
    if attr.aws != "-" {
        out.push_str(&format!("\n\nAWS: `{}`", attr.aws));
    }
    out
}

fn block_markdown(spec: &BlockSpec) -> String {
    let mut out = format!("**{}**\n\n{}", spec.keyword, spec.doc);
    if spec.aws != "-" {
        out.push_str(&format!("\n\nCompiles to: {}", spec.aws));
    }
    out
}

/// The target of the deploy `kind` `name` (what it exports depends on it), from the newest of
/// `units` that lowered it; `None` for other kinds and when no unit knows it.
fn target_of<'u>(
    units: impl Iterator<Item = &'u Unit>,
    kind: schema::Kind,
    name: &str,
) -> Option<&'static str> {
    units
        .flat_map(|unit| unit.index.definitions.iter())
        .filter(|definition| definition.kind == kind.keyword() && definition.name == name)
        .find_map(|definition| definition.target)
}

fn markdown(value: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

/// What the name at `offset` points at.
fn name_hover(unit: &Unit, uri: &str, offset: usize) -> Option<Hover> {
    let target = definition_at(unit, uri, offset)?;
    let definition = unit.index.definitions.get(target)?;
    let mut out = format!("```pipe\n{}\n```", definition.detail);
    // A preset's own doc comment says what it does; the generic text says what presets are.
    let own = (definition.kind == "preset")
        .then(|| {
            let file = definition.name_span.file;
            doc_comment(unit.db.text(file), definition.name_span.start())
        })
        .flatten();
    if let Some(doc) = own {
        out.push_str(&format!("\n\n{doc}"));
    } else if let Some(spec) = schema::top_level(&definition.kind) {
        out.push_str(&format!("\n\n{}", spec.doc));
    }
    Some(markdown(out))
}

/// The hover text at `offset` of the document `text` (at `uri`). Names are looked up in the
/// `programs`, newest first, each through the map from the text it was checked from.
pub(crate) fn hover(
    programs: &[Mapped<'_>],
    uri: &str,
    text: &str,
    offset: usize,
) -> Option<Hover> {
    let (path, range, segment) = path_at(text, offset)?;
    // A name: what it points at, from the newest program that knows the unchanged text there.
    for program in programs {
        let Some(old) = program.remap.to_old(offset) else {
            continue;
        };
        if let Some(found) = name_hover(program.unit, uri, old) {
            return Some(found);
        }
    }
    // `repo.app.arn`: the exported attribute (a deploy's depend on its target).
    if segment == 2 {
        let kind = schema::Kind::from_keyword(path.first()?)?;
        let target = target_of(
            programs.iter().map(|program| program.unit),
            kind,
            path.get(1)?,
        );
        let wanted = path.get(2)?;
        let export = schema::exports(kind, target)
            .into_iter()
            .find(|export| export.name == wanted.as_str())?;
        return Some(markdown(format!(
            "**{}.{}.{}**: {}",
            path[0], path[1], export.name, export.doc
        )));
    }
    let word = path.get(segment)?;
    let context = cursor_context(text, range.start);
    match &context.slot {
        Slot::ItemStart if context.enclosing.is_empty() => {
            if let Some(spec) = schema::top_level(word) {
                return Some(markdown(block_markdown(spec)));
            }
            let (keyword, doc) = schema::TOP_LEVEL_EXTRA
                .iter()
                .find(|(keyword, _)| keyword == word)?;
            Some(markdown(format!("**{keyword}**\n\n{doc}")))
        }
        Slot::ItemStart => {
            let parent = block_spec(&context.enclosing)?;
            if let Some(attr) = parent.attrs.iter().find(|attr| attr.name == word) {
                return Some(markdown(attr_markdown(parent.keyword, attr)));
            }
            let nested =
                schema::nested(parent.keyword, word).or_else(|| schema::nested("phase", word))?;
            Some(markdown(block_markdown(nested)))
        }
        Slot::HookEvent | Slot::Other => {
            let (name, aws) = schema::HOOK_EVENTS.iter().find(|(name, _)| name == word)?;
            Some(markdown(format!(
                "**{name}**: the CodeDeploy lifecycle event `{aws}`"
            )))
        }
        Slot::Value { key } => {
            if let Some((name, signature, doc)) =
                schema::FUNCTIONS.iter().find(|(name, _, _)| name == word)
            {
                let _ = name;
                return Some(markdown(format!("```pipe\n{signature}\n```\n\n{doc}")));
            }
            if path.first().map(String::as_str) == Some("service") {
                let (name, principal) = schema::SERVICES
                    .iter()
                    .find(|(name, _)| Some(*name) == path.get(1).map(String::as_str))?;
                return Some(markdown(format!(
                    "**service.{name}**: the service principal `{principal}`"
                )));
            }
            let spec = block_spec(&context.enclosing)?;
            let attr = value_attr(&context.enclosing, key)?;
            attr.ty
                .values()
                .contains(&word.as_str())
                .then(|| markdown(attr_markdown(spec.keyword, attr)))
        }
        Slot::UseModule | Slot::Text => None,
    }
}

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: Option<String>,
    doc: Option<String>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        documentation: doc.map(|value| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            })
        }),
        ..CompletionItem::default()
    }
}

/// The presets of a stdlib module: name and doc comment.
fn presets(module_text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    for line in module_text.lines() {
        let trimmed = line.trim();
        if let Some(comment) = trimmed.strip_prefix("///") {
            doc.push(comment.trim());
            continue;
        }
        if let Some(rest) = line.strip_prefix("preset ") {
            let name: String = rest
                .chars()
                .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
                .collect();
            out.push((name, (!doc.is_empty()).then(|| doc.join("\n"))));
        }
        doc.clear();
    }
    out
}

/// The stdlib modules `text` uses, by the name their presets are reached with.
fn used_modules(text: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("use ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let Some(module) = words.next() else { continue };
        let Some(module_text) = stdlib::module(module) else {
            continue;
        };
        let alias = match (words.next(), words.next()) {
            (Some("as"), Some(alias)) => alias.to_string(),
            _ => module.rsplit('.').next().unwrap_or(module).to_string(),
        };
        out.push((alias, module_text));
    }
    out
}

/// Completion items at `offset` of `text`.
pub(crate) fn completion(units: &[&Unit], text: &str, offset: usize) -> Vec<CompletionItem> {
    let context = cursor_context(text, offset);
    let mut items = Vec::new();
    match &context.slot {
        Slot::ItemStart if context.enclosing.is_empty() => {
            for spec in schema::BLOCKS.iter().filter(|spec| spec.parent.is_empty()) {
                items.push(item(
                    spec.keyword,
                    CompletionItemKind::KEYWORD,
                    Some(spec.aws.to_string()),
                    Some(spec.doc.to_string()),
                ));
            }
            for (keyword, doc) in schema::TOP_LEVEL_EXTRA {
                items.push(item(
                    keyword,
                    CompletionItemKind::KEYWORD,
                    None,
                    Some((*doc).to_string()),
                ));
            }
        }
        Slot::ItemStart => {
            if let Some(spec) = block_spec(&context.enclosing) {
                for attr in spec.attrs {
                    let mut entry = item(
                        attr.name,
                        CompletionItemKind::PROPERTY,
                        Some(attr.ty.display()),
                        Some(attr_markdown(spec.keyword, attr)),
                    );
                    entry.insert_text = Some(format!("{} = ", attr.name));
                    items.push(entry);
                }
                for keyword in spec.blocks.iter().chain(spec.statements) {
                    let doc =
                        schema::nested(spec.keyword, keyword).map(|nested| nested.doc.to_string());
                    items.push(item(keyword, CompletionItemKind::KEYWORD, None, doc));
                }
            }
        }
        Slot::HookEvent => {
            for (name, aws) in schema::HOOK_EVENTS {
                items.push(item(
                    name,
                    CompletionItemKind::ENUM_MEMBER,
                    Some(format!("CodeDeploy {aws}")),
                    None,
                ));
            }
        }
        Slot::UseModule => {
            for (name, _) in stdlib::MODULES {
                items.push(item(name, CompletionItemKind::MODULE, None, None));
            }
        }
        Slot::Value { key } => value_completion(
            units,
            text,
            &context.enclosing,
            key,
            &context.path,
            &mut items,
        ),
        Slot::Text | Slot::Other => {}
    }
    let mut seen = BTreeSet::new();
    items.retain(|entry| seen.insert(entry.label.clone()));
    items
}

fn value_completion(
    units: &[&Unit],
    text: &str,
    enclosing: &[Enclosing],
    key: &str,
    path: &[String],
    items: &mut Vec<CompletionItem>,
) {
    let definitions = || units.iter().flat_map(|unit| unit.index.definitions.iter());
    match path {
        [_] => {
            let attr = value_attr(enclosing, key);
            if let Some(attr) = attr {
                for value in attr.ty.values() {
                    items.push(item(
                        value,
                        CompletionItemKind::ENUM_MEMBER,
                        Some(attr.ty.display()),
                        None,
                    ));
                }
                if let Some(kind) = expected_kind(attr) {
                    for definition in definitions().filter(|definition| definition.kind == kind) {
                        let label = format!("{kind}.{}", definition.name);
                        items.push(item(
                            &label,
                            CompletionItemKind::REFERENCE,
                            Some(definition.detail.clone()),
                            None,
                        ));
                    }
                }
            }
            for definition in definitions()
                .filter(|definition| matches!(definition.kind.as_str(), "param" | "let"))
            {
                items.push(item(
                    &definition.name,
                    CompletionItemKind::VARIABLE,
                    Some(definition.detail.clone()),
                    None,
                ));
            }
            for (name, signature, doc) in schema::FUNCTIONS {
                items.push(item(
                    name,
                    CompletionItemKind::FUNCTION,
                    Some((*signature).to_string()),
                    Some((*doc).to_string()),
                ));
            }
            for (namespace, _) in used_modules(text) {
                items.push(item(&namespace, CompletionItemKind::MODULE, None, None));
            }
        }
        [first, _] => {
            if first == "service" {
                for (name, principal) in schema::SERVICES {
                    items.push(item(
                        name,
                        CompletionItemKind::CONSTANT,
                        Some((*principal).to_string()),
                        None,
                    ));
                }
            }
            for definition in definitions().filter(|definition| &definition.kind == first) {
                items.push(item(
                    &definition.name,
                    CompletionItemKind::REFERENCE,
                    Some(definition.detail.clone()),
                    None,
                ));
            }
            for (namespace, module_text) in used_modules(text) {
                if &namespace == first {
                    for (name, doc) in presets(module_text) {
                        items.push(item(
                            &name,
                            CompletionItemKind::FUNCTION,
                            Some(format!("preset {namespace}.{name}")),
                            doc,
                        ));
                    }
                }
            }
        }
        [kind, name, _] => {
            if let Some(kind) = schema::Kind::from_keyword(kind) {
                let target = target_of(units.iter().copied(), kind, name);
                for export in schema::exports(kind, target) {
                    items.push(item(
                        export.name,
                        CompletionItemKind::FIELD,
                        Some(export.doc.to_string()),
                        None,
                    ));
                }
            }
        }
        _ => {}
    }
}
