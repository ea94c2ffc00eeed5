// `json` (SPEC §5.3).
function jsonUnsupported(key, value) {
  if (typeof value === "number" && !$isFinite(value)) {
    const what = $isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
    throw new $Error(`json: unsupported value: ${what}`);
  }
  return value;
}

define(globalThis, "json", namespace({
  encode(value) {
    const out = $jsonStringify(value, jsonUnsupported);
    return out === undefined ? "null" : out;
  },
  decode(str) {
    str = argString("json.decode", 1, "str", str);
    const message = ops.jsonError(str);
    if (message !== null) throw new $Error(message);
    return $jsonParse(str);
  },
}));

// `base64` (SPEC §5.3).
function b64Data(name, v) {
  if (typeof v === "string") return v;
  if (typeof v === "number") return $String(v);
  const b = asBytes(v);
  if (b !== null) return b;
  throw argError(name, 1, "data", "a string or bytes", v);
}

define(globalThis, "base64", namespace({
  encode(data) {
    return ops.b64Encode(b64Data("base64.encode", data));
  },
  decode(str) {
    str = argString("base64.decode", 1, "str", str);
    return ops.textDecode("utf-8", ops.b64Decode(str), false, true);
  },
  decodeBytes(str) {
    str = argString("base64.decodeBytes", 1, "str", str);
    return ops.b64Decode(str);
  },
}));
