// `time`, `setTimeout`, `clearTimeout` (SPEC §5.6).
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
define(globalThis, "setTimeout", function setTimeout(fn, ms, ...args) {
  argFunction("setTimeout", 1, "fn", fn);
  let delay = 0;
  if (ms !== undefined) {
    const n = $Number(ms);
    delay = $isFinite(n) && n > 0 ? $trunc(n) : 0;
  }
  return ops.timerStart(delay, () => {
    try {
      $apply(fn, undefined, args);
    } catch (e) {
      reportUncaught(e);
    }
  });
});

define(globalThis, "clearTimeout", function clearTimeout(id) {
  if (typeof id === "number") ops.timerClear(id);
});
