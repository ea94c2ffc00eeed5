// `ReadableStream`, `WritableStream`, `TransformStream`, their readers, writers and
// controllers, the queuing strategies (WHATWG Streams standard), `TextEncoderStream` and
// `TextDecoderStream` (Encoding standard), and the stream helpers the Fetch objects use
// for their bodies (`streamFromBytes`, `readAllBytes`, `isReadableStream`,
// `isStreamDisturbedOrLocked`).
//
// Every public object keeps one private field: a plain record holding the standard's
// internal slots ([[state]], [[reader]], [[queue]], ...). The abstract operations below
// take these records and are named after the standard's (ReadableStreamClose is
// `readableStreamClose`); a record's `api` is the public object it belongs to.
//
// Byte streams: `type: "bytes"` makes a readable byte stream, whose controller is a
// `ReadableByteStreamController` (its queue holds byte ranges of transferred buffers, and
// its pull-into descriptors the views of BYOB reads and of auto-allocated default reads;
// `byobRequest` exposes the first of them to the source). Byte streams are read with
// default readers or with `ReadableStreamBYOBReader`s, and tee into byte streams.

const kStreamInternal = $Symbol("streams internal");
const kCloseSentinel = $Symbol("close sentinel");
const $promiseRejectFn = $Promise.reject;
const $getPrototypeOf = $Object.getPrototypeOf;
const $getOwnPropertyDescriptor = $Object.getOwnPropertyDescriptor;
const $arrayBufferTransfer = $ArrayBuffer.prototype.transfer; // ES2024; absent on old engines
const $typedArrayPrototype = $getPrototypeOf($Uint8Array.prototype);
const $typedArraySet = $uncurry($typedArrayPrototype.set);
const $arrayShift = $uncurry($Array.prototype.shift);
const $DataView = DataView;
const $asyncIteratorPrototype = $getPrototypeOf($getPrototypeOf((async function* () {}).prototype));
const getterOf = (proto, name) => $uncurry($getOwnPropertyDescriptor(proto, name).get);
const $abortControllerAbort = $uncurry(AbortController.prototype.abort);
const $abortControllerSignal = getterOf(AbortController.prototype, "signal");
const $abortSignalAborted = getterOf(AbortSignal.prototype, "aborted");
const $abortSignalReason = getterOf(AbortSignal.prototype, "reason");
const $addEventListener = $uncurry(EventTarget.prototype.addEventListener);
const $removeEventListener = $uncurry(EventTarget.prototype.removeEventListener);
const $textEncoderEncode = $uncurry(TextEncoder.prototype.encode);
const $textDecoderDecode = $uncurry(TextDecoder.prototype.decode);
const $textDecoderEncoding = getterOf(TextDecoder.prototype, "encoding");
const $textDecoderFatal = getterOf(TextDecoder.prototype, "fatal");
const $textDecoderIgnoreBOM = getterOf(TextDecoder.prototype, "ignoreBOM");
// Buffers and views, read through the intrinsic accessors (not through properties a page
// could redefine). `detached` and `resizable` are ES2024; absent on old engines.
const $arrayBufferByteLength = getterOf($ArrayBuffer.prototype, "byteLength");
const $arrayBufferDetached = $getOwnPropertyDescriptor($ArrayBuffer.prototype, "detached") !== undefined ? getterOf($ArrayBuffer.prototype, "detached") : undefined;
const $arrayBufferResizable = $getOwnPropertyDescriptor($ArrayBuffer.prototype, "resizable") !== undefined ? getterOf($ArrayBuffer.prototype, "resizable") : undefined;
const $typedArrayName = getterOf($typedArrayPrototype, $Symbol.toStringTag);
const $typedArrayBuffer = getterOf($typedArrayPrototype, "buffer");
const $typedArrayByteOffset = getterOf($typedArrayPrototype, "byteOffset");
const $typedArrayByteLength = getterOf($typedArrayPrototype, "byteLength");
const $typedArrayLength = getterOf($typedArrayPrototype, "length");
const $dataViewBuffer = getterOf($DataView.prototype, "buffer");
const $dataViewByteOffset = getterOf($DataView.prototype, "byteOffset");
const $dataViewByteLength = getterOf($DataView.prototype, "byteLength");
// The typed array constructors table: [[TypedArrayName]] -> constructor.
const streamsTypedArrayConstructors = new $Map();
for (const name of ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
  "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) {
  if (typeof globalThis[name] === "function") $mapSet(streamsTypedArrayConstructors, name, globalThis[name]);
}

// ---------------------------------------------------------------------------------------
// Promises, queues, argument conversion.

function streamsNoop() {}

// Web IDL's "a promise resolved with v": always a new promise, even when v is one (unlike
// Promise.resolve, which returns v itself). Adopting v takes two more microtasks, and the
// standard's orderings depend on that (a TransformStream's two sides share one start
// promise, for instance).
function promiseResolvedWith(v) {
  return new $Promise((resolve) => resolve(v));
}

function promiseRejectedWith(e) {
  return $apply($promiseRejectFn, $Promise, [e]);
}

// Sets [[PromiseIsHandled]]: a rejection of `p` is not reported as unhandled.
function markPromiseHandled(p) {
  $promiseThen(p, undefined, streamsNoop);
}

// A promise with its resolving functions; `settled` is false while it is pending.
function newDeferred() {
  const d = { promise: undefined, settled: false, res: undefined, rej: undefined };
  d.promise = new $Promise((res, rej) => {
    d.res = res;
    d.rej = rej;
  });
  return d;
}

function resolveDeferred(d, v) {
  if (d.settled) return;
  d.settled = true;
  d.res(v);
}

function rejectDeferred(d, e) {
  if (d.settled) return;
  d.settled = true;
  d.rej(e);
}

function deferredResolvedWith(v) {
  const d = newDeferred();
  resolveDeferred(d, v);
  return d;
}

// A rejected promise that is marked handled (for [[closedPromise]]/[[readyPromise]]).
function deferredRejectedWith(e) {
  const d = newDeferred();
  rejectDeferred(d, e);
  markPromiseHandled(d.promise);
  return d;
}

// "Getting a promise to wait for all": fulfills when all do, rejects with the first rejection.
function waitForAll(promises) {
  const d = newDeferred();
  let remaining = promises.length;
  if (remaining === 0) resolveDeferred(d, undefined);
  for (let i = 0; i < promises.length; i++) {
    $promiseThen(promises[i], () => {
      if (--remaining === 0) resolveDeferred(d, undefined);
    }, (e) => rejectDeferred(d, e));
  }
  return d.promise;
}

const streamsResolvedPromise = promiseResolvedWith(undefined);
function queueStreamMicrotask(f) {
  $promiseThen(streamsResolvedPromise, f);
}

// A first-in first-out list whose `shift` is O(1): the array is read from `head` and
// compacted as it drains.
class StreamQueue {
  constructor() {
    this.items = [];
    this.head = 0;
  }
  get length() {
    return this.items.length - this.head;
  }
  push(v) {
    $push(this.items, v);
  }
  peek() {
    return this.items[this.head];
  }
  shift() {
    const items = this.items;
    const v = items[this.head];
    items[this.head] = undefined;
    this.head++;
    if (this.head === items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= items.length) {
      const rest = [];
      for (let i = this.head; i < items.length; i++) $push(rest, items[i]);
      this.items = rest;
      this.head = 0;
    }
    return v;
  }
  // Empties the list; returns what it held, in order.
  takeAll() {
    const out = [];
    for (let i = this.head; i < this.items.length; i++) $push(out, this.items[i]);
    this.items = [];
    this.head = 0;
    return out;
  }
}

// Queue-with-sizes (the standard's [[queue]] and [[queueTotalSize]] on a controller).
function enqueueValueWithSize(container, value, size) {
  if (typeof size !== "number" || size !== size || size < 0 || size === Infinity) {
    throw new $RangeError("The return value of a queuing strategy's size function must be a finite, non-negative number");
  }
  container.queue.push({ value, size });
  container.queueTotalSize += size;
}

function dequeueValue(container) {
  const pair = container.queue.shift();
  container.queueTotalSize -= pair.size;
  // Rounding can leave a tiny negative total behind.
  if (container.queueTotalSize < 0) container.queueTotalSize = 0;
  return pair.value;
}

function peekQueueValue(container) {
  return container.queue.peek().value;
}

function resetQueue(container) {
  container.queue = new StreamQueue();
  container.queueTotalSize = 0;
}

function isObjectLike(v) {
  return (typeof v === "object" && v !== null) || typeof v === "function";
}

function illegalInvocation() {
  return new $TypeError("Illegal invocation");
}

function argumentsRequired(where, n, given) {
  return new $TypeError(`${where}: ${n} argument${n === 1 ? "" : "s"} required, but only ${given} present.`);
}

// A dictionary argument: undefined and null are the empty dictionary (returned as undefined).
function dictionaryArg(where, typeName, v) {
  if (v === undefined || v === null) return undefined;
  if (!isObjectLike(v)) throw new $TypeError(`${where}: The provided value is not of type '${typeName}'.`);
  return v;
}

function callbackMember(where, typeName, dict, name) {
  const f = dict[name];
  if (f !== undefined && typeof f !== "function") {
    throw new $TypeError(`${where}: Failed to read the '${name}' property from '${typeName}': The provided value is not a function.`);
  }
  return f;
}

// A QueuingStrategy dictionary; its members are read in the standard's (alphabetical) order.
function queuingStrategyArg(where, v) {
  const d = dictionaryArg(where, "QueuingStrategy", v);
  if (d === undefined) return { highWaterMark: undefined, size: undefined };
  let highWaterMark = d.highWaterMark;
  if (highWaterMark !== undefined) highWaterMark = +highWaterMark;
  const size = callbackMember(where, "QueuingStrategy", d, "size");
  return { highWaterMark, size };
}

function extractHighWaterMark(strategy, defaultHWM) {
  const h = strategy.highWaterMark;
  if (h === undefined) return defaultHWM;
  if (h !== h || h < 0) throw new $RangeError("The highWaterMark of a queuing strategy must be a non-negative number");
  return h;
}

function sizeOfOne() {
  return 1;
}

function extractSizeAlgorithm(strategy) {
  const size = strategy.size;
  if (size === undefined) return sizeOfOne;
  return (chunk) => +$apply(size, undefined, [chunk]);
}

// Calls a callback whose IDL return type is a promise: a throw becomes a rejection.
function invokeAsPromise(f, thisArg, args) {
  try {
    return promiseResolvedWith($apply(f, thisArg, args));
  } catch (e) {
    return promiseRejectedWith(e);
  }
}

// An [EnforceRange] unsigned long long dictionary member.
function enforceRangeMember(where, typeName, name, v) {
  const x = +v;
  if (!$isFinite(x) || $trunc(x) < 0 || $trunc(x) > 9007199254740991) {
    throw new $TypeError(`${where}: Failed to read the '${name}' property from '${typeName}': Value is outside the 'unsigned long long' value range.`);
  }
  return $trunc(x) + 0;
}

// ---------------------------------------------------------------------------------------
// ArrayBuffers and ArrayBufferViews (for byte streams).

// IsDetachedBuffer.
function isDetachedBuffer(buffer) {
  if ($arrayBufferDetached !== undefined) return $arrayBufferDetached(buffer);
  try {
    new $Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

// TransferArrayBuffer: a new ArrayBuffer that takes over `buffer`'s memory; `buffer` is
// detached. Throws a TypeError for buffers that cannot be detached (a WebAssembly.Memory's,
// for one). Engines without ArrayBuffer.prototype.transfer get a copy instead.
function transferArrayBuffer(buffer) {
  if ($arrayBufferTransfer !== undefined) return $apply($arrayBufferTransfer, buffer, []);
  return cloneArrayBuffer(buffer, 0, $arrayBufferByteLength(buffer));
}

// CloneArrayBuffer(buffer, byteOffset, byteLength, %ArrayBuffer%).
function cloneArrayBuffer(buffer, byteOffset, byteLength) {
  if (isDetachedBuffer(buffer)) throw new $TypeError("Cannot clone the bytes of a detached ArrayBuffer");
  const out = new $ArrayBuffer(byteLength);
  $typedArraySet(new $Uint8Array(out), new $Uint8Array(buffer, byteOffset, byteLength));
  return out;
}

// CloneAsUint8Array.
function cloneAsUint8Array(view) {
  const v = viewParts(view);
  return new $Uint8Array(cloneArrayBuffer(v.buffer, v.byteOffset, v.byteLength));
}

// The internal slots of an ArrayBufferView: [[ViewedArrayBuffer]], [[ByteOffset]],
// [[ByteLength]], [[ArrayLength]] (`length`; the byte length for a DataView), and the
// constructor and element size of its type (DataView and 1 for DataViews). A view of a
// detached buffer has offset and lengths 0.
function viewParts(view) {
  const name = $typedArrayName(view);
  if (name !== undefined) {
    const ctor = $mapGet(streamsTypedArrayConstructors, name);
    return {
      buffer: $typedArrayBuffer(view), byteOffset: $typedArrayByteOffset(view), byteLength: $typedArrayByteLength(view),
      length: $typedArrayLength(view), ctor, elementSize: ctor.BYTES_PER_ELEMENT, isTypedArray: true,
    };
  }
  const buffer = $dataViewBuffer(view);
  const detached = isDetachedBuffer(buffer);
  const byteLength = detached ? 0 : $dataViewByteLength(view);
  return {
    buffer, byteOffset: detached ? 0 : $dataViewByteOffset(view), byteLength, length: byteLength,
    ctor: $DataView, elementSize: 1, isTypedArray: false,
  };
}

// An ArrayBufferView argument (Web IDL): a typed array or DataView over a fixed-length,
// non-shared ArrayBuffer. Returns its viewParts.
function arrayBufferViewArg(where, n, v) {
  if (!$isView(v)) throw new $TypeError(`${where}: parameter ${n} is not of type 'ArrayBufferView'.`);
  const buffer = $typedArrayName(v) !== undefined ? $typedArrayBuffer(v) : $dataViewBuffer(v);
  try {
    $arrayBufferByteLength(buffer); // throws for a SharedArrayBuffer
  } catch {
    throw new $TypeError(`${where}: The provided ArrayBufferView value must not be shared.`);
  }
  if ($arrayBufferResizable !== undefined && $arrayBufferResizable(buffer)) {
    throw new $TypeError(`${where}: The provided ArrayBufferView value must not be resizable.`);
  }
  return viewParts(v);
}

// An [EnforceRange] unsigned long long argument.
function enforceRangeArg(where, v) {
  const x = +v;
  if (!$isFinite(x) || $trunc(x) < 0 || $trunc(x) > 9007199254740991) {
    throw new $TypeError(`${where}: Value is outside the 'unsigned long long' value range.`);
  }
  return $trunc(x) + 0;
}

function copyBytes(u8) {
  const out = new $Uint8Array(u8.byteLength);
  $typedArraySet(out, u8);
  return out;
}

function defineToStringTag(C, tag) {
  $defineProperty(C.prototype, $Symbol.toStringTag, { value: tag, writable: false, enumerable: false, configurable: true });
}

// ---------------------------------------------------------------------------------------
// ReadableStream internals.

function newReadableRecord(isBytes) {
  return { api: undefined, state: "readable", reader: undefined, storedError: undefined, disturbed: false, controller: undefined, isBytes };
}

function newReadableControllerRecord() {
  const c = {
    api: undefined, stream: undefined, queue: undefined, queueTotalSize: 0, started: false, closeRequested: false,
    pullAgain: false, pulling: false, size: undefined, hwm: 0, pull: undefined, cancel: undefined,
  };
  new ReadableStreamDefaultController(kStreamInternal, c);
  return c;
}

// CreateReadableStream (a stream with a default controller).
function createReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark = 1, sizeAlgorithm = sizeOfOne) {
  const rs = newReadableRecord(false);
  new ReadableStream(kStreamInternal, rs);
  const c = newReadableControllerRecord();
  setUpReadableController(rs, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, sizeAlgorithm);
  return rs;
}

// CreateReadableByteStream.
function createReadableByteStream(startAlgorithm, pullAlgorithm, cancelAlgorithm) {
  const rs = newReadableRecord(true);
  new ReadableStream(kStreamInternal, rs);
  const c = newByteControllerRecord();
  setUpByteController(rs, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, 0, undefined);
  return rs;
}

// [[CancelSteps]] of the stream's controller.
function readableStreamControllerCancelSteps(rs, reason) {
  return rs.isBytes ? byteControllerCancelSteps(rs.controller, reason) : readableControllerCancelSteps(rs.controller, reason);
}

function readableStreamCancel(rs, reason) {
  rs.disturbed = true;
  if (rs.state === "closed") return promiseResolvedWith(undefined);
  if (rs.state === "errored") return promiseRejectedWith(rs.storedError);
  readableStreamClose(rs);
  const reader = rs.reader;
  if (reader !== undefined && reader.byob) {
    const requests = reader.readIntoRequests.takeAll();
    for (let i = 0; i < requests.length; i++) requests[i].close(undefined);
  }
  const sourceCancelPromise = readableStreamControllerCancelSteps(rs, reason);
  return $promiseThen(sourceCancelPromise, streamsNoop);
}

function readableStreamClose(rs) {
  rs.state = "closed";
  const reader = rs.reader;
  if (reader === undefined) return;
  resolveDeferred(reader.closed, undefined);
  if (reader.byob) return; // read-into requests are settled by the byte controller
  const requests = reader.readRequests.takeAll();
  for (let i = 0; i < requests.length; i++) requests[i].close();
}

function readableStreamError(rs, e) {
  rs.state = "errored";
  rs.storedError = e;
  const reader = rs.reader;
  if (reader === undefined) return;
  rejectDeferred(reader.closed, e);
  markPromiseHandled(reader.closed.promise);
  if (reader.byob) byobReaderErrorReadIntoRequests(reader, e);
  else readerErrorReadRequests(reader, e);
}

function readableStreamFulfillReadRequest(rs, chunk, done) {
  const request = rs.reader.readRequests.shift();
  if (done) request.close();
  else request.chunk(chunk);
}

function readableStreamFulfillReadIntoRequest(rs, chunk, done) {
  const request = rs.reader.readIntoRequests.shift();
  if (done) request.close(chunk);
  else request.chunk(chunk);
}

function readableStreamHasDefaultReader(rs) {
  return rs.reader !== undefined && !rs.reader.byob;
}

function readableStreamHasBYOBReader(rs) {
  return rs.reader !== undefined && rs.reader.byob;
}

function readableStreamNumReadRequests(rs) {
  return readableStreamHasDefaultReader(rs) ? rs.reader.readRequests.length : 0;
}

function readableStreamNumReadIntoRequests(rs) {
  return readableStreamHasBYOBReader(rs) ? rs.reader.readIntoRequests.length : 0;
}

function setUpReadableController(rs, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, sizeAlgorithm) {
  c.stream = rs;
  resetQueue(c);
  c.started = false;
  c.closeRequested = false;
  c.pullAgain = false;
  c.pulling = false;
  c.size = sizeAlgorithm;
  c.hwm = highWaterMark;
  c.pull = pullAlgorithm;
  c.cancel = cancelAlgorithm;
  rs.controller = c;
  const startResult = startAlgorithm();
  $promiseThen(promiseResolvedWith(startResult), () => {
    c.started = true;
    readableControllerCallPullIfNeeded(c);
  }, (r) => readableControllerError(c, r));
}

function setUpReadableControllerFromSource(rs, source, start, pull, cancel, highWaterMark, sizeAlgorithm) {
  const c = newReadableControllerRecord();
  const startAlgorithm = start === undefined ? streamsNoop : () => $apply(start, source, [c.api]);
  const pullAlgorithm = pull === undefined ? () => promiseResolvedWith(undefined) : () => invokeAsPromise(pull, source, [c.api]);
  const cancelAlgorithm = cancel === undefined ? () => promiseResolvedWith(undefined) : (reason) => invokeAsPromise(cancel, source, [reason]);
  setUpReadableController(rs, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, sizeAlgorithm);
}

// Pulls when the source is wanted (see readableControllerShouldCallPull); a pull asked
// for while one is running happens once that one settles.
function readableControllerCallPullIfNeeded(c) {
  if (!readableControllerShouldCallPull(c)) return;
  if (c.pulling) {
    c.pullAgain = true;
    return;
  }
  c.pulling = true;
  $promiseThen(c.pull(), () => {
    c.pulling = false;
    if (c.pullAgain) {
      c.pullAgain = false;
      readableControllerCallPullIfNeeded(c);
    }
  }, (e) => readableControllerError(c, e));
}

function readableControllerShouldCallPull(c) {
  if (!readableControllerCanCloseOrEnqueue(c)) return false;
  if (!c.started) return false;
  if (readableStreamNumReadRequests(c.stream) > 0) return true;
  return readableControllerGetDesiredSize(c) > 0;
}

function readableControllerClearAlgorithms(c) {
  c.pull = undefined;
  c.cancel = undefined;
  c.size = undefined;
}

function readableControllerClose(c) {
  if (!readableControllerCanCloseOrEnqueue(c)) return;
  c.closeRequested = true;
  if (c.queue.length === 0) {
    readableControllerClearAlgorithms(c);
    readableStreamClose(c.stream);
  }
}

function readableControllerEnqueue(c, chunk) {
  if (!readableControllerCanCloseOrEnqueue(c)) return;
  const rs = c.stream;
  if (readableStreamNumReadRequests(rs) > 0) {
    // A read is waiting: the chunk goes straight to it, bypassing the queue.
    readableStreamFulfillReadRequest(rs, chunk, false);
  } else {
    let size;
    try {
      size = c.size(chunk);
    } catch (e) {
      readableControllerError(c, e);
      throw e;
    }
    try {
      enqueueValueWithSize(c, chunk, size);
    } catch (e) {
      readableControllerError(c, e);
      throw e;
    }
  }
  readableControllerCallPullIfNeeded(c);
}

function readableControllerError(c, e) {
  const rs = c.stream;
  if (rs.state !== "readable") return;
  resetQueue(c);
  readableControllerClearAlgorithms(c);
  readableStreamError(rs, e);
}

function readableControllerGetDesiredSize(c) {
  const state = c.stream.state;
  if (state === "errored") return null;
  if (state === "closed") return 0;
  return c.hwm - c.queueTotalSize;
}

function readableControllerHasBackpressure(c) {
  return !readableControllerShouldCallPull(c);
}

function readableControllerCanCloseOrEnqueue(c) {
  return !c.closeRequested && c.stream.state === "readable";
}

// [[CancelSteps]]
function readableControllerCancelSteps(c, reason) {
  resetQueue(c);
  const result = c.cancel(reason);
  readableControllerClearAlgorithms(c);
  return result;
}

// [[PullSteps]]: a read request is answered from the queue, or waits for a chunk.
function readableControllerPullSteps(c, request) {
  const rs = c.stream;
  if (c.queue.length > 0) {
    const chunk = dequeueValue(c);
    if (c.closeRequested && c.queue.length === 0) {
      readableControllerClearAlgorithms(c);
      readableStreamClose(rs);
    } else {
      readableControllerCallPullIfNeeded(c);
    }
    request.chunk(chunk);
  } else {
    rs.reader.readRequests.push(request);
    readableControllerCallPullIfNeeded(c);
  }
}

// Readers. A read request is {chunk(c), close(), error(e)}; a read-into request (of a BYOB
// reader) is {chunk(view), close(view or undefined), error(e)}. A reader record is
// {api, stream, closed, byob, readRequests} or, for a BYOB reader, {..., readIntoRequests}.

function newReaderRecord() {
  return { api: undefined, stream: undefined, closed: undefined, byob: false, readRequests: undefined };
}

function newBYOBReaderRecord() {
  return { api: undefined, stream: undefined, closed: undefined, byob: true, readIntoRequests: undefined };
}

// AcquireReadableStreamDefaultReader.
function acquireReader(rs, where) {
  if (rs.reader !== undefined) {
    throw new $TypeError(`${where}: ReadableStreamDefaultReader constructor can only accept readable streams that are not yet locked to a reader`);
  }
  const reader = newReaderRecord();
  new ReadableStreamDefaultReader(kStreamInternal, reader);
  setUpReader(reader, rs);
  return reader;
}

// AcquireReadableStreamBYOBReader.
function acquireBYOBReader(rs, where) {
  const reader = newBYOBReaderRecord();
  setUpBYOBReader(reader, rs, where);
  new ReadableStreamBYOBReader(kStreamInternal, reader);
  return reader;
}

// ReadableStreamReaderGenericInitialize.
function readerGenericInitialize(reader, rs) {
  reader.stream = rs;
  rs.reader = reader;
  if (rs.state === "readable") reader.closed = newDeferred();
  else if (rs.state === "closed") reader.closed = deferredResolvedWith(undefined);
  else reader.closed = deferredRejectedWith(rs.storedError);
}

// SetUpReadableStreamDefaultReader (the caller has checked that `rs` is not locked).
function setUpReader(reader, rs) {
  readerGenericInitialize(reader, rs);
  reader.readRequests = new StreamQueue();
}

// SetUpReadableStreamBYOBReader.
function setUpBYOBReader(reader, rs, where) {
  if (rs.reader !== undefined) {
    throw new $TypeError(`${where}: ReadableStreamBYOBReader constructor can only accept readable streams that are not yet locked to a reader`);
  }
  if (!rs.isBytes) {
    throw new $TypeError(`${where}: Cannot use a BYOB reader with a non-byte stream`);
  }
  readerGenericInitialize(reader, rs);
  reader.readIntoRequests = new StreamQueue();
}

// ReadableStreamDefaultReaderRead.
function readerRead(reader, request) {
  const rs = reader.stream;
  rs.disturbed = true;
  if (rs.state === "closed") request.close();
  else if (rs.state === "errored") request.error(rs.storedError);
  else if (rs.isBytes) byteControllerPullSteps(rs.controller, request);
  else readableControllerPullSteps(rs.controller, request);
}

// ReadableStreamBYOBReaderRead (`min` in elements of the view's type).
function byobReaderRead(reader, view, min, request) {
  const rs = reader.stream;
  rs.disturbed = true;
  if (rs.state === "errored") request.error(rs.storedError);
  else byteControllerPullInto(rs.controller, view, min, request);
}

// ReadableStreamReaderGenericRelease: unlocks the stream.
function readerGenericRelease(reader) {
  const rs = reader.stream;
  const e = new $TypeError("This readable stream reader has been released and cannot be used to monitor the stream's state");
  if (rs.state === "readable") rejectDeferred(reader.closed, e);
  else reader.closed = deferredRejectedWith(e);
  markPromiseHandled(reader.closed.promise);
  if (rs.isBytes) byteControllerReleaseSteps(rs.controller);
  rs.reader = undefined;
  reader.stream = undefined;
}

function readerReleasedError() {
  return new $TypeError("This readable stream reader has been released and cannot be used to read from its previous owner stream");
}

// ReadableStreamDefaultReaderRelease: unlocks the stream; pending reads fail.
function readerRelease(reader) {
  readerGenericRelease(reader);
  readerErrorReadRequests(reader, readerReleasedError());
}

// ReadableStreamBYOBReaderRelease: unlocks the stream; pending reads fail.
function byobReaderRelease(reader) {
  readerGenericRelease(reader);
  byobReaderErrorReadIntoRequests(reader, readerReleasedError());
}

function readerErrorReadRequests(reader, e) {
  const requests = reader.readRequests.takeAll();
  for (let i = 0; i < requests.length; i++) requests[i].error(e);
}

function byobReaderErrorReadIntoRequests(reader, e) {
  const requests = reader.readIntoRequests.takeAll();
  for (let i = 0; i < requests.length; i++) requests[i].error(e);
}

// ReadableStreamTee: ReadableByteStreamTee for byte streams, else ReadableStreamDefaultTee.
function readableStreamTee(rs) {
  if (rs.isBytes) return readableByteStreamTee(rs);
  return readableStreamDefaultTee(rs);
}

// ReadableStreamDefaultTee (without cloning).
function readableStreamDefaultTee(rs) {
  const reader = acquireReader(rs, "Failed to execute 'tee' on 'ReadableStream'");
  let reading = false;
  let readAgain = false;
  let canceled1 = false;
  let canceled2 = false;
  let reason1;
  let reason2;
  let branch1;
  let branch2;
  const cancelDone = newDeferred();
  const pullAlgorithm = () => {
    if (reading) {
      readAgain = true;
      return promiseResolvedWith(undefined);
    }
    reading = true;
    readerRead(reader, {
      chunk(chunk) {
        // A microtask later, so that an error of the source that comes right after this
        // chunk errors the branches before they hand the chunk out.
        queueStreamMicrotask(() => {
          readAgain = false;
          if (!canceled1) readableControllerEnqueue(branch1.controller, chunk);
          if (!canceled2) readableControllerEnqueue(branch2.controller, chunk);
          reading = false;
          if (readAgain) pullAlgorithm();
        });
      },
      close() {
        reading = false;
        if (!canceled1) readableControllerClose(branch1.controller);
        if (!canceled2) readableControllerClose(branch2.controller);
        if (!canceled1 || !canceled2) resolveDeferred(cancelDone, undefined);
      },
      error() {
        reading = false;
      },
    });
    return promiseResolvedWith(undefined);
  };
  // The source is cancelled once both branches are, with both reasons.
  const cancel1Algorithm = (reason) => {
    canceled1 = true;
    reason1 = reason;
    if (canceled2) resolveDeferred(cancelDone, readableStreamCancel(rs, [reason1, reason2]));
    return cancelDone.promise;
  };
  const cancel2Algorithm = (reason) => {
    canceled2 = true;
    reason2 = reason;
    if (canceled1) resolveDeferred(cancelDone, readableStreamCancel(rs, [reason1, reason2]));
    return cancelDone.promise;
  };
  branch1 = createReadableStream(streamsNoop, pullAlgorithm, cancel1Algorithm);
  branch2 = createReadableStream(streamsNoop, pullAlgorithm, cancel2Algorithm);
  $promiseThen(reader.closed.promise, undefined, (r) => {
    readableControllerError(branch1.controller, r);
    readableControllerError(branch2.controller, r);
    if (!canceled1 || !canceled2) resolveDeferred(cancelDone, undefined);
  });
  return [branch1, branch2];
}

// ReadableByteStreamTee. The source is read with a default reader, or, while the branch
// being pulled has a BYOB request, with a BYOB reader into that request's view (the other
// branch gets a copy of the bytes).
function readableByteStreamTee(rs) {
  const where = "Failed to execute 'tee' on 'ReadableStream'";
  let reader = acquireReader(rs, where);
  let reading = false;
  let readAgainForBranch1 = false;
  let readAgainForBranch2 = false;
  let canceled1 = false;
  let canceled2 = false;
  let reason1;
  let reason2;
  let branch1;
  let branch2;
  const cancelDone = newDeferred();

  const forwardReaderError = (thisReader) => {
    $promiseThen(thisReader.closed.promise, undefined, (r) => {
      if (thisReader !== reader) return;
      byteControllerError(branch1.controller, r);
      byteControllerError(branch2.controller, r);
      if (!canceled1 || !canceled2) resolveDeferred(cancelDone, undefined);
    });
  };

  // A chunk that cannot be cloned errors both branches and cancels the source.
  const cloneFailed = (e, b1, b2) => {
    byteControllerError(b1.controller, e);
    byteControllerError(b2.controller, e);
    resolveDeferred(cancelDone, readableStreamCancel(rs, e));
  };

  const pullAgainIfAsked = () => {
    if (readAgainForBranch1) pull1Algorithm();
    else if (readAgainForBranch2) pull2Algorithm();
  };

  const pullWithDefaultReader = () => {
    if (reader.byob) {
      byobReaderRelease(reader);
      reader = acquireReader(rs, where);
      forwardReaderError(reader);
    }
    readerRead(reader, {
      chunk(chunk) {
        queueStreamMicrotask(() => {
          readAgainForBranch1 = false;
          readAgainForBranch2 = false;
          const chunk1 = chunk;
          let chunk2 = chunk;
          if (!canceled1 && !canceled2) {
            try {
              chunk2 = cloneAsUint8Array(chunk);
            } catch (e) {
              cloneFailed(e, branch1, branch2);
              return;
            }
          }
          if (!canceled1) byteControllerEnqueue(branch1.controller, chunk1);
          if (!canceled2) byteControllerEnqueue(branch2.controller, chunk2);
          reading = false;
          pullAgainIfAsked();
        });
      },
      close() {
        reading = false;
        if (!canceled1) byteControllerClose(branch1.controller);
        if (!canceled2) byteControllerClose(branch2.controller);
        if (branch1.controller.pendingPullIntos.length > 0) byteControllerRespond(branch1.controller, 0);
        if (branch2.controller.pendingPullIntos.length > 0) byteControllerRespond(branch2.controller, 0);
        if (!canceled1 || !canceled2) resolveDeferred(cancelDone, undefined);
      },
      error() {
        reading = false;
      },
    });
  };

  const pullWithBYOBReader = (view, forBranch2) => {
    if (!reader.byob) {
      readerRelease(reader);
      reader = acquireBYOBReader(rs, where);
      forwardReaderError(reader);
    }
    const byobBranch = forBranch2 ? branch2 : branch1;
    const otherBranch = forBranch2 ? branch1 : branch2;
    byobReaderRead(reader, view, 1, {
      chunk(chunk) {
        queueStreamMicrotask(() => {
          readAgainForBranch1 = false;
          readAgainForBranch2 = false;
          const byobCanceled = forBranch2 ? canceled2 : canceled1;
          const otherCanceled = forBranch2 ? canceled1 : canceled2;
          if (!otherCanceled) {
            let clonedChunk;
            try {
              clonedChunk = cloneAsUint8Array(chunk);
            } catch (e) {
              cloneFailed(e, byobBranch, otherBranch);
              return;
            }
            if (!byobCanceled) byteControllerRespondWithNewView(byobBranch.controller, chunk);
            byteControllerEnqueue(otherBranch.controller, clonedChunk);
          } else if (!byobCanceled) {
            byteControllerRespondWithNewView(byobBranch.controller, chunk);
          }
          reading = false;
          pullAgainIfAsked();
        });
      },
      close(chunk) {
        reading = false;
        const byobCanceled = forBranch2 ? canceled2 : canceled1;
        const otherCanceled = forBranch2 ? canceled1 : canceled2;
        if (!byobCanceled) byteControllerClose(byobBranch.controller);
        if (!otherCanceled) byteControllerClose(otherBranch.controller);
        if (chunk !== undefined) {
          if (!byobCanceled) byteControllerRespondWithNewView(byobBranch.controller, chunk);
          if (!otherCanceled && otherBranch.controller.pendingPullIntos.length > 0) byteControllerRespond(otherBranch.controller, 0);
        }
        if (!byobCanceled || !otherCanceled) resolveDeferred(cancelDone, undefined);
      },
      error() {
        reading = false;
      },
    });
  };

  const pull1Algorithm = () => {
    if (reading) {
      readAgainForBranch1 = true;
      return promiseResolvedWith(undefined);
    }
    reading = true;
    const byobRequest = byteControllerGetBYOBRequest(branch1.controller);
    if (byobRequest === null) pullWithDefaultReader();
    else pullWithBYOBReader(byobRequest.view, false);
    return promiseResolvedWith(undefined);
  };
  const pull2Algorithm = () => {
    if (reading) {
      readAgainForBranch2 = true;
      return promiseResolvedWith(undefined);
    }
    reading = true;
    const byobRequest = byteControllerGetBYOBRequest(branch2.controller);
    if (byobRequest === null) pullWithDefaultReader();
    else pullWithBYOBReader(byobRequest.view, true);
    return promiseResolvedWith(undefined);
  };
  const cancel1Algorithm = (reason) => {
    canceled1 = true;
    reason1 = reason;
    if (canceled2) resolveDeferred(cancelDone, readableStreamCancel(rs, [reason1, reason2]));
    return cancelDone.promise;
  };
  const cancel2Algorithm = (reason) => {
    canceled2 = true;
    reason2 = reason;
    if (canceled1) resolveDeferred(cancelDone, readableStreamCancel(rs, [reason1, reason2]));
    return cancelDone.promise;
  };
  branch1 = createReadableByteStream(streamsNoop, pull1Algorithm, cancel1Algorithm);
  branch2 = createReadableByteStream(streamsNoop, pull2Algorithm, cancel2Algorithm);
  forwardReaderError(reader);
  return [branch1, branch2];
}

// StreamPipeOptions; members in alphabetical order.
function pipeOptionsArg(where, v) {
  const d = dictionaryArg(where, "StreamPipeOptions", v);
  if (d === undefined) return { preventAbort: false, preventCancel: false, preventClose: false, signal: undefined };
  const preventAbort = !!d.preventAbort;
  const preventCancel = !!d.preventCancel;
  const preventClose = !!d.preventClose;
  const signal = d.signal;
  if (signal !== undefined) {
    try {
      $abortSignalAborted(signal);
    } catch {
      throw new $TypeError(`${where}: Failed to read the 'signal' property from 'StreamPipeOptions': Failed to convert value to 'AbortSignal'.`);
    }
  }
  return { preventAbort, preventCancel, preventClose, signal };
}

// ReadableStreamPipeTo. Chunks are read only while dest wants more (its writer's desired
// size is positive), and each is written as soon as it is read. Errors and closing
// propagate as the standard's "shutdown" rules say.
function readableStreamPipeTo(source, dest, preventClose, preventAbort, preventCancel, signal) {
  const reader = acquireReader(source, "Failed to execute 'pipeTo' on 'ReadableStream'");
  const writer = acquireWriter(dest, "Failed to execute 'pipeTo' on 'ReadableStream'");
  source.disturbed = true;
  let shuttingDown = false;
  // The last write's promise (rejections handled); a later read replaces it.
  let currentWrite = promiseResolvedWith(undefined);
  const result = newDeferred();
  let abortListener;

  function finalize(isError, error) {
    writerRelease(writer);
    readerRelease(reader);
    if (abortListener !== undefined) $removeEventListener(signal, "abort", abortListener);
    if (isError) rejectDeferred(result, error);
    else resolveDeferred(result, undefined);
  }

  // Runs `next` once every chunk read so far has been written, when dest can still take them.
  function afterPendingWrites(next) {
    if (dest.state !== "writable" || writableCloseQueuedOrInFlight(dest)) {
      next();
      return;
    }
    const waitFor = (p) => {
      $promiseThen(p, () => {
        if (p !== currentWrite) waitFor(currentWrite);
        else next();
      });
    };
    waitFor(currentWrite);
  }

  function shutdownWithAction(action, isError, originalError) {
    if (shuttingDown) return;
    shuttingDown = true;
    afterPendingWrites(() => {
      $promiseThen(action(), () => finalize(isError, originalError), (e) => finalize(true, e));
    });
  }

  function shutdown(isError, error) {
    if (shuttingDown) return;
    shuttingDown = true;
    afterPendingWrites(() => finalize(isError, error));
  }

  function sourceErrored() {
    const e = source.storedError;
    if (!preventAbort) shutdownWithAction(() => writableStreamAbort(dest, e), true, e);
    else shutdown(true, e);
  }

  function destErrored() {
    const e = dest.storedError;
    if (!preventCancel) shutdownWithAction(() => readableStreamCancel(source, e), true, e);
    else shutdown(true, e);
  }

  function sourceClosed() {
    if (!preventClose) shutdownWithAction(() => writerCloseWithErrorPropagation(writer), false, undefined);
    else shutdown(false, undefined);
  }

  function pipeLoop() {
    if (shuttingDown) return;
    const desired = writerGetDesiredSize(writer);
    if (desired === null || desired <= 0) {
      // Backpressure. A rejected ready promise means dest errored: handled below.
      $promiseThen(writer.ready.promise, pipeLoop, streamsNoop);
      return;
    }
    readerRead(reader, {
      chunk(chunk) {
        // Written a microtask later: the pipe runs "in parallel", so a source's enqueue()
        // must not call into the sink. A shutdown meanwhile still waits for this write.
        const written = newDeferred();
        currentWrite = written.promise;
        queueStreamMicrotask(() => {
          if (writer.stream !== undefined) resolveDeferred(written, $promiseThen(writerWrite(writer, chunk), undefined, streamsNoop));
          else resolveDeferred(written, undefined);
          pipeLoop();
        });
      },
      close: streamsNoop,
      error: streamsNoop,
    });
  }

  if (signal !== undefined) {
    const abortAlgorithm = () => {
      const error = $abortSignalReason(signal);
      const actions = [];
      if (!preventAbort) {
        $push(actions, () => (dest.state === "writable" ? writableStreamAbort(dest, error) : promiseResolvedWith(undefined)));
      }
      if (!preventCancel) {
        $push(actions, () => (source.state === "readable" ? readableStreamCancel(source, error) : promiseResolvedWith(undefined)));
      }
      shutdownWithAction(() => {
        const promises = [];
        for (let i = 0; i < actions.length; i++) $push(promises, actions[i]());
        return waitForAll(promises);
      }, true, error);
    };
    if ($abortSignalAborted(signal)) {
      abortAlgorithm();
      return result.promise;
    }
    abortListener = () => {
      if ($abortSignalAborted(signal)) abortAlgorithm();
    };
    $addEventListener(signal, "abort", abortListener);
  }

  // Errors propagate forward, then backward; closing forward, then backward. The state
  // checks cover streams that already are errored or closed; the promise reactions,
  // those that become so.
  if (source.state === "errored") sourceErrored();
  if (dest.state === "errored") destErrored();
  if (source.state === "closed") sourceClosed();
  if (writableCloseQueuedOrInFlight(dest) || dest.state === "closed") {
    const destClosed = new $TypeError("the destination writable stream closed before all data could be piped to it");
    if (!preventCancel) shutdownWithAction(() => readableStreamCancel(source, destClosed), true, destClosed);
    else shutdown(true, destClosed);
  }
  $promiseThen(reader.closed.promise, () => sourceClosed(), () => sourceErrored());
  $promiseThen(writer.closed.promise, undefined, () => destErrored());
  pipeLoop();
  return result.promise;
}

// The iterator record ReadableStream.from reads: next() and ret(reason) return what the
// iterator's methods return (a value or a promise of an iterator result).
function iteratorRecordOf(iterable) {
  if (iterable === undefined || iterable === null) {
    throw new $TypeError("Failed to execute 'from' on 'ReadableStream': The provided value is not async iterable or iterable.");
  }
  const asyncMethod = iterable[$Symbol.asyncIterator];
  if (asyncMethod !== undefined && asyncMethod !== null) {
    if (typeof asyncMethod !== "function") throw new $TypeError("Failed to execute 'from' on 'ReadableStream': Symbol.asyncIterator is not a function.");
    const iterator = $apply(asyncMethod, iterable, []);
    if (!isObjectLike(iterator)) throw new $TypeError("Failed to execute 'from' on 'ReadableStream': The async iterator is not an object.");
    const nextMethod = iterator.next;
    return {
      next: () => $apply(nextMethod, iterator, []),
      ret: (reason) => {
        const m = iterator.return;
        if (m === undefined || m === null) return undefined;
        return $apply(m, iterator, [reason]);
      },
    };
  }
  const syncMethod = iterable[$Symbol.iterator];
  if (typeof syncMethod !== "function") {
    throw new $TypeError("Failed to execute 'from' on 'ReadableStream': The provided value is not async iterable or iterable.");
  }
  const iterator = $apply(syncMethod, iterable, []);
  if (!isObjectLike(iterator)) throw new $TypeError("Failed to execute 'from' on 'ReadableStream': The iterator is not an object.");
  return asyncFromSyncIterator(iterator, iterator.next);
}

// CreateAsyncFromSyncIterator: results of a sync iterator, their values awaited.
function asyncFromSyncIterator(iterator, nextMethod) {
  const closeIterator = () => {
    try {
      const m = iterator.return;
      if (m !== undefined && m !== null) $apply(m, iterator, []);
    } catch {
      // the value's rejection is what the caller sees
    }
  };
  const continuation = (iterResult, closeOnRejection) => {
    const done = !!iterResult.done;
    const value = iterResult.value;
    let valuePromise;
    try {
      valuePromise = promiseResolvedWith(value);
    } catch (e) {
      if (closeOnRejection && !done) closeIterator();
      throw e;
    }
    return $promiseThen(valuePromise, (v) => ({ value: v, done }), (e) => {
      if (closeOnRejection && !done) closeIterator();
      throw e;
    });
  };
  return {
    next: () => {
      const r = $apply(nextMethod, iterator, []);
      if (!isObjectLike(r)) throw new $TypeError("The iterator's next() method returned a non-object");
      return continuation(r, true);
    },
    ret: (reason) => {
      const m = iterator.return;
      if (m === undefined || m === null) return { value: reason, done: true };
      const r = $apply(m, iterator, [reason]);
      if (!isObjectLike(r)) throw new $TypeError("The iterator's return() method returned a non-object");
      return continuation(r, false);
    },
  };
}

// ReadableStreamFromIterable: pulls one iterator result per pull (high-water mark 0);
// cancelling calls the iterator's return().
function readableStreamFromIterable(iterable) {
  const record = iteratorRecordOf(iterable);
  let rs;
  const pullAlgorithm = () => {
    let next;
    try {
      next = record.next();
    } catch (e) {
      return promiseRejectedWith(e);
    }
    return $promiseThen(promiseResolvedWith(next), (iterResult) => {
      if (!isObjectLike(iterResult)) throw new $TypeError("The promise returned by the iterator.next() method must fulfill with an object");
      if (iterResult.done) readableControllerClose(rs.controller);
      else readableControllerEnqueue(rs.controller, iterResult.value);
    });
  };
  const cancelAlgorithm = (reason) => {
    let returned;
    try {
      returned = record.ret(reason);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    if (returned === undefined) return promiseResolvedWith(undefined);
    return $promiseThen(promiseResolvedWith(returned), (iterResult) => {
      if (!isObjectLike(iterResult)) throw new $TypeError("The promise returned by the iterator.return() method must fulfill with an object");
    });
  };
  rs = createReadableStream(streamsNoop, pullAlgorithm, cancelAlgorithm, 0);
  return rs;
}

// ---------------------------------------------------------------------------------------
// Readable byte stream controllers.
//
// The record of a ReadableByteStreamController has the standard's slots: [[queue]] (a
// StreamQueue of {buffer, byteOffset, byteLength} entries, buffers transferred from the
// source), [[queueTotalSize]] (bytes), [[pendingPullIntos]] (an array of pull-into
// descriptors, see newPullIntoDescriptor), [[byobRequest]] (the record of a
// ReadableStreamBYOBRequest, {api, controller, view}, or null), [[autoAllocateChunkSize]],
// [[strategyHWM]] (`hwm`), and the flags and algorithms a default controller has.

function newByteControllerRecord() {
  const c = {
    api: undefined, stream: undefined, queue: undefined, queueTotalSize: 0, started: false, closeRequested: false,
    pullAgain: false, pulling: false, hwm: 0, pull: undefined, cancel: undefined, autoAllocateChunkSize: undefined,
    pendingPullIntos: [], byobRequest: null,
  };
  new ReadableByteStreamController(kStreamInternal, c);
  return c;
}

// A pull-into descriptor. `readerType` is "default", "byob", or "none" once the reader that
// asked for it was released.
function newPullIntoDescriptor(buffer, bufferByteLength, byteOffset, byteLength, minimumFill, elementSize, ctor, readerType) {
  return { buffer, bufferByteLength, byteOffset, byteLength, bytesFilled: 0, minimumFill, elementSize, ctor, readerType };
}

// SetUpReadableByteStreamController.
function setUpByteController(rs, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, autoAllocateChunkSize) {
  c.stream = rs;
  c.pullAgain = false;
  c.pulling = false;
  c.byobRequest = null;
  resetQueue(c);
  c.closeRequested = false;
  c.started = false;
  c.hwm = highWaterMark;
  c.pull = pullAlgorithm;
  c.cancel = cancelAlgorithm;
  c.autoAllocateChunkSize = autoAllocateChunkSize;
  c.pendingPullIntos = [];
  rs.controller = c;
  const startResult = startAlgorithm();
  $promiseThen(promiseResolvedWith(startResult), () => {
    c.started = true;
    byteControllerCallPullIfNeeded(c);
  }, (r) => byteControllerError(c, r));
}

// SetUpReadableByteStreamControllerFromUnderlyingSource.
function setUpByteControllerFromSource(rs, source, start, pull, cancel, highWaterMark, autoAllocateChunkSize) {
  const c = newByteControllerRecord();
  const startAlgorithm = start === undefined ? streamsNoop : () => $apply(start, source, [c.api]);
  const pullAlgorithm = pull === undefined ? () => promiseResolvedWith(undefined) : () => invokeAsPromise(pull, source, [c.api]);
  const cancelAlgorithm = cancel === undefined ? () => promiseResolvedWith(undefined) : (reason) => invokeAsPromise(cancel, source, [reason]);
  setUpByteController(rs, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, autoAllocateChunkSize);
}

function byteControllerCallPullIfNeeded(c) {
  if (!byteControllerShouldCallPull(c)) return;
  if (c.pulling) {
    c.pullAgain = true;
    return;
  }
  c.pulling = true;
  $promiseThen(c.pull(), () => {
    c.pulling = false;
    if (c.pullAgain) {
      c.pullAgain = false;
      byteControllerCallPullIfNeeded(c);
    }
  }, (e) => byteControllerError(c, e));
}

function byteControllerShouldCallPull(c) {
  const rs = c.stream;
  if (rs.state !== "readable") return false;
  if (c.closeRequested) return false;
  if (!c.started) return false;
  if (readableStreamNumReadRequests(rs) > 0) return true;
  if (readableStreamNumReadIntoRequests(rs) > 0) return true;
  return readableControllerGetDesiredSize(c) > 0;
}

function byteControllerClearAlgorithms(c) {
  c.pull = undefined;
  c.cancel = undefined;
}

function byteControllerClearPendingPullIntos(c) {
  byteControllerInvalidateBYOBRequest(c);
  c.pendingPullIntos = [];
}

function byteControllerClose(c) {
  const rs = c.stream;
  if (c.closeRequested || rs.state !== "readable") return;
  if (c.queueTotalSize > 0) {
    c.closeRequested = true;
    return;
  }
  if (c.pendingPullIntos.length > 0) {
    const first = c.pendingPullIntos[0];
    if (first.bytesFilled % first.elementSize !== 0) {
      const e = new $TypeError("Insufficient bytes to fill elements in the given buffer");
      byteControllerError(c, e);
      throw e;
    }
  }
  byteControllerClearAlgorithms(c);
  readableStreamClose(rs);
}

function byteControllerCommitPullIntoDescriptor(rs, pullInto) {
  const done = rs.state === "closed";
  const filledView = byteControllerConvertPullIntoDescriptor(pullInto);
  if (pullInto.readerType === "default") readableStreamFulfillReadRequest(rs, filledView, done);
  else readableStreamFulfillReadIntoRequest(rs, filledView, done);
}

function byteControllerConvertPullIntoDescriptor(pullInto) {
  const buffer = transferArrayBuffer(pullInto.buffer);
  return new pullInto.ctor(buffer, pullInto.byteOffset, pullInto.bytesFilled / pullInto.elementSize);
}

// ReadableByteStreamControllerEnqueue: the chunk's buffer is transferred to the stream.
function byteControllerEnqueue(c, chunk) {
  const rs = c.stream;
  if (c.closeRequested || rs.state !== "readable") return;
  const v = viewParts(chunk);
  if (isDetachedBuffer(v.buffer)) throw new $TypeError("The chunk's buffer is detached and so cannot be enqueued");
  const transferredBuffer = transferArrayBuffer(v.buffer);
  byteControllerEnqueueBuffer(c, transferredBuffer, v.byteOffset, v.byteLength, undefined);
}

// The rest of ReadableByteStreamControllerEnqueue, given the transferred buffer. `view`,
// when given, is a Uint8Array over exactly those bytes that a waiting default read gets
// (instead of a new one).
function byteControllerEnqueueBuffer(c, transferredBuffer, byteOffset, byteLength, view) {
  const rs = c.stream;
  if (c.pendingPullIntos.length > 0) {
    const first = c.pendingPullIntos[0];
    if (isDetachedBuffer(first.buffer)) throw new $TypeError("The BYOB request's buffer has been detached and so cannot be filled with an enqueued chunk");
    byteControllerInvalidateBYOBRequest(c);
    first.buffer = transferArrayBuffer(first.buffer);
    if (first.readerType === "none") byteControllerEnqueueDetachedPullIntoToQueue(c, first);
  }
  if (readableStreamHasDefaultReader(rs)) {
    byteControllerProcessReadRequestsUsingQueue(c);
    if (readableStreamNumReadRequests(rs) === 0) {
      byteControllerEnqueueChunkToQueue(c, transferredBuffer, byteOffset, byteLength);
    } else {
      if (c.pendingPullIntos.length > 0) byteControllerShiftPendingPullInto(c);
      const transferredView = view !== undefined ? view : new $Uint8Array(transferredBuffer, byteOffset, byteLength);
      readableStreamFulfillReadRequest(rs, transferredView, false);
    }
  } else if (readableStreamHasBYOBReader(rs)) {
    byteControllerEnqueueChunkToQueue(c, transferredBuffer, byteOffset, byteLength);
    const filledPullIntos = byteControllerProcessPullIntoDescriptorsUsingQueue(c);
    for (let i = 0; i < filledPullIntos.length; i++) byteControllerCommitPullIntoDescriptor(rs, filledPullIntos[i]);
  } else {
    byteControllerEnqueueChunkToQueue(c, transferredBuffer, byteOffset, byteLength);
  }
  byteControllerCallPullIfNeeded(c);
}

function byteControllerEnqueueChunkToQueue(c, buffer, byteOffset, byteLength) {
  c.queue.push({ buffer, byteOffset, byteLength });
  c.queueTotalSize += byteLength;
}

function byteControllerEnqueueClonedChunkToQueue(c, buffer, byteOffset, byteLength) {
  let clone;
  try {
    clone = cloneArrayBuffer(buffer, byteOffset, byteLength);
  } catch (e) {
    byteControllerError(c, e);
    throw e;
  }
  byteControllerEnqueueChunkToQueue(c, clone, 0, byteLength);
}

// The bytes a released reader's pull-into got go to the queue, for the next reader.
function byteControllerEnqueueDetachedPullIntoToQueue(c, pullInto) {
  if (pullInto.bytesFilled > 0) byteControllerEnqueueClonedChunkToQueue(c, pullInto.buffer, pullInto.byteOffset, pullInto.bytesFilled);
  byteControllerShiftPendingPullInto(c);
}

function byteControllerError(c, e) {
  const rs = c.stream;
  if (rs.state !== "readable") return;
  byteControllerClearPendingPullIntos(c);
  resetQueue(c);
  byteControllerClearAlgorithms(c);
  readableStreamError(rs, e);
}

function byteControllerFillHeadPullIntoDescriptor(c, size, pullInto) {
  pullInto.bytesFilled += size;
}

// Copies queued bytes into `pullInto`, as many as fit and whole elements; returns whether it
// now holds its minimum fill.
function byteControllerFillPullIntoDescriptorFromQueue(c, pullInto) {
  const maxBytesToCopy = $Math.min(c.queueTotalSize, pullInto.byteLength - pullInto.bytesFilled);
  const maxBytesFilled = pullInto.bytesFilled + maxBytesToCopy;
  let totalBytesToCopyRemaining = maxBytesToCopy;
  let ready = false;
  const remainderBytes = maxBytesFilled % pullInto.elementSize;
  const maxAlignedBytes = maxBytesFilled - remainderBytes;
  if (maxAlignedBytes >= pullInto.minimumFill) {
    totalBytesToCopyRemaining = maxAlignedBytes - pullInto.bytesFilled;
    ready = true;
  }
  const queue = c.queue;
  while (totalBytesToCopyRemaining > 0) {
    const head = queue.peek();
    const bytesToCopy = $Math.min(totalBytesToCopyRemaining, head.byteLength);
    const destStart = pullInto.byteOffset + pullInto.bytesFilled;
    copyDataBlockBytes(pullInto.buffer, destStart, head.buffer, head.byteOffset, bytesToCopy);
    if (head.byteLength === bytesToCopy) {
      queue.shift();
    } else {
      head.byteOffset += bytesToCopy;
      head.byteLength -= bytesToCopy;
    }
    c.queueTotalSize -= bytesToCopy;
    byteControllerFillHeadPullIntoDescriptor(c, bytesToCopy, pullInto);
    totalBytesToCopyRemaining -= bytesToCopy;
  }
  return ready;
}

// CopyDataBlockBytes, after checking CanCopyDataBlockBytes (whose failure would be a bug
// here: it throws rather than touch memory it should not).
function copyDataBlockBytes(toBuffer, toIndex, fromBuffer, fromIndex, count) {
  if (toBuffer === fromBuffer || isDetachedBuffer(toBuffer) || isDetachedBuffer(fromBuffer) ||
      toIndex + count > $arrayBufferByteLength(toBuffer) || fromIndex + count > $arrayBufferByteLength(fromBuffer)) {
    throw new $TypeError("Cannot copy the bytes of a readable byte stream's queue");
  }
  $typedArraySet(new $Uint8Array(toBuffer, toIndex, count), new $Uint8Array(fromBuffer, fromIndex, count));
}

function byteControllerFillReadRequestFromQueue(c, request) {
  const entry = c.queue.shift();
  c.queueTotalSize -= entry.byteLength;
  byteControllerHandleQueueDrain(c);
  const view = new $Uint8Array(entry.buffer, entry.byteOffset, entry.byteLength);
  request.chunk(view);
}

// ReadableByteStreamControllerGetBYOBRequest: the request record, or null.
function byteControllerGetBYOBRequest(c) {
  if (c.byobRequest === null && c.pendingPullIntos.length > 0) {
    const first = c.pendingPullIntos[0];
    const view = new $Uint8Array(first.buffer, first.byteOffset + first.bytesFilled, first.byteLength - first.bytesFilled);
    const request = { api: undefined, controller: c, view };
    new ReadableStreamBYOBRequest(kStreamInternal, request);
    c.byobRequest = request;
  }
  return c.byobRequest;
}

function byteControllerHandleQueueDrain(c) {
  if (c.queueTotalSize === 0 && c.closeRequested) {
    byteControllerClearAlgorithms(c);
    readableStreamClose(c.stream);
  } else {
    byteControllerCallPullIfNeeded(c);
  }
}

function byteControllerInvalidateBYOBRequest(c) {
  const request = c.byobRequest;
  if (request === null) return;
  request.controller = undefined;
  request.view = null;
  c.byobRequest = null;
}

// Fills pending pull-intos from the queue; returns those now filled (removed from the list),
// to be committed by the caller once all are.
function byteControllerProcessPullIntoDescriptorsUsingQueue(c) {
  const filledPullIntos = [];
  while (c.pendingPullIntos.length > 0) {
    if (c.queueTotalSize === 0) break;
    const pullInto = c.pendingPullIntos[0];
    if (byteControllerFillPullIntoDescriptorFromQueue(c, pullInto)) {
      byteControllerShiftPendingPullInto(c);
      $push(filledPullIntos, pullInto);
    }
  }
  return filledPullIntos;
}

function byteControllerProcessReadRequestsUsingQueue(c) {
  const reader = c.stream.reader;
  while (reader.readRequests.length > 0) {
    if (c.queueTotalSize === 0) return;
    const request = reader.readRequests.shift();
    byteControllerFillReadRequestFromQueue(c, request);
  }
}

// ReadableByteStreamControllerPullInto: a BYOB read of `view` (its buffer is transferred
// into the descriptor), of at least `min` elements.
function byteControllerPullInto(c, view, min, request) {
  const rs = c.stream;
  const v = viewParts(view);
  const minimumFill = min * v.elementSize;
  let buffer;
  try {
    buffer = transferArrayBuffer(v.buffer);
  } catch (e) {
    request.error(e);
    return;
  }
  const pullInto = newPullIntoDescriptor(buffer, $arrayBufferByteLength(buffer), v.byteOffset, v.byteLength, minimumFill, v.elementSize, v.ctor, "byob");
  if (c.pendingPullIntos.length > 0) {
    $push(c.pendingPullIntos, pullInto);
    rs.reader.readIntoRequests.push(request);
    return;
  }
  if (rs.state === "closed") {
    const emptyView = new v.ctor(pullInto.buffer, pullInto.byteOffset, 0);
    request.close(emptyView);
    return;
  }
  if (c.queueTotalSize > 0) {
    if (byteControllerFillPullIntoDescriptorFromQueue(c, pullInto)) {
      const filledView = byteControllerConvertPullIntoDescriptor(pullInto);
      byteControllerHandleQueueDrain(c);
      request.chunk(filledView);
      return;
    }
    if (c.closeRequested) {
      const e = new $TypeError("Insufficient bytes to fill elements in the given buffer");
      byteControllerError(c, e);
      request.error(e);
      return;
    }
  }
  $push(c.pendingPullIntos, pullInto);
  rs.reader.readIntoRequests.push(request);
  byteControllerCallPullIfNeeded(c);
}

// ReadableByteStreamControllerRespond (the source wrote `bytesWritten` bytes into the
// BYOB request's view).
function byteControllerRespond(c, bytesWritten) {
  const first = c.pendingPullIntos[0];
  if (c.stream.state === "closed") {
    if (bytesWritten !== 0) throw new $TypeError("bytesWritten must be 0 when calling respond() on a closed stream");
  } else {
    if (bytesWritten === 0) throw new $TypeError("bytesWritten must be greater than 0 when calling respond() on a readable stream");
    if (first.bytesFilled + bytesWritten > first.byteLength) throw new $RangeError("bytesWritten out of range");
  }
  first.buffer = transferArrayBuffer(first.buffer);
  byteControllerRespondInternal(c, bytesWritten);
}

function byteControllerRespondInClosedState(c, first) {
  if (first.readerType === "none") byteControllerShiftPendingPullInto(c);
  const rs = c.stream;
  if (readableStreamHasBYOBReader(rs)) {
    const filledPullIntos = [];
    while (filledPullIntos.length < readableStreamNumReadIntoRequests(rs)) $push(filledPullIntos, byteControllerShiftPendingPullInto(c));
    for (let i = 0; i < filledPullIntos.length; i++) byteControllerCommitPullIntoDescriptor(rs, filledPullIntos[i]);
  }
}

function byteControllerRespondInReadableState(c, bytesWritten, pullInto) {
  byteControllerFillHeadPullIntoDescriptor(c, bytesWritten, pullInto);
  if (pullInto.readerType === "none") {
    byteControllerEnqueueDetachedPullIntoToQueue(c, pullInto);
    const filledPullIntos = byteControllerProcessPullIntoDescriptorsUsingQueue(c);
    for (let i = 0; i < filledPullIntos.length; i++) byteControllerCommitPullIntoDescriptor(c.stream, filledPullIntos[i]);
    return;
  }
  // Not yet at its minimum fill: it stays first, for the source to go on filling.
  if (pullInto.bytesFilled < pullInto.minimumFill) return;
  byteControllerShiftPendingPullInto(c);
  const remainderSize = pullInto.bytesFilled % pullInto.elementSize;
  if (remainderSize > 0) {
    const end = pullInto.byteOffset + pullInto.bytesFilled;
    byteControllerEnqueueClonedChunkToQueue(c, pullInto.buffer, end - remainderSize, remainderSize);
  }
  pullInto.bytesFilled -= remainderSize;
  const filledPullIntos = byteControllerProcessPullIntoDescriptorsUsingQueue(c);
  byteControllerCommitPullIntoDescriptor(c.stream, pullInto);
  for (let i = 0; i < filledPullIntos.length; i++) byteControllerCommitPullIntoDescriptor(c.stream, filledPullIntos[i]);
}

function byteControllerRespondInternal(c, bytesWritten) {
  const first = c.pendingPullIntos[0];
  byteControllerInvalidateBYOBRequest(c);
  if (c.stream.state === "closed") byteControllerRespondInClosedState(c, first);
  else byteControllerRespondInReadableState(c, bytesWritten, first);
  byteControllerCallPullIfNeeded(c);
}

// ReadableByteStreamControllerRespondWithNewView: the source wrote into `view`, a view of
// the BYOB request's memory (or of a transfer of it).
function byteControllerRespondWithNewView(c, view) {
  const first = c.pendingPullIntos[0];
  const v = viewParts(view);
  if (c.stream.state === "closed") {
    if (v.byteLength !== 0) throw new $TypeError("The view's length must be 0 when calling respondWithNewView() on a closed stream");
  } else if (v.byteLength === 0) {
    throw new $TypeError("The view's length must be greater than 0 when calling respondWithNewView() on a readable stream");
  }
  if (first.byteOffset + first.bytesFilled !== v.byteOffset) throw new $RangeError("The region specified by view does not match byobRequest");
  if (first.bufferByteLength !== $arrayBufferByteLength(v.buffer)) throw new $RangeError("The buffer of view has different capacity than byobRequest");
  if (first.bytesFilled + v.byteLength > first.byteLength) throw new $RangeError("The region specified by view is larger than byobRequest");
  const viewByteLength = v.byteLength;
  first.buffer = transferArrayBuffer(v.buffer);
  byteControllerRespondInternal(c, viewByteLength);
}

function byteControllerShiftPendingPullInto(c) {
  return $arrayShift(c.pendingPullIntos);
}

// [[CancelSteps]]
function byteControllerCancelSteps(c, reason) {
  byteControllerClearPendingPullIntos(c);
  resetQueue(c);
  const result = c.cancel(reason);
  byteControllerClearAlgorithms(c);
  return result;
}

// [[PullSteps]]: a default reader's read is answered from the queue, or waits (with an
// auto-allocated buffer for the source to fill, when autoAllocateChunkSize is set).
function byteControllerPullSteps(c, request) {
  const rs = c.stream;
  if (c.queueTotalSize > 0) {
    byteControllerFillReadRequestFromQueue(c, request);
    return;
  }
  const autoAllocateChunkSize = c.autoAllocateChunkSize;
  if (autoAllocateChunkSize !== undefined) {
    let buffer;
    try {
      buffer = new $ArrayBuffer(autoAllocateChunkSize);
    } catch (e) {
      request.error(e);
      return;
    }
    $push(c.pendingPullIntos, newPullIntoDescriptor(buffer, autoAllocateChunkSize, 0, autoAllocateChunkSize, 1, 1, $Uint8Array, "default"));
  }
  rs.reader.readRequests.push(request);
  byteControllerCallPullIfNeeded(c);
}

// [[ReleaseSteps]]: the first pull-into stays (the source may be filling it) but belongs to
// no reader any more; the others go.
function byteControllerReleaseSteps(c) {
  if (c.pendingPullIntos.length > 0) {
    const first = c.pendingPullIntos[0];
    first.readerType = "none";
    c.pendingPullIntos = [first];
  }
}

// ---------------------------------------------------------------------------------------
// ReadableStream and its reader, controllers and async iterator.

let readableOf; // (v) => the record of a ReadableStream, or undefined

class ReadableStream {
  #rs;

  constructor(underlyingSource = undefined, strategy = undefined) {
    if (underlyingSource === kStreamInternal) {
      this.#rs = strategy;
      strategy.api = this;
      return;
    }
    const where = "Failed to construct 'ReadableStream'";
    if (underlyingSource !== undefined && !isObjectLike(underlyingSource)) {
      throw new $TypeError(`${where}: parameter 1 is not of type 'object'.`);
    }
    const strat = queuingStrategyArg(where, strategy);
    // The UnderlyingSource dictionary, its members read in alphabetical order.
    let autoAllocateChunkSize;
    let cancel;
    let pull;
    let start;
    let type;
    if (underlyingSource !== undefined) {
      const src = underlyingSource;
      autoAllocateChunkSize = src.autoAllocateChunkSize;
      if (autoAllocateChunkSize !== undefined) {
        autoAllocateChunkSize = enforceRangeMember(where, "UnderlyingSource", "autoAllocateChunkSize", autoAllocateChunkSize);
      }
      cancel = callbackMember(where, "UnderlyingSource", src, "cancel");
      pull = callbackMember(where, "UnderlyingSource", src, "pull");
      start = callbackMember(where, "UnderlyingSource", src, "start");
      type = src.type;
      if (type !== undefined) {
        type = `${type}`;
        if (type !== "bytes") {
          throw new $TypeError(`${where}: Failed to read the 'type' property from 'UnderlyingSource': The provided value '${type}' is not a valid enum value of type ReadableStreamType.`);
        }
      }
    }
    const isBytes = type === "bytes";
    const rs = newReadableRecord(isBytes);
    this.#rs = rs;
    rs.api = this;
    if (isBytes) {
      if (strat.size !== undefined) throw new $RangeError(`${where}: The strategy for a byte stream cannot have a size function.`);
      const hwm = extractHighWaterMark(strat, 0);
      if (autoAllocateChunkSize === 0) throw new $TypeError(`${where}: autoAllocateChunkSize must be greater than 0.`);
      setUpByteControllerFromSource(rs, underlyingSource, start, pull, cancel, hwm, autoAllocateChunkSize);
    } else {
      const size = extractSizeAlgorithm(strat);
      const hwm = extractHighWaterMark(strat, 1);
      setUpReadableControllerFromSource(rs, underlyingSource, start, pull, cancel, hwm, size);
    }
  }

  static from(asyncIterable) {
    if (arguments.length < 1) throw argumentsRequired("Failed to execute 'from' on 'ReadableStream'", 1, 0);
    if (!isObjectLike(asyncIterable)) {
      throw new $TypeError("Failed to execute 'from' on 'ReadableStream': The provided value is not an async iterable object.");
    }
    return readableStreamFromIterable(asyncIterable).api;
  }

  get locked() {
    const rs = readableOf(this);
    if (rs === undefined) throw illegalInvocation();
    return rs.reader !== undefined;
  }

  cancel(reason = undefined) {
    const rs = readableOf(this);
    if (rs === undefined) return promiseRejectedWith(illegalInvocation());
    if (rs.reader !== undefined) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'cancel' on 'ReadableStream': Cannot cancel a locked stream"));
    }
    return readableStreamCancel(rs, reason);
  }

  getReader(options = undefined) {
    const rs = readableOf(this);
    if (rs === undefined) throw illegalInvocation();
    const where = "Failed to execute 'getReader' on 'ReadableStream'";
    const d = dictionaryArg(where, "ReadableStreamGetReaderOptions", options);
    let mode = d === undefined ? undefined : d.mode;
    if (mode !== undefined) {
      mode = `${mode}`;
      if (mode !== "byob") {
        throw new $TypeError(`${where}: Failed to read the 'mode' property from 'ReadableStreamGetReaderOptions': The provided value '${mode}' is not a valid enum value of type ReadableStreamReaderMode.`);
      }
    }
    if (mode === undefined) return acquireReader(rs, where).api;
    return acquireBYOBReader(rs, where).api;
  }

  pipeThrough(transform, options = undefined) {
    const rs = readableOf(this);
    if (rs === undefined) throw illegalInvocation();
    const where = "Failed to execute 'pipeThrough' on 'ReadableStream'";
    if (arguments.length < 1) throw argumentsRequired(where, 1, 0);
    // The ReadableWritablePair dictionary: both members required.
    const pair = dictionaryArg(where, "ReadableWritablePair", transform);
    const readable = pair === undefined ? undefined : pair.readable;
    if (readable === undefined) {
      throw new $TypeError(`${where}: Failed to read the 'readable' property from 'ReadableWritablePair': Required member is undefined.`);
    }
    if (readableOf(readable) === undefined) {
      throw new $TypeError(`${where}: Failed to read the 'readable' property from 'ReadableWritablePair': Failed to convert value to 'ReadableStream'.`);
    }
    const writable = pair.writable;
    if (writable === undefined) {
      throw new $TypeError(`${where}: Failed to read the 'writable' property from 'ReadableWritablePair': Required member is undefined.`);
    }
    const ws = writableOf(writable);
    if (ws === undefined) {
      throw new $TypeError(`${where}: Failed to read the 'writable' property from 'ReadableWritablePair': Failed to convert value to 'WritableStream'.`);
    }
    const o = pipeOptionsArg(where, options);
    if (rs.reader !== undefined) throw new $TypeError(`${where}: Cannot pipe a locked stream`);
    if (ws.writer !== undefined) throw new $TypeError(`${where}: Cannot pipe to a locked stream`);
    const promise = readableStreamPipeTo(rs, ws, o.preventClose, o.preventAbort, o.preventCancel, o.signal);
    markPromiseHandled(promise);
    return readable;
  }

  pipeTo(destination, options = undefined) {
    const rs = readableOf(this);
    if (rs === undefined) return promiseRejectedWith(illegalInvocation());
    const where = "Failed to execute 'pipeTo' on 'ReadableStream'";
    if (arguments.length < 1) return promiseRejectedWith(argumentsRequired(where, 1, 0));
    const ws = writableOf(destination);
    if (ws === undefined) return promiseRejectedWith(new $TypeError(`${where}: parameter 1 is not of type 'WritableStream'.`));
    let o;
    try {
      o = pipeOptionsArg(where, options);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    if (rs.reader !== undefined) return promiseRejectedWith(new $TypeError(`${where}: Cannot pipe a locked stream`));
    if (ws.writer !== undefined) return promiseRejectedWith(new $TypeError(`${where}: Cannot pipe to a locked stream`));
    return readableStreamPipeTo(rs, ws, o.preventClose, o.preventAbort, o.preventCancel, o.signal);
  }

  tee() {
    const rs = readableOf(this);
    if (rs === undefined) throw illegalInvocation();
    const branches = readableStreamTee(rs);
    return [branches[0].api, branches[1].api];
  }

  values(options = undefined) {
    const rs = readableOf(this);
    if (rs === undefined) throw illegalInvocation();
    const where = "Failed to execute 'values' on 'ReadableStream'";
    const d = dictionaryArg(where, "ReadableStreamIteratorOptions", options);
    const preventCancel = d !== undefined && !!d.preventCancel;
    const reader = acquireReader(rs, where);
    return new ReadableStreamAsyncIterator(kStreamInternal, { reader, preventCancel, ongoing: undefined, finished: false });
  }

  static {
    readableOf = (v) => (isObjectLike(v) && #rs in v ? v.#rs : undefined);
  }
}
$defineProperty(ReadableStream.prototype, $Symbol.asyncIterator, {
  value: ReadableStream.prototype.values, writable: true, enumerable: false, configurable: true,
});

let readerOf; // (v) => the record of a ReadableStreamDefaultReader, or undefined

class ReadableStreamDefaultReader {
  #reader;

  constructor(stream, rec = undefined) {
    if (stream === kStreamInternal) {
      this.#reader = rec;
      rec.api = this;
      return;
    }
    const where = "Failed to construct 'ReadableStreamDefaultReader'";
    if (arguments.length < 1) throw argumentsRequired(where, 1, 0);
    const rs = readableOf(stream);
    if (rs === undefined) throw new $TypeError(`${where}: parameter 1 is not of type 'ReadableStream'.`);
    if (rs.reader !== undefined) {
      throw new $TypeError(`${where}: ReadableStreamDefaultReader constructor can only accept readable streams that are not yet locked to a reader`);
    }
    const reader = newReaderRecord();
    this.#reader = reader;
    reader.api = this;
    setUpReader(reader, rs);
  }

  get closed() {
    const reader = readerOf(this);
    if (reader === undefined) return promiseRejectedWith(illegalInvocation());
    return reader.closed.promise;
  }

  read() {
    const reader = readerOf(this);
    if (reader === undefined) return promiseRejectedWith(illegalInvocation());
    if (reader.stream === undefined) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'read' on 'ReadableStreamDefaultReader': This readable stream reader has been released and cannot be used to read from its previous owner stream"));
    }
    const d = newDeferred();
    readerRead(reader, {
      chunk: (chunk) => resolveDeferred(d, { value: chunk, done: false }),
      close: () => resolveDeferred(d, { value: undefined, done: true }),
      error: (e) => rejectDeferred(d, e),
    });
    return d.promise;
  }

  releaseLock() {
    const reader = readerOf(this);
    if (reader === undefined) throw illegalInvocation();
    if (reader.stream === undefined) return;
    readerRelease(reader);
  }

  cancel(reason = undefined) {
    const reader = readerOf(this);
    if (reader === undefined) return promiseRejectedWith(illegalInvocation());
    if (reader.stream === undefined) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'cancel' on 'ReadableStreamDefaultReader': This readable stream reader has been released and cannot be used to cancel its previous owner stream"));
    }
    return readableStreamCancel(reader.stream, reason);
  }

  static {
    readerOf = (v) => (isObjectLike(v) && #reader in v ? v.#reader : undefined);
  }
}

let byobReaderOf; // (v) => the record of a ReadableStreamBYOBReader, or undefined

class ReadableStreamBYOBReader {
  #reader;

  constructor(stream, rec = undefined) {
    if (stream === kStreamInternal) {
      this.#reader = rec;
      rec.api = this;
      return;
    }
    const where = "Failed to construct 'ReadableStreamBYOBReader'";
    if (arguments.length < 1) throw argumentsRequired(where, 1, 0);
    const rs = readableOf(stream);
    if (rs === undefined) throw new $TypeError(`${where}: parameter 1 is not of type 'ReadableStream'.`);
    const reader = newBYOBReaderRecord();
    setUpBYOBReader(reader, rs, where);
    this.#reader = reader;
    reader.api = this;
  }

  get closed() {
    const reader = byobReaderOf(this);
    if (reader === undefined) return promiseRejectedWith(illegalInvocation());
    return reader.closed.promise;
  }

  read(view, options = undefined) {
    const reader = byobReaderOf(this);
    if (reader === undefined) return promiseRejectedWith(illegalInvocation());
    const where = "Failed to execute 'read' on 'ReadableStreamBYOBReader'";
    if (arguments.length < 1) return promiseRejectedWith(argumentsRequired(where, 1, 0));
    let v;
    let min = 1;
    try {
      v = arrayBufferViewArg(where, 1, view);
      const d = dictionaryArg(where, "ReadableStreamBYOBReaderReadOptions", options);
      if (d !== undefined && d.min !== undefined) min = enforceRangeMember(where, "ReadableStreamBYOBReaderReadOptions", "min", d.min);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    if (v.byteLength === 0) return promiseRejectedWith(new $TypeError(`${where}: This readable stream reader cannot be used to read as the view has byte length equal to 0`));
    if ($arrayBufferByteLength(v.buffer) === 0) {
      return promiseRejectedWith(new $TypeError(`${where}: This readable stream reader cannot be used to read as the viewed array buffer has 0 byte length`));
    }
    if (isDetachedBuffer(v.buffer)) return promiseRejectedWith(new $TypeError(`${where}: This readable stream reader cannot be used to read as the viewed array buffer is detached`));
    if (min === 0) return promiseRejectedWith(new $TypeError(`${where}: Options "min" must be greater than zero`));
    if (min > v.length) {
      return promiseRejectedWith(new $RangeError(`${where}: Options "min" must be less than or equal to the view's ${v.isTypedArray ? "length" : "byteLength"}`));
    }
    if (reader.stream === undefined) {
      return promiseRejectedWith(new $TypeError(`${where}: This readable stream reader has been released and cannot be used to read from its previous owner stream`));
    }
    const d = newDeferred();
    byobReaderRead(reader, view, min, {
      chunk: (chunk) => resolveDeferred(d, { value: chunk, done: false }),
      close: (chunk) => resolveDeferred(d, { value: chunk, done: true }),
      error: (e) => rejectDeferred(d, e),
    });
    return d.promise;
  }

  releaseLock() {
    const reader = byobReaderOf(this);
    if (reader === undefined) throw illegalInvocation();
    if (reader.stream === undefined) return;
    byobReaderRelease(reader);
  }

  cancel(reason = undefined) {
    const reader = byobReaderOf(this);
    if (reader === undefined) return promiseRejectedWith(illegalInvocation());
    if (reader.stream === undefined) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'cancel' on 'ReadableStreamBYOBReader': This readable stream reader has been released and cannot be used to cancel its previous owner stream"));
    }
    return readableStreamCancel(reader.stream, reason);
  }

  static {
    byobReaderOf = (v) => (isObjectLike(v) && #reader in v ? v.#reader : undefined);
  }
}

let readableControllerOf; // (v) => the record of a ReadableStreamDefaultController, or undefined

class ReadableStreamDefaultController {
  #c;

  constructor(key = undefined, rec = undefined) {
    if (key !== kStreamInternal) throw new $TypeError("Illegal constructor");
    this.#c = rec;
    rec.api = this;
  }

  get desiredSize() {
    const c = readableControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    return readableControllerGetDesiredSize(c);
  }

  close() {
    const c = readableControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    if (c.closeRequested) {
      throw new $TypeError("Failed to execute 'close' on 'ReadableStreamDefaultController': Cannot close a readable stream that has already been requested to be closed");
    }
    if (c.stream.state !== "readable") {
      throw new $TypeError(`Failed to execute 'close' on 'ReadableStreamDefaultController': Cannot close a readable stream that is ${c.stream.state}`);
    }
    readableControllerClose(c);
  }

  enqueue(chunk = undefined) {
    const c = readableControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    if (c.closeRequested) {
      throw new $TypeError("Failed to execute 'enqueue' on 'ReadableStreamDefaultController': Cannot enqueue a chunk into a readable stream that is closed or has been requested to be closed");
    }
    if (c.stream.state !== "readable") {
      throw new $TypeError(`Failed to execute 'enqueue' on 'ReadableStreamDefaultController': Cannot enqueue a chunk into a readable stream that is ${c.stream.state}`);
    }
    readableControllerEnqueue(c, chunk);
  }

  error(e = undefined) {
    const c = readableControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    readableControllerError(c, e);
  }

  static {
    readableControllerOf = (v) => (isObjectLike(v) && #c in v ? v.#c : undefined);
  }
}

let byteControllerOf; // (v) => the record of a ReadableByteStreamController, or undefined

// The controller of a readable byte stream (`type: "bytes"`).
class ReadableByteStreamController {
  #c;

  constructor(key = undefined, rec = undefined) {
    if (key !== kStreamInternal) throw new $TypeError("Illegal constructor");
    this.#c = rec;
    rec.api = this;
  }

  get byobRequest() {
    const c = byteControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    const request = byteControllerGetBYOBRequest(c);
    return request === null ? null : request.api;
  }

  get desiredSize() {
    const c = byteControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    return readableControllerGetDesiredSize(c);
  }

  close() {
    const c = byteControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    if (c.closeRequested) {
      throw new $TypeError("Failed to execute 'close' on 'ReadableByteStreamController': The stream has already been closed; do not close it again!");
    }
    if (c.stream.state !== "readable") {
      throw new $TypeError(`Failed to execute 'close' on 'ReadableByteStreamController': The stream (in ${c.stream.state} state) is not in the readable state and cannot be closed`);
    }
    byteControllerClose(c);
  }

  enqueue(chunk) {
    const c = byteControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    const where = "Failed to execute 'enqueue' on 'ReadableByteStreamController'";
    if (arguments.length < 1) throw argumentsRequired(where, 1, 0);
    const v = arrayBufferViewArg(where, 1, chunk);
    if (v.byteLength === 0) throw new $TypeError(`${where}: chunk must have non-zero byteLength`);
    if ($arrayBufferByteLength(v.buffer) === 0) throw new $TypeError(`${where}: chunk's buffer must have non-zero byteLength`);
    if (c.closeRequested) throw new $TypeError(`${where}: stream is closed or draining`);
    if (c.stream.state !== "readable") {
      throw new $TypeError(`${where}: The stream (in ${c.stream.state} state) is not in the readable state and cannot be enqueued to`);
    }
    byteControllerEnqueue(c, chunk);
  }

  error(e = undefined) {
    const c = byteControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    byteControllerError(c, e);
  }

  static {
    byteControllerOf = (v) => (isObjectLike(v) && #c in v ? v.#c : undefined);
  }
}

let byobRequestOf; // (v) => the record of a ReadableStreamBYOBRequest, or undefined

// A byte stream's pending BYOB read, as its source sees it (controller.byobRequest).
class ReadableStreamBYOBRequest {
  #request;

  constructor(key = undefined, rec = undefined) {
    if (key !== kStreamInternal) throw new $TypeError("Illegal constructor");
    this.#request = rec;
    rec.api = this;
  }

  get view() {
    const request = byobRequestOf(this);
    if (request === undefined) throw illegalInvocation();
    return request.view;
  }

  respond(bytesWritten) {
    const request = byobRequestOf(this);
    if (request === undefined) throw illegalInvocation();
    const where = "Failed to execute 'respond' on 'ReadableStreamBYOBRequest'";
    if (arguments.length < 1) throw argumentsRequired(where, 1, 0);
    const n = enforceRangeArg(where, bytesWritten);
    if (request.controller === undefined) throw new $TypeError(`${where}: This BYOB request has been invalidated`);
    if (isDetachedBuffer($typedArrayBuffer(request.view))) {
      throw new $TypeError(`${where}: The BYOB request's buffer has been detached and so cannot be used as a response`);
    }
    byteControllerRespond(request.controller, n);
  }

  respondWithNewView(view) {
    const request = byobRequestOf(this);
    if (request === undefined) throw illegalInvocation();
    const where = "Failed to execute 'respondWithNewView' on 'ReadableStreamBYOBRequest'";
    if (arguments.length < 1) throw argumentsRequired(where, 1, 0);
    const v = arrayBufferViewArg(where, 1, view);
    if (request.controller === undefined) throw new $TypeError(`${where}: This BYOB request has been invalidated`);
    if (isDetachedBuffer(v.buffer)) throw new $TypeError(`${where}: The given view's buffer has been detached and so cannot be used as a response`);
    byteControllerRespondWithNewView(request.controller, view);
  }

  static {
    byobRequestOf = (v) => (isObjectLike(v) && #request in v ? v.#request : undefined);
  }
}

const kEndOfIteration = $Symbol("end of iteration");

// The next chunk for an async iterator (kEndOfIteration at the end); the reader is
// released once the stream is closed or errored.
function streamIteratorNext(it) {
  const reader = it.reader;
  const d = newDeferred();
  readerRead(reader, {
    chunk: (chunk) => resolveDeferred(d, chunk),
    close: () => {
      readerRelease(reader);
      resolveDeferred(d, kEndOfIteration);
    },
    error: (e) => {
      readerRelease(reader);
      rejectDeferred(d, e);
    },
  });
  return d.promise;
}

// The iterator's return steps: cancel the stream (unless preventCancel) and release it.
function streamIteratorReturn(it, value) {
  const reader = it.reader;
  if (!it.preventCancel) {
    const result = readableStreamCancel(reader.stream, value);
    readerRelease(reader);
    return result;
  }
  readerRelease(reader);
  return promiseResolvedWith(undefined);
}

let streamIteratorOf; // (v) => the record of a ReadableStream async iterator, or undefined

// The objects `values()` returns. next() calls queue behind each other, and return()
// behind them (Web IDL's asynchronous iterator prototype).
class ReadableStreamAsyncIterator {
  #it;

  constructor(key, rec) {
    if (key !== kStreamInternal) throw new $TypeError("Illegal constructor");
    this.#it = rec;
  }

  next() {
    const it = streamIteratorOf(this);
    if (it === undefined) return promiseRejectedWith(illegalInvocation());
    const nextSteps = () => {
      if (it.finished) return promiseResolvedWith({ value: undefined, done: true });
      return $promiseThen(streamIteratorNext(it), (v) => {
        it.ongoing = undefined;
        if (v === kEndOfIteration) {
          it.finished = true;
          return { value: undefined, done: true };
        }
        return { value: v, done: false };
      }, (e) => {
        it.ongoing = undefined;
        it.finished = true;
        throw e;
      });
    };
    it.ongoing = it.ongoing !== undefined ? $promiseThen(it.ongoing, nextSteps, nextSteps) : nextSteps();
    return it.ongoing;
  }

  return(value) {
    const it = streamIteratorOf(this);
    if (it === undefined) return promiseRejectedWith(illegalInvocation());
    const returnSteps = () => {
      if (it.finished) return promiseResolvedWith({ value, done: true });
      it.finished = true;
      return streamIteratorReturn(it, value);
    };
    // Calls after this one wait for it too.
    it.ongoing = it.ongoing !== undefined ? $promiseThen(it.ongoing, returnSteps, returnSteps) : returnSteps();
    return $promiseThen(it.ongoing, () => ({ value, done: true }));
  }

  static {
    streamIteratorOf = (v) => (isObjectLike(v) && #it in v ? v.#it : undefined);
  }
}
$Object.setPrototypeOf(ReadableStreamAsyncIterator.prototype, $asyncIteratorPrototype);
delete ReadableStreamAsyncIterator.prototype.constructor;
$defineProperty(ReadableStreamAsyncIterator.prototype, $Symbol.toStringTag, { value: "ReadableStream AsyncIterator", configurable: true });

// ---------------------------------------------------------------------------------------
// WritableStream internals.

function newWritableRecord() {
  return {
    api: undefined, state: "writable", storedError: undefined, writer: undefined, controller: undefined,
    inFlightWriteRequest: undefined, closeRequest: undefined, inFlightCloseRequest: undefined,
    pendingAbortRequest: undefined, writeRequests: new StreamQueue(), backpressure: false,
  };
}

function newWritableControllerRecord() {
  const c = {
    api: undefined, stream: undefined, queue: undefined, queueTotalSize: 0, abortController: undefined, started: false,
    size: undefined, hwm: 1, write: undefined, close: undefined, abort: undefined,
  };
  new WritableStreamDefaultController(kStreamInternal, c);
  return c;
}

function createWritableStream(startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark = 1, sizeAlgorithm = sizeOfOne) {
  const ws = newWritableRecord();
  new WritableStream(kStreamInternal, ws);
  const c = newWritableControllerRecord();
  setUpWritableController(ws, c, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm);
  return ws;
}

function writableStreamAbort(ws, reason) {
  if (ws.state === "closed" || ws.state === "errored") return promiseResolvedWith(undefined);
  // The sink learns of it through controller.signal, whose listeners may change the state.
  $abortControllerAbort(ws.controller.abortController, reason);
  const state = ws.state;
  if (state === "closed" || state === "errored") return promiseResolvedWith(undefined);
  if (ws.pendingAbortRequest !== undefined) return ws.pendingAbortRequest.deferred.promise;
  let wasAlreadyErroring = false;
  if (state === "erroring") {
    wasAlreadyErroring = true;
    reason = undefined;
  }
  const d = newDeferred();
  ws.pendingAbortRequest = { deferred: d, reason, wasAlreadyErroring };
  if (!wasAlreadyErroring) writableStreamStartErroring(ws, reason);
  return d.promise;
}

function writableStreamClose(ws) {
  const state = ws.state;
  if (state === "closed" || state === "errored") {
    return promiseRejectedWith(new $TypeError(`The stream (in ${state} state) is not in the writable state and cannot be closed`));
  }
  const d = newDeferred();
  ws.closeRequest = d;
  const writer = ws.writer;
  if (writer !== undefined && ws.backpressure && state === "writable") resolveDeferred(writer.ready, undefined);
  writableControllerClose(ws.controller);
  return d.promise;
}

function writableStreamDealWithRejection(ws, error) {
  if (ws.state === "writable") {
    writableStreamStartErroring(ws, error);
    return;
  }
  writableStreamFinishErroring(ws);
}

// "erroring": no new writes are accepted; the stream becomes "errored" once the write or
// close in flight (if any) settles.
function writableStreamStartErroring(ws, reason) {
  const c = ws.controller;
  ws.state = "erroring";
  ws.storedError = reason;
  const writer = ws.writer;
  if (writer !== undefined) writerEnsureReadyPromiseRejected(writer, reason);
  if (!writableHasOperationMarkedInFlight(ws) && c.started) writableStreamFinishErroring(ws);
}

function writableStreamFinishErroring(ws) {
  ws.state = "errored";
  resetQueue(ws.controller); // [[ErrorSteps]]
  const storedError = ws.storedError;
  const requests = ws.writeRequests.takeAll();
  for (let i = 0; i < requests.length; i++) rejectDeferred(requests[i], storedError);
  const abortRequest = ws.pendingAbortRequest;
  if (abortRequest === undefined) {
    writableStreamRejectCloseAndClosedPromiseIfNeeded(ws);
    return;
  }
  ws.pendingAbortRequest = undefined;
  if (abortRequest.wasAlreadyErroring) {
    rejectDeferred(abortRequest.deferred, storedError);
    writableStreamRejectCloseAndClosedPromiseIfNeeded(ws);
    return;
  }
  const promise = writableControllerAbortSteps(ws.controller, abortRequest.reason);
  $promiseThen(promise, () => {
    resolveDeferred(abortRequest.deferred, undefined);
    writableStreamRejectCloseAndClosedPromiseIfNeeded(ws);
  }, (reason) => {
    rejectDeferred(abortRequest.deferred, reason);
    writableStreamRejectCloseAndClosedPromiseIfNeeded(ws);
  });
}

function writableStreamFinishInFlightWrite(ws) {
  resolveDeferred(ws.inFlightWriteRequest, undefined);
  ws.inFlightWriteRequest = undefined;
}

function writableStreamFinishInFlightWriteWithError(ws, error) {
  rejectDeferred(ws.inFlightWriteRequest, error);
  ws.inFlightWriteRequest = undefined;
  writableStreamDealWithRejection(ws, error);
}

function writableStreamFinishInFlightClose(ws) {
  resolveDeferred(ws.inFlightCloseRequest, undefined);
  ws.inFlightCloseRequest = undefined;
  if (ws.state === "erroring") {
    // The close won over an abort that came while it was in flight.
    ws.storedError = undefined;
    if (ws.pendingAbortRequest !== undefined) {
      resolveDeferred(ws.pendingAbortRequest.deferred, undefined);
      ws.pendingAbortRequest = undefined;
    }
  }
  ws.state = "closed";
  const writer = ws.writer;
  if (writer !== undefined) resolveDeferred(writer.closed, undefined);
}

function writableStreamFinishInFlightCloseWithError(ws, error) {
  rejectDeferred(ws.inFlightCloseRequest, error);
  ws.inFlightCloseRequest = undefined;
  if (ws.pendingAbortRequest !== undefined) {
    rejectDeferred(ws.pendingAbortRequest.deferred, error);
    ws.pendingAbortRequest = undefined;
  }
  writableStreamDealWithRejection(ws, error);
}

function writableCloseQueuedOrInFlight(ws) {
  return ws.closeRequest !== undefined || ws.inFlightCloseRequest !== undefined;
}

function writableHasOperationMarkedInFlight(ws) {
  return ws.inFlightWriteRequest !== undefined || ws.inFlightCloseRequest !== undefined;
}

function writableStreamRejectCloseAndClosedPromiseIfNeeded(ws) {
  if (ws.closeRequest !== undefined) {
    rejectDeferred(ws.closeRequest, ws.storedError);
    ws.closeRequest = undefined;
  }
  const writer = ws.writer;
  if (writer !== undefined) {
    rejectDeferred(writer.closed, ws.storedError);
    markPromiseHandled(writer.closed.promise);
  }
}

// Backpressure shows as a pending writer.ready.
function writableStreamUpdateBackpressure(ws, backpressure) {
  const writer = ws.writer;
  if (writer !== undefined && backpressure !== ws.backpressure) {
    if (backpressure) writer.ready = newDeferred();
    else resolveDeferred(writer.ready, undefined);
  }
  ws.backpressure = backpressure;
}

// Writers.

function newWriterRecord() {
  return { api: undefined, stream: undefined, ready: undefined, closed: undefined };
}

function acquireWriter(ws, where) {
  const writer = newWriterRecord();
  setUpWriter(writer, ws, where);
  new WritableStreamDefaultWriter(kStreamInternal, writer);
  return writer;
}

function setUpWriter(writer, ws, where) {
  if (ws.writer !== undefined) throw new $TypeError(`${where}: Cannot create writer when WritableStream is locked`);
  writer.stream = ws;
  ws.writer = writer;
  const state = ws.state;
  if (state === "writable") {
    writer.ready = !writableCloseQueuedOrInFlight(ws) && ws.backpressure ? newDeferred() : deferredResolvedWith(undefined);
    writer.closed = newDeferred();
  } else if (state === "erroring") {
    writer.ready = deferredRejectedWith(ws.storedError);
    writer.closed = newDeferred();
  } else if (state === "closed") {
    writer.ready = deferredResolvedWith(undefined);
    writer.closed = deferredResolvedWith(undefined);
  } else {
    writer.ready = deferredRejectedWith(ws.storedError);
    writer.closed = deferredRejectedWith(ws.storedError);
  }
}

function writerCloseWithErrorPropagation(writer) {
  const ws = writer.stream;
  const state = ws.state;
  if (writableCloseQueuedOrInFlight(ws) || state === "closed") return promiseResolvedWith(undefined);
  if (state === "errored") return promiseRejectedWith(ws.storedError);
  return writableStreamClose(ws);
}

function writerEnsureClosedPromiseRejected(writer, error) {
  if (!writer.closed.settled) rejectDeferred(writer.closed, error);
  else writer.closed = deferredRejectedWith(error);
  markPromiseHandled(writer.closed.promise);
}

function writerEnsureReadyPromiseRejected(writer, error) {
  if (!writer.ready.settled) rejectDeferred(writer.ready, error);
  else writer.ready = deferredRejectedWith(error);
  markPromiseHandled(writer.ready.promise);
}

function writerGetDesiredSize(writer) {
  const ws = writer.stream;
  const state = ws.state;
  if (state === "errored" || state === "erroring") return null;
  if (state === "closed") return 0;
  return ws.controller.hwm - ws.controller.queueTotalSize;
}

function writerRelease(writer) {
  const ws = writer.stream;
  const releasedError = new $TypeError("This writable stream writer has been released and cannot be used to monitor the stream's state");
  writerEnsureReadyPromiseRejected(writer, releasedError);
  writerEnsureClosedPromiseRejected(writer, releasedError);
  ws.writer = undefined;
  writer.stream = undefined;
}

function writerWrite(writer, chunk) {
  const ws = writer.stream;
  const c = ws.controller;
  const chunkSize = writableControllerGetChunkSize(c, chunk);
  // The size function may have released the writer.
  if (ws !== writer.stream) {
    return promiseRejectedWith(new $TypeError("This writable stream writer has been released and cannot be used to write to its previous owner stream"));
  }
  const state = ws.state;
  if (state === "errored") return promiseRejectedWith(ws.storedError);
  if (writableCloseQueuedOrInFlight(ws) || state === "closed") {
    return promiseRejectedWith(new $TypeError("Cannot write to a writable stream that is closing or closed"));
  }
  if (state === "erroring") return promiseRejectedWith(ws.storedError);
  const d = newDeferred();
  ws.writeRequests.push(d);
  writableControllerWrite(c, chunk, chunkSize);
  return d.promise;
}

// Writable controllers. Chunks queue with their sizes; the close request queues as
// kCloseSentinel behind them. One write or close is "in flight" in the sink at a time.

function setUpWritableController(ws, c, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm) {
  c.stream = ws;
  ws.controller = c;
  resetQueue(c);
  c.abortController = new AbortController();
  c.started = false;
  c.size = sizeAlgorithm;
  c.hwm = highWaterMark;
  c.write = writeAlgorithm;
  c.close = closeAlgorithm;
  c.abort = abortAlgorithm;
  writableStreamUpdateBackpressure(ws, writableControllerGetBackpressure(c));
  const startResult = startAlgorithm();
  $promiseThen(promiseResolvedWith(startResult), () => {
    c.started = true;
    writableControllerAdvanceQueueIfNeeded(c);
  }, (r) => {
    c.started = true;
    writableStreamDealWithRejection(ws, r);
  });
}

function setUpWritableControllerFromSink(ws, sink, start, write, close, abort, highWaterMark, sizeAlgorithm) {
  const c = newWritableControllerRecord();
  const startAlgorithm = start === undefined ? streamsNoop : () => $apply(start, sink, [c.api]);
  const writeAlgorithm = write === undefined ? () => promiseResolvedWith(undefined) : (chunk) => invokeAsPromise(write, sink, [chunk, c.api]);
  const closeAlgorithm = close === undefined ? () => promiseResolvedWith(undefined) : () => invokeAsPromise(close, sink, []);
  const abortAlgorithm = abort === undefined ? () => promiseResolvedWith(undefined) : (reason) => invokeAsPromise(abort, sink, [reason]);
  setUpWritableController(ws, c, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm);
}

// [[AbortSteps]]
function writableControllerAbortSteps(c, reason) {
  const result = c.abort(reason);
  writableControllerClearAlgorithms(c);
  return result;
}

function writableControllerClearAlgorithms(c) {
  c.write = undefined;
  c.close = undefined;
  c.abort = undefined;
  c.size = undefined;
}

function writableControllerClose(c) {
  enqueueValueWithSize(c, kCloseSentinel, 0);
  writableControllerAdvanceQueueIfNeeded(c);
}

function writableControllerGetChunkSize(c, chunk) {
  if (c.size === undefined) return 1; // algorithms cleared: the stream is no longer writable
  try {
    return c.size(chunk);
  } catch (e) {
    writableControllerErrorIfNeeded(c, e);
    return 1;
  }
}

function writableControllerGetBackpressure(c) {
  return c.hwm - c.queueTotalSize <= 0;
}

function writableControllerWrite(c, chunk, chunkSize) {
  try {
    enqueueValueWithSize(c, chunk, chunkSize);
  } catch (e) {
    writableControllerErrorIfNeeded(c, e);
    return;
  }
  const ws = c.stream;
  if (!writableCloseQueuedOrInFlight(ws) && ws.state === "writable") {
    writableStreamUpdateBackpressure(ws, writableControllerGetBackpressure(c));
  }
  writableControllerAdvanceQueueIfNeeded(c);
}

function writableControllerAdvanceQueueIfNeeded(c) {
  const ws = c.stream;
  if (!c.started) return;
  if (ws.inFlightWriteRequest !== undefined) return;
  const state = ws.state;
  if (state === "closed" || state === "errored") return;
  if (state === "erroring") {
    writableStreamFinishErroring(ws);
    return;
  }
  if (c.queue.length === 0) return;
  const value = peekQueueValue(c);
  if (value === kCloseSentinel) writableControllerProcessClose(c);
  else writableControllerProcessWrite(c, value);
}

function writableControllerErrorIfNeeded(c, error) {
  if (c.stream.state === "writable") writableControllerError(c, error);
}

function writableControllerProcessClose(c) {
  const ws = c.stream;
  ws.inFlightCloseRequest = ws.closeRequest;
  ws.closeRequest = undefined;
  dequeueValue(c);
  const sinkClosePromise = c.close();
  writableControllerClearAlgorithms(c);
  $promiseThen(sinkClosePromise, () => writableStreamFinishInFlightClose(ws), (reason) => writableStreamFinishInFlightCloseWithError(ws, reason));
}

function writableControllerProcessWrite(c, chunk) {
  const ws = c.stream;
  ws.inFlightWriteRequest = ws.writeRequests.shift();
  const sinkWritePromise = c.write(chunk);
  $promiseThen(sinkWritePromise, () => {
    writableStreamFinishInFlightWrite(ws);
    const state = ws.state;
    dequeueValue(c);
    if (!writableCloseQueuedOrInFlight(ws) && state === "writable") {
      writableStreamUpdateBackpressure(ws, writableControllerGetBackpressure(c));
    }
    writableControllerAdvanceQueueIfNeeded(c);
  }, (reason) => {
    if (ws.state === "writable") writableControllerClearAlgorithms(c);
    writableStreamFinishInFlightWriteWithError(ws, reason);
  });
}

function writableControllerError(c, error) {
  writableControllerClearAlgorithms(c);
  writableStreamStartErroring(c.stream, error);
}

// ---------------------------------------------------------------------------------------
// WritableStream, its writer and controller.

let writableOf; // (v) => the record of a WritableStream, or undefined

class WritableStream {
  #ws;

  constructor(underlyingSink = undefined, strategy = undefined) {
    if (underlyingSink === kStreamInternal) {
      this.#ws = strategy;
      strategy.api = this;
      return;
    }
    const where = "Failed to construct 'WritableStream'";
    if (underlyingSink !== undefined && !isObjectLike(underlyingSink)) {
      throw new $TypeError(`${where}: parameter 1 is not of type 'object'.`);
    }
    const strat = queuingStrategyArg(where, strategy);
    // The UnderlyingSink dictionary, its members read in alphabetical order.
    let abort;
    let close;
    let start;
    let type;
    let write;
    if (underlyingSink !== undefined) {
      abort = callbackMember(where, "UnderlyingSink", underlyingSink, "abort");
      close = callbackMember(where, "UnderlyingSink", underlyingSink, "close");
      start = callbackMember(where, "UnderlyingSink", underlyingSink, "start");
      type = underlyingSink.type;
      write = callbackMember(where, "UnderlyingSink", underlyingSink, "write");
    }
    if (type !== undefined) throw new $RangeError(`${where}: Invalid type is specified`);
    const ws = newWritableRecord();
    this.#ws = ws;
    ws.api = this;
    const size = extractSizeAlgorithm(strat);
    const hwm = extractHighWaterMark(strat, 1);
    setUpWritableControllerFromSink(ws, underlyingSink, start, write, close, abort, hwm, size);
  }

  get locked() {
    const ws = writableOf(this);
    if (ws === undefined) throw illegalInvocation();
    return ws.writer !== undefined;
  }

  abort(reason = undefined) {
    const ws = writableOf(this);
    if (ws === undefined) return promiseRejectedWith(illegalInvocation());
    if (ws.writer !== undefined) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'abort' on 'WritableStream': Cannot abort a locked stream"));
    }
    return writableStreamAbort(ws, reason);
  }

  close() {
    const ws = writableOf(this);
    if (ws === undefined) return promiseRejectedWith(illegalInvocation());
    if (ws.writer !== undefined) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'close' on 'WritableStream': Cannot close a locked stream"));
    }
    if (writableCloseQueuedOrInFlight(ws)) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'close' on 'WritableStream': Cannot close a stream that is already closing"));
    }
    return writableStreamClose(ws);
  }

  getWriter() {
    const ws = writableOf(this);
    if (ws === undefined) throw illegalInvocation();
    return acquireWriter(ws, "Failed to execute 'getWriter' on 'WritableStream'").api;
  }

  static {
    writableOf = (v) => (isObjectLike(v) && #ws in v ? v.#ws : undefined);
  }
}

let writerOf; // (v) => the record of a WritableStreamDefaultWriter, or undefined

class WritableStreamDefaultWriter {
  #writer;

  constructor(stream, rec = undefined) {
    if (stream === kStreamInternal) {
      this.#writer = rec;
      rec.api = this;
      return;
    }
    const where = "Failed to construct 'WritableStreamDefaultWriter'";
    if (arguments.length < 1) throw argumentsRequired(where, 1, 0);
    const ws = writableOf(stream);
    if (ws === undefined) throw new $TypeError(`${where}: parameter 1 is not of type 'WritableStream'.`);
    const writer = newWriterRecord();
    setUpWriter(writer, ws, where);
    this.#writer = writer;
    writer.api = this;
  }

  get closed() {
    const writer = writerOf(this);
    if (writer === undefined) return promiseRejectedWith(illegalInvocation());
    return writer.closed.promise;
  }

  get desiredSize() {
    const writer = writerOf(this);
    if (writer === undefined) throw illegalInvocation();
    if (writer.stream === undefined) {
      throw new $TypeError("Failed to read the 'desiredSize' property from 'WritableStreamDefaultWriter': This writable stream writer has been released and cannot be used to monitor the stream's state");
    }
    return writerGetDesiredSize(writer);
  }

  get ready() {
    const writer = writerOf(this);
    if (writer === undefined) return promiseRejectedWith(illegalInvocation());
    return writer.ready.promise;
  }

  abort(reason = undefined) {
    const writer = writerOf(this);
    if (writer === undefined) return promiseRejectedWith(illegalInvocation());
    if (writer.stream === undefined) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'abort' on 'WritableStreamDefaultWriter': This writable stream writer has been released and cannot be used to abort its previous owner stream"));
    }
    return writableStreamAbort(writer.stream, reason);
  }

  close() {
    const writer = writerOf(this);
    if (writer === undefined) return promiseRejectedWith(illegalInvocation());
    const ws = writer.stream;
    if (ws === undefined) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'close' on 'WritableStreamDefaultWriter': This writable stream writer has been released and cannot be used to close its previous owner stream"));
    }
    if (writableCloseQueuedOrInFlight(ws)) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'close' on 'WritableStreamDefaultWriter': Cannot close a stream that is already closing"));
    }
    return writableStreamClose(ws);
  }

  releaseLock() {
    const writer = writerOf(this);
    if (writer === undefined) throw illegalInvocation();
    if (writer.stream === undefined) return;
    writerRelease(writer);
  }

  write(chunk = undefined) {
    const writer = writerOf(this);
    if (writer === undefined) return promiseRejectedWith(illegalInvocation());
    if (writer.stream === undefined) {
      return promiseRejectedWith(new $TypeError("Failed to execute 'write' on 'WritableStreamDefaultWriter': This writable stream writer has been released and cannot be used to write to its previous owner stream"));
    }
    return writerWrite(writer, chunk);
  }

  static {
    writerOf = (v) => (isObjectLike(v) && #writer in v ? v.#writer : undefined);
  }
}

let writableControllerOf; // (v) => the record of a WritableStreamDefaultController, or undefined

class WritableStreamDefaultController {
  #c;

  constructor(key = undefined, rec = undefined) {
    if (key !== kStreamInternal) throw new $TypeError("Illegal constructor");
    this.#c = rec;
    rec.api = this;
  }

  get signal() {
    const c = writableControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    return $abortControllerSignal(c.abortController);
  }

  error(e = undefined) {
    const c = writableControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    if (c.stream.state !== "writable") return;
    writableControllerError(c, e);
  }

  static {
    writableControllerOf = (v) => (isObjectLike(v) && #c in v ? v.#c : undefined);
  }
}

// ---------------------------------------------------------------------------------------
// TransformStream internals. The writable side's sink runs the transformer; the readable
// side's source only relieves backpressure: a write waits while the readable side is
// full (stream.backpressure), and a pull of the readable side lets it go.

function newTransformRecord() {
  return { api: undefined, readable: undefined, writable: undefined, backpressure: undefined, backpressureChange: undefined, controller: undefined };
}

function newTransformControllerRecord() {
  const c = { api: undefined, stream: undefined, transform: undefined, flush: undefined, cancel: undefined, finish: undefined };
  new TransformStreamDefaultController(kStreamInternal, c);
  return c;
}

function initializeTransformStream(ts, startPromise, writableHWM, writableSize, readableHWM, readableSize) {
  const startAlgorithm = () => startPromise;
  ts.writable = createWritableStream(startAlgorithm, (chunk) => transformSinkWrite(ts, chunk), () => transformSinkClose(ts),
    (reason) => transformSinkAbort(ts, reason), writableHWM, writableSize);
  ts.readable = createReadableStream(startAlgorithm, () => transformSourcePull(ts), (reason) => transformSourceCancel(ts, reason),
    readableHWM, readableSize);
  ts.backpressure = undefined;
  ts.backpressureChange = undefined;
  transformSetBackpressure(ts, true);
  ts.controller = undefined;
}

function transformStreamError(ts, e) {
  readableControllerError(ts.readable.controller, e);
  transformErrorWritableAndUnblockWrite(ts, e);
}

function transformErrorWritableAndUnblockWrite(ts, e) {
  transformControllerClearAlgorithms(ts.controller);
  writableControllerErrorIfNeeded(ts.writable.controller, e);
  transformUnblockWrite(ts);
}

function transformUnblockWrite(ts) {
  if (ts.backpressure) transformSetBackpressure(ts, false);
}

function transformSetBackpressure(ts, backpressure) {
  if (ts.backpressureChange !== undefined) resolveDeferred(ts.backpressureChange, undefined);
  ts.backpressureChange = newDeferred();
  ts.backpressure = backpressure;
}

function setUpTransformController(ts, c, transformAlgorithm, flushAlgorithm, cancelAlgorithm) {
  c.stream = ts;
  ts.controller = c;
  c.transform = transformAlgorithm;
  c.flush = flushAlgorithm;
  c.cancel = cancelAlgorithm;
}

function setUpTransformControllerFromTransformer(ts, transformer, transform, flush, cancel) {
  const c = newTransformControllerRecord();
  const transformAlgorithm = transform !== undefined ? (chunk) => invokeAsPromise(transform, transformer, [chunk, c.api]) : (chunk) => {
    // Without transform(), chunks pass through unchanged.
    try {
      transformControllerEnqueue(c, chunk);
      return promiseResolvedWith(undefined);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  };
  const flushAlgorithm = flush !== undefined ? () => invokeAsPromise(flush, transformer, [c.api]) : () => promiseResolvedWith(undefined);
  const cancelAlgorithm = cancel !== undefined ? (reason) => invokeAsPromise(cancel, transformer, [reason]) : () => promiseResolvedWith(undefined);
  setUpTransformController(ts, c, transformAlgorithm, flushAlgorithm, cancelAlgorithm);
}

function transformControllerClearAlgorithms(c) {
  c.transform = undefined;
  c.flush = undefined;
  c.cancel = undefined;
}

function transformControllerEnqueue(c, chunk) {
  const ts = c.stream;
  const rc = ts.readable.controller;
  if (!readableControllerCanCloseOrEnqueue(rc)) {
    throw new $TypeError("Failed to execute 'enqueue' on 'TransformStreamDefaultController': Readable side is not in a state that permits enqueue");
  }
  try {
    readableControllerEnqueue(rc, chunk);
  } catch (e) {
    transformErrorWritableAndUnblockWrite(ts, e);
    throw ts.readable.storedError;
  }
  if (readableControllerHasBackpressure(rc) !== ts.backpressure) transformSetBackpressure(ts, true);
}

function transformControllerPerformTransform(c, chunk) {
  return $promiseThen(c.transform(chunk), undefined, (r) => {
    transformStreamError(c.stream, r);
    throw r;
  });
}

function transformControllerTerminate(c) {
  const ts = c.stream;
  readableControllerClose(ts.readable.controller);
  transformErrorWritableAndUnblockWrite(ts, new $TypeError("TransformStream terminated"));
}

function transformSinkWrite(ts, chunk) {
  const c = ts.controller;
  if (ts.backpressure) {
    return $promiseThen(ts.backpressureChange.promise, () => {
      const w = ts.writable;
      if (w.state === "erroring") throw w.storedError;
      return transformControllerPerformTransform(c, chunk);
    });
  }
  return transformControllerPerformTransform(c, chunk);
}

// The writable side was aborted: cancel the transformer, error the readable side.
function transformSinkAbort(ts, reason) {
  const c = ts.controller;
  if (c.finish !== undefined) return c.finish.promise;
  const readable = ts.readable;
  c.finish = newDeferred();
  const finish = c.finish;
  const cancelPromise = c.cancel(reason);
  transformControllerClearAlgorithms(c);
  $promiseThen(cancelPromise, () => {
    if (readable.state === "errored") rejectDeferred(finish, readable.storedError);
    else {
      readableControllerError(readable.controller, reason);
      resolveDeferred(finish, undefined);
    }
  }, (r) => {
    readableControllerError(readable.controller, r);
    rejectDeferred(finish, r);
  });
  return finish.promise;
}

// The writable side closed: flush, then close the readable side.
function transformSinkClose(ts) {
  const c = ts.controller;
  if (c.finish !== undefined) return c.finish.promise;
  const readable = ts.readable;
  c.finish = newDeferred();
  const finish = c.finish;
  const flushPromise = c.flush();
  transformControllerClearAlgorithms(c);
  $promiseThen(flushPromise, () => {
    if (readable.state === "errored") rejectDeferred(finish, readable.storedError);
    else {
      readableControllerClose(readable.controller);
      resolveDeferred(finish, undefined);
    }
  }, (r) => {
    readableControllerError(readable.controller, r);
    rejectDeferred(finish, r);
  });
  return finish.promise;
}

function transformSourcePull(ts) {
  transformSetBackpressure(ts, false);
  return ts.backpressureChange.promise;
}

// The readable side was cancelled: cancel the transformer, error the writable side.
function transformSourceCancel(ts, reason) {
  const c = ts.controller;
  if (c.finish !== undefined) return c.finish.promise;
  const writable = ts.writable;
  c.finish = newDeferred();
  const finish = c.finish;
  const cancelPromise = c.cancel(reason);
  transformControllerClearAlgorithms(c);
  $promiseThen(cancelPromise, () => {
    if (writable.state === "errored") rejectDeferred(finish, writable.storedError);
    else {
      writableControllerErrorIfNeeded(writable.controller, reason);
      transformUnblockWrite(ts);
      resolveDeferred(finish, undefined);
    }
  }, (r) => {
    writableControllerErrorIfNeeded(writable.controller, r);
    transformUnblockWrite(ts);
    rejectDeferred(finish, r);
  });
  return finish.promise;
}

// A TransformStream "set up" by another standard: transform and flush take the record's
// controller from `ts.controller` and may throw or return a promise.
function createTransformStreamFromAlgorithms(transformAlgorithm, flushAlgorithm) {
  const ts = newTransformRecord();
  new TransformStream(kStreamInternal, ts);
  initializeTransformStream(ts, promiseResolvedWith(undefined), 1, sizeOfOne, 0, sizeOfOne);
  const wrap = (f) => (arg) => {
    try {
      return promiseResolvedWith(f(arg));
    } catch (e) {
      return promiseRejectedWith(e);
    }
  };
  setUpTransformController(ts, newTransformControllerRecord(), wrap(transformAlgorithm), wrap(flushAlgorithm), () => promiseResolvedWith(undefined));
  return ts;
}

// ---------------------------------------------------------------------------------------
// TransformStream and its controller.

let transformOf; // (v) => the record of a TransformStream, or undefined

class TransformStream {
  #ts;

  constructor(transformer = undefined, writableStrategy = undefined, readableStrategy = undefined) {
    if (transformer === kStreamInternal) {
      this.#ts = writableStrategy;
      writableStrategy.api = this;
      return;
    }
    const where = "Failed to construct 'TransformStream'";
    if (transformer !== undefined && !isObjectLike(transformer)) {
      throw new $TypeError(`${where}: parameter 1 is not of type 'object'.`);
    }
    const wStrat = queuingStrategyArg(where, writableStrategy);
    const rStrat = queuingStrategyArg(where, readableStrategy);
    // The Transformer dictionary, its members read in alphabetical order.
    let cancel;
    let flush;
    let readableType;
    let start;
    let transform;
    let writableType;
    if (transformer !== undefined) {
      cancel = callbackMember(where, "Transformer", transformer, "cancel");
      flush = callbackMember(where, "Transformer", transformer, "flush");
      readableType = transformer.readableType;
      start = callbackMember(where, "Transformer", transformer, "start");
      transform = callbackMember(where, "Transformer", transformer, "transform");
      writableType = transformer.writableType;
    }
    if (readableType !== undefined) throw new $RangeError(`${where}: Invalid readableType specified`);
    if (writableType !== undefined) throw new $RangeError(`${where}: Invalid writableType specified`);
    const readableHWM = extractHighWaterMark(rStrat, 0);
    const readableSize = extractSizeAlgorithm(rStrat);
    const writableHWM = extractHighWaterMark(wStrat, 1);
    const writableSize = extractSizeAlgorithm(wStrat);
    const started = newDeferred();
    const ts = newTransformRecord();
    this.#ts = ts;
    ts.api = this;
    initializeTransformStream(ts, started.promise, writableHWM, writableSize, readableHWM, readableSize);
    setUpTransformControllerFromTransformer(ts, transformer, transform, flush, cancel);
    resolveDeferred(started, start === undefined ? undefined : $apply(start, transformer, [ts.controller.api]));
  }

  get readable() {
    const ts = transformOf(this);
    if (ts === undefined) throw illegalInvocation();
    return ts.readable.api;
  }

  get writable() {
    const ts = transformOf(this);
    if (ts === undefined) throw illegalInvocation();
    return ts.writable.api;
  }

  static {
    transformOf = (v) => (isObjectLike(v) && #ts in v ? v.#ts : undefined);
  }
}

let transformControllerOf; // (v) => the record of a TransformStreamDefaultController, or undefined

class TransformStreamDefaultController {
  #c;

  constructor(key = undefined, rec = undefined) {
    if (key !== kStreamInternal) throw new $TypeError("Illegal constructor");
    this.#c = rec;
    rec.api = this;
  }

  get desiredSize() {
    const c = transformControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    return readableControllerGetDesiredSize(c.stream.readable.controller);
  }

  enqueue(chunk = undefined) {
    const c = transformControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    transformControllerEnqueue(c, chunk);
  }

  error(reason = undefined) {
    const c = transformControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    transformStreamError(c.stream, reason);
  }

  terminate() {
    const c = transformControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    transformControllerTerminate(c);
  }

  static {
    transformControllerOf = (v) => (isObjectLike(v) && #c in v ? v.#c : undefined);
  }
}

// ---------------------------------------------------------------------------------------
// Queuing strategies. Their size functions are the same function objects for every
// instance, as the standard says.

function highWaterMarkInit(where, given, init) {
  if (given < 1) throw argumentsRequired(where, 1, 0);
  const d = dictionaryArg(where, "QueuingStrategyInit", init);
  const h = d === undefined ? undefined : d.highWaterMark;
  if (h === undefined) {
    throw new $TypeError(`${where}: Failed to read the 'highWaterMark' property from 'QueuingStrategyInit': Required member is undefined.`);
  }
  return +h;
}

const byteLengthSize = { size(chunk) { return chunk.byteLength; } }.size;
const countSize = { size() { return 1; } }.size;

class ByteLengthQueuingStrategy {
  #highWaterMark;
  constructor(init) {
    this.#highWaterMark = highWaterMarkInit("Failed to construct 'ByteLengthQueuingStrategy'", arguments.length, init);
  }
  get highWaterMark() {
    if (!(isObjectLike(this) && #highWaterMark in this)) throw illegalInvocation();
    return this.#highWaterMark;
  }
  get size() {
    if (!(isObjectLike(this) && #highWaterMark in this)) throw illegalInvocation();
    return byteLengthSize;
  }
}

class CountQueuingStrategy {
  #highWaterMark;
  constructor(init) {
    this.#highWaterMark = highWaterMarkInit("Failed to construct 'CountQueuingStrategy'", arguments.length, init);
  }
  get highWaterMark() {
    if (!(isObjectLike(this) && #highWaterMark in this)) throw illegalInvocation();
    return this.#highWaterMark;
  }
  get size() {
    if (!(isObjectLike(this) && #highWaterMark in this)) throw illegalInvocation();
    return countSize;
  }
}

// ---------------------------------------------------------------------------------------
// TextEncoderStream and TextDecoderStream (Encoding standard).

const streamsTextEncoder = new TextEncoder();

function replacementCharacterBytes() {
  const u = new $Uint8Array(3);
  u[0] = 0xef;
  u[1] = 0xbf;
  u[2] = 0xbd;
  return u;
}

let textEncoderStreamOf; // (v) => the TransformStream record of a TextEncoderStream, or undefined

class TextEncoderStream {
  #ts;

  constructor() {
    // A high surrogate that ended the last chunk waits for the next one, where its low
    // surrogate may be; alone at the end, it becomes U+FFFD.
    let pending = "";
    let ts;
    const transform = (chunk) => {
      let s = `${chunk}`;
      if (pending !== "") {
        s = pending + s;
        pending = "";
      }
      if (s.length > 0) {
        const last = $charCodeAt(s, s.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
          pending = $slice(s, s.length - 1);
          s = $slice(s, 0, s.length - 1);
        }
      }
      // Unpaired surrogates encode as U+FFFD.
      if (s.length > 0) transformControllerEnqueue(ts.controller, $textEncoderEncode(streamsTextEncoder, s));
    };
    const flush = () => {
      if (pending !== "") transformControllerEnqueue(ts.controller, replacementCharacterBytes());
    };
    ts = createTransformStreamFromAlgorithms(transform, flush);
    this.#ts = ts;
  }

  get encoding() {
    if (textEncoderStreamOf(this) === undefined) throw illegalInvocation();
    return "utf-8";
  }

  get readable() {
    const ts = textEncoderStreamOf(this);
    if (ts === undefined) throw illegalInvocation();
    return ts.readable.api;
  }

  get writable() {
    const ts = textEncoderStreamOf(this);
    if (ts === undefined) throw illegalInvocation();
    return ts.writable.api;
  }

  static {
    textEncoderStreamOf = (v) => (isObjectLike(v) && #ts in v ? v.#ts : undefined);
  }
}

let textDecoderStreamOf; // (v) => {ts, decoder} of a TextDecoderStream, or undefined

class TextDecoderStream {
  #state;

  constructor(label = undefined, options = undefined) {
    const where = "Failed to construct 'TextDecoderStream'";
    const name = label === undefined ? "utf-8" : `${label}`;
    const d = dictionaryArg(where, "TextDecoderOptions", options);
    const fatal = d !== undefined && !!d.fatal;
    const ignoreBOM = d !== undefined && !!d.ignoreBOM;
    const decoder = new TextDecoder(name, { fatal, ignoreBOM });
    if ($textDecoderEncoding(decoder) === "replacement") {
      throw new $RangeError(`${where}: The encoding label provided ('${name}') is invalid.`);
    }
    const streamOption = { stream: true };
    let ts;
    const transform = (chunk) => {
      if (!(chunk instanceof $ArrayBuffer) && !$isView(chunk)) {
        throw new $TypeError("Failed to execute 'write' on 'TextDecoderStream': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
      }
      const out = $textDecoderDecode(decoder, chunk, streamOption);
      if (out !== "") transformControllerEnqueue(ts.controller, out);
    };
    const flush = () => {
      // The end of the input: a partial character left over is U+FFFD (or an error if fatal).
      const out = $textDecoderDecode(decoder);
      if (out !== "") transformControllerEnqueue(ts.controller, out);
    };
    ts = createTransformStreamFromAlgorithms(transform, flush);
    this.#state = { ts, decoder };
  }

  get encoding() {
    const s = textDecoderStreamOf(this);
    if (s === undefined) throw illegalInvocation();
    return $textDecoderEncoding(s.decoder);
  }

  get fatal() {
    const s = textDecoderStreamOf(this);
    if (s === undefined) throw illegalInvocation();
    return $textDecoderFatal(s.decoder);
  }

  get ignoreBOM() {
    const s = textDecoderStreamOf(this);
    if (s === undefined) throw illegalInvocation();
    return $textDecoderIgnoreBOM(s.decoder);
  }

  get readable() {
    const s = textDecoderStreamOf(this);
    if (s === undefined) throw illegalInvocation();
    return s.ts.readable.api;
  }

  get writable() {
    const s = textDecoderStreamOf(this);
    if (s === undefined) throw illegalInvocation();
    return s.ts.writable.api;
  }

  static {
    textDecoderStreamOf = (v) => (isObjectLike(v) && #state in v ? v.#state : undefined);
  }
}

// ---------------------------------------------------------------------------------------
// Helpers for the Fetch objects (82_fetch.js).

// A byte stream of `bytes` (a Uint8Array, handed out as the one chunk to a default read,
// neither copied nor transferred: the stream owns it): the chunk is enqueued on the first
// pull, and an empty array gives an empty stream. BYOB reads get the bytes copied in.
function streamFromBytes(bytes) {
  let pending = bytes;
  let rs;
  const pullAlgorithm = () => {
    const c = rs.controller;
    const chunk = pending;
    pending = undefined;
    try {
      if (chunk !== undefined && chunk.byteLength > 0) {
        byteControllerEnqueueBuffer(c, chunk.buffer, chunk.byteOffset, chunk.byteLength, chunk);
      }
      // "Close" a byte stream: a BYOB read still waiting gets its bytes so far.
      byteControllerClose(c);
      if (c.pendingPullIntos.length > 0) byteControllerRespond(c, 0);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    return promiseResolvedWith(undefined);
  };
  const cancelAlgorithm = () => {
    pending = undefined;
    return promiseResolvedWith(undefined);
  };
  rs = createReadableByteStream(streamsNoop, pullAlgorithm, cancelAlgorithm);
  return rs.api;
}

// Reads `stream` to its end (locking it) into one new Uint8Array. Rejects when the stream
// errors, is locked, or has a chunk that is not bytes (then the stream stays locked, as
// the Fetch standard's "read all bytes" leaves it).
function readAllBytes(stream) {
  const rs = readableOf(stream);
  if (rs === undefined) return promiseRejectedWith(new $TypeError("Failed to read the body: it is not a ReadableStream"));
  let reader;
  try {
    reader = acquireReader(rs, "Failed to read the body");
  } catch (e) {
    return promiseRejectedWith(e);
  }
  const d = newDeferred();
  const chunks = [];
  let total = 0;
  const finish = () => {
    let out;
    if (chunks.length === 1) out = chunks[0];
    else {
      out = new $Uint8Array(total);
      let at = 0;
      for (let i = 0; i < chunks.length; i++) {
        $typedArraySet(out, chunks[i], at);
        at += chunks[i].byteLength;
      }
    }
    resolveDeferred(d, out);
  };
  // Chunks already queued are read in this loop; one that comes later restarts it.
  const readLoop = () => {
    for (;;) {
      let sync = true;
      let again = false;
      readerRead(reader, {
        chunk(chunk) {
          let bytes;
          if (chunk instanceof $Uint8Array) bytes = chunk;
          else if ($isView(chunk)) bytes = new $Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          else if (chunk instanceof $ArrayBuffer) bytes = new $Uint8Array(chunk);
          else {
            rejectDeferred(d, new $TypeError("Failed to read the body: the stream's chunks must be Uint8Array"));
            return;
          }
          // Copied now: the producer may reuse its buffer.
          $push(chunks, copyBytes(bytes));
          total += bytes.byteLength;
          if (sync) again = true;
          else readLoop();
        },
        close: finish,
        error: (e) => rejectDeferred(d, e),
      });
      sync = false;
      if (!again) return;
    }
  };
  readLoop();
  return d.promise;
}

function isReadableStream(v) {
  return readableOf(v) !== undefined;
}

// The Fetch standard's "disturbed" (anything was read from the stream, or it was
// cancelled), or locked to a reader.
function isStreamDisturbedOrLocked(stream) {
  const rs = readableOf(stream);
  return rs !== undefined && (rs.disturbed || rs.reader !== undefined);
}

// ---------------------------------------------------------------------------------------

for (const [C, tag] of [
  [ReadableStream, "ReadableStream"],
  [ReadableStreamDefaultReader, "ReadableStreamDefaultReader"],
  [ReadableStreamDefaultController, "ReadableStreamDefaultController"],
  [ReadableStreamBYOBReader, "ReadableStreamBYOBReader"],
  [ReadableByteStreamController, "ReadableByteStreamController"],
  [ReadableStreamBYOBRequest, "ReadableStreamBYOBRequest"],
  [WritableStream, "WritableStream"],
  [WritableStreamDefaultWriter, "WritableStreamDefaultWriter"],
  [WritableStreamDefaultController, "WritableStreamDefaultController"],
  [TransformStream, "TransformStream"],
  [TransformStreamDefaultController, "TransformStreamDefaultController"],
  [ByteLengthQueuingStrategy, "ByteLengthQueuingStrategy"],
  [CountQueuingStrategy, "CountQueuingStrategy"],
  [TextEncoderStream, "TextEncoderStream"],
  [TextDecoderStream, "TextDecoderStream"],
]) {
  defineToStringTag(C, tag);
  define(globalThis, tag, C);
}
