; Helix: generated from editors/tree-sitter-pipe/queries/highlights.scm with Helix's capture names,
; in reverse order (in Helix the first matching pattern wins, in Neovim the last).

(boolean) @constant.builtin.boolean

(number) @constant.numeric

(interpolation
  [
    "${"
    "}"
  ] @punctuation.special)

(escape_sequence) @constant.character.escape

(string_content) @string

(call
  function: (identifier) @function.builtin)

(apply
  name: (path
    (identifier) @function .))

(clause
  keyword: "as" @keyword.control.import
  value: (path
    (identifier) @namespace))

(clause
  keyword: _ @keyword)

(statement
  keyword: "use" @keyword.control.import
  argument: (path
    (identifier) @namespace))

(statement
  keyword: _ @keyword)

(path
  (identifier)
  .
  (identifier) @variable.other.member)

; References: `repo.app`, `repo.app.arn`, `node.start`.
(path
  .
  (identifier) @namespace
  .
  (identifier))

(attribute
  key: (identifier) @variable.other.member)

(declaration
  kind: (identifier) @_hook
  .
  label: (identifier) @constant
  (#eq? @_hook "hook"))

; `hook before_install "name" …`: the event.
(block
  kind: (identifier) @_hook
  .
  label: (identifier) @constant
  (#eq? @_hook "hook"))

(declaration
  kind: (identifier)
  .
  label: (identifier) @variable)

; The declared name: `repo app`, `param env`, `preset greet`.
(block
  kind: (identifier)
  .
  label: (identifier) @label)

(block
  kind: (identifier) @keyword
  (#any-of? @keyword "preset"))

(declaration
  kind: (identifier) @keyword)

; Block kinds and declaration keywords: `repo app { … }`, `install { … }`, `param env = …`.
(block
  kind: (identifier) @type)

(identifier) @variable

[
  "="
  "->"
] @operator

[
  ","
  "."
] @punctuation.delimiter

[
  "{"
  "}"
  "["
  "]"
  "("
  ")"
] @punctuation.bracket

((line_comment) @comment.line.documentation
  (#match? @comment.line.documentation "^///"))

[
  (line_comment)
  (block_comment)
] @comment

(string) @string
