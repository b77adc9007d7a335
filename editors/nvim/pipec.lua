-- pipec for Neovim (0.10 or newer): `.pipe` filetype, comment string, and the pipec language
-- server. On an older Neovim, setup() reports that and returns false.
--
-- Put this file on your runtimepath (e.g. ~/.config/nvim/lua/pipec.lua) and call
--   require("pipec").setup({ cmd = { "pipec", "lsp" } })
-- from init.lua. Without lspconfig it uses vim.lsp.start on every `pipe` buffer; with
-- nvim-lspconfig installed, pass `{ lspconfig = true }` to register it as `pipec` there.

local M = {}

local defaults = {
  cmd = { "pipec", "lsp" },
  -- Edits made while a check runs are checked together once it ends, after pausing this
  -- many milliseconds. An idle server checks an edit at once.
  debounce_ms = 0,
  -- Register with nvim-lspconfig instead of starting clients directly.
  lspconfig = false,
}

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

function M.setup(opts)
  local ok, message = M.check_version()
  if not ok then
    vim.api.nvim_err_writeln(message)
    return false
  end
  opts = vim.tbl_deep_extend("force", defaults, opts or {})

  vim.filetype.add({ extension = { pipe = "pipe" } })

  local group = vim.api.nvim_create_augroup("pipec", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "pipe",
    callback = function(args)
      vim.bo[args.buf].commentstring = "// %s"
      vim.bo[args.buf].shiftwidth = 2
      vim.bo[args.buf].expandtab = true
    end,
  })

  local init_options = { debounceMs = opts.debounce_ms }

  if opts.lspconfig then
    local configs = require("lspconfig.configs")
    if not configs.pipec then
      configs.pipec = {
        default_config = {
          cmd = opts.cmd,
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

  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "pipe",
    callback = function(args)
      vim.lsp.start({
        name = "pipec",
        cmd = opts.cmd,
        root_dir = root_dir(vim.api.nvim_buf_get_name(args.buf)),
        init_options = init_options,
      }, { bufnr = args.buf })
    end,
  })
  return true
end

return M
