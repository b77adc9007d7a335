; Scopes and definitions: a block's body is a scope; `param`, `let`, `preset` and block names
; are definitions; a single-segment path refers to one (`env`, `app_dir`).
(source_file) @local.scope

(body) @local.scope

(declaration
  kind: (identifier)
  .
  label: (identifier) @local.definition)

(block
  kind: (identifier)
  .
  label: (identifier) @local.definition)

(path
  .
  (identifier) @local.reference .)
