// `kv` (SPEC §5.2) and `env` (SPEC §5.3).
function checkKey(key) {
  if (utf8Length(key) > cfg.maxKvKey) throw new $RangeError(`kv key cannot be longer than ${cfg.maxKvKey} bytes`);
}

function checkValue(value) {
  if (utf8Length(value) > cfg.maxKvValue) throw new $RangeError(`kv value cannot be longer than ${cfg.maxKvValue} bytes`);
}

// Awaits a host op; a rejection (a message string) becomes an Error thrown here, so
// that its async stack points at the user's `await`.
async function hostOp(promise) {
  try {
    return await promise;
  } catch (message) {
    throw new $Error($String(message));
  }
}

define(globalThis, "kv", namespace({
  async get(key) {
    key = argString("kv.get", 1, "key", key);
    checkKey(key);
    return await hostOp(ops.kvGet(key));
  },
  async set(key, value) {
    key = argString("kv.set", 1, "key", key);
    value = argString("kv.set", 2, "value", value);
    checkKey(key);
    checkValue(value);
    await hostOp(ops.kvSet(key, value));
    return true;
  },
  async delete(key) {
    key = argString("kv.delete", 1, "key", key);
    checkKey(key);
    await hostOp(ops.kvDelete(key));
    return true;
  },
}));

define(globalThis, "env", namespace({
  get(key) {
    key = argString("env.get", 1, "key", key);
    return ops.envGet(key);
  },
  async set(key, value) {
    key = argString("env.set", 1, "key", key);
    value = argString("env.set", 2, "value", value);
    await hostOp(ops.envSet(key, value));
    return true;
  },
  async delete(key) {
    key = argString("env.delete", 1, "key", key);
    await hostOp(ops.envDelete(key));
    return true;
  },
}));
