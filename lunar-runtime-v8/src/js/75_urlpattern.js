// `URLPattern` (URL Pattern standard). The native side parses a pattern into one regular
// expression per URL component; matching runs them with V8's RegExp.
const URL_PATTERN_COMPONENTS = ["protocol", "username", "password", "hostname", "port", "pathname", "search", "hash"];
const URL_PATTERN_INIT_MEMBERS = [...URL_PATTERN_COMPONENTS, "baseURL"];

// The (USVString or URLPatternInit) union: a string, or a dictionary of string members.
function urlPatternInput(v) {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" && typeof v !== "function") return $String(v);
  const init = {};
  for (const k of URL_PATTERN_INIT_MEMBERS) {
    const x = v[k];
    if (x !== undefined) init[k] = $String(x);
  }
  return init;
}

class URLPattern {
  #components;
  #hasRegExpGroups;
  constructor(input = undefined, baseURL = undefined, options = undefined) {
    if (typeof baseURL === "object" && baseURL !== null) {
      options = baseURL;
      baseURL = undefined;
    }
    const ignoreCase = options !== undefined && options !== null && !!options.ignoreCase;
    const base = baseURL === undefined ? undefined : $String(baseURL);
    const parsed = $jsonParse(ops.urlPatternParse($jsonStringify(urlPatternInput(input)), base, ignoreCase));
    this.#components = {};
    for (const c of URL_PATTERN_COMPONENTS) {
      const p = parsed[c];
      let regexp;
      try {
        regexp = new RegExp(p.regexpString, ignoreCase ? "ui" : "u");
      } catch (e) {
        throw new $TypeError(`Failed to construct 'URLPattern': invalid ${c} pattern '${p.patternString}': ${e.message}`);
      }
      this.#components[c] = { pattern: p.patternString, regexp, groups: p.groupNameList };
    }
    this.#hasRegExpGroups = !!parsed.hasRegexpGroups;
  }
  get protocol() {
    return this.#components.protocol.pattern;
  }
  get username() {
    return this.#components.username.pattern;
  }
  get password() {
    return this.#components.password.pattern;
  }
  get hostname() {
    return this.#components.hostname.pattern;
  }
  get port() {
    return this.#components.port.pattern;
  }
  get pathname() {
    return this.#components.pathname.pattern;
  }
  get search() {
    return this.#components.search.pattern;
  }
  get hash() {
    return this.#components.hash.pattern;
  }
  get hasRegExpGroups() {
    return this.#hasRegExpGroups;
  }
  test(input = undefined, baseURL = undefined) {
    return this.#match(input, baseURL) !== null;
  }
  exec(input = undefined, baseURL = undefined) {
    return this.#match(input, baseURL);
  }
  #match(input, baseURL) {
    const base = baseURL === undefined ? undefined : $String(baseURL);
    const processed = ops.urlPatternInput($jsonStringify(urlPatternInput(input)), base);
    if (processed === null) return null;
    const [values, inputs] = $jsonParse(processed);
    const result = { inputs };
    for (const c of URL_PATTERN_COMPONENTS) {
      const { regexp, groups: names } = this.#components[c];
      const m = $regexExec(regexp, values[c]);
      if (m === null) return null;
      const groups = {};
      for (let i = 0; i < names.length; i++) groups[names[i]] = m[i + 1];
      result[c] = { input: values[c], groups };
    }
    return result;
  }
}
$defineProperty(URLPattern.prototype, $Symbol.toStringTag, { value: "URLPattern", configurable: true });
define(globalThis, "URLPattern", URLPattern);
