-- pipec: buffer settings for `pipe` files: `//` comments, two-space indentation.
vim.bo.commentstring = "// %s"
vim.bo.shiftwidth = 2
vim.bo.expandtab = true
vim.b.undo_ftplugin = (vim.b.undo_ftplugin and (vim.b.undo_ftplugin .. " | ") or "")
  .. "setlocal commentstring< shiftwidth< expandtab<"
