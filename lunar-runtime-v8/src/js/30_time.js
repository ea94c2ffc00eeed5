// `time`, timers (`setTimeout`, `setInterval` and their `clear`s), `queueMicrotask`,
// `reportError` and `performance`.
function sleepMs(name, ms) {
  ms = ms === undefined ? 0 : argInteger(name, 2, "ms", ms);
  return ms;
}

define(globalThis, "time", namespace({
  now() {
    return ops.now();
  },
  format(ts, layout) {
    ts = argInteger("time.format", 1, "ts", ts);
    layout = argString("time.format", 2, "layout", layout);
    return ops.timeFormat(ts, layout);
  },
  parse(str, layout) {
    str = argString("time.parse", 1, "str", str);
    layout = argString("time.parse", 2, "layout", layout);
    return ops.timeParse(str, layout);
  },
  async sleep(ms) {
    ms = argInteger("time.sleep", 1, "ms", ms);
    await ops.sleep(ms > 0 ? ms : 0);
  },
}));

function reportUncaught(e) {
  ops.log(LEVELS.error, `Uncaught ${describeError(e)}`);
}

// Timers belong to the execution that set them: the host keeps the callback with that
// execution and drops it when the execution ends.
// The delay as HTML's `long` timeout: ToInt32 (2 ** 32 wraps to 0), negative as 0.
function timerDelay(ms) {
  if (ms === undefined) return 0;
  const n = $Number(ms) | 0;
  return n > 0 ? n : 0;
}

function timerCallback(fn, args) {
  return () => {
    try {
      $apply(fn, undefined, args);
    } catch (e) {
      reportUncaught(e);
    }
  };
}

define(globalThis, "setTimeout", function setTimeout(fn, ms, ...args) {
  argFunction("setTimeout", 1, "fn", fn);
  return ops.timerStart(timerDelay(ms), timerCallback(fn, args), false);
});

// An interval fires every `ms` (at least 1 ms apart) until cleared or its execution ends.
define(globalThis, "setInterval", function setInterval(fn, ms, ...args) {
  argFunction("setInterval", 1, "fn", fn);
  const delay = timerDelay(ms);
  return ops.timerStart(delay > 0 ? delay : 1, timerCallback(fn, args), true);
});

// Timeouts and intervals share their ids, so either function clears either.
function clearTimer(id) {
  if (typeof id === "number") ops.timerClear(id);
}
define(globalThis, "clearTimeout", function clearTimeout(id) {
  clearTimer(id);
});
define(globalThis, "clearInterval", function clearInterval(id) {
  clearTimer(id);
});

const resolved = $Promise.resolve();
define(globalThis, "queueMicrotask", function queueMicrotask(callback) {
  argFunction("queueMicrotask", 1, "callback", callback);
  $promiseThen(resolved, () => {
    try {
      callback();
    } catch (e) {
      reportUncaught(e);
    }
  });
});

define(globalThis, "reportError", function reportError(e) {
  if (arguments.length === 0) throw new $TypeError("reportError: argument 1 (e) is required");
  reportUncaught(e);
});

// Milliseconds since the runtime started, from a monotonic clock in steps of 100 µs.
function performanceNow() {
  return ops.perfNow();
}

class Performance {
  constructor(key = undefined) {
    if (key !== kCreatePerformance) throw new $TypeError("Illegal constructor");
  }
  get timeOrigin() {
    return ops.perfOrigin();
  }
  now() {
    return performanceNow();
  }
  toJSON() {
    return { timeOrigin: this.timeOrigin };
  }
}
const kCreatePerformance = $Symbol("create Performance");
define(globalThis, "Performance", Performance);
define(globalThis, "performance", new Performance(kCreatePerformance));
