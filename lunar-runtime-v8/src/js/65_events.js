// `Event`, `EventTarget`, `CustomEvent`, `ErrorEvent`, `PromiseRejectionEvent`,
// `AbortController` and `AbortSignal` (DOM standard). There is no node tree: an event is
// dispatched to its target only (phase AT_TARGET), as on a Worker's `EventTarget`s.
const PHASES = { NONE: 0, CAPTURING_PHASE: 1, AT_TARGET: 2, BUBBLING_PHASE: 3 };

function ctorArgs(name, args, min) {
  if (args.length < min) {
    throw new $TypeError(`Failed to construct '${name}': ${min} argument required, but only ${args.length} present.`);
  }
}

function dictionary(name, init) {
  if (init === undefined || init === null) return {};
  if (typeof init !== "object" && typeof init !== "function") {
    throw new $TypeError(`Failed to construct '${name}': The provided value is not of type '${name}Init'.`);
  }
  return init;
}

// Friends of `Event`'s private state, for `EventTarget.prototype.dispatchEvent`.
let eventState;

class Event {
  #type = "";
  #bubbles = false;
  #cancelable = false;
  #composed = false;
  #canceled = false;
  #stop = false;
  #stopImmediate = false;
  #inPassive = false;
  #dispatching = false;
  #target = null;
  #current = null;
  #phase = 0;
  #timeStamp = 0;

  constructor(type, eventInitDict = undefined) {
    ctorArgs("Event", arguments, 1);
    const init = dictionary("Event", eventInitDict);
    this.#type = $String(type);
    this.#bubbles = !!init.bubbles;
    this.#cancelable = !!init.cancelable;
    this.#composed = !!init.composed;
    this.#timeStamp = performanceNow();
  }

