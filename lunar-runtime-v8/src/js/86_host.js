// `host.<name>(arg)`: capabilities of the embedding application. Any property path names
// one (`host.users.lookup`); calling it sends the argument as JSON and resolves with the
// JSON result, or rejects with an Error carrying the host's message (also when the
// capability does not exist or is not granted to this function).
const $Proxy = Proxy;

// Keys the language itself looks up (await, JSON.stringify, string conversion): never
// capability names, so that `await host.x` or `String(host)` do not call anything.
const notCapabilities = ["then", "toJSON", "toString", "valueOf", "constructor"];

async function callHost(path, json) {
  return $jsonParse(await hostOp(ops.hostCall(path, json)));
}

function hostPath(path) {
  return new $Proxy(function host() {}, {
    get(_, key) {
      if (typeof key !== "string" || $includes(notCapabilities, key)) return undefined;
      return hostPath(path === "" ? key : path + "." + key);
    },
    apply(_, __, args) {
      if (path === "") throw new $TypeError("host is not a function; call host.<capability>(arg)");
      const json = args.length === 0 || args[0] === undefined ? "null" : $jsonStringify(args[0]);
      if (json === undefined) {
        throw new $TypeError("host." + path + ": the argument cannot be sent as JSON");
      }
      return callHost(path, json);
    },
  });
}

// Made on first use in each context (a proxy is not part of the startup snapshot).
let hostRoot;
$defineProperty(globalThis, "host", {
  get() {
    if (hostRoot === undefined) hostRoot = hostPath("");
    return hostRoot;
  },
  configurable: true,
  enumerable: false,
});
