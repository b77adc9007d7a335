// The test step: start the built server on a free port and check /health.
const http = require("http");
const assert = require("assert");

const server = require("./dist/server.js");
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  http.get({ host: "127.0.0.1", port, path: "/health" }, (res) => {
    let body = "";
    res.on("data", (chunk) => (body += chunk));
    res.on("end", () => {
      assert.strictEqual(res.statusCode, 200);
      assert.strictEqual(JSON.parse(body).status, "ok");
      console.log("ok /health");
      server.close();
    });
  });
});
