; Zed: generated from editors/tree-sitter-pipe/queries/highlights.scm with the capture names
; Zed's themes style.

(string) @string

[
  (line_comment)
  (block_comment)
] @comment

((line_comment) @comment.doc
  (#match? @comment.doc "^///"))

[
  "{"
  "}"
  "["
  "]"
  "("
  ")"
] @punctuation.bracket

[
  ","
  "."
] @punctuation.delimiter

[
  "="
  "->"
] @operator

(identifier) @variable

; Block kinds and declaration keywords: `repo app { … }`, `install { … }`, `param env = …`.
(block
  kind: (identifier) @type)

(declaration
  kind: (identifier) @keyword)

(block
  kind: (identifier) @keyword
  (#any-of? @keyword "preset"))

; The declared name: `repo app`, `param env`, `preset greet`.
(block
  kind: (identifier)
  .
  label: (identifier) @label)

(declaration
  kind: (identifier)
  .
  label: (identifier) @variable)

; `hook before_install "name" …`: the event.
(block
  kind: (identifier) @_hook
  .
  label: (identifier) @constant
  (#eq? @_hook "hook"))

(declaration
  kind: (identifier) @_hook
  .
  label: (identifier) @constant
  (#eq? @_hook "hook"))

(attribute
  key: (identifier) @property)

; References: `repo.app`, `repo.app.arn`, `node.start`.
(path
  .
  (identifier) @type
  .
  (identifier))

(path
  (identifier)
  .
  (identifier) @property)

(statement
  keyword: _ @keyword)

(statement
  keyword: "use" @keyword
  argument: (path
    (identifier) @type))

(clause
  keyword: _ @keyword)

(clause
  keyword: "as" @keyword
  value: (path
    (identifier) @type))

(apply
  name: (path
    (identifier) @function .))

(call
  function: (identifier) @function.builtin)

(string_content) @string

(escape_sequence) @string.escape

(interpolation
  [
    "${"
    "}"
  ] @punctuation.special)

(number) @number

(boolean) @boolean
