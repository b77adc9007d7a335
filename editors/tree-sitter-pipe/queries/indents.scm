; Indentation (nvim-treesitter's capture names): one level inside braces and brackets.
[
  (body)
  (object)
  (list)
] @indent.begin

[
  "}"
  "]"
] @indent.branch @indent.end

[
  (line_comment)
  (block_comment)
] @indent.auto
