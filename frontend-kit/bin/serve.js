#!/usr/bin/env node
// The MSW handlers over real HTTP (node:http, no other dependency), so tools that need a
// server (the grades contract suite, curl, a browser) can judge exactly what the handlers
// answer in unit tests. Usage: node bin/serve.js [--port 8090] [--host 127.0.0.1]
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { getResponse } from "msw";
import { handlers } from "../src/index.js";

const { values } = parseArgs({
  options: { port: { type: "string", default: "8090" }, host: { type: "string", default: "127.0.0.1" } },
});

async function toFetchRequest(incoming, base) {
  const chunks = [];
  for await (const chunk of incoming) chunks.push(chunk);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const body = chunks.length && !["GET", "HEAD"].includes(incoming.method) ? Buffer.concat(chunks) : undefined;
  return new Request(new URL(incoming.url, base), { method: incoming.method, headers, body });
}

const server = createServer(async (incoming, outgoing) => {
  try {
    const request = await toFetchRequest(incoming, `http://${incoming.headers.host ?? "localhost"}`);
    const response = (await getResponse(handlers, request))
      ?? Response.json({ detail: "Not found." }, { status: 404 });
    const body = Buffer.from(await response.arrayBuffer());
    outgoing.writeHead(response.status, [...response.headers.entries()].flat());
    outgoing.end(incoming.method === "HEAD" ? undefined : body);
  } catch (error) {
    outgoing.writeHead(500, { "Content-Type": "application/json" });
    outgoing.end(JSON.stringify({ detail: "A server error occurred." }));
    console.error(error);
  }
});

server.on("error", (error) => {
  console.error(`grades-frontend-kit serve: cannot listen on ${values.host}:${values.port}: ${error.code}`);
  process.exit(2);
});
server.listen(Number(values.port), values.host, () => {
  const { port } = server.address();
  console.log(`MSW handlers at http://${values.host}:${port}/api/so2/v1/grades`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
