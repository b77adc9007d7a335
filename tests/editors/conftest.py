"""Shared fixtures for the editor tests (VS Code through code-server, Neovim, installing pipec).

scripts/test-editors.sh sets the environment: PIPEC_BIN (the pipec binary), PIPEC_VSIX (the
platform .vsix bundling it), PIPEC_CODE_SERVER (the code-server executable), PIPEC_NVIM (nvim),
PIPEC_CHROMIUM (Chromium). A test whose tool is missing fails with that advice.
"""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seed-ec2"


def tool(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default or "")
    if not value or not Path(value).exists():
        pytest.fail(f"{name} is not set or missing ({value!r}): run the tests through scripts/test-editors.sh")
    return value


@pytest.fixture
def pipec_bin() -> str:
    return tool("PIPEC_BIN", str(ROOT / "target" / "debug" / "pipec"))


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A temporary copy of examples/seed-ec2 (sources only), returned as its folder."""
    dest = tmp_path / "seed-ec2"
    shutil.copytree(SEED, dest, ignore=shutil.ignore_patterns("node_modules", "dist", ".pipec"))
    return dest


def misspell(pipeline: Path) -> int:
    """Misspells `branch` in the seed's `repo app` as `brnch`; returns its 0-based line."""
    lines = pipeline.read_text().split("\n")
    for i, line in enumerate(lines):
        if line.strip() == 'branch = "main"':
            lines[i] = line.replace("branch", "brnch")
            pipeline.write_text("\n".join(lines))
            return i
    raise AssertionError("the seed no longer has `branch = \"main\"`")
