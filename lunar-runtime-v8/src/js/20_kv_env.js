// `kv` (SPEC §5.2) and `env` (SPEC §5.3). Key and value limits are checked by the ops
// (they are the execution's limits).
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
    return await hostOp(ops.kvGet(key));
  },
  async set(key, value) {
    key = argString("kv.set", 1, "key", key);
    value = argString("kv.set", 2, "value", value);
    await hostOp(ops.kvSet(key, value));
    return true;
  },
  async delete(key) {
    key = argString("kv.delete", 1, "key", key);
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
