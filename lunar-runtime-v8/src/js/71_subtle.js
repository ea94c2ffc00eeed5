// `crypto.subtle`, `SubtleCrypto`, `CryptoKey` and `Crypto` (Web Cryptography API).
// This file normalises algorithms, checks keys and usages and makes promises; the
// cryptography is native (`ops.subtle`, see webcrypto.rs). A key's material is bytes in
// a private field: the raw secret, PKCS #8 / SPKI DER, or an Ed25519 seed / point.

const kCryptoKeyToken = $Symbol("CryptoKey");

class CryptoKey {
  #type;
  #extractable;
  #algorithm;
  #usages;
  #material;
  constructor(token, type, extractable, algorithm, usages, material) {
    if (token !== kCryptoKeyToken) throw new $TypeError("Illegal constructor");
    this.#type = type;
    this.#extractable = extractable;
    this.#algorithm = algorithm;
    this.#usages = usages;
    this.#material = material;
  }
  get type() {
    return this.#type;
  }
  get extractable() {
    return this.#extractable;
  }
  get algorithm() {
    return this.#algorithm;
  }
  get usages() {
    return this.#usages;
  }
  static material(key) {
    return key.#material;
  }
  static is(v) {
    return typeof v === "object" && v !== null && #material in v;
  }
}
const keyMaterial = CryptoKey.material;
const isCryptoKey = CryptoKey.is;
delete CryptoKey.material;
delete CryptoKey.is;
$defineProperty(CryptoKey.prototype, $Symbol.toStringTag, { value: "CryptoKey", configurable: true });
define(globalThis, "CryptoKey", CryptoKey);

// Algorithm names by operation ("get key length" is deriveKey's derived key type).
const HASHES = ["SHA-1", "SHA-256", "SHA-384", "SHA-512"];
const RSA = ["RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP"];
const AES = ["AES-CTR", "AES-CBC", "AES-GCM", "AES-KW"];
const AES_CIPHERS = ["AES-CTR", "AES-CBC", "AES-GCM"];
const ALGORITHMS = {
  digest: HASHES,
  sign: ["RSASSA-PKCS1-v1_5", "RSA-PSS", "ECDSA", "Ed25519", "HMAC"],
  encrypt: ["RSA-OAEP", ...AES_CIPHERS],
  wrapKey: ["RSA-OAEP", ...AES],
  generateKey: [...RSA, "ECDSA", "ECDH", "Ed25519", "X25519", "X448", ...AES, "HMAC"],
  importKey: [...RSA, "ECDSA", "ECDH", "Ed25519", "X25519", "X448", ...AES, "HMAC", "HKDF", "PBKDF2"],
  deriveBits: ["ECDH", "X25519", "X448", "HKDF", "PBKDF2"],
  keyLength: [...AES, "HMAC", "HKDF", "PBKDF2"],
};
ALGORITHMS.verify = ALGORITHMS.sign;
ALGORITHMS.decrypt = ALGORITHMS.encrypt;
ALGORITHMS.unwrapKey = ALGORITHMS.wrapKey;

// Usages a key of each algorithm may have: [secret or private, public].
const SIGN_USAGES = [["sign"], ["verify"]];
const USAGES = {
  "RSASSA-PKCS1-v1_5": SIGN_USAGES,
  "RSA-PSS": SIGN_USAGES,
  ECDSA: SIGN_USAGES,
  Ed25519: SIGN_USAGES,
  "RSA-OAEP": [["decrypt", "unwrapKey"], ["encrypt", "wrapKey"]],
  ECDH: [["deriveKey", "deriveBits"], []],
  X25519: [["deriveKey", "deriveBits"], []],
  X448: [["deriveKey", "deriveBits"], []],
  "AES-KW": [["wrapKey", "unwrapKey"]],
  "AES-CTR": [["encrypt", "decrypt", "wrapKey", "unwrapKey"]],
  "AES-CBC": [["encrypt", "decrypt", "wrapKey", "unwrapKey"]],
  "AES-GCM": [["encrypt", "decrypt", "wrapKey", "unwrapKey"]],
  HMAC: [["sign", "verify"]],
  HKDF: [["deriveKey", "deriveBits"]],
  PBKDF2: [["deriveKey", "deriveBits"]],
};
const ALL_USAGES = ["encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"];

