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
// Byte streams: `type: "bytes"` makes a stream whose controller is a
// `ReadableByteStreamController` (chunks must be ArrayBufferViews; each is enqueued as a
// Uint8Array over its transferred buffer and queued by byte length; `byobRequest` is
// always null). Such streams are read with default readers; BYOB readers are not
// supported.

const kStreamInternal = $Symbol("streams internal");
const kCloseSentinel = $Symbol("close sentinel");
const $promiseRejectFn = $Promise.reject;
const $getPrototypeOf = $Object.getPrototypeOf;
const $getOwnPropertyDescriptor = $Object.getOwnPropertyDescriptor;
const $arrayBufferTransfer = $ArrayBuffer.prototype.transfer; // ES2024; absent on old engines
const $arrayBufferSlice = $uncurry($ArrayBuffer.prototype.slice);
const $typedArraySet = $uncurry($getPrototypeOf($Uint8Array.prototype).set);
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

function sizeOfBytes(chunk) {
  return chunk.byteLength;
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

// The Uint8Array a byte stream enqueues for `view`: over its transferred buffer (the
// producer's buffer is detached, as the standard says), or over a copy of the viewed
// bytes where the engine cannot transfer.
function transferredBytes(view) {
  const buffer = view.buffer;
  const offset = view.byteOffset;
  const length = view.byteLength;
  if ($arrayBufferTransfer !== undefined) return new $Uint8Array($apply($arrayBufferTransfer, buffer, []), offset, length);
  return new $Uint8Array($arrayBufferSlice(buffer, offset, offset + length));
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

function newReadableControllerRecord(isBytes) {
  const c = {
    api: undefined, stream: undefined, queue: undefined, queueTotalSize: 0, started: false, closeRequested: false,
    pullAgain: false, pulling: false, size: undefined, hwm: 0, pull: undefined, cancel: undefined,
  };
  if (isBytes) new ReadableByteStreamController(kStreamInternal, c);
  else new ReadableStreamDefaultController(kStreamInternal, c);
  return c;
}

// CreateReadableStream; with `isBytes`, this file's stand-in for CreateReadableByteStream.
function createReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark = 1, sizeAlgorithm = sizeOfOne, isBytes = false) {
  const rs = newReadableRecord(isBytes);
  new ReadableStream(kStreamInternal, rs);
  const c = newReadableControllerRecord(isBytes);
  setUpReadableController(rs, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, sizeAlgorithm);
  return rs;
}

function readableStreamCancel(rs, reason) {
  rs.disturbed = true;
  if (rs.state === "closed") return promiseResolvedWith(undefined);
  if (rs.state === "errored") return promiseRejectedWith(rs.storedError);
  readableStreamClose(rs);
  const sourceCancelPromise = readableControllerCancelSteps(rs.controller, reason);
  return $promiseThen(sourceCancelPromise, streamsNoop);
}

function readableStreamClose(rs) {
  rs.state = "closed";
  const reader = rs.reader;
  if (reader === undefined) return;
  resolveDeferred(reader.closed, undefined);
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
  readerErrorReadRequests(reader, e);
}

function readableStreamFulfillReadRequest(rs, chunk, done) {
  const request = rs.reader.readRequests.shift();
  if (done) request.close();
  else request.chunk(chunk);
}

function readableStreamNumReadRequests(rs) {
  return rs.reader === undefined ? 0 : rs.reader.readRequests.length;
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
  const c = newReadableControllerRecord(rs.isBytes);
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

// Readers. A read request is {chunk(c), close(), error(e)}.

function newReaderRecord() {
  return { api: undefined, stream: undefined, closed: undefined, readRequests: undefined };
}

function acquireReader(rs, where) {
  if (rs.reader !== undefined) {
    throw new $TypeError(`${where}: ReadableStreamDefaultReader constructor can only accept readable streams that are not yet locked to a reader`);
  }
  const reader = newReaderRecord();
  new ReadableStreamDefaultReader(kStreamInternal, reader);
  setUpReader(reader, rs);
  return reader;
}

function setUpReader(reader, rs) {
  reader.stream = rs;
  rs.reader = reader;
  if (rs.state === "readable") reader.closed = newDeferred();
  else if (rs.state === "closed") reader.closed = deferredResolvedWith(undefined);
  else reader.closed = deferredRejectedWith(rs.storedError);
  reader.readRequests = new StreamQueue();
}

function readerRead(reader, request) {
  const rs = reader.stream;
  rs.disturbed = true;
  if (rs.state === "closed") request.close();
  else if (rs.state === "errored") request.error(rs.storedError);
  else readableControllerPullSteps(rs.controller, request);
}

// ReadableStreamDefaultReaderRelease: unlocks the stream; pending reads fail.
function readerRelease(reader) {
  const rs = reader.stream;
  const e = new $TypeError("This readable stream reader has been released and cannot be used to monitor the stream's state");
  if (rs.state === "readable") rejectDeferred(reader.closed, e);
  else reader.closed = deferredRejectedWith(e);
  markPromiseHandled(reader.closed.promise);
  rs.reader = undefined;
  reader.stream = undefined;
  readerErrorReadRequests(reader, new $TypeError("This readable stream reader has been released and cannot be used to read from its previous owner stream"));
}

function readerErrorReadRequests(reader, e) {
  const requests = reader.readRequests.takeAll();
  for (let i = 0; i < requests.length; i++) requests[i].error(e);
}

// ReadableStreamDefaultTee (and, for byte streams, the parts of ReadableByteStreamTee
// that apply to default readers: byte branches, and the second branch gets copies).
function readableStreamTee(rs) {
  const reader = acquireReader(rs, "Failed to execute 'tee' on 'ReadableStream'");
  const isBytes = rs.isBytes;
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
          const chunk2 = isBytes && !canceled1 && !canceled2 ? copyBytes(chunk) : chunk;
          if (!canceled1) readableControllerEnqueue(branch1.controller, chunk);
          if (!canceled2) readableControllerEnqueue(branch2.controller, chunk2);
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
  const hwm = isBytes ? 0 : 1;
  const size = isBytes ? sizeOfBytes : sizeOfOne;
  branch1 = createReadableStream(streamsNoop, pullAlgorithm, cancel1Algorithm, hwm, size, isBytes);
  branch2 = createReadableStream(streamsNoop, pullAlgorithm, cancel2Algorithm, hwm, size, isBytes);
  $promiseThen(reader.closed.promise, undefined, (r) => {
    readableControllerError(branch1.controller, r);
    readableControllerError(branch2.controller, r);
    if (!canceled1 || !canceled2) resolveDeferred(cancelDone, undefined);
  });
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
    let hwm;
    let size;
    if (isBytes) {
      if (strat.size !== undefined) throw new $RangeError(`${where}: The strategy for a byte stream cannot have a size function.`);
      hwm = extractHighWaterMark(strat, 0);
      if (autoAllocateChunkSize === 0) throw new $TypeError(`${where}: autoAllocateChunkSize must be greater than 0.`);
      size = sizeOfBytes;
    } else {
      size = extractSizeAlgorithm(strat);
      hwm = extractHighWaterMark(strat, 1);
    }
    setUpReadableControllerFromSource(rs, underlyingSource, start, pull, cancel, hwm, size);
  }

  static from(asyncIterable) {
    if (arguments.length < 1) throw argumentsRequired("Failed to execute 'from' on 'ReadableStream'", 1, 0);
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
    if (rs.reader !== undefined) {
      throw new $TypeError(`${where}: ReadableStreamBYOBReader constructor can only accept readable streams that are not yet locked to a reader`);
    }
    if (!rs.isBytes) {
      throw new $TypeError(`${where}: Cannot use a BYOB reader with a non-byte stream`);
    }
    throw new $TypeError(`${where}: BYOB readers are not supported; read byte streams with a default reader`);
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

// The controller of a `type: "bytes"` stream (see the top of this file).
class ReadableByteStreamController {
  #c;

  constructor(key = undefined, rec = undefined) {
    if (key !== kStreamInternal) throw new $TypeError("Illegal constructor");
    this.#c = rec;
    rec.api = this;
  }

  get byobRequest() {
    if (byteControllerOf(this) === undefined) throw illegalInvocation();
    return null;
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
    readableControllerClose(c);
  }

  enqueue(chunk) {
    const c = byteControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    const where = "Failed to execute 'enqueue' on 'ReadableByteStreamController'";
    if (arguments.length < 1) throw argumentsRequired(where, 1, 0);
    if (!$isView(chunk)) throw new $TypeError(`${where}: parameter 1 is not of type 'ArrayBufferView'.`);
    if (chunk.byteLength === 0) throw new $TypeError(`${where}: chunk must have non-zero byteLength`);
    if (chunk.buffer.byteLength === 0) throw new $TypeError(`${where}: chunk's buffer must have non-zero byteLength`);
    if (c.closeRequested) throw new $TypeError(`${where}: stream is closed or draining`);
    if (c.stream.state !== "readable") {
      throw new $TypeError(`${where}: The stream (in ${c.stream.state} state) is not in the readable state and cannot be enqueued to`);
    }
    readableControllerEnqueue(c, transferredBytes(chunk));
  }

  error(e = undefined) {
    const c = byteControllerOf(this);
    if (c === undefined) throw illegalInvocation();
    readableControllerError(c, e);
  }

  static {
    byteControllerOf = (v) => (isObjectLike(v) && #c in v ? v.#c : undefined);
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

// A byte stream of `bytes` (a Uint8Array, handed out as the one chunk, not copied): the
// chunk is enqueued on the first read, and an empty array gives an empty stream.
function streamFromBytes(bytes) {
  let pending = bytes;
  let rs;
  const pullAlgorithm = () => {
    const c = rs.controller;
    const chunk = pending;
    pending = undefined;
    if (chunk !== undefined && chunk.byteLength > 0) readableControllerEnqueue(c, chunk);
    readableControllerClose(c);
    return promiseResolvedWith(undefined);
  };
  const cancelAlgorithm = () => {
    pending = undefined;
    return promiseResolvedWith(undefined);
  };
  rs = createReadableStream(streamsNoop, pullAlgorithm, cancelAlgorithm, 0, sizeOfBytes, true);
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
  [ReadableByteStreamController, "ReadableByteStreamController"],
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
