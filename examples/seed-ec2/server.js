// A tiny HTTP server: `/` greets, `/health` answers for CodeDeploy's ValidateService hook.
const http = require("http");

const port = Number(process.env.PORT || 3000);
const version = require("./version.json").version;

const server = http.createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok", version }));
    return;
  }
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`fe-server ${version}\n`);
});

if (require.main === module) {
  server.listen(port, "0.0.0.0", () => console.log(`listening on ${port}`));
}

module.exports = server;
