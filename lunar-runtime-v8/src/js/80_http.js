// `http` (SPEC §5.5): requests built here, sent by `ops.httpSend` through the host's
// outbound client; non-2xx statuses are results.
function optionsObject(api, n, param, v) {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || $isArray(v)) throw argError(api, n, param, "an object", v);
  return v;
}

function optText(v) {
  if (typeof v === "string") return v;
  if (typeof v === "number") return $String(v);
  return null;
}

function hasHeader(headers, lower) {
  for (const [name] of headers) if (name.toLowerCase() === lower) return true;
  return false;
}

// The op's request spec and body from `http` options.
function httpRequest(api, n, method, url, o, withBody) {
  const headers = [];
  if (o.headers !== undefined && o.headers !== null) {
    const h = optionsObject(api, n, "options.headers", o.headers);
    for (const k of $keys(h)) {
      const v = optText(h[k]);
      if (v !== null) $push(headers, [k, v]);
    }
  }
  let query = null;
  if (o.query !== undefined && o.query !== null) {
    const q = optionsObject(api, n, "options.query", o.query);
    query = [];
    for (const k of $keys(q)) {
      const v = q[k];
      if ($isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const t = optText(v[i]);
          if (t !== null) $push(query, [k, t]);
        }
      } else {
        const t = optText(v);
        if (t !== null) $push(query, [k, t]);
        else if (typeof v === "boolean") $push(query, [k, $String(v)]);
      }
    }
  }
  let body;
  if (withBody && o.body !== undefined && o.body !== null) {
    const b = o.body;
    if (typeof b === "string") body = b;
    else if (typeof b === "number") body = $String(b);
    else if (asBytes(b) !== null) body = asBytes(b);
    else if ($isView(b)) body = new $Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    else if (typeof b === "object" || typeof b === "boolean") {
      body = $jsonStringify(b);
      if (!hasHeader(headers, "content-type")) $push(headers, ["Content-Type", "application/json"]);
    } else throw argError(api, n, "options.body", "a string, bytes or an object", b);
  }
  let timeoutMs = null;
  if (o.timeoutMs !== undefined && o.timeoutMs !== null) {
    timeoutMs = argInteger(api, n, "options.timeoutMs", o.timeoutMs);
    if (timeoutMs <= 0) timeoutMs = null;
  }
  const spec = { method, url, headers, query, timeoutMs, follow: true };
  return [$jsonStringify(spec), body];
}

async function httpSend(spec, body) {
  return $jsonParse(await hostOp(ops.httpSend(spec, body)));
}

function httpMethod(name, method, withBody) {
  return async function (url, options) {
    const api = `http.${name}`;
    url = argString(api, 1, "url", url);
    const o = optionsObject(api, 2, "options", options);
    const [spec, body] = httpRequest(api, 2, method, url, o, withBody);
    return await httpSend(spec, body);
  };
}

define(globalThis, "http", namespace({
  get: httpMethod("get", "GET", false),
  post: httpMethod("post", "POST", true),
  put: httpMethod("put", "PUT", true),
  patch: httpMethod("patch", "PATCH", true),
  delete: httpMethod("delete", "DELETE", true),
  async request(options) {
    if (options === null || typeof options !== "object" || $isArray(options)) {
      throw argError("http.request", 1, "options", "an object", options);
    }
    const url = argString("http.request", 1, "options.url", options.url);
    let method = "GET";
    if (options.method !== undefined && options.method !== null) {
      method = argString("http.request", 1, "options.method", options.method).toUpperCase();
    }
    const [spec, body] = httpRequest("http.request", 1, method, url, options, true);
    return await httpSend(spec, body);
  },
}));