function subtleError(method, message) {
  return new $TypeError(`Failed to execute '${method}' on 'SubtleCrypto': ${message}`);
}

// A copy of a BufferSource's bytes.
function bufferSourceCopy(method, what, v) {
  // A detached buffer has no bytes.
  if (v instanceof $ArrayBuffer) return v.detached ? new $Uint8Array(0) : new $Uint8Array(v.slice(0));
  if ($isView(v)) return v.buffer.detached ? new $Uint8Array(0) : new $Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  throw subtleError(method, `${what} is not of type '(ArrayBuffer or ArrayBufferView)'.`);
}

// The WebIDL conversion of a member of an algorithm dictionary.
function member(method, alg, name, kind, required) {
  const v = alg[name];
  if (v === undefined) {
    if (required) throw subtleError(method, `Failed to read the '${name}' property from '${alg.name}': required member is undefined.`);
    return undefined;
  }
  if (kind === "bytes") return bufferSourceCopy(method, name, v);
  if (kind === "hash") return normalizeAlgorithm(method, "digest", v);
  if (kind === "key") {
    if (!isCryptoKey(v)) throw subtleError(method, `Failed to read the '${name}' property: it is not of type 'CryptoKey'.`);
    return v;
  }
  if (kind === "string") return $String(v);
  // Unsigned integers ([EnforceRange] octet/unsigned short/unsigned long).
  const n = $Number(v);
  if (!$isFinite(n) || n < 0) throw subtleError(method, `'${name}' is outside the accepted range.`);
  return $trunc(n);
}

// Members of each algorithm's parameter dictionary by operation: [name, kind, required].
const PARAMS = {
  "RSA-PSS/sign": [["saltLength", "int", true]],
  "ECDSA/sign": [["hash", "hash", true]],
  "RSA-OAEP/encrypt": [["label", "bytes", false]],
  "AES-CTR/encrypt": [["counter", "bytes", true], ["length", "int", true]],
  "AES-CBC/encrypt": [["iv", "bytes", true]],
  "AES-GCM/encrypt": [["iv", "bytes", true], ["additionalData", "bytes", false], ["tagLength", "int", false]],
  "RSA/generateKey": [["modulusLength", "int", true], ["publicExponent", "bytes", true], ["hash", "hash", true]],
  "EC/generateKey": [["namedCurve", "string", true]],
  "AES/generateKey": [["length", "int", true]],
  "HMAC/generateKey": [["hash", "hash", true], ["length", "int", false]],
  "RSA/importKey": [["hash", "hash", true]],
  "EC/importKey": [["namedCurve", "string", true]],
  "HMAC/importKey": [["hash", "hash", true], ["length", "int", false]],
  "ECDH/deriveBits": [["public", "key", true]],
  "X25519/deriveBits": [["public", "key", true]],
  "X448/deriveBits": [["public", "key", true]],
  "HKDF/deriveBits": [["hash", "hash", true], ["salt", "bytes", true], ["info", "bytes", true]],
  "PBKDF2/deriveBits": [["hash", "hash", true], ["salt", "bytes", true], ["iterations", "int", true]],
  "AES/keyLength": [["length", "int", true]],
  "HMAC/keyLength": [["hash", "hash", true], ["length", "int", false]],
};

function paramsFor(name, op) {
  const family = $includes(RSA, name) ? "RSA" : name === "ECDSA" || name === "ECDH" ? "EC" : $includes(AES, name) ? "AES" : name;
  return PARAMS[`${name}/${op}`] || PARAMS[`${family}/${op}`] || [];
}

