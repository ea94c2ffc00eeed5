// Functions Rust calls: error formatting, response normalisation (SPEC §4.4, §4.5), the
// bootstrap that hands the context its native ops, and the global lockdown.
const USER_FRAME = /function\.js:(\d+):(\d+)\)?$/;

function isError(e) {
  return e instanceof $Error;
}

function errorHead(e) {
  let name;
  let message;
  try {
    name = $String(e.name);
  } catch {
    name = "Error";
  }
  try {
    message = $String(e.message);
  } catch {
    message = "";
  }
  return message === "" ? name : `${name}: ${message}`;
}

// One line describing a thrown value: `Name: message`, or the value as text.
function describeError(e) {
  if (isError(e)) return errorHead(e);
  return describeValue(e);
}

function describeValue(e) {
  if (typeof e === "object" && e !== null) {
    try {
      const j = $jsonStringify(e);
      if (j !== undefined) return j;
    } catch {
      // fall through
    }
  }
  try {
    return $String(e);
  } catch {
    return "[object]";
  }
}

// [message, line, column] of a thrown value; line/column 0 when unknown.
function formatError(e) {
  if (!isError(e)) return [`Uncaught ${describeValue(e)}`, 0, 0];
  let text = errorHead(e);
  let line = 0;
  let column = 0;
  const stack = $errorStackDescriptor(e);
  if (typeof stack === "string") {
    for (const raw of $split(stack, "\n")) {
      const l = $trim(raw);
      if ($slice(l, 0, 3) !== "at ") continue;
      const m = $regexExec(USER_FRAME, l);
      if (m === null) continue;
      text += `\n    ${l}`;
      if (line === 0) {
        line = $Number(m[1]);
        column = $Number(m[2]);
      }
    }
  }
  return [text, line, column];
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function headerText(v) {
  if (typeof v === "string") return v;
  if (typeof v === "number") return $String(v);
  return "";
}

// The handler's return value as {status, headers: [[name, value | [values]]], body, b64}
// or {error}.
function normalize(r) {
  // A Response whose body is a stream: read it, then normalise the result.
  if (r instanceof Response && bodyStream(r) !== null) {
    const head = { statusCode: r.status, headers: headersObject(r.headers) };
    return {
      pending: $promiseThen(r.arrayBuffer(), (buf) => {
        head.body = new $Uint8Array(buf);
        return head;
      }),
    };
  }
  r = plainResponse(r);
  if (r === null || typeof r !== "object" || $isArray(r)) return { error: "handler did not return an object" };
  let status = 200;
  const sc = r.statusCode;
  if (sc !== undefined && sc !== null) {
    let n = NaN;
    if (typeof sc === "number") n = sc;
    else if (typeof sc === "string" && $regexTest(NUMERIC, sc)) n = $Number(sc);
    n = $trunc(n);
    if (!(n >= 100 && n <= 999)) {
      let shown;
      try {
        shown = $jsonStringify(sc);
      } catch {
        shown = undefined;
      }
      return { error: `handler returned an invalid statusCode: ${shown === undefined ? $String(sc) : shown}` };
    }
    status = n;
  }
  const headers = [];
  const h = r.headers;
  if (h !== null && typeof h === "object") {
    for (const name of $keys(h)) {
      const v = h[name];
      let value;
      if ($isArray(v)) {
        value = [];
        for (let i = 0; i < v.length; i++) $push(value, headerText(v[i]));
      } else value = headerText(v);
      if (!$regexTest(HEADER_NAME, name)) return { error: `handler returned an invalid header: ${name}` };
      const values = $isArray(value) ? value : [value];
      for (const x of values) {
        if ($regexTest(HEADER_BAD_VALUE, x)) return { error: `handler returned an invalid header: ${name}` };
      }
      $push(headers, [name, value]);
    }
  }
  const b = r.body;
  let body = "";
  switch (typeof b) {
    case "string":
      body = b;
      break;
    case "number":
      body = $String(b);
      break;
    case "boolean":
      body = b ? "true" : "false";
      break;
    case "object":
      if (b === null) body = "";
      else if (asBytes(b) !== null) body = asBytes(b);
      else {
        const j = $jsonStringify(b);
        body = j === undefined ? "" : j;
      }
      break;
    default:
      body = "";
  }
  return { status, headers, body, b64: !!r.isBase64Encoded };
}

function unhandledMessage(reason) {
  return `Unhandled promise rejection: ${describeError(reason)}`;
}

// Globals that must not exist. V8 installs some of them when a context is created from
// the snapshot, so this runs per context.
function lockdown() {
  delete globalThis.WebAssembly;
  delete globalThis.SharedArrayBuffer;
  if (typeof Atomics === "object") {
    delete Atomics.wait;
    delete Atomics.waitAsync;
  }
}

// `export default { fetch(request, env, ctx) }` (the Workers module format): a handler
// that calls `fetch` with a `Request` for the incoming call, the function's environment
// variables as `env` properties, and a `ctx` whose `waitUntil` promises are awaited before
// the execution ends. `undefined` when `mod` has no `fetch`.
const workersEnv = new Proxy({}, {
  get(_, key) {
    return typeof key === "string" ? ops.envGet(key) ?? undefined : undefined;
  },
  has(_, key) {
    return typeof key === "string" && ops.envGet(key) !== null;
  },
});

function requestFromEvent(ctx, event) {
  let origin;
  try {
    origin = new URL(ctx.baseUrl).origin;
  } catch {
    origin = `http://${event.headers.Host || "localhost"}`;
  }
  const url = new URL(event.path, origin);
  for (const k of $keys(event.query)) url.searchParams.set(k, event.query[k]);
  const init = { method: event.method, headers: event.headers };
  if (event.method !== "GET" && event.method !== "HEAD" && event.body !== "") init.body = event.body;
  return new Request(url.href, init);
}

function workersHandler(mod) {
  if (mod === null || typeof mod !== "object" || typeof mod.fetch !== "function") return undefined;
  return async function fetchHandler(ctx, event) {
    const waits = [];
    const workersCtx = {
      waitUntil(promise) {
        $push(waits, promise);
      },
      passThroughOnException() {},
    };
    const response = await mod.fetch(requestFromEvent(ctx, event), workersEnv, workersCtx);
    if (waits.length > 0) await $Promise.allSettled(waits);
    return response;
  };
}

// Called once per context, before the user's code; returns the functions Rust calls.
function bootstrap() {
  delete globalThis.__lunar_bootstrap;
  lockdown();
  return { formatError, normalize, unhandledMessage, describeError, workersHandler };
}

define(globalThis, "__lunar_bootstrap", bootstrap);
