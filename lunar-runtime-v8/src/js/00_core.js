// Lunar prelude: shared helpers. All prelude fragments are concatenated into one IIFE
// (see prelude.rs), evaluated once into the startup snapshot.
const $Object = Object;
const $Array = Array;
const $String = String;
const $Number = Number;
const $Math = Math;
const $Error = Error;
const $TypeError = TypeError;
const $RangeError = RangeError;
const $Uint8Array = Uint8Array;
const $ArrayBuffer = ArrayBuffer;
const $Promise = Promise;
const $Map = Map;
const $Symbol = Symbol;
const $Reflect = Reflect;
const $isArray = Array.isArray;
const $isView = ArrayBuffer.isView;
const $jsonStringify = JSON.stringify;
const $jsonParse = JSON.parse;
const $isFinite = Number.isFinite;
const $isNaN = Number.isNaN;
const $trunc = Math.trunc;
const $defineProperty = Object.defineProperty;
const $keys = Object.keys;
const $freeze = Object.freeze;
const $apply = Reflect.apply;
const $uncurry = (f) => (self, ...args) => $apply(f, self, args);
const $push = $uncurry(Array.prototype.push);
const $join = $uncurry(Array.prototype.join);
const $split = $uncurry(String.prototype.split);
const $trim = $uncurry(String.prototype.trim);
const $slice = $uncurry(String.prototype.slice);
const $charCodeAt = $uncurry(String.prototype.charCodeAt);
const $includes = $uncurry(Array.prototype.includes);
const $pop = $uncurry(Array.prototype.pop);
const $regexExec = $uncurry(RegExp.prototype.exec);
const $regexTest = $uncurry(RegExp.prototype.test);
const $mapGet = $uncurry(Map.prototype.get);
const $mapSet = $uncurry(Map.prototype.set);
const $mapDelete = $uncurry(Map.prototype.delete);
const $mapHas = $uncurry(Map.prototype.has);
const $promiseThen = $uncurry(Promise.prototype.then);
const $errorStackDescriptor = (e) => {
  try {
    return e.stack;
  } catch {
    return undefined;
  }
};

// The native ops, installed on the global by the snapshot builder (each context gets its
// own copy from the snapshot). They act for the execution the running code belongs to.
const ops = globalThis.__lunar_ops;
delete globalThis.__lunar_ops;

// `<actual>` of argument TypeErrors (SPEC §5.0).
function typeName(v) {
  if (v === null) return "null";
  if ($isArray(v)) return "array";
  return typeof v;
}

function argError(name, n, param, expected, v) {
  return new $TypeError(`${name}: argument ${n} (${param}) must be ${expected}, got ${typeName(v)}`);
}

// A "string" parameter: strings, and numbers converted with String(n).
function argString(name, n, param, v) {
  if (typeof v === "string") return v;
  if (typeof v === "number") return $String(v);
  throw argError(name, n, param, "a string", v);
}

// An "integer" parameter: numbers and numeric strings, truncated toward zero.
function argInteger(name, n, param, v) {
  let x = NaN;
  if (typeof v === "number") x = v;
  else if (typeof v === "string" && $regexTest(/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/, v)) x = $Number(v);
  if (!$isFinite(x)) throw argError(name, n, param, "an integer", v);
  return $trunc(x) + 0;
}

function argFunction(name, n, param, v) {
  if (typeof v !== "function") throw argError(name, n, param, "a function", v);
  return v;
}

// Bytes from a Uint8Array/ArrayBuffer, or null.
function asBytes(v) {
  if (v instanceof $Uint8Array) return v;
  if (v instanceof $ArrayBuffer) return new $Uint8Array(v);
  return null;
}

// The iterator of a WebIDL pair iterable (`Headers`, `URLSearchParams`): `list()` is read
// again at every step, so entries added or removed while iterating count as the
// standards say. It inherits from %IteratorPrototype%.
class PairIterator {
  #list;
  #kind;
  #index = 0;
  constructor(list, kind) {
    this.#list = list;
    this.#kind = kind;
  }
  next() {
    const entries = this.#list();
    if (this.#index >= entries.length) return { value: undefined, done: true };
    const [k, v] = entries[this.#index++];
    return { value: this.#kind === "keys" ? k : this.#kind === "values" ? v : [k, v], done: false };
  }
}
$Object.setPrototypeOf(PairIterator.prototype, $Object.getPrototypeOf($Object.getPrototypeOf([][$Symbol.iterator]())));

function define(target, name, value) {
  $defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}

// An object whose methods are the given functions (enumerable, like plain objects).
function namespace(methods) {
  const o = {};
  for (const k of $keys(methods)) o[k] = methods[k];
  return o;
}
