// `ai.chat` (SPEC §5.9) and `email.send` (SPEC §5.10): options parsed and checked here
// (TypeErrors, not tracked); the provider calls and their tracking happen in lunar-core.
function textOf(v) {
  if (typeof v === "string") return v;
  if (typeof v === "number") return $String(v);
  return "";
}

// camelCase wins over the snake_case alias when both are given.
function option(o, camel, snake) {
  return o[camel] !== undefined ? o[camel] : o[snake];
}

function isRecord(v) {
  return v !== null && typeof v === "object" && !$isArray(v);
}

// Strings and numbers of a string-or-array option, empty entries dropped.
function textList(v) {
  const out = [];
  if ($isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const t = textOf(v[i]);
      if (t !== "") $push(out, t);
    }
  } else {
    const t = textOf(v);
    if (t !== "") $push(out, t);
  }
  return out;
}

function positiveNumber(v) {
  let n = NaN;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && $regexTest(/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/, v)) n = $Number(v);
  return $isFinite(n) && n > 0 ? n : 0;
}

define(globalThis, "ai", namespace({
  async chat(options) {
    if (options !== undefined && options !== null && !isRecord(options)) {
      throw argError("ai.chat", 1, "options", "an object", options);
    }
    const o = options ?? {};
    const provider = textOf(o.provider);
    if (provider === "") throw new $TypeError("provider is required (openai or anthropic)");
    const model = textOf(o.model);
    if (model === "") throw new $TypeError("model is required");
    if (!$isArray(o.messages)) throw new $TypeError("messages is required and must be an array");
    const messages = [];
    for (let i = 0; i < o.messages.length; i++) {
      const m = o.messages[i];
      if (!isRecord(m)) continue;
      const role = textOf(m.role);
      const content = textOf(m.content);
      if (role !== "" && content !== "") $push(messages, [role, content]);
    }
    if (messages.length === 0) throw new $TypeError("messages cannot be empty");
    let maxTokens = $trunc(positiveNumber(option(o, "maxTokens", "max_tokens")));
    if (maxTokens === 0) maxTokens = 1024;
    if (maxTokens > 4294967295) maxTokens = 4294967295;
    const temperature = positiveNumber(o.temperature);
    const endpoint = textOf(o.endpoint);
    const req = {
      provider,
      model,
      messages,
      maxTokens,
      temperature: temperature > 0 ? temperature : null,
      endpoint: endpoint === "" ? null : endpoint,
    };
    return $jsonParse(await hostOp(ops.aiChat($jsonStringify(req))));
  },
}));

define(globalThis, "email", namespace({
  async send(options) {
    if (options !== undefined && options !== null && !isRecord(options)) {
      throw argError("email.send", 1, "options", "an object", options);
    }
    const o = options ?? {};
    const rawTo = o.to;
    let to;
    if (rawTo === undefined || rawTo === null) throw new $TypeError("to is required");
    if ($isArray(rawTo)) {
      to = textList(rawTo);
      if (to.length === 0) throw new $TypeError("to cannot be empty");
    } else if (typeof rawTo === "string") {
      to = rawTo === "" ? [] : [rawTo];
    } else throw new $TypeError("to must be a string or array of strings");
    const from = textOf(o.from);
    if (from === "") throw new $TypeError("from is required");
    if (to.length === 0) throw new $TypeError("to is required");
    const subject = textOf(o.subject);
    if (subject === "") throw new $TypeError("subject is required");
    const text = textOf(o.text);
    const html = textOf(o.html);
    if (text === "" && html === "") throw new $TypeError("either text or html content is required");
    const headers = {};
    if (isRecord(o.headers)) {
      for (const k of $keys(o.headers)) {
        const v = o.headers[k];
        if (typeof v === "string" || typeof v === "number") headers[k] = textOf(v);
      }
    }
    const tags = [];
    if ($isArray(o.tags)) {
      for (let i = 0; i < o.tags.length; i++) {
        const t = o.tags[i];
        if (!isRecord(t)) continue;
        const name = textOf(t.name);
        if (name !== "") $push(tags, [name, textOf(t.value)]);
      }
    }
    const at = option(o, "scheduledAt", "scheduled_at");
    let scheduledAt = null;
    if (typeof at === "number" && $isFinite(at)) scheduledAt = at;
    else if (typeof at === "string" && at !== "") scheduledAt = at;
    const msg = {
      from,
      to,
      subject,
      text,
      html,
      replyTo: textOf(option(o, "replyTo", "reply_to")),
      cc: textList(o.cc),
      bcc: textList(o.bcc),
      headers,
      tags,
      scheduledAt,
    };
    return $jsonParse(await hostOp(ops.emailSend($jsonStringify(msg))));
  },
}));
