// Starts the pipec language server for .pipe files through vscode-languageclient.
//
// Which pipec: the `pipec.path` setting when it is set; otherwise the binary bundled in a
// platform-specific .vsix (`server/pipec`); otherwise `pipec` on the extension host's PATH.
// When none of these exists, an error message names the `pipec.path` setting (instead of a
// `spawn pipec ENOENT` in a log and a silent activation failure).
"use strict";

const fs = require("fs");
const path = require("path");
const vscode = require("vscode");
const { LanguageClient, TransportKind, State } = require("vscode-languageclient/node");

const EXE = process.platform === "win32" ? "pipec.exe" : "pipec";

let client;
let output;

/** Whether `file` is an executable regular file. */
function isExecutable(file) {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `name` on `PATH` (with Windows' extensions), or undefined. */
function onPath(name, envPath) {
  const exts = process.platform === "win32" ? (process.env.PATHEXT || ".EXE").split(";") : [""];
  for (const dir of (envPath || "").split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * Decides which binary to run: { command, source } where source is "setting", "bundled" or
 * "PATH", or { error } saying what was looked for.
 */
function resolveServer(context) {
  const configured = (vscode.workspace.getConfiguration("pipec").get("path") || "").trim();
  if (configured) {
    const expanded = configured.startsWith("~/")
      ? path.join(require("os").homedir(), configured.slice(2))
      : configured;
    if (expanded.includes("/") || expanded.includes("\\")) {
      const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
      const absolute = path.isAbsolute(expanded) || !folder ? expanded : path.join(folder.uri.fsPath, expanded);
      if (isExecutable(absolute)) return { command: absolute, source: "setting" };
      return { error: `the \`pipec.path\` setting is "${configured}", and no executable file is there` };
    }
    const found = onPath(expanded, process.env.PATH);
    if (found) return { command: found, source: "setting" };
    return {
      error: `the \`pipec.path\` setting is "${configured}", which is not on the extension host's PATH (${process.env.PATH || "empty"})`,
    };
  }
  const bundled = context.asAbsolutePath(path.join("server", EXE));
  if (fs.existsSync(bundled) && !isExecutable(bundled)) {
    // An installer that dropped the file mode: the bundled binary is ours to fix.
    try {
      fs.chmodSync(bundled, 0o755);
    } catch {
      // reported below as not found
    }
  }
  if (isExecutable(bundled)) return { command: bundled, source: "bundled" };
  const found = onPath(EXE, process.env.PATH);
  if (found) return { command: found, source: "PATH" };
  return {
    error: `this extension has no bundled pipec for ${process.platform}-${process.arch}, and \`pipec\` is not on the extension host's PATH (${process.env.PATH || "empty"})`,
  };
}

function showStartError(detail) {
  const message = `pipec: the language server could not start: ${detail}. Set \`pipec.path\` to the pipec executable (install it with \`cargo install --locked --path compiler/pipec-cli\`).`;
  output.appendLine(message);
  vscode.window.showErrorMessage(message, "Open Settings").then((choice) => {
    if (choice === "Open Settings") {
      vscode.commands.executeCommand("workbench.action.openSettings", "pipec.path");
    }
  });
}

async function startClient(context) {
  const server = resolveServer(context);
  if (server.error) {
    showStartError(server.error);
    return;
  }
  output.appendLine(`pipec: starting ${server.command} lsp (from ${server.source})`);
  const config = vscode.workspace.getConfiguration("pipec");
  const executable = { command: server.command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "pipec",
    "pipec",
    { run: executable, debug: executable },
    {
      documentSelector: [
        { scheme: "file", language: "pipe" },
        { scheme: "untitled", language: "pipe" },
      ],
      initializationOptions: { debounceMs: config.get("debounceMs", 0) },
      outputChannel: output,
    },
  );
  try {
    await client.start();
  } catch (error) {
    const detail = error && error.message ? error.message : String(error);
    showStartError(`\`${server.command} lsp\` failed: ${detail}`);
    const failed = client;
    client = undefined;
    if (failed && failed.state !== State.Stopped) await failed.stop().catch(() => undefined);
  }
}

async function stopClient() {
  const running = client;
  client = undefined;
  if (running) await running.stop().catch(() => undefined);
}

async function activate(context) {
  output = vscode.window.createOutputChannel("pipec");
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("pipec.path") || event.affectsConfiguration("pipec.debounceMs")) {
        await stopClient();
        await startClient(context);
      }
    }),
  );
  context.subscriptions.push(
    vscode.commands.registerCommand("pipec.restartServer", async () => {
      await stopClient();
      await startClient(context);
    }),
  );
  await startClient(context);
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate };
