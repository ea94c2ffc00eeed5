// `strings` (SPEC §5.4), Go `strings` semantics.
function s1(name, v, n = 1, param = "s") {
  return argString(name, n, param, v);
}

define(globalThis, "strings", namespace({
  trim(s) {
    return ops.strTrim(s1("strings.trim", s));
  },
  trimLeft(s) {
    return ops.strTrimLeft(s1("strings.trimLeft", s));
  },
  trimRight(s) {
    return ops.strTrimRight(s1("strings.trimRight", s));
  },
  split(s, sep) {
    return ops.strSplit(s1("strings.split", s), s1("strings.split", sep, 2, "sep"));
  },
  join(arr, sep) {
    if (!$isArray(arr)) throw argError("strings.join", 1, "arr", "an array", arr);
    sep = s1("strings.join", sep, 2, "sep");
    const parts = [];
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      $push(parts, typeof v === "string" ? v : typeof v === "number" ? $String(v) : "");
    }
    return $join(parts, sep);
  },
  hasPrefix(s, p) {
    s = s1("strings.hasPrefix", s);
    p = s1("strings.hasPrefix", p, 2, "prefix");
    return s.startsWith(p);
  },
  hasSuffix(s, p) {
    s = s1("strings.hasSuffix", s);
    p = s1("strings.hasSuffix", p, 2, "suffix");
    return s.endsWith(p);
  },
  contains(s, sub) {
    s = s1("strings.contains", s);
    sub = s1("strings.contains", sub, 2, "substr");
    return s.includes(sub);
  },
  replace(s, old, neu, n = -1) {
    s = s1("strings.replace", s);
    old = s1("strings.replace", old, 2, "old");
    neu = s1("strings.replace", neu, 3, "new");
    n = argInteger("strings.replace", 4, "n", n);
    return ops.strReplace(s, old, neu, n);
  },
  toLower(s) {
    return ops.strLower(s1("strings.toLower", s));
  },
  toUpper(s) {
    return ops.strUpper(s1("strings.toUpper", s));
  },
  repeat(s, n) {
    s = s1("strings.repeat", s);
    n = argInteger("strings.repeat", 2, "count", n);
    return ops.strRepeat(s, n);
  },
}));
