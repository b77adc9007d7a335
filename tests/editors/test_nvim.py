"""Neovim with editors/nvim/pipec.lua, headless: a real Neovim (0.11) starts `pipec lsp` on a
.pipe file and receives its diagnostics; on a Neovim older than 0.10 (Debian 12's 0.7.2, and a
simulated 0.9.5) setup() says so and stops, without a Lua error."""

import json
import subprocess
from pathlib import Path

from conftest import ROOT, misspell, tool

PLUGIN_DIR = ROOT / "editors" / "nvim"

INIT = """
package.path = {plugin} .. "/?.lua;" .. package.path
local out = {out}
local function finish(result)
  local f = assert(io.open(out, "w"))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd("qall!")
end
{fake_old}
local ok = require("pipec").setup({{ cmd = {{ {pipec}, "lsp" }}, debounce_ms = 0 }})
if not ok then
  finish({{ setup = false }})
  return
end
vim.api.nvim_create_autocmd("VimEnter", {{
  callback = function()
    local buf = vim.api.nvim_get_current_buf()
    local got = vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
    local diags = {{}}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(diags, {{ lnum = d.lnum, col = d.col, code = d.code, source = d.source, message = d.message }})
    end
    local clients = {{}}
    for _, c in ipairs(vim.lsp.get_clients({{ bufnr = buf }})) do
      table.insert(clients, c.name)
    end
    finish({{ setup = true, waited = got, filetype = vim.bo[buf].filetype, clients = clients, diagnostics = diags }})
  end,
}})
"""


def run_nvim(tmp_path: Path, pipec: str, file: Path, fake_old: bool = False, nvim: str | None = None) -> tuple[dict, str]:
    out = tmp_path / "result.json"
    init = tmp_path / "init.lua"
    fake = (
        # Pretend to be Neovim 0.9: has("nvim-0.10") is 0 and vim.version() says 0.9.5.
        'local has = vim.fn.has\n'
        'vim.fn.has = function(f) if f == "nvim-0.10" then return 0 end return has(f) end\n'
        'vim.version = function() return { major = 0, minor = 9, patch = 5 } end\n'
        if fake_old
        else ""
    )
    init.write_text(
        INIT.format(
            plugin=json.dumps(str(PLUGIN_DIR)),
            out=json.dumps(str(out)),
            pipec=json.dumps(pipec),
            fake_old=fake,
        )
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = subprocess.run(
        [nvim or tool("PIPEC_NVIM"), "--headless", "--clean", "-u", str(init), str(file)],
        env=env,
        cwd=file.parent,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.exists(), f"nvim wrote no result (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return json.loads(out.read_text()), proc.stderr


def test_diagnostics_from_pipec(tmp_path, pipec_bin, seed_copy):
    pipeline = seed_copy / "pipeline.pipe"
    line = misspell(pipeline)
    result, stderr = run_nvim(tmp_path, pipec_bin, pipeline)
    assert result["setup"] is True, stderr
    assert result["filetype"] == "pipe"
    assert result["clients"] == ["pipec"], result
    assert result["waited"] is True, f"no diagnostics within 30 s: {result} {stderr}"
    p3001 = [d for d in result["diagnostics"] if d["code"] == "P3001"]
    assert p3001, result["diagnostics"]
    assert p3001[0]["source"] == "pipec"
    assert p3001[0]["lnum"] == line
    assert p3001[0]["col"] == 2
    assert "brnch" in p3001[0]["message"]
    assert "branch" in p3001[0]["message"], "the did-you-mean help is part of the message"


def test_older_neovim_is_refused_with_a_clear_message(tmp_path, pipec_bin, seed_copy):
    result, stderr = run_nvim(tmp_path, pipec_bin, seed_copy / "pipeline.pipe", fake_old=True)
    assert result == {"setup": False}
    assert "Neovim 0.10 or newer is needed" in stderr, stderr
    assert "this is Neovim 0.9.5" in stderr, stderr


def test_debian_neovim_0_7_is_refused_with_a_clear_message(tmp_path, pipec_bin, seed_copy):
    old = tool("PIPEC_NVIM_OLD")
    version = subprocess.run([old, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    assert version.startswith("NVIM v0."), version
    result, stderr = run_nvim(tmp_path, pipec_bin, seed_copy / "pipeline.pipe", nvim=old)
    assert result == {"setup": False}
    assert "Neovim 0.10 or newer is needed" in stderr, stderr
    assert f"this is Neovim {version.removeprefix('NVIM v')}" in stderr, stderr
    assert "stack traceback" not in stderr and "attempt to" not in stderr, stderr
