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

function consoleFn(level) {
  return function (...args) {
    const parts = [];
    for (let i = 0; i < args.length; i++) $push(parts, formatArg(args[i]));
    ops.log(LEVELS[level], $join(parts, " "));
  };
}

define(globalThis, "console", namespace({
  log: consoleFn("info"),
  info: consoleFn("info"),
  debug: consoleFn("debug"),
  warn: consoleFn("warn"),
  error: consoleFn("error"),
}));
