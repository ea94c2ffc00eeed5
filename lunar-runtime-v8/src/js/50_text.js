// `TextEncoder` (UTF-8) and `TextDecoder` (every WHATWG encoding, streaming).
class TextEncoder {
  get encoding() {
    return "utf-8";
  }
  encode(input = "") {
    return ops.utf8Encode($String(input));
  }
  encodeInto(source, destination) {
    if (!(destination instanceof $Uint8Array)) {
      throw new $TypeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.");
    }
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
  #encoding;
  #fatal;
  #ignoreBOM;
  // The id of the host decoder of a stream in progress (0: none).
  #stream = 0;
  constructor(label = "utf-8", options = undefined) {
    const name = ops.textEncodingName($String(label));
    if (name === null) throw new $RangeError(`The encoding label provided ('${label}') is invalid.`);
    if (options !== undefined && options !== null && typeof options !== "object" && typeof options !== "function") {
      throw new $TypeError("Failed to construct 'TextDecoder': The provided value is not of type 'TextDecoderOptions'.");
    }
    this.#encoding = name;
    this.#fatal = !!(options && options.fatal);
    this.#ignoreBOM = !!(options && options.ignoreBOM);
  }
  get encoding() {
    return this.#encoding;
  }
  get fatal() {
    return this.#fatal;
  }
  get ignoreBOM() {
    return this.#ignoreBOM;
  }
  decode(input = undefined, options = undefined) {
    let bytes;
    if (input === undefined) bytes = new $Uint8Array(0);
    else {
      bytes = asBytes(input);
      if (bytes === null && $isView(input)) bytes = new $Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      if (bytes === null) throw new $TypeError("Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
    }
    const stream = !!(options && options.stream);
    let out;
    if (this.#stream === 0 && !stream) {
      out = ops.textDecode(this.#encoding, bytes, this.#fatal, this.#ignoreBOM);
    } else {
      if (this.#stream === 0) this.#stream = ops.textStreamOpen(this.#encoding, this.#ignoreBOM);
      out = ops.textStreamDecode(this.#stream, bytes, this.#fatal, !stream);
      // The host drops the decoder after the last chunk and after an error.
      if (!stream || out === null) this.#stream = 0;
    }
    if (out === null) throw new $TypeError(`The encoded data was not valid for encoding ${this.#encoding}`);
    return out;
  }
}

define(globalThis, "TextEncoder", TextEncoder);
define(globalThis, "TextDecoder", TextDecoder);