// The standard's "normalize an algorithm": a fresh dictionary with the canonical name.
function normalizeAlgorithm(method, op, alg) {
  if (typeof alg === "string") alg = { name: alg };
  else if (typeof alg !== "object" || alg === null) throw subtleError(method, "The provided value is not of type '(object or DOMString)'.");
  if (alg.name === undefined) throw subtleError(method, "Failed to read the 'name' property from 'Algorithm': Required member is undefined.");
  const wanted = $String(alg.name).toUpperCase();
  const opName = op === "verify" ? "sign" : op === "decrypt" || op === "wrapKey" || op === "unwrapKey" ? "encrypt" : op;
  const name = ALGORITHMS[op].find((n) => n.toUpperCase() === wanted);
  if (name === undefined) throw new DOMException("Unrecognized algorithm name", "NotSupportedError");
  const out = { name };
  for (const [m, kind, required] of paramsFor(name, opName)) {
    const v = member(method, alg, m, kind, required);
    if (v !== undefined) out[m] = v;
  }
  return out;
}

// Throws the exception an `ops.subtle` failure stands for.
function subtleOp(op, params, key, data, extra, length) {
  try {
    return ops.subtle(op, $jsonStringify(params), key, data, extra, length);
  } catch (e) {
    const m = /^(\w+): ([\s\S]*)$/.exec($String(e?.message));
    if (m === null) throw e;
    if (m[1] === "TypeError") throw new $TypeError(m[2]);
    throw new DOMException(m[2], m[1]);
  }
}

const b64 = (bytes) => (bytes === undefined ? undefined : ops.b64Encode(bytes));

// What ops.subtle reads: the key's parameters merged with the operation's, bytes in base64.
function opParams(normalized, key) {
  const ka = key === undefined ? {} : key.algorithm;
  const hash = normalized.hash ?? ka.hash;
  return {
    name: normalized.name,
    hash: hash?.name,
    namedCurve: normalized.namedCurve ?? ka.namedCurve,
    length: normalized.length,
    saltLength: normalized.saltLength,
    tagLength: normalized.tagLength,
    iterations: normalized.iterations,
    modulusLength: normalized.modulusLength,
    publicExponent: b64(normalized.publicExponent),
    iv: b64(normalized.iv),
    counter: b64(normalized.counter),
    additionalData: b64(normalized.additionalData),
    salt: b64(normalized.salt),
    info: b64(normalized.info),
    label: b64(normalized.label),
  };
}

function checkKey(method, key, name, usage) {
  if (!isCryptoKey(key)) throw subtleError(method, "parameter 2 is not of type 'CryptoKey'.");
  if (key.algorithm.name !== name) {
    throw new DOMException(`The requested operation is not valid for the provided key (${key.algorithm.name} key, ${name} requested)`, "InvalidAccessError");
  }
  if (!$includes(key.usages, usage)) {
    throw new DOMException(`The requested operation is not valid for the provided key (it has no '${usage}' usage)`, "InvalidAccessError");
  }
}

function usageList(method, usages) {
  if (usages === null || typeof usages !== "object" || typeof usages[$Symbol.iterator] !== "function") {
    throw subtleError(method, "The provided value cannot be converted to a sequence.");
  }
  const out = [];
  for (const u of usages) {
    const s = $String(u);
    if (!$includes(ALL_USAGES, s)) throw subtleError(method, `The provided value '${s}' is not a valid enum value of type KeyUsage.`);
    if (!$includes(out, s)) $push(out, s);
  }
  return out;
}

// A CryptoKey from ops.subtle's [type, material, metaJson].
function makeKey(normalized, [type, material, metaJson], extractable, usages, allowed) {
  const bad = usages.find((u) => !$includes(allowed, u));
  if (bad !== undefined) throw new DOMException(`Cannot create a key using the specified key usages ('${bad}').`, "SyntaxError");
  if ((type === "secret" || type === "private") && usages.length === 0) {
    throw new DOMException("Usages cannot be empty when creating a key.", "SyntaxError");
  }
  const meta = $jsonParse(metaJson);
  const algorithm = { name: normalized.name };
  if (normalized.name === "HMAC") algorithm.hash = { name: normalized.hash.name };
  if (normalized.namedCurve !== undefined) algorithm.namedCurve = normalized.namedCurve;
  if (meta.length !== undefined) algorithm.length = meta.length;
  if (meta.modulusLength !== undefined) {
    algorithm.modulusLength = meta.modulusLength;
    algorithm.publicExponent = ops.b64Decode(meta.publicExponent);
    algorithm.hash = { name: normalized.hash.name };
  }
  return new CryptoKey(kCryptoKeyToken, type, extractable, algorithm, usages, material);
}

