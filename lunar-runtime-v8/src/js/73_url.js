// `url` (Go net/url), `URL` and `URLSearchParams` (WHATWG) (SPEC §5.7).
define(globalThis, "url", namespace({
  parse(str) {
    str = argString("url.parse", 1, "str", str);
    return $jsonParse(ops.urlParse(str));
  },
  encode(s) {
    return ops.urlEncode(argString("url.encode", 1, "s", s));
  },
  decode(s) {
    return ops.urlDecode(argString("url.decode", 1, "s", s));
  },
}));

// Hooks between the two classes (set in their static blocks).
let paramsReplace = null; // (params, queryWithoutQuestionMark) => void
let urlSetSearch = null; // (url, search) => void

// A USVString: lone surrogates become U+FFFD.
const usvString = (v) => $String(v).toWellFormed();

class URLSearchParams {
  #list = [];
  #url = null;

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (init instanceof URLSearchParams) {
      for (const [k, v] of init) $push(this.#list, [k, v]);
    } else if (typeof init === "object" || typeof init === "function") {
      if (typeof init[$Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = [...pair];
          if (p.length !== 2) throw new $TypeError("Failed to construct 'URLSearchParams': Each query pair must be an iterable [name, value] tuple");
          $push(this.#list, [usvString(p[0]), usvString(p[1])]);
        }
      } else {
        for (const k of $keys(init)) $push(this.#list, [k, usvString(init[k])]);
      }
    } else {
      let s = usvString(init);
      if (s[0] === "?") s = $slice(s, 1);
      this.#list = ops.formParse(s);
    }
  }

  static {
    paramsReplace = (p, query) => {
      p.#list = ops.formParse(query);
    };
  }

  static attach(p, u) {
    p.#url = u;
  }

  #update() {
    if (this.#url !== null) urlSetSearch(this.#url, this.toString());
  }

  get size() {
    return this.#list.length;
  }
  append(name, value) {
    $push(this.#list, [usvString(name), usvString(value)]);
    this.#update();
  }
  delete(name, value = undefined) {
    name = usvString(name);
    this.#list = this.#list.filter(([k, v]) => !(k === name && (value === undefined || v === usvString(value))));
    this.#update();
  }
  get(name) {
    name = usvString(name);
    for (const [k, v] of this.#list) if (k === name) return v;
    return null;
  }
  getAll(name) {
    name = usvString(name);
    return this.#list.filter(([k]) => k === name).map(([, v]) => v);
  }
  has(name, value = undefined) {
    name = usvString(name);
    return this.#list.some(([k, v]) => k === name && (value === undefined || v === usvString(value)));
  }
  set(name, value) {
    name = usvString(name);
    value = usvString(value);
    const out = [];
    let done = false;
    for (const pair of this.#list) {
      if (pair[0] !== name) $push(out, pair);
      else if (!done) {
        $push(out, [name, value]);
        done = true;
      }
    }
    if (!done) $push(out, [name, value]);
    this.#list = out;
    this.#update();
  }
  sort() {
    const indexed = this.#list.map((p, i) => [p, i]);
    indexed.sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]));
    this.#list = indexed.map(([p]) => p);
    this.#update();
  }
  forEach(callback, thisArg = undefined) {
    for (const [k, v] of this.entries()) $apply(callback, thisArg, [v, k, this]);
  }
  entries() {
    return new PairIterator(() => this.#list, "entries");
  }
  keys() {
    return new PairIterator(() => this.#list, "keys");
  }
  values() {
    return new PairIterator(() => this.#list, "values");
  }
  [$Symbol.iterator]() {
    return this.entries();
  }
  toString() {
    const flat = [];
    for (const [k, v] of this.#list) $push(flat, k, v);
    return ops.formSerialize(flat);
  }
  get [$Symbol.toStringTag]() {
    return "URLSearchParams";
  }
}

const attachParams = URLSearchParams.attach;
delete URLSearchParams.attach;

// Component order of ops.whatwgParse.
const HREF = 0, ORIGIN = 1, PROTOCOL = 2, USERNAME = 3, PASSWORD = 4, HOST = 5, HOSTNAME = 6, PORT = 7, PATHNAME = 8, SEARCH = 9, HASH = 10;

class URL {
  #c;
  #params = null;

  constructor(input, base = undefined) {
    if (arguments.length === 0) throw new $TypeError("URL: argument 1 (url) must be a string, got undefined");
    const c = ops.whatwgParse($String(input), base === undefined ? undefined : $String(base));
    if (c === null) throw new $TypeError("Invalid URL");
    this.#c = c;
  }

  static canParse(input, base = undefined) {
    return ops.whatwgParse($String(input), base === undefined ? undefined : $String(base)) !== null;
  }

  static parse(input, base = undefined) {
    try {
      return new URL(input, base);
    } catch {
      return null;
    }
  }

  static {
    urlSetSearch = (u, search) => {
      const c = ops.whatwgSet(u.#c[HREF], "search", search);
      if (c !== null) u.#c = c;
    };
  }

  #set(which, value) {
    const c = ops.whatwgSet(this.#c[HREF], which, $String(value));
    if (c === null) throw new $TypeError("Invalid URL");
    this.#c = c;
    if (this.#params !== null && (which === "href" || which === "search")) {
      paramsReplace(this.#params, $slice(this.#c[SEARCH], 1));
    }
  }

  get href() { return this.#c[HREF]; }
  set href(v) { this.#set("href", v); }
  get origin() { return this.#c[ORIGIN]; }
  get protocol() { return this.#c[PROTOCOL]; }
  set protocol(v) { this.#set("protocol", v); }
  get username() { return this.#c[USERNAME]; }
  set username(v) { this.#set("username", v); }
  get password() { return this.#c[PASSWORD]; }
  set password(v) { this.#set("password", v); }
  get host() { return this.#c[HOST]; }
  set host(v) { this.#set("host", v); }
  get hostname() { return this.#c[HOSTNAME]; }
  set hostname(v) { this.#set("hostname", v); }
  get port() { return this.#c[PORT]; }
  set port(v) { this.#set("port", v); }
  get pathname() { return this.#c[PATHNAME]; }
  set pathname(v) { this.#set("pathname", v); }
  get search() { return this.#c[SEARCH]; }
  set search(v) { this.#set("search", v); }
  get hash() { return this.#c[HASH]; }
  set hash(v) { this.#set("hash", v); }
  get searchParams() {
    if (this.#params === null) {
      this.#params = new URLSearchParams($slice(this.#c[SEARCH], 1));
      attachParams(this.#params, this);
    }
    return this.#params;
  }
  toString() { return this.#c[HREF]; }
  toJSON() { return this.#c[HREF]; }
  get [$Symbol.toStringTag]() {
    return "URL";
  }
}

define(globalThis, "URL", URL);
define(globalThis, "URLSearchParams", URLSearchParams);
