"""The pipec binary as editors and people start it: `lsp --stdio`, `--version`, help."""

import json
import subprocess

from conftest import ROOT


def run(pipec: str, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([pipec, *args], capture_output=True, text=True, timeout=60, env={"NO_COLOR": "1"}, **kw)


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_lsp_accepts_the_flags_language_clients_add(pipec_bin):
    # What vscode-languageclient runs for TransportKind.stdio, plus the process id convention.
    for flags in (["--stdio"], ["--stdio", "--clientProcessId", "4242"], ["--clientProcessId=4242", "--stdio"]):
        session = b"".join(
            [
                frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}}),
                frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
                frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
                frame({"jsonrpc": "2.0", "method": "exit"}),
            ]
        )
        proc = subprocess.run([pipec_bin, "lsp", *flags], input=session, capture_output=True, timeout=60)
        assert proc.returncode == 0, (flags, proc.stderr.decode())
        assert b'"capabilities"' in proc.stdout, proc.stdout[:500]


def test_version_names_the_git_revision(pipec_bin):
    out = run(pipec_bin, "--version")
    assert out.returncode == 0
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode == 0:
        assert out.stdout.startswith("pipec ") and f"(git {head.stdout.strip()})" in out.stdout, out.stdout
    else:
        assert out.stdout.startswith("pipec ") and "(git " in out.stdout


def test_help_fits_a_terminal_and_help_verb_works(pipec_bin):
    top = run(pipec_bin, "--help")
    assert top.returncode == 0
    verbs = [line.split()[0] for line in top.stdout.split("Commands:\n")[1].split("\n\n")[0].splitlines() if line.startswith("  ") and not line.startswith("   ")]
    assert "check" in verbs and "lsp" in verbs, verbs
    for verb in verbs:
        if verb == "help":
            continue
        via_help = run(pipec_bin, "help", verb)
        assert via_help.returncode == 0, (verb, via_help.stderr)
        assert f"Usage: pipec {verb}" in via_help.stdout, via_help.stdout
        for text in (via_help.stdout, run(pipec_bin, verb, "-h").stdout, top.stdout):
            widest = max(len(line) for line in text.splitlines())
            assert widest <= 100, (verb, widest)


def test_mistyped_verb_suggests_the_closest(pipec_bin):
    out = run(pipec_bin, "chek", "x.pipe")
    assert out.returncode == 2
    assert "similar subcommand exists: 'check'" in out.stderr, out.stderr
    out = run(pipec_bin, "buidl")
    assert out.returncode == 2
    assert "similar subcommand exists: 'build'" in out.stderr, out.stderr
