// Starts `pipec lsp` for .pipe files through vscode-languageclient.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("pipec");
  const command = config.get("path", "pipec");
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "pipec",
    "pipec",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "pipe" }, { scheme: "untitled", language: "pipe" }],
      initializationOptions: { debounceMs: config.get("debounceMs", 150) },
    },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
