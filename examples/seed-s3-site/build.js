// Renders the pages of src/ into public/.
const fs = require("fs");
const path = require("path");

const out = path.join(__dirname, "public");
fs.mkdirSync(out, { recursive: true });
for (const name of fs.readdirSync(path.join(__dirname, "src"))) {
  const body = fs.readFileSync(path.join(__dirname, "src", name), "utf8");
  fs.writeFileSync(path.join(out, name), `<!doctype html>\n<meta charset="utf-8">\n${body}`);
}
console.log("rendered public/");
