// `fetch`, `Headers`, `Request`, `Response` (Fetch standard): bodies are streams; a request
// is sent by `ops.fetchOpen` and its response body streams in through `ops.fetchRead`.
const FETCH_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FETCH_BAD_VALUE = /[\0\r\n]|[^\0-\xff]/;
const FORBIDDEN_METHODS = ["CONNECT", "TRACE", "TRACK"];
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;
const FETCH_TRIM = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const NULL_BODY_STATUS = [101, 103, 204, 205, 304];
const REDIRECT_STATUS = [301, 302, 303, 307, 308];

function headerName(api, name) {
  const n = $String(name);
  if (!$regexTest(FETCH_TOKEN, n)) throw new $TypeError(`${api}: "${n}" is an invalid header name.`);
  return n.toLowerCase();
}

function headerValue(api, value) {
  const v = $String(value).replace(FETCH_TRIM, "");
  if ($regexTest(FETCH_BAD_VALUE, v)) throw new $TypeError(`${api}: "${v}" is an invalid header value.`);
  return v;
}

let headersList; // (headers) => its [[lower-case name, value]] list

let headersFreeze; // (headers) => the headers become immutable (a Response.error(), a fetched response)
let headersImmutable; // (headers) => whether they are

class Headers {
  #list = [];
  #immutable = false;
  constructor(init = undefined) {
    if (init === undefined) return;
    if (init === null) throw new $TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
    if (typeof init !== "object" && typeof init !== "function") {
      throw new $TypeError("Headers constructor: init must be an object, an array of pairs or a Headers");
    }
    if (typeof init[$Symbol.iterator] === "function") {
      for (const pair of init) {
        const p = [...pair];
        if (p.length !== 2) throw new $TypeError("Headers constructor: expected name/value pair to be length 2");
        this.append(p[0], p[1]);
      }
    } else {
      // A record: each own key's descriptor, then its value, in key order.
      for (const k of $Reflect.ownKeys(init)) {
        const desc = $Reflect.getOwnPropertyDescriptor(init, k);
        if (desc === undefined || !desc.enumerable) continue;
        if (typeof k === "symbol") throw new $TypeError("Headers constructor: a record key must be a string");
        this.append(k, init[k]);
      }
    }
  }
  append(name, value) {
    if (this.#immutable) throw new $TypeError("Failed to execute 'append' on 'Headers': Headers are immutable");
    $push(this.#list, [headerName("Headers.append", name), headerValue("Headers.append", value)]);
  }
  set(name, value) {
    if (this.#immutable) throw new $TypeError("Failed to execute 'set' on 'Headers': Headers are immutable");
    const n = headerName("Headers.set", name);
    const v = headerValue("Headers.set", value);
    const out = [];
    let done = false;
    for (const e of this.#list) {
      if (e[0] !== n) $push(out, e);
      else if (!done) {
        $push(out, [n, v]);
        done = true;
      }
    }
    if (!done) $push(out, [n, v]);
    this.#list = out;
  }
  get(name) {
    const n = headerName("Headers.get", name);
    const values = [];
    for (const e of this.#list) if (e[0] === n) $push(values, e[1]);
    return values.length === 0 ? null : $join(values, ", ");
  }
  getSetCookie() {
    const values = [];
    for (const e of this.#list) if (e[0] === "set-cookie") $push(values, e[1]);
    return values;
  }
  has(name) {
    const n = headerName("Headers.has", name);
    for (const e of this.#list) if (e[0] === n) return true;
    return false;
  }
  delete(name) {
    if (this.#immutable) throw new $TypeError("Failed to execute 'delete' on 'Headers': Headers are immutable");
    const n = headerName("Headers.delete", name);
    const out = [];
    for (const e of this.#list) if (e[0] !== n) $push(out, e);
    this.#list = out;
  }
  // Sorted by name, values combined (set-cookie kept apart), as the standard iterates.
  #sortedAndCombined() {
    const names = [];
    for (const e of this.#list) if (!$includes(names, e[0])) $push(names, e[0]);
    names.sort();
    const out = [];
    for (const n of names) {
      if (n === "set-cookie") {
        for (const v of this.getSetCookie()) $push(out, [n, v]);
      } else $push(out, [n, this.get(n)]);
    }
    return out;
  }
  entries() {
    return new PairIterator(() => this.#sortedAndCombined(), "entries");
  }
  keys() {
    return new PairIterator(() => this.#sortedAndCombined(), "keys");
  }
  values() {
    return new PairIterator(() => this.#sortedAndCombined(), "values");
  }
  forEach(callback, thisArg = undefined) {
    argFunction("Headers.forEach", 1, "callback", callback);
    for (const [n, v] of this.entries()) $apply(callback, thisArg, [v, n, this]);
  }
  [$Symbol.iterator]() {
    return this.entries();
  }
  get [$Symbol.toStringTag]() {
    return "Headers";
  }
  static {
    headersList = (h) => h.#list;
    headersFreeze = (h) => {
      h.#immutable = true;
    };
    headersImmutable = (h) => h.#immutable;
  }
}
// WebIDL operations are enumerable.
for (const C of [Headers]) {
  for (const k of $Object.getOwnPropertyNames(C.prototype)) {
    if (k !== "constructor" && typeof $Object.getOwnPropertyDescriptor(C.prototype, k).value === "function") {
      $defineProperty(C.prototype, k, { enumerable: true });
    }
  }
}

// [data (string | Uint8Array | ReadableStream | null), default Content-Type or null] of a
// body init.
function extractBody(body) {
  if (body === undefined || body === null) return [null, null];
  if (isReadableStream(body)) {
    if (isStreamDisturbedOrLocked(body)) throw new $TypeError("Failed to construct: the body stream is locked or has been read");
    return [body, null];
  }
  if (typeof body === "string") return [body, "text/plain;charset=UTF-8"];
  if (body instanceof $ArrayBuffer) return [new $Uint8Array(body.slice(0)), null];
  if ($isView(body)) {
    const copy = new $Uint8Array(body.byteLength);
    copy.set(new $Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    return [copy, null];
  }
  if (body instanceof URLSearchParams) return [body.toString(), "application/x-www-form-urlencoded;charset=UTF-8"];
  if (body instanceof Blob) return [body[kBlobBytes].slice(0), body.type === "" ? null : body.type];
  if (body instanceof FormData) {
    const [bytes, boundary] = encodeMultipart(body);
    return [bytes, `multipart/form-data; boundary=${boundary}`];
  }
  return [$String(body), "text/plain;charset=UTF-8"];
}

let bodyData; // (body) => its bytes or text (null: none, or a stream), without consuming it
let bodyStream; // (body) => the stream of a body given as one and not yet read, or null
let bodyClone; // (body) => data for a copy: the data, or one branch of the stream's tee
let bodyTake; // (body) => the body's data or stream, marking it used (a Request made from a Request)
let bodyReplace; // (body, data) => sets the data (or stream) of a new body

// Leaves `stream` as a body read to its end leaves it: disturbed and locked.
function consumedStream(stream) {
  $promiseThen(stream.getReader().cancel(), undefined, () => {});
}

function streamDisturbed(stream) {
  return readableOf(stream)?.disturbed === true;
}

class Body {
  // The body's bytes or text when known, else null.
  #data;
  // The stream behind `body`: the one given, or one made from #data when first asked for.
  #stream = null;
  #used = false;
  constructor(data) {
    if (data !== null && typeof data === "object" && isReadableStream(data)) {
      this.#data = null;
      this.#stream = data;
    } else {
      this.#data = data;
    }
  }
  get body() {
    if (this.#stream === null && this.#data !== null) {
      const d = this.#data;
      this.#stream = streamFromBytes(typeof d === "string" ? ops.utf8Encode(d) : d.slice(0));
      if (this.#used) consumedStream(this.#stream);
    }
    return this.#stream;
  }
  get bodyUsed() {
    return this.#used || (this.#stream !== null && streamDisturbed(this.#stream));
  }
  // The body's data, or a promise of its stream's bytes; marks it used.
  #take() {
    if (this.#used || (this.#stream !== null && isStreamDisturbedOrLocked(this.#stream))) {
      throw new $TypeError("Body is unusable: Body has already been read");
    }
    if (this.#data !== null) {
      this.#used = true;
      // A stream made for `body` and never read goes with it.
      if (this.#stream !== null) consumedStream(this.#stream);
      return this.#data;
    }
    if (this.#stream !== null) {
      this.#used = true;
      return readAllBytes(this.#stream);
    }
    return null;
  }
  async text() {
    const d = await this.#take();
    if (d === null) return "";
    if (typeof d === "string") return d;
    return ops.textDecode("utf-8", d, false, false);
  }
  async json() {
    return $jsonParse(await this.text());
  }
  async arrayBuffer() {
    const d = await this.#take();
    if (d === null) return new $ArrayBuffer(0);
    if (typeof d === "string") return ops.utf8Encode(d).buffer;
    return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength);
  }
  async bytes() {
    return new $Uint8Array(await this.arrayBuffer());
  }
  async blob() {
    const type = this.headers.get("content-type") ?? "";
    return blobFromBytes(new $Uint8Array(await this.arrayBuffer()), blobType(type));
  }
  async formData() {
    const type = this.headers.get("content-type") ?? "";
    const essence = type.split(";")[0].trim().toLowerCase();
    if (essence === "multipart/form-data") {
      const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
      const form = m ? decodeMultipart(new $Uint8Array(await this.arrayBuffer()), m[1] ?? m[2]) : null;
      if (form === null) throw new $TypeError("Failed to fetch: the body is not valid multipart/form-data.");
      return form;
    }
    if (essence === "application/x-www-form-urlencoded") {
      const form = new FormData();
      for (const [k, v] of new URLSearchParams(await this.text())) form.append(k, v);
      return form;
    }
    throw new $TypeError(`Could not parse content as FormData: the content type is ${$jsonStringify(type)}.`);
  }
  static {
    bodyData = (b) => b.#data;
    bodyStream = (b) => (b.#data === null && b.#stream !== null && !b.#used ? b.#stream : null);
    bodyClone = (b) => {
      if (b.#data !== null || b.#stream === null) return b.#data;
      const [mine, theirs] = b.#stream.tee();
      b.#stream = mine;
      return theirs;
    };
    bodyTake = (b) => {
      if (b.#data !== null || b.#stream === null) return b.#data;
      b.#used = true;
      return b.#stream;
    };
    bodyReplace = (b, data) => {
      if (data !== null && typeof data === "object" && isReadableStream(data)) {
        b.#data = null;
        b.#stream = data;
      } else {
        b.#data = data;
        b.#stream = null;
      }
    };
  }
}

const NORMALIZED_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
const REDIRECT_MODES = ["follow", "manual", "error"];

function initObject(api, init) {
  if (init === undefined || init === null) return {};
  if (typeof init !== "object") throw new $TypeError(`${api}: init must be an object`);
  return init;
}

class Request extends Body {
  #method;
  #url;
  #headers;
  #redirect;
  #signal;
  constructor(input, init = undefined) {
    const o = initObject("Failed to construct 'Request'", init);
    let url;
    let method = "GET";
    let headers;
    let data = null;
    let redirect = "follow";
    let signal = null;
    if (input instanceof Request) {
      signal = input.signal;
      if (input.bodyUsed) throw new $TypeError("Failed to construct 'Request': Cannot construct a Request with a Request object that has already been used.");
      url = input.url;
      method = input.method;
      headers = new Headers(input.headers);
      if (input.body !== null && isStreamDisturbedOrLocked(input.body)) {
        throw new $TypeError("Failed to construct 'Request': Cannot construct a Request with a Request whose body is locked or read.");
      }
      data = bodyTake(input);
      redirect = input.redirect;
    } else {
      const given = $String(input);
      let parsed;
      try {
        parsed = new URL(given);
      } catch {
        throw new $TypeError(`Failed to construct 'Request': Invalid URL '${given}'`);
      }
      if (parsed.username !== "" || parsed.password !== "") {
        throw new $TypeError(`Failed to construct 'Request': Request cannot be constructed from a URL that includes credentials: ${given}`);
      }
      url = parsed.href;
      headers = new Headers();
    }
    if (o.method !== undefined) {
      method = $String(o.method);
      if (!$regexTest(FETCH_TOKEN, method)) {
        throw new $TypeError(`Failed to construct 'Request': '${method}' is not a valid HTTP method.`);
      }
      const upper = method.toUpperCase();
      if ($includes(FORBIDDEN_METHODS, upper)) {
        throw new $TypeError(`Failed to construct 'Request': '${method}' HTTP method is unsupported.`);
      }
      if ($includes(NORMALIZED_METHODS, upper)) method = upper;
    }
    if (o.headers !== undefined) headers = new Headers(o.headers);
    if (o.body !== undefined && o.body !== null) {
      if (method === "GET" || method === "HEAD") {
        throw new $TypeError("Failed to construct 'Request': Request with GET/HEAD method cannot have body.");
      }
      const [d, type] = extractBody(o.body);
      data = d;
      if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
    }
    if (o.duplex !== undefined && $String(o.duplex) !== "half") {
      throw new $TypeError(`Failed to construct 'Request': The provided value '${$String(o.duplex)}' is not a valid enum value of type RequestDuplex.`);
    }
    if (o.redirect !== undefined) {
      redirect = $String(o.redirect);
      if (!$includes(REDIRECT_MODES, redirect)) {
        throw new $TypeError(`Failed to construct 'Request': The provided value '${redirect}' is not a valid enum value of type RequestRedirect.`);
      }
    }
    if (o.signal !== undefined) {
      if (o.signal !== null && !(o.signal instanceof AbortSignal)) {
        throw new $TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
      }
      signal = o.signal;
    }
    super(data);
    this.#method = method;
    this.#url = url;
    this.#headers = headers;
    this.#redirect = redirect;
    // The request's own signal follows the one it was given.
    this.#signal = signal === null ? neverAbortedSignal() : AbortSignal.any([signal]);
  }
  get signal() {
    return this.#signal;
  }
  get method() {
    return this.#method;
  }
  get url() {
    return this.#url;
  }
  get headers() {
    return this.#headers;
  }
  get redirect() {
    return this.#redirect;
  }
  get duplex() {
    return "half";
  }
  clone() {
    if (this.bodyUsed) throw new $TypeError("Failed to execute 'clone' on 'Request': Request body is already used");
    const copy = new Request(this.url, { method: this.method, headers: this.headers, redirect: this.redirect, signal: this.signal });
    bodyReplace(copy, bodyClone(this));
    return copy;
  }
  get [$Symbol.toStringTag]() {
    return "Request";
  }
}

let responseFromNetwork; // (meta, body) => a Response with meta's status, headers, URL and type, and `body`

class Response extends Body {
  #status = 200;
  #statusText = "";
  #headers;
  #url = "";
  #redirected = false;
  #type = "default";
  constructor(body = null, init = undefined) {
    const o = initObject("Failed to construct 'Response'", init);
    const status = o.status === undefined ? 200 : $Number(o.status);
    if (!$Number.isInteger(status) || status < 200 || status > 599) {
      throw new $RangeError(`Failed to construct 'Response': The status provided (${$String(o.status)}) is outside the range [200, 599].`);
    }
    const statusText = o.statusText === undefined ? "" : $String(o.statusText);
    if (!$regexTest(REASON_PHRASE, statusText)) {
      throw new $TypeError("Failed to construct 'Response': Invalid statusText");
    }
    const headers = new Headers(o.headers);
    const [data, type] = extractBody(body);
    if (data !== null && $includes(NULL_BODY_STATUS, status)) {
      throw new $TypeError("Failed to construct 'Response': Response with null body status cannot have body");
    }
    if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
    super(data);
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = headers;
  }
  static json(data, init = undefined) {
    const text = $jsonStringify(data);
    if (text === undefined) throw new $TypeError("Failed to execute 'json' on 'Response': The data is not JSON serializable");
    const r = new Response(text, init);
    r.#headers.set("content-type", "application/json");
    if (init !== undefined && init !== null && init.headers !== undefined) {
      const given = new Headers(init.headers);
      if (given.has("content-type")) r.#headers.set("content-type", given.get("content-type"));
    }
    return r;
  }
  static redirect(url, status = 302) {
    if (!$includes(REDIRECT_STATUS, status)) throw new $RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code`);
    const r = new Response(null, { status });
    r.#headers.set("location", new URL($String(url)).href);
    headersFreeze(r.#headers);
    return r;
  }
  static error() {
    const r = new Response(null, { status: 200 });
    r.#status = 0;
    r.#type = "error";
    headersFreeze(r.#headers);
    return r;
  }
  get status() {
    return this.#status;
  }
  get ok() {
    return this.#status >= 200 && this.#status <= 299;
  }
  get statusText() {
    return this.#statusText;
  }
  get headers() {
    return this.#headers;
  }
  get url() {
    return this.#url;
  }
  get redirected() {
    return this.#redirected;
  }
  get type() {
    return this.#type;
  }
  clone() {
    if (this.bodyUsed) throw new $TypeError("Failed to execute 'clone' on 'Response': Response body is already used");
    return responseCopy(this);
  }
  get [$Symbol.toStringTag]() {
    return "Response";
  }
  static {
    responseFromNetwork = (m, body) => {
      const r = new Response(null);
      bodyReplace(r, body);
      r.#status = m.status;
      r.#statusText = m.statusText;
      r.#headers = new Headers();
      // As the host received them: values decoded from bytes are not checked again.
      const list = headersList(r.#headers);
      for (const [n, v] of m.headers) $push(list, [n.toLowerCase(), v]);
      r.#url = m.url;
      r.#redirected = m.redirected;
      r.#type = m.type ?? "basic";
      return r;
    };
  }
}

// A copy of a response's status, headers and body.
function responseCopy(from) {
  const data = bodyClone(from);
  const meta = {
    status: from.status,
    statusText: from.statusText,
    headers: headersList(from.headers),
    url: from.url,
    redirected: from.redirected,
    type: from.type,
  };
  const r = responseFromNetwork(meta, data !== null && $isView(data) ? data.slice(0) : data);
  if (headersImmutable(from.headers)) headersFreeze(r.headers);
  return r;
}

async function fetch(input, init = undefined) {
  const req = new Request(input, init);
  const headers = [];
  for (const [n, v] of headersList(req.headers)) $push(headers, [n, v]);
  const spec = {
    method: req.method,
    url: req.url,
    headers,
    query: null,
    timeoutMs: null,
    follow: req.redirect === "follow",
  };
  const signal = req.signal;
  signal.throwIfAborted();
  // A stream body is sent as it is read (see `sendBody`), other bodies as they are.
  const stream = bodyStream(req);
  if (stream !== null && isStreamDisturbedOrLocked(stream)) {
    throw new $TypeError("Failed to fetch: the request body stream is locked or has been read");
  }
  const upload = stream !== null ? ops.fetchUpload() : 0;
  const payload = stream !== null ? undefined : bodyData(req);
  const opened = $promiseThen(ops.fetchOpen($jsonStringify(spec), payload ?? undefined, upload), undefined, (message) => {
    throw new $TypeError($String(message));
  });
  if (stream !== null) {
    bodyTake(req);
    $promiseThen(sendBody(stream, upload, signal), undefined, () => {});
  }
  // An abort rejects at once with the signal's reason; the request itself runs on until
  // it completes or the execution ends, its answer dropped.
  const [head, id] = await new $Promise((resolve, reject) => {
    signalFollow(signal, () => reject(signal.reason));
    $promiseThen(opened, resolve, reject);
  });
  const meta = $jsonParse(head);
  if (req.redirect === "error" && $includes(REDIRECT_STATUS, meta.status)) {
    ops.fetchClose(id);
    throw new $TypeError("fetch failed: unexpected redirect");
  }
  const bodyless = req.method === "HEAD" || $includes(NULL_BODY_STATUS, meta.status);
  if (bodyless) ops.fetchClose(id);
  const response = responseFromNetwork(meta, bodyless ? null : networkBody(id, signal));
  headersFreeze(response.headers);
  return response;
}

// Writes a request's body stream to upload `id` while the host sends the request, a chunk
// at a time (each write waits for room in the host's queue). A stream that errors, gives
// something other than a Uint8Array, or is aborted by the signal fails the request.
async function sendBody(stream, id, signal) {
  const reader = stream.getReader();
  let failure;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      signal.throwIfAborted();
      if (done) break;
      if (!(value instanceof $Uint8Array)) {
        throw new $TypeError("a request body stream must give Uint8Array chunks");
      }
      if (value.byteLength > 0) await ops.fetchWrite(id, value);
    }
  } catch (e) {
    failure = e;
  }
  if (failure === undefined) return ops.fetchWriteEnd(id);
  $promiseThen(reader.cancel(failure), undefined, () => {});
  const message = failure !== null && typeof failure === "object" && "message" in failure ? failure.message : failure;
  return ops.fetchWriteEnd(id, `the request body stream failed: ${$String(message)}`);
}

// The body of a fetched response: chunks read from the host as the stream is pulled. An
// abort of the request's signal errors it; cancelling it closes the connection.
function networkBody(id, signal) {
  let done = false;
  const close = () => {
    if (!done) {
      done = true;
      ops.fetchClose(id);
    }
  };
  let controller;
  const stream = new ReadableStream({
    start(c) {
      controller = c;
    },
    async pull(c) {
      let chunk;
      try {
        chunk = await ops.fetchRead(id);
      } catch (message) {
        close();
        throw new $TypeError($String(message));
      }
      if (done) return;
      if (chunk === null) {
        close();
        c.close();
      } else {
        c.enqueue(chunk);
      }
    },
    cancel() {
      close();
    },
  });
  signalFollow(signal, () => {
    if (!done) {
      close();
      controller.error(signal.reason);
    }
  });
  return stream;
}

// A handler's result with a `Response` (or `Headers` as headers) turned into the plain
// response object `normalize` expects (SPEC §4.4).
function plainResponse(r) {
  if (r instanceof Response) {
    const data = bodyData(r);
    return { statusCode: r.status, headers: headersObject(r.headers), body: data === null ? "" : data };
  }
  if (r !== null && typeof r === "object" && r.headers instanceof Headers) {
    const copy = {};
    for (const k of $keys(r)) copy[k] = r[k];
    copy.headers = headersObject(r.headers);
    return copy;
  }
  return r;
}

function headersObject(h) {
  const out = {};
  for (const [n, v] of headersList(h)) {
    if (!(n in out)) out[n] = v;
    else if ($isArray(out[n])) $push(out[n], v);
    else out[n] = [out[n], v];
  }
  return out;
}

define(globalThis, "Headers", Headers);
define(globalThis, "Request", Request);
define(globalThis, "Response", Response);
define(globalThis, "fetch", fetch);
