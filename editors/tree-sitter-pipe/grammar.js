/**
 * @file The tree-sitter grammar of `.pipe` files (the pipec language), for Neovim, Helix and Zed.
 *
 * It accepts what pipec's syntax phase accepts (grammar/pipe.pest plus the checks made when
 * the AST is built: the escapes that exist, whole numbers, no carriage return without a line
 * feed), except two limits that are not grammar: nesting depth (P1002) and numbers beyond
 * 64 bits (P1004). tests/editors/test_treesitter.py holds it to that on every file of the
 * repository. Like the pest grammar it is generic: blocks, declarations, attributes,
 * statements and values; what a block kind means is pipec's business.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/;

/** Items of a file or a body, each optionally followed by a comma. */
const items = ($) => repeat(seq($._item, optional(',')));

/** `a, b, c` with an optional trailing comma. */
const commaSep = (rule) => optional(seq(rule, repeat(seq(',', rule)), optional(',')));

module.exports = grammar({
  name: 'pipe',

  // White space (a CR only before an LF: P1005), a byte-order mark and comments.
  extras: ($) => [/[ \t\n\uFEFF]/, /\r\n/, $.line_comment, $.block_comment],

  word: ($) => $.identifier,

  // `a b …` at the start of an item is a declaration or a block when it can be one, a bare
  // value followed by another item otherwise (pest tries them in that order).
  conflicts: ($) => [[$.statement], [$._kind, $.path]],

  rules: {
    source_file: ($) => items($),

    _item: ($) =>
      choice($.attribute, $.statement, $.declaration, $.block, $.expression_item),

    /// `name = value`, `"aws:key" = value`; a keyword is a key too (`run = …`).
    attribute: ($) =>
      seq(
        field('key', choice($.identifier, $.string, alias($._keyword, $.identifier))),
        '=',
        field('value', $._expression),
      ),

    _keyword: (_) => choice('run', 'allow', 'deny', 'use', 'on', 'when', 'sid', 'as'),

    // A keyword is an identifier where a statement cannot start: a label, and the kind of a
    // block or declaration for clause keywords (`stage on { … }`).
    _label: ($) => choice($.identifier, $.string, alias($._keyword, $.identifier)),

    _kind: ($) => choice($.identifier, alias(choice('on', 'when', 'sid', 'as'), $.identifier)),

    /// `run "cmd"`, `allow [..] on [..] when {..} sid "Id"`, `use std.roles as roles`.
    statement: ($) =>
      seq(
        field('keyword', choice('run', 'allow', 'deny', 'use')),
        field('argument', $._expression),
        repeat($.clause),
      ),

    /// `on …`, `when …`, `sid …`, `as …` after a statement.
    clause: ($) =>
      seq(field('keyword', choice('on', 'when', 'sid', 'as')), field('value', $._expression)),

    /// `kind label… = value`: `param env = "dev"`, `hook after_install "x" = node.install`.
    declaration: ($) =>
      prec.dynamic(
        2,
        seq(
          field('kind', $._kind),
          repeat1(field('label', $._label)),
          '=',
          field('value', $._expression),
        ),
      ),

    /// `kind label… { … }`: `repo app { … }`, `install { … }`, `permissions "/srv" { … }`.
    block: ($) =>
      prec.dynamic(
        1,
        seq(
          field('kind', $._kind),
          repeat(field('label', $._label)),
          field('body', $.body),
        ),
      ),

    /// `{ item… }`.
    body: ($) => seq('{', items($), '}'),

    /// A bare value, optionally `-> destination` (`"/" -> "/srv/app"` in `files`).
    expression_item: ($) =>
      seq(field('value', $._expression), optional(seq('->', field('destination', $._expression)))),

    _expression: ($) =>
      choice($.string, $.list, $.object, $.number, $.apply, $.call, $.boolean, $.path),

    /// `env`, `repo.app`, `repo.app.arn`, `node.start`: no space around the dots.
    path: ($) =>
      seq(
        $.identifier,
        repeat(seq(token.immediate('.'), alias(token.immediate(IDENT), $.identifier))),
      ),

    /// `aws_policy("…")`.
    call: ($) =>
      seq(
        field('function', choice($.identifier, alias(choice('true', 'false'), $.identifier))),
        '(',
        commaSep($._expression),
        ')',
      ),

    /// `[a, b]`.
    list: ($) => seq('[', commaSep($._expression), ']'),

    /// `{ key = value, … }`.
    object: ($) => seq('{', items($), '}'),

    /// `ec2 { tags = … }`, `node.start { dir = "/srv" }`: a path applied to a body.
    apply: ($) => prec(1, seq(field('name', $.path), field('body', $.body))),

    boolean: (_) => choice('true', 'false'),

    /// Whole numbers (a fraction is an error, P1004).
    number: (_) => /-?[0-9]+/,

    identifier: (_) => IDENT,

    /// `"…"` (may span lines) or `"""…"""`, with escapes and `${…}`.
    string: ($) => choice($._plain_string, $._triple_string),

    _plain_string: ($) =>
      seq(
        '"',
        repeat(choice($.string_content, $.escape_sequence, $.interpolation, $._dollar)),
        token.immediate('"'),
      ),

    _triple_string: ($) =>
      seq(
        '"""',
        repeat(
          choice(
            $.string_content,
            $.escape_sequence,
            $.interpolation,
            $._dollar,
            alias(token.immediate(/""?/), $.string_content),
          ),
        ),
        token.immediate('"""'),
      ),

    string_content: (_) => token.immediate(prec(1, /([^"\\$\r]|\r\n)+/)),

    _dollar: ($) => alias(token.immediate('$'), $.string_content),

    /// `\n \t \r \" \\ \$` (any other is an error, P1003).
    escape_sequence: (_) => token.immediate(/\\[ntr"\\$]/),

    /// `${ expr }`.
    interpolation: ($) => seq(token.immediate('${'), $._expression, '}'),

    line_comment: (_) => token(seq('//', /[^\r\n]*/)),

    block_comment: (_) =>
      token(seq('/*', /([^*\r]|\r\n)*\*+(([^/*\r]|\r\n)([^*\r]|\r\n)*\*+)*/, '/')),
  },
});
