// MSW 2.x handlers for the Grades API with the Python mock's semantics (grades-mock):
// exact AND filters, 400 on a malformed or repeated parameter (the same detail text),
// 401 with WWW-Authenticate, 403 for the forbidden token, and Prefer code= / example= /
// delay=. Every constant comes from src/contract.js, generated from the Python mock, and
// test/conformance.test.js runs the same requests as the Python mock's conformance test.
import { HttpResponse, delay as wait, http } from "msw";
import {
  AUTH, CORS, DEFAULT_FORBIDDEN_TOKEN, DEFAULT_TOKEN, EXAMPLES, FORCED, GRADES_PATH,
  MAX_DELAY_MS, PARAMETERS, STATUSES,
} from "./contract.js";
import bundledRecords from "./fixtures.js";

export { DEFAULT_FORBIDDEN_TOKEN, DEFAULT_TOKEN, GRADES_PATH };
export { bundledRecords };

const SUCCESS = 200;
const PREFER_KEYS = ["code", "example", "delay"];

class ApiError extends Error {
  constructor(status, detail, headers = {}) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.headers = headers;
  }
}

// Python's repr() of a str, as the mock's messages quote values.
function pyRepr(value) {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = "";
  for (const char of value) {
    const code = char.codePointAt(0);
    if (char === "\\" || char === quote) out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) {
      out += `\\x${code.toString(16).padStart(2, "0")}`;
    } else out += char;
  }
  return quote + out + quote;
}

// Python's urllib.parse.quote(value, safe=":").
function pyQuote(value) {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-~:]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const RULES = Object.fromEntries(
  Object.entries(PARAMETERS).map(([name, rule]) => [name, { ...rule, regex: new RegExp(rule.pattern, "u") }]),
);

function problem(name, value) {
  const rule = RULES[name];
  const length = [...value].length;
  const shown = pyRepr(value).length <= 80 ? pyRepr(value) : `${pyRepr(value).slice(0, 77)}...'`;
  let message;
  if (!rule.regex.test(value)) message = rule.patternMessage.replace("{value}", shown);
  else if (rule.minLength != null && length < rule.minLength) message = `${name}: ${pyRepr(value)} is too short.`;
  else if (rule.maxLength != null && length > rule.maxLength) message = `${name}: ${pyRepr(value)} is too long.`;
  else return null;
  if (value.includes(" ") && problem(name, value.replaceAll(" ", "+")) === null) {
    const encoded = pyQuote(value.replaceAll(" ", "+"));
    message += ` A '+' in a query string means a space: send '+' as %2B (${name}=${encoded}).`;
  }
  return message;
}

function validateQuery(params) {
  const values = {};
  for (const name of Object.keys(RULES)) {
    const given = params.getAll(name);
    if (given.length > 1) throw new ApiError(400, `${name}: given ${given.length} times; give it at most once.`);
    if (given.length === 0) continue;
    const found = problem(name, given[0]);
    if (found !== null) throw new ApiError(400, found);
    values[name] = given[0];
  }
  return values;
}

function checkAuth(header, tokens, forbidden) {
  const unauthorized = (detail, invalid = true) => new ApiError(401, detail, {
    "WWW-Authenticate": invalid ? `${AUTH.challenge}, error="invalid_token"` : AUTH.challenge,
  });
  if (!header || !header.trim()) throw unauthorized(AUTH.notProvided, false);
  const stripped = header.trim();
  const space = stripped.indexOf(" ");
  const scheme = space < 0 ? stripped : stripped.slice(0, space);
  if (scheme.toLowerCase() !== "bearer") throw unauthorized(AUTH.notBearer);
  const token = space < 0 ? "" : stripped.slice(space + 1).trim();
  if (!token) throw unauthorized(AUTH.empty);
  if (tokens.includes(token)) return;
  if (forbidden.includes(token)) throw new ApiError(403, AUTH.forbidden);
  throw unauthorized(AUTH.unknown);
}