  get type() { return this.#type; }
  get target() { return this.#target; }
  get srcElement() { return this.#target; }
  get currentTarget() { return this.#current; }
  get eventPhase() { return this.#phase; }
  get bubbles() { return this.#bubbles; }
  get cancelable() { return this.#cancelable; }
  get composed() { return this.#composed; }
  get defaultPrevented() { return this.#canceled; }
  get isTrusted() { return false; }
  get timeStamp() { return this.#timeStamp; }
  get returnValue() { return !this.#canceled; }
  set returnValue(v) { if (!v) this.preventDefault(); }
  get cancelBubble() { return this.#stop; }
  set cancelBubble(v) { if (v) this.#stop = true; }

  composedPath() {
    return this.#dispatching && this.#current !== null ? [this.#current] : [];
  }
  stopPropagation() { this.#stop = true; }
  stopImmediatePropagation() {
    this.#stop = true;
    this.#stopImmediate = true;
  }
  preventDefault() {
    if (this.#cancelable && !this.#inPassive) this.#canceled = true;
  }
  initEvent(type, bubbles = false, cancelable = false) {
    if (arguments.length === 0) throw new $TypeError("Failed to execute 'initEvent' on 'Event': 1 argument required, but only 0 present.");
    if (this.#dispatching) return;
    this.#type = $String(type);
    this.#bubbles = !!bubbles;
    this.#cancelable = !!cancelable;
    this.#canceled = false;
    this.#stop = false;
    this.#stopImmediate = false;
    this.#target = null;
  }

  static {
    eventState = {
      dispatching: (e) => e.#dispatching,
      stoppedImmediately: (e) => e.#stopImmediate,
      begin(e, target) {
        e.#dispatching = true;
        e.#target = target;
        e.#current = target;
        e.#phase = PHASES.AT_TARGET;
      },
      passive(e, on) { e.#inPassive = on; },
      end(e) {
        e.#dispatching = false;
        e.#current = null;
        e.#phase = PHASES.NONE;
        e.#stop = false;
        e.#stopImmediate = false;
      },
    };
  }
}
for (const [k, v] of $Object.entries(PHASES)) {
  $defineProperty(Event, k, { value: v, enumerable: true });
  $defineProperty(Event.prototype, k, { value: v, enumerable: true });
}

class CustomEvent extends Event {
  #detail = null;
  constructor(type, eventInitDict = undefined) {
    ctorArgs("CustomEvent", arguments, 1);
    const init = dictionary("CustomEvent", eventInitDict);
    super(type, init);
    this.#detail = init.detail === undefined ? null : init.detail;
  }
  get detail() { return this.#detail; }
  initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
    if (eventState.dispatching(this)) return;
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
}

class ErrorEvent extends Event {
  #message;
  #filename;
  #lineno;
  #colno;
  #error;
  constructor(type, eventInitDict = undefined) {
    ctorArgs("ErrorEvent", arguments, 1);
    const init = dictionary("ErrorEvent", eventInitDict);
    super(type, init);
    this.#message = init.message === undefined ? "" : $String(init.message);
    this.#filename = init.filename === undefined ? "" : $String(init.filename);
    this.#lineno = init.lineno === undefined ? 0 : $Number(init.lineno) >>> 0;
    this.#colno = init.colno === undefined ? 0 : $Number(init.colno) >>> 0;
    this.#error = init.error;
  }
  get message() { return this.#message; }
  get filename() { return this.#filename; }
  get lineno() { return this.#lineno; }
  get colno() { return this.#colno; }
  get error() { return this.#error; }
}

class PromiseRejectionEvent extends Event {
  #promise;
  #reason;
  constructor(type, eventInitDict = undefined) {
    ctorArgs("PromiseRejectionEvent", arguments, 2);
    const init = dictionary("PromiseRejectionEvent", eventInitDict);
    if (!("promise" in init)) {
      throw new $TypeError("Failed to construct 'PromiseRejectionEvent': required member promise is undefined.");
    }
    super(type, init);
    this.#promise = init.promise;
    this.#reason = init.reason;
  }
  get promise() { return this.#promise; }
  get reason() { return this.#reason; }
}

function listenerOptions(options) {
  if (typeof options === "boolean") return { capture: options, once: false, passive: false, signal: null };
  if (options === undefined || options === null) return { capture: false, once: false, passive: false, signal: null };
  const signal = options.signal === undefined ? null : options.signal;
  if (!(signal instanceof AbortSignal) && (signal !== null || "signal" in options)) {
    throw new $TypeError("Failed to execute 'addEventListener' on 'EventTarget': member signal is not of type 'AbortSignal'.");
  }
  return { capture: !!options.capture, once: !!options.once, passive: !!options.passive, signal };
}

function captureOf(options) {
  if (typeof options === "boolean") return options;
  return options !== undefined && options !== null && !!options.capture;
}

class EventTarget {
  #listeners = new $Map();

  addEventListener(type, callback, options = undefined) {
    if (arguments.length < 2) {
      throw new $TypeError(`Failed to execute 'addEventListener' on 'EventTarget': 2 arguments required, but only ${arguments.length} present.`);
    }
    const o = listenerOptions(options);
    if (callback === null || callback === undefined) return;
    if (typeof callback !== "function" && typeof callback !== "object") {
      throw new $TypeError("Failed to execute 'addEventListener' on 'EventTarget': The callback provided as parameter 2 is not an object.");
    }
    if (o.signal !== null && o.signal.aborted) return;
    type = $String(type);
    let list = $mapGet(this.#listeners, type);
    if (list === undefined) {
      list = [];
      $mapSet(this.#listeners, type, list);
    }
    for (const l of list) if (l.callback === callback && l.capture === o.capture) return;
    const listener = { callback, capture: o.capture, once: o.once, passive: o.passive, removed: false };
    $push(list, listener);
    if (o.signal !== null) {
      signalFollow(o.signal, () => this.removeEventListener(type, callback, { capture: o.capture }));
    }
  }

  removeEventListener(type, callback, options = undefined) {
    if (arguments.length < 2) {
      throw new $TypeError(`Failed to execute 'removeEventListener' on 'EventTarget': 2 arguments required, but only ${arguments.length} present.`);
    }
    const list = $mapGet(this.#listeners, $String(type));
    if (list === undefined) return;
    const capture = captureOf(options);
    for (let i = 0; i < list.length; i++) {
      const l = list[i];
      if (l.callback === callback && l.capture === capture) {
        l.removed = true;
        list.splice(i, 1);
        return;
      }
    }
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) {
      throw new $TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.");
    }
    if (eventState.dispatching(event)) {
      throw new DOMException("The event is already being dispatched.", "InvalidStateError");
    }
    eventState.begin(event, this);
    try {
      const list = $mapGet(this.#listeners, event.type);
      // Listeners added during the dispatch do not run; removed ones are skipped.
      for (const l of list === undefined ? [] : [...list]) {
        if (l.removed) continue;
        if (l.once) this.removeEventListener(event.type, l.callback, { capture: l.capture });
        eventState.passive(event, l.passive);
        try {
          if (typeof l.callback === "function") $apply(l.callback, this, [event]);
          else {
            const handle = l.callback.handleEvent;
            if (typeof handle !== "function") throw new $TypeError("The 'handleEvent' property of the event listener is not callable.");
            $apply(handle, l.callback, [event]);
          }
        } catch (e) {
          reportUncaught(e);
        } finally {
          eventState.passive(event, false);
        }
        if (eventState.stoppedImmediately(event)) break;
      }
    } finally {
      eventState.end(event);
    }
    return !event.defaultPrevented;
  }
}

const kCreateSignal = $Symbol("create AbortSignal");
let signalState;

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #onabort = null;
  #followers = [];

  constructor(key = undefined) {
    if (key !== kCreateSignal) throw new $TypeError("Illegal constructor");
    super();
  }

  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  throwIfAborted() {
    if (this.#aborted) throw this.#reason;
  }
  get onabort() { return this.#onabort; }
  set onabort(handler) {
    if (this.#onabort !== null) this.removeEventListener("abort", this.#onabort);
    this.#onabort = typeof handler === "function" ? handler : null;
    if (this.#onabort !== null) this.addEventListener("abort", this.#onabort);
  }

  static abort(reason = undefined) {
    const s = new AbortSignal(kCreateSignal);
    signalState.abort(s, reason);
    return s;
  }

  static timeout(milliseconds) {
    if (arguments.length === 0) throw new $TypeError("Failed to execute 'timeout' on 'AbortSignal': 1 argument required, but only 0 present.");
    const ms = $Number(milliseconds);
    if (!$isFinite(ms) || ms < 0 || ms > 9007199254740991) {
      throw new $TypeError("Failed to execute 'timeout' on 'AbortSignal': Value is outside the 'unsigned long long' value range.");
    }
    const s = new AbortSignal(kCreateSignal);
    // A timer of the execution that asked: it ends with that execution.
    globalThis.setTimeout(() => signalState.abort(s, new DOMException("The operation timed out.", "TimeoutError")), $trunc(ms));
    return s;
  }

  static any(signals) {
    const list = [...signals];
    for (const x of list) {
      if (!(x instanceof AbortSignal)) throw new $TypeError("Failed to execute 'any' on 'AbortSignal': Failed to convert value to 'AbortSignal'.");
    }
    const s = new AbortSignal(kCreateSignal);
    for (const x of list) {
      if (x.aborted) {
        signalState.abort(s, x.reason);
        return s;
      }
    }
    for (const x of list) signalFollow(x, () => signalState.abort(s, x.reason));
    return s;
  }

  static {
    signalState = {
      abort(s, reason) {
        if (s.#aborted) return;
        s.#aborted = true;
        s.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
        const followers = s.#followers;
        s.#followers = [];
        for (const f of followers) f();
        s.dispatchEvent(new Event("abort"));
      },
      follow(s, f) {
        if (!s.#aborted) $push(s.#followers, f);
      },
    };
  }
}

// Runs `f` when `signal` aborts (before its `abort` event), unless it already has.
function signalFollow(signal, f) {
  signalState.follow(signal, f);
}

class AbortController {
  #signal = new AbortSignal(kCreateSignal);
  get signal() { return this.#signal; }
  abort(reason = undefined) {
    signalState.abort(this.#signal, reason);
  }
}

// A signal that never aborts, for requests made without one.
function neverAbortedSignal() {
  return new AbortSignal(kCreateSignal);
}

for (const [name, value] of [
  ["Event", Event],
  ["EventTarget", EventTarget],
  ["CustomEvent", CustomEvent],
  ["ErrorEvent", ErrorEvent],
  ["PromiseRejectionEvent", PromiseRejectionEvent],
  ["AbortSignal", AbortSignal],
  ["AbortController", AbortController],
]) {
  define(globalThis, name, value);
  if (!$Object.getOwnPropertyDescriptor(value.prototype, $Symbol.toStringTag)) {
    $defineProperty(value.prototype, $Symbol.toStringTag, { value: name, configurable: true });
  }
}

// The global scope is `self`, and `navigator` says what runs the code.
define(globalThis, "self", globalThis);
define(globalThis, "navigator", namespace({ userAgent: "Lunar", hardwareConcurrency: 1, language: "en-US" }));
