// `DOMException`, `structuredClone` (SPEC §5.7), `atob`/`btoa` (SPEC §5.3).
const DOM_CODES = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InUseAttributeError: 10, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};

// `DOMException` as WebIDL defines it: `name`, `message` and `code` are accessors on the
// prototype (not own properties), the prototype inherits from `Error.prototype`, and the
// legacy code constants sit on both the constructor and the prototype.
class DOMException {
  #message;
  #name;
  #code;
  constructor(message = undefined, options = undefined) {
    this.#message = message === undefined ? "" : $String(message);
    let name = "Error";
    if (typeof options === "object" && options !== null) {
      if (options.name !== undefined) name = $String(options.name);
      if ("cause" in options) $defineProperty(this, "cause", { value: options.cause, writable: true, configurable: true });
    } else if (options !== undefined) {
      name = $String(options);
    }
    this.#name = name;
    this.#code = DOM_CODES[name] || 0;
    $Error.captureStackTrace(this, DOMException);
  }
  get name() {
    return this.#name;
  }
  get message() {
    return this.#message;
  }
  get code() {
    return this.#code;
  }
  static is(v) {
    return typeof v === "object" && v !== null && #name in v;
  }
}
const isDOMException = DOMException.is;
delete DOMException.is;
$Object.setPrototypeOf(DOMException.prototype, $Error.prototype);
// WebIDL attributes are enumerable accessors.
for (const k of ["name", "message", "code"]) {
  $defineProperty(DOMException.prototype, k, { enumerable: true });
}
$defineProperty(DOMException.prototype, $Symbol.toStringTag, { value: "DOMException", configurable: true });
// The legacy code constants, as WebIDL lists them.
const DOM_CONSTANTS = {
  INDEX_SIZE_ERR: 1, DOMSTRING_SIZE_ERR: 2, HIERARCHY_REQUEST_ERR: 3, WRONG_DOCUMENT_ERR: 4,
  INVALID_CHARACTER_ERR: 5, NO_DATA_ALLOWED_ERR: 6, NO_MODIFICATION_ALLOWED_ERR: 7, NOT_FOUND_ERR: 8,
  NOT_SUPPORTED_ERR: 9, INUSE_ATTRIBUTE_ERR: 10, INVALID_STATE_ERR: 11, SYNTAX_ERR: 12,
  INVALID_MODIFICATION_ERR: 13, NAMESPACE_ERR: 14, INVALID_ACCESS_ERR: 15, VALIDATION_ERR: 16,
  TYPE_MISMATCH_ERR: 17, SECURITY_ERR: 18, NETWORK_ERR: 19, ABORT_ERR: 20, URL_MISMATCH_ERR: 21,
  QUOTA_EXCEEDED_ERR: 22, TIMEOUT_ERR: 23, INVALID_NODE_TYPE_ERR: 24, DATA_CLONE_ERR: 25,
};
for (const constName of $keys(DOM_CONSTANTS)) {
  const desc = { value: DOM_CONSTANTS[constName], enumerable: true, writable: false, configurable: false };
  $defineProperty(DOMException, constName, desc);
  $defineProperty(DOMException.prototype, constName, desc);
}
define(globalThis, "DOMException", DOMException);

