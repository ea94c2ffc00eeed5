// `crypto` and `random` (SPEC §5.4).
function cryptoData(name, n, param, v) {
  if (typeof v === "string") return v;
  if (typeof v === "number") return $String(v);
  const b = asBytes(v);
  if (b !== null) return b;
  throw argError(name, n, param, "a string or bytes", v);
}

function digestFn(alg) {
  const name = `crypto.${alg}`;
  return function (data) {
    return ops.digest(alg, cryptoData(name, 1, "data", data));
  };
}

function hmacFn(alg, name) {
  return function (message, key) {
    return ops.hmac(alg, cryptoData(name, 1, "message", message), cryptoData(name, 2, "key", key));
  };
}

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

const cryptoNs = namespace({
  md5: digestFn("md5"),
  sha1: digestFn("sha1"),
  sha256: digestFn("sha256"),
  sha512: digestFn("sha512"),
  hmacSha1: hmacFn("sha1", "crypto.hmacSha1"),
  hmacSha256: hmacFn("sha256", "crypto.hmacSha256"),
  hmacSha512: hmacFn("sha512", "crypto.hmacSha512"),
  uuid() {
    return ops.uuid();
  },
  randomUUID() {
    return ops.uuid();
  },
  getRandomValues(array) {
    let ok = false;
    for (const T of INTEGER_ARRAYS) if (array instanceof T) ok = true;
    if (!ok) {
      throw new DOMException("The data provided for getRandomValues is not an integer typed array", "TypeMismatchError");
    }
    if (array.byteLength > 65536) {
      throw new QuotaExceededError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`);
    }
    new $Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(ops.randomBytes(array.byteLength));
    return array;
  },
});
cryptoNs.hmac_sha1 = cryptoNs.hmacSha1;
cryptoNs.hmac_sha256 = cryptoNs.hmacSha256;
cryptoNs.hmac_sha512 = cryptoNs.hmacSha512;
define(globalThis, "crypto", cryptoNs);

function lengthArg(name, n) {
  n = argInteger(name, 1, "n", n);
  if (n <= 0) throw new $RangeError(`length must be positive, got ${n}`);
  return n;
}

define(globalThis, "random", namespace({
  int(min, max) {
    min = argInteger("random.int", 1, "min", min);
    max = argInteger("random.int", 2, "max", max);
    if (min > max) throw new $RangeError(`min (${min}) must be less than or equal to max (${max})`);
    if (min < Number.MIN_SAFE_INTEGER || max > Number.MAX_SAFE_INTEGER) {
      throw new $RangeError("random.int: bounds must be safe integers");
    }
    return ops.randomInt(min, max);
  },
  float() {
    return ops.randomFloat();
  },
  string(n) {
    return ops.randomString(lengthArg("random.string", n));
  },
  bytes(n) {
    return ops.randomB64(lengthArg("random.bytes", n));
  },
  hex(n) {
    return ops.randomHex(lengthArg("random.hex", n));
  },
  id() {
    return ops.randomId();
  },
}));