// The Prefer header (RFC 7240, Prism's vocabulary) as grades-mock reads it; dynamic= and
// seed= (generated records) are the Python mock's only, and ignored here as RFC 7240 asks.
function parsePrefer(value) {
  const found = {};
  for (const item of value.split(/[,;]/)) {
    if (!item.trim()) continue;
    const token = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(=?)/.exec(item);
    if (token === null || !PREFER_KEYS.includes(token[1].toLowerCase())) continue;
    const key = token[1].toLowerCase();
    const raw = token[2] ? /^\s*"?([^"]*)"?\s*$/.exec(item.slice(token[0].length)) : null;
    if (raw === null) throw new ApiError(400, `Prefer: ${pyRepr(item.trim())} is not of the form key=value.`);
    if (key in found) throw new ApiError(400, `Prefer: ${key} given more than once.`);
    found[key] = raw[1].trim();
  }
  const integer = (key) => {
    if (!(key in found)) return null;
    if (!/^[0-9]{1,9}$/.test(found[key])) {
      throw new ApiError(400, `Prefer: ${key}=${pyRepr(found[key])} is not a non-negative integer.`);
    }
    return Number(found[key]);
  };
  const prefs = { code: integer("code"), example: found.example ?? null, delayMs: integer("delay") };
  if (prefs.code !== null && !STATUSES.includes(prefs.code)) {
    throw new ApiError(400, `Prefer: code=${prefs.code} is not declared by the spec (declared: ${STATUSES.join(", ")}).`);
  }
  if (prefs.delayMs !== null && prefs.delayMs > MAX_DELAY_MS) {
    throw new ApiError(400, `Prefer: delay=${prefs.delayMs} is over the maximum ${MAX_DELAY_MS} ms.`);
  }
  if (prefs.example !== null) {
    if (prefs.code !== null && prefs.code !== SUCCESS) {
      throw new ApiError(400, `Prefer: example= names a ${SUCCESS} example; code=${prefs.code}.`);
    }
    if (!(prefs.example in EXAMPLES)) {
      throw new ApiError(400, `Prefer: unknown example ${pyRepr(prefs.example)} (known: ${Object.keys(EXAMPLES).join(", ")}).`);
    }
  }
  return prefs;
}

function corsHeaders(request, origin) {
  const headers = { "Access-Control-Expose-Headers": CORS.exposeHeaders.join(", ") };
  if (origin === "*") return { "Access-Control-Allow-Origin": "*", ...headers };
  const asked = request.headers.get("Origin");
  return { "Access-Control-Allow-Origin": origin.includes(asked) ? asked : origin[0], ...headers, Vary: "Origin" };
}

function json(status, body, headers) {
  return HttpResponse.json(body, { status, headers });
}

/**
 * MSW request handlers for the grades path on any origin, with grades-mock's semantics.
 * @param {import("./index.js").HandlerOptions} [options]
 */
export function createHandlers(options = {}) {
  const {
    records = bundledRecords,
    token = DEFAULT_TOKEN,
    tokens = [token],
    forbiddenTokens = [DEFAULT_FORBIDDEN_TOKEN],
    delayMs = 0,
    corsOrigin = "*",
  } = options;
  const origins = corsOrigin === "*" ? "*" : corsOrigin.split(",").map((o) => o.trim());

  async function answer(request, applied) {
    const prefer = request.headers.get("Prefer");
    const prefs = prefer ? parsePrefer(prefer) : { code: null, example: null, delayMs: null };
    if (prefs.delayMs !== null) applied.push(`delay=${prefs.delayMs}`);
    const waited = prefs.delayMs ?? delayMs;
    if (waited > 0) await wait(waited);
    if (prefs.code !== null && prefs.code !== SUCCESS) {
      applied.push(`code=${prefs.code}`);
      const forced = FORCED[String(prefs.code)];
      return json(prefs.code, forced.body, forced.headers);
    }
    if (prefs.code === null) checkAuth(request.headers.get("Authorization"), tokens, forbiddenTokens);
    else applied.push(`code=${prefs.code}`);
    const query = validateQuery(new URL(request.url).searchParams);
    if (prefs.example !== null) {
      applied.push(`example=${prefs.example}`);
      return json(SUCCESS, EXAMPLES[prefs.example]);
    }
    const matching = records.filter(
      (r) => (query.course_id === undefined || r.course_id === query.course_id)
        && (query.username === undefined || r.username === query.username),
    );
    return json(SUCCESS, matching);
  }

  return [
    http.get(`*${GRADES_PATH}`, async ({ request }) => {
      const applied = [];
      let response;
      try {
        response = await answer(request, applied);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        response = json(error.status, { detail: error.detail }, error.headers);
      }
      if (applied.length) response.headers.set("Preference-Applied", applied.join(", "));
      for (const [name, value] of Object.entries(corsHeaders(request, origins))) response.headers.set(name, value);
      return response;
    }),
    http.options(`*${GRADES_PATH}`, ({ request }) => {
      const asked = request.headers.get("Access-Control-Request-Headers");
      const names = [...CORS.allowHeaders];
      for (const name of (asked ?? "").split(",").map((n) => n.trim()).filter(Boolean)) {
        if (!names.some((n) => n.toLowerCase() === name.toLowerCase())) names.push(name);
      }
      return new HttpResponse(null, {
        status: 204,
        headers: {
          "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
          "Access-Control-Allow-Headers": names.join(", "),
          "Access-Control-Max-Age": String(CORS.maxAge),
          ...corsHeaders(request, origins),
        },
      });
    }),
  ];
}

/** The handlers with the defaults: the bundled records, the token `local-dev-token`. */
export const handlers = createHandlers();
