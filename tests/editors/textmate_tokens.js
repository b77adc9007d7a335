// Tokenizes files with the extension's TextMate grammar through vscode-textmate and
// vscode-oniguruma, the libraries VS Code itself highlights with, and prints the tokens as JSON:
//   node textmate_tokens.js GRAMMAR FILE...
//   → { FILE: [[line, startColumn, endColumn, text, [scope, ...]], ...], ... }
// Columns are UTF-16 code units, as in VS Code. Used by test_textmate.py; the packages come
// from editors/vscode/node_modules (devDependencies, installed by scripts/setup-editor-tools.sh).
"use strict";

const fs = require("fs");
const path = require("path");

const modules = path.resolve(__dirname, "../../editors/vscode/node_modules");
const vsctm = require(path.join(modules, "vscode-textmate"));
const oniguruma = require(path.join(modules, "vscode-oniguruma"));

async function main() {
  const [grammarPath, ...files] = process.argv.slice(2);
  const wasm = fs.readFileSync(path.join(modules, "vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.pipe") return null;
      const text = fs.readFileSync(grammarPath, "utf8");
      return vsctm.parseRawGrammar(text, grammarPath);
    },
  });
  const grammar = await registry.loadGrammar("source.pipe");
  const out = {};
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    let state = vsctm.INITIAL;
    const tokens = [];
    lines.forEach((line, number) => {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        const text = line.slice(token.startIndex, token.endIndex);
        if (text.trim() === "") continue;
        tokens.push([number, token.startIndex, token.endIndex, text, token.scopes]);
      }
      state = result.ruleStack;
    });
    out[file] = tokens;
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
