; Folds: bodies, maps, lists and block comments.
[
  (body)
  (object)
  (list)
  (block_comment)
] @fold
