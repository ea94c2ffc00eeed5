// `log` and `console` (SPEC §5.1).
const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 };

function logFn(level) {
  const name = `log.${level}`;
  return function (msg) {
    const text = argString(name, 1, "msg", msg);
    ops.log(LEVELS[level], text);
  };
}

define(globalThis, "log", namespace({
  info: logFn("info"),
  debug: logFn("debug"),
  warn: logFn("warn"),
  error: logFn("error"),
}));

function safeJson(v) {
  const ancestors = [];
  try {
    const out = $jsonStringify(v, function (key, value) {
      if (typeof value === "bigint") return $String(value);
      if (typeof value !== "object" || value === null) return value;
      while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) $pop(ancestors);
      if ($includes(ancestors, value)) return "[Circular]";
      $push(ancestors, value);
      return value;
    });
    return out === undefined ? $String(v) : out;
  } catch {
    try {
      return $String(v);
    } catch {
      return "[object]";
    }
  }
}

function formatArg(v) {
  switch (typeof v) {
    case "string":
      return v;
    case "function":
      return `[Function: ${v.name || "(anonymous)"}]`;
    case "object":
      if (v === null) return "null";
      if (v instanceof $Error) {
        const stack = $errorStackDescriptor(v);
        if (typeof stack === "string" && stack !== "") return stack;
        return `${v.name}: ${v.message}`;
      }
      return safeJson(v);
    default:
      return $String(v);
  }
}

// Indentation of `console.group`, and the counters and timers of `count`/`time` (per
// context: a warm context's executions share them, as on Workers).
let consoleIndent = "";
const consoleCounts = new $Map();
const consoleTimers = new $Map();

function consoleWrite(level, args) {
  const parts = [];
  for (let i = 0; i < args.length; i++) $push(parts, formatArg(args[i]));
  ops.log(LEVELS[level], consoleIndent + $join(parts, " "));
}

function consoleFn(level) {
  return function (...args) {
    consoleWrite(level, args);
  };
}

const consoleLabel = (label) => (label === undefined ? "default" : $String(label));

const consoleNs = namespace({
  log: consoleFn("info"),
  info: consoleFn("info"),
  debug: consoleFn("debug"),
  warn: consoleFn("warn"),
  error: consoleFn("error"),
  trace: consoleFn("debug"),
  dir: consoleFn("info"),
  dirxml: consoleFn("info"),
  table: consoleFn("info"),
  assert(condition = false, ...data) {
    if (condition) return;
    if (typeof data[0] === "string") data[0] = `Assertion failed: ${data[0]}`;
    else $apply($Array.prototype.unshift, data, ["Assertion failed"]);
    consoleWrite("error", data);
  },
  count(label = undefined) {
    const l = consoleLabel(label);
    const n = ($mapGet(consoleCounts, l) ?? 0) + 1;
    $mapSet(consoleCounts, l, n);
    consoleWrite("info", [`${l}: ${n}`]);
  },
  countReset(label = undefined) {
    const l = consoleLabel(label);
    if ($mapHas(consoleCounts, l)) $mapSet(consoleCounts, l, 0);
    else consoleWrite("warn", [`Count for '${l}' does not exist`]);
  },
  time(label = undefined) {
    const l = consoleLabel(label);
    if ($mapHas(consoleTimers, l)) consoleWrite("warn", [`Timer '${l}' already exists`]);
    else $mapSet(consoleTimers, l, ops.perfNow());
  },
  timeLog(label = undefined, ...data) {
    const l = consoleLabel(label);
    if (!$mapHas(consoleTimers, l)) return consoleWrite("warn", [`Timer '${l}' does not exist`]);
    consoleWrite("info", [`${l}: ${ops.perfNow() - $mapGet(consoleTimers, l)}ms`, ...data]);
  },
  timeEnd(label = undefined) {
    const l = consoleLabel(label);
    if (!$mapHas(consoleTimers, l)) return consoleWrite("warn", [`Timer '${l}' does not exist`]);
    consoleWrite("info", [`${l}: ${ops.perfNow() - $mapGet(consoleTimers, l)}ms`]);
    $mapDelete(consoleTimers, l);
  },
  group(...label) {
    if (label.length > 0) consoleWrite("info", label);
    consoleIndent += "  ";
  },
  groupCollapsed(...label) {
    if (label.length > 0) consoleWrite("info", label);
    consoleIndent += "  ";
  },
  groupEnd() {
    consoleIndent = $slice(consoleIndent, 2);
  },
});
$defineProperty(consoleNs, $Symbol.toStringTag, { value: "console", configurable: true });
define(globalThis, "console", consoleNs);