function allowedUsages(name, type) {
  const [own, pub] = USAGES[name];
  return type === "public" ? pub : own;
}

// The "alg" member of an exported JWK.
function jwkAlg(a) {
  const bits = (h) => $slice(h.name, 4);
  switch (a.name) {
    case "HMAC":
      return `HS${bits(a.hash)}`;
    case "AES-GCM":
    case "AES-CBC":
    case "AES-CTR":
    case "AES-KW":
      return `A${a.length}${$slice(a.name, 4)}`;
    case "RSASSA-PKCS1-v1_5":
      return `RS${bits(a.hash)}`;
    case "RSA-PSS":
      return `PS${bits(a.hash)}`;
    case "RSA-OAEP":
      return a.hash.name === "SHA-1" ? "RSA-OAEP" : `RSA-OAEP-${bits(a.hash)}`;
    default:
      return undefined;
  }
}

const FORMATS = ["raw", "spki", "pkcs8", "jwk"];

function keyFormatArg(method, format) {
  const f = $String(format);
  if (!$includes(FORMATS, f)) throw subtleError(method, `The provided value '${f}' is not a valid enum value of type KeyFormat.`);
  return f;
}

function importKeySync(format, keyData, algorithm, extractable, keyUsages) {
  const method = "importKey";
  format = keyFormatArg(method, format);
  const normalized = normalizeAlgorithm(method, "importKey", algorithm);
  const usages = usageList(method, keyUsages);
  let input;
  if (format === "jwk") {
    if (typeof keyData !== "object" || keyData === null || $isView(keyData) || keyData instanceof $ArrayBuffer) {
      throw subtleError(method, "The provided value is not of type 'JsonWebKey'.");
    }
    if (keyData.ext === false && extractable) throw new DOMException("The JWK's ext is false but the key is requested extractable", "DataError");
    if (keyData.key_ops !== undefined) {
      const missing = usages.find((u) => !$includes(keyData.key_ops, u));
      if (missing !== undefined) throw new DOMException(`The JWK's key_ops does not include '${missing}'`, "DataError");
    }
    input = ops.utf8Encode($jsonStringify(keyData));
  } else {
    input = bufferSourceCopy(method, "parameter 2", keyData);
  }
  if ((normalized.name === "HKDF" || normalized.name === "PBKDF2") && (format !== "raw" || extractable)) {
    if (format !== "raw") throw new DOMException(`${normalized.name} keys can only be imported as raw`, "NotSupportedError");
    throw new DOMException(`${normalized.name} keys cannot be extractable`, "SyntaxError");
  }
  const [data] = subtleOp("import", opParams(normalized), undefined, input, ops.utf8Encode(format));
  return makeKey(normalized, data, !!extractable, usages, allowedUsages(normalized.name, data[0]));
}

function exportKeySync(format, key) {
  const method = "exportKey";
  format = keyFormatArg(method, format);
  if (!isCryptoKey(key)) throw subtleError(method, "parameter 2 is not of type 'CryptoKey'.");
  if (!key.extractable) throw new DOMException("key is not extractable", "InvalidAccessError");
  const out = subtleOp("export", opParams({ name: key.algorithm.name }, key), keyMaterial(key), undefined, ops.utf8Encode(`${format}:${key.type}`));
  if (format !== "jwk") return out.buffer;
  const jwk = $jsonParse(out);
  const alg = jwkAlg(key.algorithm);
  if (alg !== undefined) jwk.alg = alg;
  jwk.key_ops = [...key.usages];
  jwk.ext = key.extractable;
  return jwk;
}

function cipherSync(op, algorithm, key, data) {
  const normalized = normalizeAlgorithm(op, op, algorithm);
  checkKey(op, key, normalized.name, op);
  const bytes = bufferSourceCopy(op, "parameter 3", data);
  return subtleOp(op, opParams(normalized, key), keyMaterial(key), bytes).buffer;
}

