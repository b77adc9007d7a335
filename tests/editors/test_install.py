"""README's install command: `cargo install --locked --path compiler/pipec-cli` puts a working
`pipec` in <root>/bin. Offline and in debug, with the workspace's target directory, so it
reuses what the test run already built instead of compiling everything again."""

import os
import subprocess

from conftest import ROOT, SEED


def test_cargo_install_gives_a_working_pipec(tmp_path):
    env = {**os.environ, "CARGO_TARGET_DIR": os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))}
    install = subprocess.run(
        ["cargo", "install", "--locked", "--offline", "--debug", "--path", "compiler/pipec-cli", "--root", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    pipec = tmp_path / "bin" / "pipec"
    assert pipec.is_file()

    version = subprocess.run([str(pipec), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("pipec ") and "(git " in version.stdout

    check = subprocess.run(
        [str(pipec), "check", str(SEED / "pipeline.pipe")], capture_output=True, text=True, env={"NO_COLOR": "1"}
    )
    assert check.returncode == 0, check.stderr
    assert "ok: no problems found" in check.stderr