class QuotaExceededError extends DOMException {
  #quota;
  #requested;
  constructor(message = "", options = undefined) {
    super(message, "QuotaExceededError");
    const o = options ?? {};
    this.#quota = o.quota === undefined ? null : $Number(o.quota);
    this.#requested = o.requested === undefined ? null : $Number(o.requested);
    if ((this.#quota !== null && !(this.#quota >= 0)) || (this.#requested !== null && !(this.#requested >= 0))) {
      throw new $RangeError("Failed to construct 'QuotaExceededError': quota and requested must be non-negative numbers");
    }
  }
  get quota() {
    return this.#quota;
  }
  get requested() {
    return this.#requested;
  }
}
define(globalThis, "QuotaExceededError", QuotaExceededError);

function cloneError(v) {
  let what;
  try {
    what = typeof v === "function" || typeof v === "symbol" ? $String(v) : `#<${v.constructor?.name || "Object"}>`;
  } catch {
    what = "value";
  }
  return new DOMException(`${what} could not be cloned.`, "DataCloneError");
}

const ERROR_TYPES = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

// Objects of the web API classes that are not serializable (only Blob, File and
// DOMException are, among those Lunar has).
function isPlatformObject(v) {
  for (const C of [Headers, Request, Response, FormData, URL, URLSearchParams, ReadableStream, WritableStream,
    TransformStream, EventTarget, Event, AbortController, TextEncoder, TextDecoder, CryptoKey, SubtleCrypto, Crypto, URLPattern]) {
    if (v instanceof C) return true;
  }
  return false;
}

function structuredClone(value, options = undefined) {
  const memory = new $Map();
  // Transferred buffers: the clone gets their contents, the originals are detached once
  // the whole value has been cloned.
  const transfer = [];
  if (options !== undefined && options !== null) {
    if (typeof options !== "object") throw new $TypeError("structuredClone: argument 2 (options) must be an object");
    if (options.transfer !== undefined) {
      if (options.transfer === null || typeof options.transfer[$Symbol.iterator] !== "function") {
        throw new $TypeError("structuredClone: options.transfer must be a sequence");
      }
      for (const t of options.transfer) {
        if (!(t instanceof $ArrayBuffer)) throw new DOMException("Value not transferable", "DataCloneError");
        if ($includes(transfer, t)) throw new DOMException("ArrayBuffer at index " + transfer.length + " is a duplicate of an earlier ArrayBuffer.", "DataCloneError");
        if (t.detached) throw new DOMException("An ArrayBuffer is detached and could not be cloned.", "DataCloneError");
        $push(transfer, t);
        $mapSet(memory, t, t.slice(0));
      }
    }
  }
  function clone(v) {
    if (typeof v === "function" || typeof v === "symbol") throw cloneError(v);
    if (typeof v !== "object" || v === null) return v;
    if ($mapHas(memory, v)) return $mapGet(memory, v);
    let out;
    if ($isArray(v)) {
      out = new $Array(v.length);
      $mapSet(memory, v, out);
      for (const k of $keys(v)) out[k] = clone(v[k]);
      return out;
    }
    if (v instanceof Date) out = new Date(v.getTime());
    else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
    else if (v instanceof Boolean || v instanceof Number || v instanceof String || v instanceof BigInt) out = $Object(v.valueOf());
    else if (v instanceof $ArrayBuffer) {
      if (v.detached) throw new DOMException("An ArrayBuffer is detached and could not be cloned.", "DataCloneError");
      if (v.resizable) {
        out = new $ArrayBuffer(v.byteLength, { maxByteLength: v.maxByteLength });
        new $Uint8Array(out).set(new $Uint8Array(v));
      } else out = v.slice(0);
    } else if (isDOMException(v)) {
      out = new DOMException(v.message, v.name);
    } else if (v instanceof File) out = new File([v], v.name, { type: v.type, lastModified: v.lastModified });
    else if (v instanceof Blob) out = v.slice(0, v.size, v.type);
    else if ($isView(v)) {
      const buf = clone(v.buffer);
      out = new v.constructor(buf, v.byteOffset, v instanceof DataView ? v.byteLength : v.length);
    } else if (v instanceof $Map) {
      out = new $Map();
      $mapSet(memory, v, out);
      for (const [k, x] of v) $mapSet(out, clone(k), clone(x));
      return out;
    } else if (v instanceof Set) {
      out = new Set();
      $mapSet(memory, v, out);
      for (const x of v) out.add(clone(x));
      return out;
    } else if (v instanceof $Error) {
      const Ctor = ERROR_TYPES[v.name] || $Error;
      out = $Object.hasOwn(v, "message") ? new Ctor(v.message) : new Ctor();
      $mapSet(memory, v, out);
      const stack = $errorStackDescriptor(v);
      if (stack !== undefined) out.stack = stack;
      if ("cause" in v) out.cause = clone(v.cause);
      return out;
    } else {
      if (v instanceof $Promise || v instanceof WeakMap || v instanceof WeakSet || v instanceof WeakRef || isPlatformObject(v)) {
        throw cloneError(v);
      }
      out = {};
      $mapSet(memory, v, out);
      for (const k of $keys(v)) out[k] = clone(v[k]);
      return out;
    }
    $mapSet(memory, v, out);
    return out;
  }
  if (arguments.length === 0) throw new $TypeError("structuredClone: argument 1 (value) must be a value, got undefined");
  const out = clone(value);
  for (const t of transfer) t.transfer();
  return out;
}
define(globalThis, "structuredClone", structuredClone);

define(globalThis, "btoa", function btoa(data) {
  if (arguments.length === 0) throw new $TypeError("btoa: argument 1 (data) must be a string, got undefined");
  const out = ops.btoa($String(data));
  if (out === null) throw new DOMException("Invalid character", "InvalidCharacterError");
  return out;
});

define(globalThis, "atob", function atob(data) {
  if (arguments.length === 0) throw new $TypeError("atob: argument 1 (data) must be a string, got undefined");
  const out = ops.atob($String(data));
  if (out === null) throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  return out;
});
