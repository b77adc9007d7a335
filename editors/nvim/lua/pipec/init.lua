-- pipec for Neovim (0.10 or newer): the pipec language server for `pipe` buffers.
--
-- editors/nvim is a plugin directory: ftdetect/pipe.vim gives `*.pipe` files the filetype
-- `pipe`, ftplugin/pipe.lua sets `//` comments and two-space indentation, and this module
-- starts the server. Install the directory with a plugin manager (docs/lsp.md, "Neovim") or
-- put it on 'runtimepath', then from init.lua:
--   require("pipec").setup()                              -- `pipec` on PATH
--   require("pipec").setup({ path = "~/bin/pipec" })      -- or name the binary
-- Which pipec runs, as in the VS Code extension: the `cmd` option (the whole command), else
-- the `path` option (an absolute path, `~/…`, or a name looked up on PATH), else `pipec` on
-- PATH. When it is not found, a message (vim.notify) says what was looked for and names the
-- `path` option. Without lspconfig it uses vim.lsp.start on every `pipe` buffer; with
-- nvim-lspconfig installed, pass `{ lspconfig = true }` to register it as `pipec` there.
-- On a Neovim older than 0.10, setup() reports that and returns false.
--
-- Highlighting comes from the tree-sitter grammar in editors/tree-sitter-pipe: the queries are
-- in this directory (queries/pipe/), the parser is compiled once with :PipecInstallParser
-- (the system C compiler, from the grammar's src/parser.c) or installed by nvim-treesitter
-- (docs/lsp.md). setup() starts tree-sitter highlighting on `pipe` buffers when the parser is
-- there (option `treesitter = false` leaves it off).

local M = {}

local defaults = {
  -- The pipec binary (like VS Code's `pipec.path`); nil: `pipec` on PATH.
  path = nil,
  -- The whole command, e.g. { "/opt/pipec/bin/pipec", "lsp" }; overrides `path`.
  cmd = nil,
  -- Edits made while a check runs are checked together once it ends, after pausing this
  -- many milliseconds. An idle server checks an edit at once.
  debounce_ms = 0,
  -- Register with nvim-lspconfig instead of starting clients directly.
  lspconfig = false,
  -- Start tree-sitter highlighting on `pipe` buffers when the `pipe` parser is installed.
  treesitter = true,
}

-- This file's directory: lua/pipec/.
local function plugin_root()
  local source = debug.getinfo(1, "S").source:gsub("^@", "")
  return vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(vim.fn.fnamemodify(source, ":p"))))
end

--- The tree-sitter grammar's directory (with src/parser.c): editors/tree-sitter-pipe beside
--- this plugin directory in a checkout of pipec.
function M.grammar_dir()
  return vim.fs.joinpath(vim.fs.dirname(plugin_root()), "tree-sitter-pipe")
end

--- Compiles the `pipe` tree-sitter parser with the system C compiler into
--- `<dir>/parser/pipe.so` (default: stdpath("data") .. "/site", on 'runtimepath'), where
--- Neovim finds parsers. opts: { grammar = dir, dir = dir, cc = "cc" }. Returns the path, or
--- nil and a message.
function M.install_parser(opts)
  opts = opts or {}
  local grammar = opts.grammar or M.grammar_dir()
  local parser_c = vim.fs.joinpath(grammar, "src", "parser.c")
  if vim.fn.filereadable(parser_c) == 0 then
    return nil, string.format("pipec: %s is missing; pass { grammar = \"/path/to/pipec/editors/tree-sitter-pipe\" }", parser_c)
  end
  local cc = opts.cc or vim.env.CC or "cc"
  if vim.fn.executable(cc) == 0 then
    return nil, string.format("pipec: no C compiler (`%s`) to build the tree-sitter parser with", cc)
  end
  local dir = vim.fs.joinpath(opts.dir or (vim.fn.stdpath("data") .. "/site"), "parser")
  vim.fn.mkdir(dir, "p")
  local out = vim.fs.joinpath(dir, "pipe.so")
  local tmp = out .. ".tmp"
  local result = vim.system({
    cc, "-o", tmp, "-shared", "-fPIC", "-O2", "-std=c11",
    "-I", vim.fs.joinpath(grammar, "src"), parser_c,
  }, { text = true }):wait()
  if result.code ~= 0 then
    return nil, "pipec: compiling the tree-sitter parser failed:\n" .. (result.stderr or "")
  end
  -- A rename, so a running Neovim that loaded the old one keeps a valid file.
  local ok, err = os.rename(tmp, out)
  if not ok then
    return nil, "pipec: " .. tostring(err)
  end
  return out
end

--- Loads the `pipe` parser: from 'runtimepath' (parser/pipe.so, where nvim-treesitter and
--- :PipecInstallParser put it), else from where :PipecInstallParser installs it.
function M.load_parser()
  local ok, added = pcall(vim.treesitter.language.add, "pipe")
  if ok and added then
    return true
  end
  local installed = vim.fs.joinpath(vim.fn.stdpath("data"), "site", "parser", "pipe.so")
  if vim.fn.filereadable(installed) == 0 then
    return false
  end
  ok, added = pcall(vim.treesitter.language.add, "pipe", { path = installed })
  return ok and added == true
