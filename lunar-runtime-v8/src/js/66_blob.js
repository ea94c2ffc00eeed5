// `Blob`, `File` (File API) and `FormData` (XHR standard). A blob's bytes are one
// `Uint8Array`, so they count against the memory limit like every `ArrayBuffer`.
const kBlobBytes = $Symbol("blob bytes");

// The type of a blob: lower-cased when every character is printable ASCII, else "".
function blobType(t) {
  const s = $String(t);
  for (let i = 0; i < s.length; i++) {
    const c = $charCodeAt(s, i);
    if (c < 0x20 || c > 0x7e) return "";
  }
  return s.toLowerCase();
}

function concatBytes(chunks, total) {
  const out = new $Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// The bytes of a part of `new Blob(parts)`: a buffer source, a blob, or a string (UTF-8;
// with `endings: "native"` line breaks become "\n").
function blobPartBytes(part, native) {
  if (part instanceof $ArrayBuffer) return new $Uint8Array(part.slice(0));
  if ($isView(part)) return new $Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
  if (part instanceof Blob) return part[kBlobBytes];
  let s = $String(part);
  if (native) s = s.replace(/\r\n|\r/g, "\n");
  return ops.utf8Encode(s);
}

let blobFromBytes; // (bytes, type) => Blob without copying

class Blob {
  #bytes;
  #type;
  constructor(blobParts = undefined, options = undefined) {
    if (options !== undefined && options !== null && typeof options !== "object" && typeof options !== "function") {
      throw new $TypeError("Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.");
    }
    const o = options ?? {};
    const endings = o.endings === undefined ? "transparent" : $String(o.endings);
    if (endings !== "transparent" && endings !== "native") {
      throw new $TypeError(`Failed to construct 'Blob': The provided value '${endings}' is not a valid enum value of type EndingType.`);
    }
    const chunks = [];
    let total = 0;
    if (blobParts !== undefined) {
      if (blobParts === null || typeof blobParts !== "object" || typeof blobParts[$Symbol.iterator] !== "function") {
        throw new $TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.");
      }
      for (const part of blobParts) {
        const b = blobPartBytes(part, endings === "native");
        $push(chunks, b);
        total += b.length;
      }
    }
    this.#bytes = concatBytes(chunks, total);
    this.#type = o.type === undefined ? "" : blobType(o.type);
  }
  get size() {
    return this.#bytes.length;
  }
  get type() {
    return this.#type;
  }
  get [kBlobBytes]() {
    return this.#bytes;
  }
  slice(start = undefined, end = undefined, contentType = undefined) {
    const size = this.#bytes.length;
    // WebIDL [Clamp] long long: rounded half to even.
    const rel = (v, dflt) => {
      if (v === undefined) return dflt;
      const x = $Number(v);
      let n = 0;
      if (!$isNaN(x)) {
        const f = $Math.floor(x);
        const diff = x - f;
        n = diff < 0.5 ? f : diff > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
      }
      return n < 0 ? $Math.max(size + n, 0) : $Math.min(n, size);
    };
    const from = rel(start, 0);
    const to = rel(end, size);
    const bytes = this.#bytes.slice(from, $Math.max(from, to));
    return blobFromBytes(bytes, contentType === undefined ? "" : blobType(contentType));
  }
  async text() {
    return ops.textDecode("utf-8", this.#bytes, false, false);
  }
  stream() {
    return streamFromBytes(this.#bytes.slice(0));
  }
  textStream() {
    return this.stream().pipeThrough(new TextDecoderStream());
  }
  async arrayBuffer() {
    return this.#bytes.slice(0).buffer;
  }
  async bytes() {
    return this.#bytes.slice(0);
  }
  get [$Symbol.toStringTag]() {
    return "Blob";
  }
  static {
    blobFromBytes = (bytes, type) => {
      const b = new Blob();
      b.#bytes = bytes;
      b.#type = type;
      return b;
    };
  }
}

class File extends Blob {
  #name;
  #lastModified;
  constructor(fileBits, fileName, options = undefined) {
    if (arguments.length < 2) {
      throw new $TypeError(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
    }
    super(fileBits, options);
    this.#name = $String(fileName);
    const lm = options?.lastModified;
    this.#lastModified = lm === undefined ? Date.now() : $trunc($Number(lm)) || 0;
  }
  get name() {
    return this.#name;
  }
  get lastModified() {
    return this.#lastModified;
  }
  get webkitRelativePath() {
    return "";
  }
  get [$Symbol.toStringTag]() {
    return "File";
  }
}

// A form entry's value: a string, or a File (a Blob becomes one named "blob").
function formValue(api, value, filename, given) {
  if (value instanceof Blob) {
    if (value instanceof File && !given) return value;
    const name = given ? $String(filename) : value instanceof File ? value.name : "blob";
    return new File([value], name, { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined });
  }
  if (given) throw new $TypeError(`Failed to execute '${api}' on 'FormData': parameter 2 is not of type 'Blob'.`);
  return $String(value);
}

let formEntries; // (formData) => its [[name, value]] list

class FormData {
  #entries = [];
  constructor(form = undefined) {
    if (form !== undefined) throw new $TypeError("Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.");
  }
  append(name, value, filename = undefined) {
    if (arguments.length < 2) throw new $TypeError(`Failed to execute 'append' on 'FormData': 2 arguments required, but only ${arguments.length} present.`);
    $push(this.#entries, [$String(name), formValue("append", value, filename, arguments.length > 2)]);
  }
  set(name, value, filename = undefined) {
    if (arguments.length < 2) throw new $TypeError(`Failed to execute 'set' on 'FormData': 2 arguments required, but only ${arguments.length} present.`);
    const n = $String(name);
    const v = formValue("set", value, filename, arguments.length > 2);
    const i = this.#entries.findIndex((e) => e[0] === n);
    if (i < 0) {
      $push(this.#entries, [n, v]);
      return;
    }
    this.#entries[i] = [n, v];
    this.#entries = this.#entries.filter((e, j) => j <= i || e[0] !== n);
  }
  delete(name) {
    const n = $String(name);
    this.#entries = this.#entries.filter((e) => e[0] !== n);
  }
  get(name) {
    const n = $String(name);
    const e = this.#entries.find((x) => x[0] === n);
    return e === undefined ? null : e[1];
  }
  getAll(name) {
    const n = $String(name);
    return this.#entries.filter((e) => e[0] === n).map((e) => e[1]);
  }
  has(name) {
    const n = $String(name);
    return this.#entries.some((e) => e[0] === n);
  }
  *entries() {
    for (let i = 0; i < this.#entries.length; i++) yield [this.#entries[i][0], this.#entries[i][1]];
  }
  *keys() {
    for (const [n] of this.entries()) yield n;
  }
  *values() {
    for (const [, v] of this.entries()) yield v;
  }
  forEach(callback, thisArg = undefined) {
    argFunction("FormData.forEach", 1, "callback", callback);
    for (const [n, v] of this.entries()) $apply(callback, thisArg, [v, n, this]);
  }
  [$Symbol.iterator]() {
    return this.entries();
  }
  get [$Symbol.toStringTag]() {
    return "FormData";
  }
  static {
    formEntries = (f) => f.#entries;
  }
}

// `multipart/form-data` of a form: [bytes, boundary].
function encodeMultipart(form) {
  const boundary = `----LunarFormBoundary${ops.randomHex(16)}`;
  const chunks = [];
  let total = 0;
  const add = (b) => {
    $push(chunks, b);
    total += b.length;
  };
  const escape = (s) => s.replace(/\r\n|\r|\n/g, "\r\n").replace(/"/g, "%22");
  const escapeName = (s) => s.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");
  for (const [name, value] of formEntries(form)) {
    if (typeof value === "string") {
      add(ops.utf8Encode(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"\r\n\r\n${escape(value)}\r\n`));
    } else {
      const type = value.type || "application/octet-stream";
      add(ops.utf8Encode(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"; filename="${escapeName(value.name)}"\r\nContent-Type: ${type}\r\n\r\n`));
      add(value[kBlobBytes]);
      add(ops.utf8Encode("\r\n"));
    }
  }
  add(ops.utf8Encode(`--${boundary}--\r\n`));
  return [concatBytes(chunks, total), boundary];
}

function indexOfBytes(hay, needle, from) {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

// Parses a `multipart/form-data` body; `null` when it is not one.
function decodeMultipart(bytes, boundary) {
  const form = new FormData();
  const delim = ops.utf8Encode(`--${boundary}`);
  let at = indexOfBytes(bytes, delim, 0);
  if (at < 0) return null;
  for (;;) {
    at += delim.length;
    if (bytes[at] === 0x2d && bytes[at + 1] === 0x2d) return form; // closing delimiter
    if (bytes[at] !== 0x0d || bytes[at + 1] !== 0x0a) return null;
    at += 2;
    const headEnd = indexOfBytes(bytes, ops.utf8Encode("\r\n\r\n"), at);
    if (headEnd < 0) return null;
    const head = ops.textDecode("utf-8", bytes.subarray(at, headEnd), false, false);
    const next = indexOfBytes(bytes, delim, headEnd + 4);
    if (next < 0) return null;
    const content = bytes.slice(headEnd + 4, next - 2); // the CRLF before the delimiter
    let name = null;
    let filename = null;
    let type = "";
    for (const line of head.split("\r\n")) {
      const [k, ...rest] = line.split(":");
      const v = rest.join(":").trim();
      const key = k.trim().toLowerCase();
      if (key === "content-disposition") {
        const n = /(?:^|;)\s*name="([^"]*)"/i.exec(v);
        const f = /(?:^|;)\s*filename="([^"]*)"/i.exec(v);
        if (n) name = n[1];
        if (f) filename = f[1];
      } else if (key === "content-type") type = v;
    }
    if (name === null) return null;
    if (filename === null) form.append(name, ops.textDecode("utf-8", content, false, false));
    else form.append(name, new File([content], filename, { type }));
    at = next;
  }
}

for (const [name, value] of [
  ["Blob", Blob],
  ["File", File],
  ["FormData", FormData],
]) {
  define(globalThis, name, value);
}
