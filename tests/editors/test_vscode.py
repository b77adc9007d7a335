"""The VS Code extension inside a real VS Code: code-server (VS Code in a browser) with the
platform .vsix installed in an isolated profile, driven through Playwright in Debian's
Chromium. The extension must start its bundled `pipec lsp` (pipec is not on code-server's PATH)
and bring diagnostics, a quick fix, completion, hover and go to definition; when its binary
cannot be found it must say so, naming the `pipec.path` setting.
"""

import json
import re
import shutil
import statistics
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from conftest import misspell, tool

# Chromium as root on a closed network: no sandbox, no GPU, no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.welcomePage.walkthroughs.openOnInstall": False,
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoUpdate": False,
    "extensions.autoCheckUpdates": False,
    "extensions.ignoreRecommendations": True,
    "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
    "editor.suggestOnTriggerCharacters": False,
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
    "editor.hover.delay": 100,
    "files.autoSave": "off",
    "pipec.debounceMs": 50,
}

TIMEOUT = 60_000  # ms, for anything that waits on the language server or code-server
expect.set_options(timeout=30_000)  # a loaded CI machine is slow to repaint the status bar


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def code_server(tmp_path: Path, workspace: Path, settings: dict):
    """Installs PIPEC_VSIX into a fresh profile, starts code-server on 127.0.0.1 and yields its URL."""
    exe = tool("PIPEC_CODE_SERVER")
    vsix = tool("PIPEC_VSIX")
    user_data = tmp_path / "user-data"
    extensions = tmp_path / "extensions"
    (user_data / "User").mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(json.dumps({**SETTINGS, **settings}, indent=2))
    # No pipec on code-server's PATH: only the bundled binary (or pipec.path) can start.
    node_dir = str(Path(shutil.which("node") or "/usr/bin/node").parent)
    path = ":".join(dict.fromkeys([node_dir, "/usr/bin", "/bin"]))
    assert shutil.which("pipec", path=path) is None, f"a pipec is on {path}"
    env = {
        "PATH": path,
        "HOME": str(tmp_path / "home"),
        "TMPDIR": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        # No extension gallery: nothing to look up off this machine.
        "EXTENSIONS_GALLERY": json.dumps({"serviceUrl": "http://127.0.0.1:9/gallery", "itemUrl": "http://127.0.0.1:9/item"}),
    }
    common = [
        "--user-data-dir", str(user_data),
        "--extensions-dir", str(extensions),
        "--disable-telemetry",
        "--disable-update-check",
    ]
    installed = subprocess.run(
        [exe, *common, "--install-extension", vsix], env=env, capture_output=True, text=True, timeout=180
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # The platform package's folder, with the bundled server.
    folders = [p for p in extensions.glob("pipec.pipec-*") if (p / "package.json").exists()]
    assert len(folders) == 1, (list(extensions.iterdir()), installed.stdout)
    assert (folders[0] / "server" / "pipec").is_file(), list((folders[0]).iterdir())
    port = free_port()
    log = open(tmp_path / "code-server.log", "w")
    proc = subprocess.Popen(
        [
            exe, *common,
            "--bind-addr", f"127.0.0.1:{port}",
            "--auth", "none",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
            "--disable-proxy",
            "--ignore-last-opened",
            str(workspace),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("code-server did not start:\n" + (tmp_path / "code-server.log").read_text())
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def browser_page(url: str, workspace: Path, tmp_path: Path):
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=tool("PIPEC_CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(TIMEOUT)
        try:
            page.goto(f"{url}/?folder={workspace}")
            page.locator(".monaco-workbench").wait_for()
            yield page
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            print(f"screenshot: {tmp_path / 'failure.png'}")
            raise
        finally:
            browser.close()


def open_file(page: Page, name: str) -> None:
    """Quick Open (Ctrl+P) the file, wait for its editor to have focus."""
    page.locator(".monaco-workbench").click(position={"x": 700, "y": 450})
    page.keyboard.press("Control+P")
    page.locator(".quick-input-widget input").fill(name)
    page.locator(".quick-input-list .monaco-list-row").first.wait_for()
    page.keyboard.press("Enter")
    page.locator(f'.tab[data-resource-name="{name}"]').wait_for()
    page.locator(".monaco-editor textarea").first.wait_for()
    page.wait_for_timeout(500)


def command(page: Page, name: str) -> None:
    """Runs a command by its title from the command palette (F1)."""
    page.keyboard.press("F1")
    box = page.locator(".quick-input-widget input")
    box.fill(">" + name)
    page.locator(".quick-input-list .monaco-list-row", has_text=name).first.wait_for()
    page.keyboard.press("Enter")


def go_to(page: Page, line: int, column: int) -> None:
    page.keyboard.press("Control+G")
    page.locator(".quick-input-widget input").fill(f":{line}:{column}")
    page.keyboard.press("Enter")
    expect(page.locator("#status\\.editor\\.selection")).to_contain_text(f"Ln {line}, Col {column}")


def test_extension_in_vscode(tmp_path, seed_copy):
    pipeline = seed_copy / "pipeline.pipe"
    original = pipeline.read_text()
    bad_line = misspell(pipeline) + 1  # 1-based
    pipeline.write_text(original)  # the misspelling is typed in the editor below
    lines = original.split("\n")
    role_ref = next(i for i, l in enumerate(lines) if l.strip() == "role = role.web") + 1
    role_decl = next(i for i, l in enumerate(lines) if l.startswith("role web {")) + 1
    with code_server(tmp_path, seed_copy, {}) as url, browser_page(url, seed_copy, tmp_path) as page:
        open_file(page, "pipeline.pipe")
        editor = page.locator(".monaco-editor").first

        # Semantic tokens colour what the TextMate grammar cannot tell apart: `codedeploy` (an
        # enum value) and `env` in `Env = env` (a parameter) are both `variable.other.pipe` to
        # the grammar; once the server's tokens arrive they differ (enumMember, parameter).
        enum_value = editor.locator(".view-line", has_text="agent = codedeploy").locator(
            "span > span", has_text=re.compile(r"^codedeploy$"))
        parameter = editor.locator(".view-line", has_text="Env = env").locator(
            "span > span", has_text=re.compile(r"^env$"))
        color = "e => getComputedStyle(e).color"
        deadline = time.monotonic() + TIMEOUT / 1000
        while enum_value.evaluate(color) == parameter.evaluate(color):
            assert time.monotonic() < deadline, f"no semantic colouring: both {parameter.evaluate(color)}"
            time.sleep(0.2)

        # Diagnostics: misspell `branch` and see the squiggle and the Problems entry (P3001).
        go_to(page, bad_line, 3)
        for _ in "branch":
            page.keyboard.press("Delete")
        page.keyboard.type("brnch")
        editor.locator(".squiggly-error").first.wait_for(timeout=TIMEOUT)
        page.keyboard.press("Control+Shift+M")
        problems = page.locator(".markers-panel")
        expect(problems).to_contain_text("P3001", timeout=TIMEOUT)
        expect(problems).to_contain_text("brnch")

        # Quick fix: Ctrl+. on the misspelled word offers the did-you-mean replacement.
        page.locator(".monaco-editor textarea").first.focus()
        go_to(page, bad_line, 4)
        page.keyboard.press("Control+.")
        fix = page.locator(".action-widget .monaco-list-row.focused", has_text="replace with `branch`")
        fix.wait_for(timeout=TIMEOUT)
        page.keyboard.press("Enter")
        page.keyboard.press("Control+S")
        deadline = time.monotonic() + 30
        while 'branch = "main"' not in pipeline.read_text().split("\n")[bad_line - 1]:
            assert time.monotonic() < deadline, pipeline.read_text().split("\n")[bad_line - 1]
            time.sleep(0.2)
        expect(editor.locator(".squiggly-error")).to_have_count(0, timeout=TIMEOUT)
        expect(problems).not_to_contain_text("P3001", timeout=TIMEOUT)

        # Completion: a new line in `repo app` offers its attributes that are not set yet.
        page.locator(".monaco-editor textarea").first.focus()
        go_to(page, bad_line + 1, 1)
        page.keyboard.press("End")
        page.keyboard.press("Enter")
        page.keyboard.press("Control+Space")
        suggest = page.locator(".suggest-widget")
        expect(suggest).to_be_visible(timeout=TIMEOUT)
        expect(suggest.locator(".monaco-list-row", has_text="create")).to_have_count(1, timeout=TIMEOUT)
        page.keyboard.press("Escape")
        page.keyboard.press("Control+Z")

        # Hover over the reference `role.web`: what it points at.
        go_to(page, role_ref, 15)
        command(page, "Show or Focus Hover")
        hover = page.locator(".monaco-hover").filter(has_text="role web")
        expect(hover.first).to_be_visible(timeout=TIMEOUT)
        expect(hover.first).to_contain_text("An IAM role")
        page.keyboard.press("Escape")

        # Go to definition: F12 on `role.web` lands on `role web {`.
        page.locator(".monaco-editor textarea").first.focus()
        go_to(page, role_ref, 15)
        page.keyboard.press("F12")
        expect(page.locator("#status\\.editor\\.selection")).to_contain_text(f"Ln {role_decl}, Col 6", timeout=TIMEOUT)

        # Keystroke → squiggle, timed in the page: from the keydown of `x` after `branch` (now
        # `branchx`, P3001) to the first error decoration; then undo and wait for it to go.
        page.evaluate(KEYSTROKE_TIMER)
        latencies = []
        for _ in range(7):
            page.locator(".monaco-editor textarea").first.focus()
            go_to(page, bad_line, 9)
            expect(editor.locator(".squiggly-error")).to_have_count(0, timeout=TIMEOUT)
            page.evaluate("() => { window.__pipec.key = null; window.__pipec.squiggle = null; }")
            page.keyboard.type("x")
            editor.locator(".squiggly-error").first.wait_for(timeout=TIMEOUT)
            page.wait_for_function("() => window.__pipec.squiggle !== null")
            latencies.append(page.evaluate("() => window.__pipec.squiggle - window.__pipec.key"))
            page.keyboard.press("Backspace")
        median = statistics.median(latencies)
        print(f"keystroke -> squiggle in VS Code: median {median:.0f} ms of {sorted(round(l) for l in latencies)}")


# Records, in the page, the time of the last keydown and of the first error squiggle after it.
KEYSTROKE_TIMER = """() => {
  window.__pipec = { key: null, squiggle: null };
  document.addEventListener("keydown", () => { window.__pipec.key = performance.now(); }, true);
  new MutationObserver(() => {
    if (window.__pipec.key !== null && window.__pipec.squiggle === null
        && document.querySelector(".monaco-editor .squiggly-error")) {
      window.__pipec.squiggle = performance.now();
    }
  }).observe(document.body, { subtree: true, childList: true, attributes: true });
}"""


def test_missing_binary_is_reported(tmp_path, seed_copy):
    with code_server(tmp_path, seed_copy, {"pipec.path": "pipec-not-installed"}) as url, browser_page(
        url, seed_copy, tmp_path
    ) as page:
        open_file(page, "pipeline.pipe")
        toast = page.locator(".notifications-toasts .notification-toast", has_text="pipec.path")
        expect(toast.first).to_be_visible(timeout=TIMEOUT)
        text = toast.first.inner_text()
        assert "could not start" in text, text
        assert "pipec-not-installed" in text, text
        assert "ENOENT" not in text, text
        expect(toast.first.get_by_role("button", name="Open Settings")).to_be_visible()