end

--- Starts tree-sitter highlighting in `buf` when the `pipe` parser can be loaded.
function M.start_treesitter(buf)
  if not M.load_parser() then
    return false
  end
  return (pcall(vim.treesitter.start, buf, "pipe"))
end

local function root_dir(path)
  local found = vim.fs.find({ ".git", "pipec.toml" }, { path = path, upward = true })[1]
  return found and vim.fs.dirname(found) or vim.fs.dirname(path)
end

-- The oldest Neovim this works with: vim.lsp.start, vim.fs and the diagnostics API it uses.
M.min_version = "0.10"

--- Whether this Neovim is new enough; otherwise an error message naming both versions.
function M.check_version()
  if vim.fn.has("nvim-" .. M.min_version) == 1 then
    return true
  end
  local v = vim.version and vim.version() or {}
  local this = v.major and string.format("%d.%d.%d", v.major, v.minor, v.patch) or "unknown"
  return false,
    string.format(
      "pipec: Neovim %s or newer is needed for the pipec language server; this is Neovim %s",
      M.min_version,
      this
    )
end

--- The command that starts the server, with its executable found; or nil and a message that
--- says what was looked for and which option to set.
function M.resolve_cmd(opts)
  local cmd, option
  if opts.cmd then
    cmd, option = vim.deepcopy(opts.cmd), "cmd"
  elseif opts.path then
    cmd, option = { opts.path, "lsp" }, "path"
  else
    cmd = { "pipec", "lsp" }
  end
  local wanted = cmd[1]
  local exe = type(wanted) == "string" and wanted ~= "" and vim.fn.exepath(vim.fs.normalize(wanted)) or ""
  if exe ~= "" then
    cmd[1] = exe
    return cmd
  end
  local how = 'require("pipec").setup({ path = "/path/to/pipec" })'
  if option then
    return nil,
      string.format(
        "pipec: the `%s` option names %s, which is not an executable file or a program on PATH; "
          .. "set the `path` option to the pipec binary: %s",
        option,
        vim.inspect(wanted),
        how
      )
  end
  return nil,
    string.format(
      "pipec: `pipec` is not on PATH, so the pipec language server cannot start; install pipec "
        .. "(docs/install.md) or set the `path` option: %s",
      how
    )
end

local function notify_error(message)
  vim.notify(message, vim.log.levels.ERROR, { title = "pipec" })
end

function M.setup(opts)
  local ok, message = M.check_version()
  if not ok then
    vim.api.nvim_err_writeln(message)
    return false
  end
  opts = vim.tbl_deep_extend("force", defaults, opts or {})

  -- ftdetect/pipe.vim does this too, when editors/nvim is on 'runtimepath'; this covers a
  -- copied lua/pipec/init.lua alone.
  vim.filetype.add({ extension = { pipe = "pipe" } })

  local init_options = { debounceMs = opts.debounce_ms }
  local group = vim.api.nvim_create_augroup("pipec", { clear = true })

  vim.api.nvim_create_user_command("PipecInstallParser", function()
    local path, problem = M.install_parser()
    if path then
      pcall(vim.treesitter.language.add, "pipe", { path = path })
      vim.notify("pipec: installed the tree-sitter parser: " .. path, vim.log.levels.INFO)
      for _, buf in ipairs(vim.api.nvim_list_bufs()) do
        if vim.bo[buf].filetype == "pipe" then
          M.start_treesitter(buf)
        end
      end
    else
      notify_error(problem)
    end
  end, { desc = "Compile the pipe tree-sitter parser (needs a C compiler)" })
  if opts.treesitter then
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = "pipe",
      callback = function(args) M.start_treesitter(args.buf) end,
    })
  end

  if opts.lspconfig then
    local cmd, problem = M.resolve_cmd(opts)
    if not cmd then
      notify_error(problem)
      return false
    end
    local configs = require("lspconfig.configs")
    if not configs.pipec then
      configs.pipec = {
        default_config = {
          cmd = cmd,
          filetypes = { "pipe" },
          root_dir = function(fname) return root_dir(fname) end,
          init_options = init_options,
          single_file_support = true,
        },
      }
    end
    require("lspconfig").pipec.setup({})
    return true
  end

  -- The binary is looked for when the first `pipe` buffer opens (so a PATH set later counts),
  -- and a missing one is reported once.
  local reported = false
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "pipe",
    callback = function(args)
      local cmd, problem = M.resolve_cmd(opts)
      if not cmd then
        if not reported then
          reported = true
          notify_error(problem)
        end
        return
      end
      vim.lsp.start({
        name = "pipec",
        cmd = cmd,
        root_dir = root_dir(vim.api.nvim_buf_get_name(args.buf)),
        init_options = init_options,
      }, { bufnr = args.buf })
    end,
  })
  return true
end

return M
