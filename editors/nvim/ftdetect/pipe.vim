" pipec: `*.pipe` files have the filetype `pipe` (works in every Neovim and Vim).
autocmd BufRead,BufNewFile *.pipe setfiletype pipe
