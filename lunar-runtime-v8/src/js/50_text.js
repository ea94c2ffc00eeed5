// `TextEncoder`, `TextDecoder` (SPEC §5.7).
class TextEncoder {
  get encoding() {
    return "utf-8";
  }
  encode(input = "") {
    return ops.utf8Encode($String(input));
  }
  encodeInto(source, destination) {
    const bytes = ops.utf8Encode($String(source));
    // Only whole characters are written.
    let read = 0;
    let written = 0;
    const s = $String(source);
    for (let i = 0; i < s.length; ) {
      const c = $charCodeAt(s, i);
      let units = 1;
      let len;
      if (c < 0x80) len = 1;
      else if (c < 0x800) len = 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && $charCodeAt(s, i + 1) >= 0xdc00 && $charCodeAt(s, i + 1) <= 0xdfff) {
        len = 4;
        units = 2;
      } else len = 3;
      if (written + len > destination.length) break;
      for (let k = 0; k < len; k++) destination[written + k] = bytes[written + k];
      written += len;
      read += units;
      i += units;
    }
    return { read, written };
  }
}

class TextDecoder {
  #fatal;
  #ignoreBOM;
  constructor(label = "utf-8", options = {}) {
    const l = $String(label).toLowerCase().trim();
    if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") {
      throw new $RangeError(`The encoding label provided ('${label}') is invalid.`);
    }
    this.#fatal = !!(options && options.fatal);
    this.#ignoreBOM = !!(options && options.ignoreBOM);
  }
  get encoding() {
    return "utf-8";
  }
  get fatal() {
    return this.#fatal;
  }
  get ignoreBOM() {
    return this.#ignoreBOM;
  }
  decode(input = new $Uint8Array(0)) {
    let bytes = asBytes(input);
    if (bytes === null && $isView(input)) bytes = new $Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (bytes === null) throw new $TypeError("The provided value is not of type '(ArrayBuffer or ArrayBufferView)'");
    const out = ops.utf8Decode(bytes, this.#fatal, this.#ignoreBOM);
    if (out === null) throw new $TypeError("The encoded data was not valid for encoding utf-8");
    return out;
  }
}

define(globalThis, "TextEncoder", TextEncoder);
define(globalThis, "TextDecoder", TextDecoder);
