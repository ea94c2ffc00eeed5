// `router` (SPEC §5.8).
function flatParams(name, params) {
  const out = [];
  if (params === undefined || params === null) return out;
  if (typeof params !== "object" || $isArray(params)) throw argError(name, 2, "params", "an object", params);
  for (const k of $keys(params)) {
    const v = params[k];
    $push(out, k, typeof v === "string" ? v : typeof v === "number" ? $String(v) : "");
  }
  return out;
}

define(globalThis, "router", namespace({
  match(path, pattern) {
    path = argString("router.match", 1, "path", path);
    pattern = argString("router.match", 2, "pattern", pattern);
    return ops.routerMatch(path, pattern);
  },
  params(path, pattern) {
    path = argString("router.params", 1, "path", path);
    pattern = argString("router.params", 2, "pattern", pattern);
    return $jsonParse(ops.routerParams(path, pattern));
  },
  path(pattern, params) {
    pattern = argString("router.path", 1, "pattern", pattern);
    return ops.routerPath(pattern, flatParams("router.path", params));
  },
  url(pattern, params) {
    pattern = argString("router.url", 1, "pattern", pattern);
    return ops.routerUrl(pattern, flatParams("router.url", params));
  },
}));
