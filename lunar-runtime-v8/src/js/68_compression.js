// `CompressionStream` and `DecompressionStream` (Compression standard): gzip, deflate,
// deflate-raw and brotli, each a TransformStream over a native codec (`ops.compressOpen/Push`).
// Decompressed output counts against the memory limit, so a small bomb cannot grow the
// process.

function compressionChunk(where, chunk) {
  if (chunk instanceof $ArrayBuffer) return new $Uint8Array(chunk);
  if ($isView(chunk)) return new $Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new $TypeError(`${where}: chunk is not of type '(ArrayBuffer or ArrayBufferView)'`);
}

function compressionFormat(where, format) {
  if (format === undefined) throw new $TypeError(`${where}: 1 argument required, but only 0 present.`);
  const f = $String(format);
  if (f !== "gzip" && f !== "deflate" && f !== "deflate-raw" && f !== "brotli") {
    throw new $TypeError(`${where}: Unsupported compression format: '${f}'`);
  }
  return f;
}

// A TransformStream record feeding a native codec: each chunk's output is enqueued as it
// comes; the end flushes the codec (a truncated compressed stream errors there).
function codecTransform(where, format, decompress) {
  const id = ops.compressOpen(format, decompress);
  let ts;
  const emit = (out) => {
    if (out.byteLength > 0) transformControllerEnqueue(ts.controller, out);
  };
  const transform = (chunk) => emit(ops.compressPush(id, compressionChunk(where, chunk), false));
  const flush = () => emit(ops.compressPush(id, new $Uint8Array(0), true));
  ts = createTransformStreamFromAlgorithms(transform, flush);
  return ts;
}



class CompressionStream {
  #ts;
  constructor(format = undefined) {
    const where = "Failed to construct 'CompressionStream'";
    this.#ts = codecTransform("CompressionStream", compressionFormat(where, format), false);
  }
  get readable() {
    return this.#ts.readable.api;
  }
  get writable() {
    return this.#ts.writable.api;
  }
}

class DecompressionStream {
  #ts;
  constructor(format = undefined) {
    const where = "Failed to construct 'DecompressionStream'";
    this.#ts = codecTransform("DecompressionStream", compressionFormat(where, format), true);
  }
  get readable() {
    return this.#ts.readable.api;
  }
  get writable() {
    return this.#ts.writable.api;
  }
}

for (const [C, tag] of [[CompressionStream, "CompressionStream"], [DecompressionStream, "DecompressionStream"]]) {
  defineToStringTag(C, tag);
  define(globalThis, tag, C);
}