function deriveBitsSync(method, algorithm, baseKey, length, usage) {
  const normalized = normalizeAlgorithm(method, "deriveBits", algorithm);
  checkKey(method, baseKey, normalized.name, usage);
  let peer;
  if (normalized.name === "ECDH" || normalized.name === "X25519" || normalized.name === "X448") {
    const pub = normalized.public;
    if (pub.type !== "public") throw new DOMException("The algorithm's public key is not a public key", "InvalidAccessError");
    if (pub.algorithm.name !== normalized.name || pub.algorithm.namedCurve !== baseKey.algorithm.namedCurve) {
      throw new DOMException("The public key's algorithm does not match the base key's", "InvalidAccessError");
    }
    peer = keyMaterial(pub);
  }
  const n = length === null || length === undefined ? undefined : $trunc($Number(length));
  return subtleOp("deriveBits", opParams(normalized, baseKey), keyMaterial(baseKey), undefined, peer, n).buffer;
}

// The length in bits of a key of `derivedKeyType` (deriveKey's "get key length").
function keyLength(method, derivedKeyType) {
  const t = normalizeAlgorithm(method, "keyLength", derivedKeyType);
  if ($includes(AES, t.name)) {
    if (t.length !== 128 && t.length !== 192 && t.length !== 256) throw new DOMException("AES key length must be 128, 192 or 256 bits", "OperationError");
    return t.length;
  }
  if (t.name === "HMAC") {
    if (t.length !== undefined) return t.length;
    return t.hash.name === "SHA-1" || t.hash.name === "SHA-256" ? 512 : 1024;
  }
  return null;
}

// Runs `f` and gives its result (or exception) as a promise.
function promised(f) {
  try {
    return $Promise.resolve(f());
  } catch (e) {
    return $Promise.reject(e);
  }
}

function requireArgs(method, args, n) {
  if (args.length < n) throw subtleError(method, `${n} arguments required, but only ${args.length} present.`);
}

