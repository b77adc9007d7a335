"""Neovim with editors/nvim as a plugin directory (on 'runtimepath', as a plugin manager puts
it), headless: a real Neovim (0.11) gives `*.pipe` the filetype `pipe`, finds `pipec` on PATH,
starts `pipec lsp` and receives its diagnostics; without the binary it says so once, naming the
`path` option; on a Neovim older than 0.10 (Debian 12's 0.7.2, and a simulated 0.9.5) setup()
says so and stops, without a Lua error."""

import json
import os
import subprocess
from pathlib import Path

from conftest import ROOT, misspell, tool

PLUGIN_DIR = ROOT / "editors" / "nvim"

INIT = """
vim.opt.runtimepath:prepend({plugin})
local out = {out}
local notes = {{}}
vim.notify = function(message, level)
  table.insert(notes, {{ message = message, level = level }})
end
local function finish(result)
  result.notes = notes
  local f = assert(io.open(out, "w"))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd("qall!")
end
{fake_old}
local ok = require("pipec").setup({setup_opts})
vim.api.nvim_create_autocmd("VimEnter", {{
  callback = function()
    local buf = vim.api.nvim_get_current_buf()
    if not ok then
      finish({{ setup = false, filetype = vim.bo[buf].filetype }})
      return
    end
    local got = vim.wait({wait_ms}, function() return #vim.diagnostic.get(buf) > 0 end, 50)
    local diags = {{}}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(diags, {{ lnum = d.lnum, col = d.col, code = d.code, source = d.source, message = d.message }})
    end
    local clients = {{}}
    for _, c in ipairs(vim.lsp.get_clients({{ bufnr = buf }})) do
      table.insert(clients, c.name)
    end
    finish({{
      setup = true,
      waited = got,
      filetype = vim.bo[buf].filetype,
      commentstring = vim.bo[buf].commentstring,
      clients = clients,
      diagnostics = diags,
    }})
  end,
}})
"""


def run_nvim(
    tmp_path: Path,
    file: Path,
    setup_opts: str = "{ debounce_ms = 0 }",
    path: str = "/usr/bin:/bin",
    wait_ms: int = 30000,
    fake_old: bool = False,
    nvim: str | None = None,
) -> tuple[dict, str]:
    """Runs headless Neovim with editors/nvim on 'runtimepath' and
    `require("pipec").setup(SETUP_OPTS)` (a Lua table), PATH as given, on FILE; returns what
    the init script saw (setup's result, filetype, clients, diagnostics, vim.notify calls)."""
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
            setup_opts=setup_opts,
            wait_ms=wait_ms,
            fake_old=fake,
        )
    )
    env = {"PATH": path, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
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


def test_diagnostics_from_pipec_on_path(tmp_path, pipec_bin, seed_copy):
    """The default setup: no `cmd` or `path`, pipec found on PATH, as for an installed pipec."""
    pipeline = seed_copy / "pipeline.pipe"
    line = misspell(pipeline)
    path = f"{os.path.dirname(pipec_bin)}:/usr/bin:/bin"
    result, stderr = run_nvim(tmp_path, pipeline, path=path)
    assert result["setup"] is True, stderr
    assert result["notes"] == [], result
    assert result["filetype"] == "pipe"
    assert result["commentstring"] == "// %s", "ftplugin/pipe.lua"
    assert result["clients"] == ["pipec"], result
    assert result["waited"] is True, f"no diagnostics within 30 s: {result} {stderr}"
    p3001 = [d for d in result["diagnostics"] if d["code"] == "P3001"]
    assert p3001, result["diagnostics"]
    assert p3001[0]["source"] == "pipec"
    assert p3001[0]["lnum"] == line
    assert p3001[0]["col"] == 2
    assert "brnch" in p3001[0]["message"]
    assert "branch" in p3001[0]["message"], "the did-you-mean help is part of the message"


def test_path_option_names_the_binary(tmp_path, pipec_bin, seed_copy):
    pipeline = seed_copy / "pipeline.pipe"
    misspell(pipeline)
    result, stderr = run_nvim(tmp_path, pipeline, setup_opts=f"{{ path = {json.dumps(pipec_bin)}, debounce_ms = 0 }}")
    assert result["clients"] == ["pipec"], result
    assert result["waited"] is True, f"no diagnostics within 30 s: {result} {stderr}"
    assert any(d["code"] == "P3001" for d in result["diagnostics"]), result


def test_no_pipec_on_path_says_so_naming_the_path_option(tmp_path, seed_copy):
    result, stderr = run_nvim(tmp_path, seed_copy / "pipeline.pipe", wait_ms=0)
    assert result["setup"] is True, stderr
    assert result["filetype"] == "pipe", "ftdetect/pipe.vim"
    assert result["clients"] == [], result
    assert len(result["notes"]) == 1, result["notes"]
    note = result["notes"][0]
    assert note["level"] == 4, "vim.log.levels.ERROR"
    assert "`pipec` is not on PATH" in note["message"], note
    assert "`path` option" in note["message"] and 'setup({ path = ' in note["message"], note
    assert "stack traceback" not in stderr and "attempt to" not in stderr, stderr


def test_missing_path_option_binary_is_named(tmp_path, seed_copy):
    missing = str(tmp_path / "nowhere" / "pipec")
    result, stderr = run_nvim(
        tmp_path, seed_copy / "pipeline.pipe", setup_opts=f"{{ path = {json.dumps(missing)} }}", wait_ms=0
    )
    assert result["clients"] == [], result
    assert len(result["notes"]) == 1, result["notes"]
    message = result["notes"][0]["message"]
    assert "the `path` option names" in message and missing in message, message


def test_older_neovim_is_refused_with_a_clear_message(tmp_path, seed_copy):
    result, stderr = run_nvim(tmp_path, seed_copy / "pipeline.pipe", fake_old=True)
    assert result["setup"] is False, result
    assert result["filetype"] == "pipe", "ftdetect works without setup()"
    assert "Neovim 0.10 or newer is needed" in stderr, stderr
    assert "this is Neovim 0.9.5" in stderr, stderr


def test_debian_neovim_0_7_is_refused_with_a_clear_message(tmp_path, seed_copy):
    old = tool("PIPEC_NVIM_OLD")
    version = subprocess.run([old, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    assert version.startswith("NVIM v0."), version
    result, stderr = run_nvim(tmp_path, seed_copy / "pipeline.pipe", nvim=old)
    assert result["setup"] is False, result
    assert result["filetype"] == "pipe", "ftdetect works on 0.7 too"
    assert "Neovim 0.10 or newer is needed" in stderr, stderr
    assert f"this is Neovim {version.removeprefix('NVIM v')}" in stderr, stderr
    assert "stack traceback" not in stderr and "attempt to" not in stderr, stderr
