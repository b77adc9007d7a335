"""scripts/release.sh on the debug build (PIPEC_RELEASE_PROFILE=dev) into a temporary dist
folder (PIPEC_DIST): the tarball, the .vsix and SHA256SUMS are there and check; the tarball
holds a pipec that runs and reports the workspace's version, README, LICENSE, the shell
completions, the Neovim plugin directory and the tree-sitter grammar beside it (compiled here as
:PipecInstallParser does); the .vsix carries the same version. A rerun removes only the files its
marker lists; a non-empty folder the script did not make is refused and left alone."""

import os
import re
import subprocess
import tarfile
import zipfile
from pathlib import Path

from conftest import ROOT


def workspace_version() -> str:
    text = (ROOT / "Cargo.toml").read_text()
    section = text.split("[workspace.package]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version = "([^"]+)"$', section, re.M).group(1)


def host_triple() -> str:
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return re.search(r"^host: (\S+)$", out, re.M).group(1)


def release(dist: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PIPEC_RELEASE_PROFILE": "dev", "PIPEC_DIST": str(dist)}
    return subprocess.run(
        [str(ROOT / "scripts" / "release.sh"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def test_release_outputs_check_and_hold_what_they_should(tmp_path):
    version = workspace_version()
    triple = host_triple()
    name = f"pipec-{version}-{triple}"
    # A folder an earlier run marked: the files its marker lists go, anything else stays.
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / ".pipec-release").write_text("# made by scripts/release.sh\npipec-0.0.1-old.tar.gz\n../outside\n")
    (dist / "pipec-0.0.1-old.tar.gz").write_text("old")
    (dist / "notes.txt").write_text("mine")
    (tmp_path / "outside").write_text("not in dist")
    run = release(dist, f"v{version}")
    assert run.returncode == 0, run.stderr[-3000:]

    files = sorted(p.name for p in dist.iterdir())
    expected = [".pipec-release", "SHA256SUMS", "notes.txt", f"{name}.tar.gz", f"pipec-linux-x64-{version}.vsix"]
    assert files == sorted(expected), files
    assert (dist / "notes.txt").read_text() == "mine" and (tmp_path / "outside").exists()
    sums = (dist / "SHA256SUMS").read_text().split("\n")
    assert sorted(line.split("  ", 1)[1] for line in sums if line) == [f"{name}.tar.gz", f"pipec-linux-x64-{version}.vsix"]
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    with tarfile.open(dist / f"{name}.tar.gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert all(n == name or n.startswith(f"{name}/") for n in members), sorted(members)
        for expected in [
            "pipec",
            "README.md",
            "LICENSE",
            "install.md",
            "lsp.md",
            "completions/pipec.bash",
            "completions/_pipec",
            "completions/pipec.fish",
            "nvim/lua/pipec/init.lua",
            "nvim/ftdetect/pipe.vim",
            "nvim/ftplugin/pipe.lua",
            "nvim/queries/pipe/highlights.scm",
            "tree-sitter-pipe/src/parser.c",
            "tree-sitter-pipe/src/tree_sitter/parser.h",
            "tree-sitter-pipe/queries/highlights.scm",
        ]:
            assert f"{name}/{expected}" in members, (expected, sorted(members))
        assert members[f"{name}/pipec"].mode & 0o111, "pipec is executable"
        assert all(m.uid == 0 and m.gid == 0 for m in members.values())
        tar.extractall(tmp_path / "unpacked", filter="data")
    pkg = tmp_path / "unpacked" / name

    shown = subprocess.run([str(pkg / "pipec"), "--version"], capture_output=True, text=True)
    assert shown.returncode == 0 and shown.stdout.startswith(f"pipec {version} (git "), shown.stdout
    assert "Apache License" in (pkg / "LICENSE").read_text()
    assert "Version 2.0" in (pkg / "LICENSE").read_text()
    assert "complete" in (pkg / "completions" / "pipec.bash").read_text()
    assert (pkg / "completions" / "_pipec").read_text().startswith("#compdef pipec")
    assert "complete -c pipec" in (pkg / "completions" / "pipec.fish").read_text()
    # The grammar in the tarball is complete: it compiles as :PipecInstallParser compiles it.
    grammar = pkg / "tree-sitter-pipe"
    built = subprocess.run(
        ["cc", "-o", str(tmp_path / "pipe.so"), "-shared", "-fPIC", "-O0", "-std=c11",
         "-I", str(grammar / "src"), str(grammar / "src" / "parser.c")],
        capture_output=True, text=True,
    )
    assert built.returncode == 0, built.stderr[-2000:]

    with zipfile.ZipFile(dist / f"pipec-linux-x64-{version}.vsix") as vsix:
        names = vsix.namelist()
        assert "extension/server/pipec" in names, names
        assert "extension/LICENSE.txt" in names or "extension/LICENSE" in names, names
        manifest = vsix.read("extension.vsixmanifest").decode()
    assert f'Version="{version}"' in manifest


def test_release_refuses_a_folder_it_did_not_make_and_a_wrong_version(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "keep.txt").write_text("not the script's")
    run = release(dist)
    assert run.returncode == 2
    assert "is not empty and was not made by scripts/release.sh" in run.stderr, run.stderr
    assert sorted(p.name for p in dist.iterdir()) == ["keep.txt"]

    wrong = release(tmp_path / "other", "v9.9.9")
    assert wrong.returncode == 2
    assert "asked for version 9.9.9" in wrong.stderr, wrong.stderr
    assert not (tmp_path / "other").exists()


def test_release_workflow_runs_the_script_for_tags_on_each_platform():
    """.github/workflows/release.yml cannot run here (no GitHub Actions); this checks its shape."""
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    # PyYAML reads the key `on` as True.
    assert workflow[True]["push"]["tags"] == ["v*"]
    build = workflow["jobs"]["build"]
    assert [p["os"] for p in build["strategy"]["matrix"]["include"]] == [
        "ubuntu-24.04",
        "ubuntu-24.04-arm",
        "macos-14",
        "macos-13",
    ]
    assert any(str(step.get("run", "")).startswith("scripts/release.sh") for step in build["steps"])
    assert "SHA256SUMS" in str(workflow["jobs"]["publish"]["steps"])
