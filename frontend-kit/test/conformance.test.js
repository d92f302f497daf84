// The MSW handlers against test/conformance.json, the requests tests/frontend/test_conformance.py
// sends to the Python mock, with the same expectations: node --test, msw/node's setupServer.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { setupServer } from "msw/node";
import { bundledRecords, createHandlers, GRADES_PATH, handlers } from "grades-frontend-kit";
import { EXAMPLES } from "../src/contract.js";

const { cases } = JSON.parse(readFileSync(new URL("./conformance.json", import.meta.url), "utf8"));
const server = setupServer(...handlers);
before(() => server.listen({ onUnhandledRequest: "error" }));
after(() => server.close());

function expectedBody(testCase) {
  if ("records" in testCase) {
    const wanted = Object.entries(testCase.records);
    return bundledRecords.filter((r) => wanted.every(([k, v]) => r[k] === v));
  }
  if ("example" in testCase) return EXAMPLES[testCase.example];
  return testCase.body;
}

for (const testCase of cases) {
  test(testCase.name, async () => {
    const query = testCase.query ? `?${testCase.query}` : "";
    // Any origin: the handlers match the grades path wherever an app points its client.
    const answer = await fetch(`https://lms.example.test${GRADES_PATH}${query}`, { headers: testCase.send });
    assert.equal(answer.status, testCase.status);
    const body = await answer.json();
    const expected = expectedBody(testCase);
    if (expected !== undefined) assert.deepEqual(body, expected);
    if ("count" in testCase) assert.equal(body.length, testCase.count);
    for (const [name, value] of Object.entries(testCase.headers ?? {})) {
      assert.equal(answer.headers.get(name), value, name);
    }
    for (const name of testCase.absent ?? []) assert.equal(answer.headers.get(name), null, name);
  });
}

test("createHandlers serves given records and token", async () => {
  const records = bundledRecords.slice(0, 2);
  server.use(...createHandlers({ records, token: "team-token" }));
  const url = `http://localhost:8080${GRADES_PATH}`;
  const ok = await fetch(url, { headers: { Authorization: "Bearer team-token" } });
  assert.deepEqual(await ok.json(), records);
  const old = await fetch(url, { headers: { Authorization: "Bearer local-dev-token" } });
  assert.equal(old.status, 401);
  server.resetHandlers();
});

test("a preflight echoes the requested headers", async () => {
  const answer = await fetch(`http://localhost:8080${GRADES_PATH}`, {
    method: "OPTIONS",
    headers: { "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization, use-jwt-cookie" },
  });
  assert.equal(answer.status, 204);
  assert.match(answer.headers.get("Access-Control-Allow-Headers"), /Authorization.*use-jwt-cookie/);
});