class SubtleCrypto {
  constructor(token) {
    if (token !== kCryptoKeyToken) throw new $TypeError("Illegal constructor");
  }
  digest(algorithm, data) {
    return promised(() => {
      requireArgs("digest", arguments, 2);
      const normalized = normalizeAlgorithm("digest", "digest", algorithm);
      return subtleOp("digest", { name: normalized.name }, undefined, bufferSourceCopy("digest", "parameter 2", data)).buffer;
    });
  }
  encrypt(algorithm, key, data) {
    return promised(() => {
      requireArgs("encrypt", arguments, 3);
      return cipherSync("encrypt", algorithm, key, data);
    });
  }
  decrypt(algorithm, key, data) {
    return promised(() => {
      requireArgs("decrypt", arguments, 3);
      return cipherSync("decrypt", algorithm, key, data);
    });
  }
  sign(algorithm, key, data) {
    return promised(() => {
      requireArgs("sign", arguments, 3);
      const normalized = normalizeAlgorithm("sign", "sign", algorithm);
      checkKey("sign", key, normalized.name, "sign");
      return subtleOp("sign", opParams(normalized, key), keyMaterial(key), bufferSourceCopy("sign", "parameter 3", data)).buffer;
    });
  }
  verify(algorithm, key, signature, data) {
    return promised(() => {
      requireArgs("verify", arguments, 4);
      const normalized = normalizeAlgorithm("verify", "verify", algorithm);
      const sig = bufferSourceCopy("verify", "parameter 3", signature);
      const bytes = bufferSourceCopy("verify", "parameter 4", data);
      checkKey("verify", key, normalized.name, "verify");
      return subtleOp("verify", opParams(normalized, key), keyMaterial(key), bytes, sig);
    });
  }
  generateKey(algorithm, extractable, keyUsages) {
    return promised(() => {
      requireArgs("generateKey", arguments, 3);
      const normalized = normalizeAlgorithm("generateKey", "generateKey", algorithm);
      const usages = usageList("generateKey", keyUsages);
      const bad = usages.find((u) => !$includes(USAGES[normalized.name][0], u) && !$includes(USAGES[normalized.name][1] ?? [], u));
      if (bad !== undefined) throw new DOMException(`Cannot create a key using the specified key usages ('${bad}').`, "SyntaxError");
      const made = subtleOp("generate", opParams(normalized));
      if (made.length === 1) return makeKey(normalized, made[0], !!extractable, usages, USAGES[normalized.name][0]);
      const own = allowedUsages(normalized.name, "private");
      const pub = allowedUsages(normalized.name, "public");
      const privateKey = makeKey(normalized, made[0], !!extractable, usages.filter((u) => $includes(own, u)), own);
      const publicKey = makeKey(normalized, made[1], true, usages.filter((u) => $includes(pub, u)), pub);
      return { privateKey, publicKey };
    });
  }
  importKey(format, keyData, algorithm, extractable, keyUsages) {
    return promised(() => {
      requireArgs("importKey", arguments, 5);
      return importKeySync(format, keyData, algorithm, extractable, keyUsages);
    });
  }
  exportKey(format, key) {
    return promised(() => {
      requireArgs("exportKey", arguments, 2);
      return exportKeySync(format, key);
    });
  }
  deriveBits(algorithm, baseKey, length = null) {
    return promised(() => {
      requireArgs("deriveBits", arguments, 2);
      return deriveBitsSync("deriveBits", algorithm, baseKey, length, "deriveBits");
    });
  }
  deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
    return promised(() => {
      requireArgs("deriveKey", arguments, 5);
      const length = keyLength("deriveKey", derivedKeyType);
      const bits = deriveBitsSync("deriveKey", algorithm, baseKey, length, "deriveKey");
      return importKeySync("raw", bits, derivedKeyType, extractable, keyUsages);
    });
  }
  wrapKey(format, key, wrappingKey, wrapAlgorithm) {
    return promised(() => {
      requireArgs("wrapKey", arguments, 4);
      const normalized = normalizeAlgorithm("wrapKey", "wrapKey", wrapAlgorithm);
      checkKey("wrapKey", wrappingKey, normalized.name, "wrapKey");
      const exported = exportKeySync(format, key);
      const bytes = format === "jwk" ? ops.utf8Encode($jsonStringify(exported)) : new $Uint8Array(exported);
      return subtleOp("encrypt", opParams(normalized, wrappingKey), keyMaterial(wrappingKey), bytes).buffer;
    });
  }
  unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
    return promised(() => {
      requireArgs("unwrapKey", arguments, 7);
      const normalized = normalizeAlgorithm("unwrapKey", "unwrapKey", unwrapAlgorithm);
      checkKey("unwrapKey", unwrappingKey, normalized.name, "unwrapKey");
      const wrapped = bufferSourceCopy("unwrapKey", "parameter 2", wrappedKey);
      const bytes = subtleOp("decrypt", opParams(normalized, unwrappingKey), keyMaterial(unwrappingKey), wrapped);
      let keyData = bytes;
      if (format === "jwk") {
        try {
          keyData = $jsonParse(ops.textDecode("utf-8", bytes, false, false));
        } catch {
          throw new DOMException("The unwrapped key is not a valid JWK", "DataError");
        }
      }
      return importKeySync(format, keyData, unwrappedKeyAlgorithm, extractable, keyUsages);
    });
  }
}
$defineProperty(SubtleCrypto.prototype, $Symbol.toStringTag, { value: "SubtleCrypto", configurable: true });
define(globalThis, "SubtleCrypto", SubtleCrypto);

// `Crypto`: the interface of the global `crypto`, which also carries Lunar's own helpers.
class Crypto {
  constructor() {
    throw new $TypeError("Illegal constructor");
  }
}
$defineProperty(Crypto.prototype, $Symbol.toStringTag, { value: "Crypto", configurable: true });
define(globalThis, "Crypto", Crypto);
$Object.setPrototypeOf(cryptoNs, Crypto.prototype);
$defineProperty(cryptoNs, "subtle", { value: new SubtleCrypto(kCryptoKeyToken), enumerable: true, configurable: true });
