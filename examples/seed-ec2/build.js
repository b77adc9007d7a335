// The build step: copy the server into dist/ with a version stamp.
const fs = require("fs");
const path = require("path");

const dist = path.join(__dirname, "dist");
fs.mkdirSync(dist, { recursive: true });
fs.copyFileSync(path.join(__dirname, "server.js"), path.join(dist, "server.js"));
const version = process.env.CODEBUILD_RESOLVED_SOURCE_VERSION || "local";
fs.writeFileSync(path.join(dist, "version.json"), JSON.stringify({ version }) + "\n");
console.log(`built dist/ (version ${version})`);
