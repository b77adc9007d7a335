"""The VS Code extension's TextMate grammar, tokenized by vscode-textmate with vscode-oniguruma
(the libraries VS Code highlights with; textmate_tokens.js), on the real examples, the stdlib
and the code blocks of docs/language.md: module paths after `use` are one namespace, every
block keyword is scoped at any depth, and no name outside strings and comments is left without
a scope."""

import functools
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

GRAMMAR = ROOT / "editors" / "vscode" / "syntaxes" / "pipe.tmLanguage.json"
SCRIPT = Path(__file__).with_name("textmate_tokens.js")
SEED = ROOT / "examples" / "seed-ec2" / "pipeline.pipe"


def doc_blocks(tmp_path: Path) -> list[Path]:
    """The ```pipe code blocks of docs/language.md, one file each."""
    text = (ROOT / "docs" / "language.md").read_text()
    blocks = re.findall(r"```pipe(?:-error [A-Z0-9]+)?\n(.*?)```", text, re.S)
    assert len(blocks) > 10
    files = []
    for number, block in enumerate(blocks):
        path = tmp_path / f"language-{number}.pipe"
        path.write_text(block)
        files.append(path)
    return files


def sources(tmp_path: Path) -> list[Path]:
    files = sorted((ROOT / "examples").rglob("*.pipe")) + sorted((ROOT / "stdlib").rglob("*.pipe"))
    return files + doc_blocks(tmp_path)


@functools.cache
def seed_tokens() -> list:
    return tokenize(SEED)[str(SEED)]


def tokenize(*files: Path) -> dict[str, list]:
    out = subprocess.run(
        ["node", str(SCRIPT), str(GRAMMAR), *map(str, files)],
        check=True, capture_output=True, text=True, timeout=120,
    )
    return json.loads(out.stdout)


def scopes_of(tokens: list, line_text: str, word: str, path: Path, occurrence: int = 0) -> list[list[str]]:
    """The scopes of every token covering `word` on the first line that contains `line_text`."""
    lines = path.read_text().split("\n")
    number = next(i for i, line in enumerate(lines) if line_text in line)
    start = lines[number].index(word, lines[number].index(line_text) if word in line_text else 0)
    for _ in range(occurrence):
        start = lines[number].index(word, start + 1)
    end = start + len(word)
    covering = [t[4] for t in tokens if t[0] == number and t[1] < end and t[2] > start]
    assert covering, f"no token at {word!r} on line {number + 1} of {path}"
    return covering


def test_use_scopes_the_whole_module_path():
    tokens = seed_tokens()
    assert all("keyword.control.import.pipe" in s for s in scopes_of(tokens, "use std.hooks.node", "use", SEED))
    path_scopes = scopes_of(tokens, "use std.hooks.node", "std.hooks.node", SEED)
    # `st`, `d` and the dots were split into a type, nothing and an accessor before.
    assert len(path_scopes) >= 3
    for scopes in path_scopes:
        assert "entity.name.namespace.pipe" in scopes, path_scopes
        assert "entity.name.type.pipe" not in scopes, path_scopes


@pytest.mark.parametrize(
    ("line_text", "word"),
    [
        ("tags {", "tags"),
        ("install {", "install"),
        ("  build {", "build"),
        ("artifacts {", "artifacts"),
        ("files {", "files"),
        ('hook before_install "initialize"', "hook"),
        ("stage source", "stage"),
        ("repo app {", "repo"),
    ],
)
def test_block_keywords_in_the_seed(line_text, word):
    tokens = seed_tokens()
    for scopes in scopes_of(tokens, line_text, word, SEED):
        assert "keyword.other.block.pipe" in scopes, (line_text, scopes)


def test_names_in_the_seed():
    tokens = seed_tokens()
    expect = [
        ("target = ec2", "target", "variable.other.property.pipe"),
        ("target = ec2", "ec2", "entity.name.function.pipe"),
        ("target = ec2", "tags", "variable.other.property.pipe"),
        ("Env = env", "env", "variable.other.pipe"),
        ("agent = codedeploy", "codedeploy", "variable.other.pipe"),
        ("source = repo.app", "repo", "entity.name.namespace.pipe"),
        ("source = repo.app", "app", "variable.other.member.pipe"),
        ("output clone_url", "http", "variable.other.member.pipe"),
        ('name = "fe-server-${env}"', "env", "meta.interpolation.pipe"),
        ("ami = ssm_ami", "ssm_ami", "support.function.pipe"),
    ]
    for line_text, word, scope in expect:
        for scopes in scopes_of(tokens, line_text, word, SEED):
            assert scope in scopes, (line_text, word, scopes)


def test_nested_block_keywords_in_the_language_reference(tmp_path):
    # pre_build and post_build appear in no example: a program of every build phase.
    phases = tmp_path / "phases.pipe"
    phases.write_text(
        "build app {\n  pre_build {\n    run \"a\"\n  }\n  post_build {\n    run \"b\"\n"
        "    finally {\n      run \"c\"\n    }\n  }\n}\n"
    )
    files = doc_blocks(tmp_path)
    tokens = tokenize(phases, *files)
    for word in ["pre_build", "post_build", "finally"]:
        for scopes in scopes_of(tokens[str(phases)], f"{word} {{", word, phases):
            assert "keyword.other.block.pipe" in scopes
    found = set()
    for path in files:
        lines = path.read_text().split("\n")
        for number, line in enumerate(lines):
            match = re.match(r"\s*(finally|permissions|install|artifacts|files|hook|tags|stage)\b", line)
            if not match:
                continue
            word = match.group(1)
            covering = [t[4] for t in tokens[str(path)] if t[0] == number and t[1] == match.start(1)]
            if covering and "variable.other.property.pipe" in covering[0]:
                continue  # `tags = {…}`, `files = […]`: attributes
            assert covering and "keyword.other.block.pipe" in covering[0], (path.name, line, covering)
            found.add(word)
    assert found >= {"finally", "permissions", "install", "artifacts", "files", "hook", "tags", "stage"}


def test_no_name_is_left_unscoped(tmp_path):
    files = sources(tmp_path)
    tokens = tokenize(*files)
    bare = []
    for path in files:
        for number, start, _end, text, scopes in tokens[str(path)]:
            if scopes == ["source.pipe"] and re.search(r"[A-Za-z_]", text):
                bare.append(f"{path.name}:{number + 1}:{start + 1}: {text!r}")
    assert not bare, "\n".join(bare[:20])
