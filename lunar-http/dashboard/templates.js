// Starter code for new functions. Each is a working Lunar handler.

const blank = `function handler(ctx, event) {
  return { statusCode: 200, body: "" };
}
`;

const helloWorld = `// Answers {"message":"Hello, <name>!"}; try ?name=Ada
function handler(ctx, event) {
  const name = event.query.name || "world";
  log.info("saying hello to " + name);
  return {
    statusCode: 200,
    headers: { "Content-Type": "application/json" },
    body: json.encode({ message: "Hello, " + name + "!" }),
  };
}
`;

const jsonApi = `// A small JSON API: GET /items, GET /items/:id, POST /items (JSON body).
function handler(ctx, event) {
  const path = event.relativePath;

  if (event.method === "GET" && router.match(path, "/items")) {
    return reply(200, { items: [{ id: "1", name: "first" }, { id: "2", name: "second" }] });
  }
  if (event.method === "GET" && router.match(path, "/items/:id")) {
    const params = router.params(path, "/items/:id");
    return reply(200, { id: params.id, name: "item " + params.id });
  }
  if (event.method === "POST" && router.match(path, "/items")) {
    let item;
    try {
      item = json.decode(event.body);
    } catch (e) {
      return reply(400, { error: "the body must be JSON" });
    }
    return reply(201, { created: item, url: router.path("/items/:id", { id: random.id() }) });
  }
  return reply(404, { error: "not found", path: path });
}

function reply(statusCode, data) {
  return {
    statusCode: statusCode,
    headers: { "Content-Type": "application/json" },
    body: json.encode(data),
  };
}
`;

const kvCounter = `// Counts calls in the function's key-value store.
async function handler(ctx, event) {
  const current = Number(await kv.get("count")) || 0;
  const count = current + 1;
  await kv.set("count", String(count));
  log.info("count is now " + count);
  return {
    statusCode: 200,
    headers: { "Content-Type": "application/json" },
    body: json.encode({ count: count }),
  };
}
`;

const cronJob = `// A scheduled job: set a cron schedule (e.g. "*/5 * * * *") under Settings
// and its status to active. Each run is recorded with trigger "cron".
async function handler(ctx, event) {
  const runs = (Number(await kv.get("runs")) || 0) + 1;
  await kv.set("runs", String(runs));
  await kv.set("last_run", time.format(time.now(), "2006-01-02 15:04:05 MST"));
  log.info("run " + runs + " (trigger: " + ctx.trigger + ", schedule: " + (event.headers["X-Cron-Schedule"] || "none") + ")");
  return {
    statusCode: 200,
    headers: { "Content-Type": "application/json" },
    body: json.encode({ runs: runs, trigger: ctx.trigger }),
  };
}
`;

const webhook = `// Verifies a webhook signature. Set WEBHOOK_SECRET under Environment; the sender
// puts the hex HMAC-SHA256 of the raw body in the X-Signature header.
function handler(ctx, event) {
  const secret = env.get("WEBHOOK_SECRET");
  if (!secret) {
    return reply(500, { error: "WEBHOOK_SECRET is not set" });
  }
  const expected = crypto.hmacSha256(event.body, secret); // message first, then key
  const given = (event.headers["X-Signature"] || "").replace(/^sha256=/, "").toLowerCase();
  if (!safeEqual(given, expected)) {
    log.warn("rejected a webhook with a bad signature");
    return reply(401, { error: "invalid signature" });
  }
  let payload;
  try {
    payload = json.decode(event.body);
  } catch (e) {
    return reply(400, { error: "the body must be JSON" });
  }
  log.info("accepted a webhook");
  return reply(200, { ok: true, received: payload });
}

// Compares in constant time.
function safeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function reply(statusCode, data) {
  return { statusCode: statusCode, headers: { "Content-Type": "application/json" }, body: json.encode(data) };
}
`;

const aiCall = `// Asks a model a question (?q=...). Set OPENAI_API_KEY under Environment
// (or ANTHROPIC_API_KEY with provider "anthropic").
async function handler(ctx, event) {
  const question = event.query.q || "Say hello in one short sentence.";
  const answer = await ai.chat({
    provider: "openai",
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "You are a concise assistant." },
      { role: "user", content: question },
    ],
    maxTokens: 200,
  });
  log.info("tokens: " + answer.usage.inputTokens + " in, " + answer.usage.outputTokens + " out");
  return {
    statusCode: 200,
    headers: { "Content-Type": "application/json" },
    body: json.encode({ answer: answer.content, model: answer.model }),
  };
}
`;

const emailSend = `// Sends an e-mail through Resend. Set RESEND_API_KEY (and EMAIL_FROM) under
// Environment, then POST {"to": "you@example.com", "subject": "Hi", "text": "Hello"}.
async function handler(ctx, event) {
  if (event.method !== "POST") {
    return reply(405, { error: "use POST with a JSON body" });
  }
  let input;
  try {
    input = json.decode(event.body);
  } catch (e) {
    return reply(400, { error: "the body must be JSON" });
  }
  if (!input.to) {
    return reply(400, { error: "to is required" });
  }
  const sent = await email.send({
    from: env.get("EMAIL_FROM") || "Lunar <onboarding@resend.dev>",
    to: input.to,
    subject: input.subject || "Hello from Lunar",
    text: input.text || "Sent by a Lunar function.",
  });
  log.info("sent e-mail " + sent.id);
  return reply(200, { id: sent.id });
}

function reply(statusCode, data) {
  return { statusCode: statusCode, headers: { "Content-Type": "application/json" }, body: json.encode(data) };
}
`;

/** Template names (used in test ids `template-<name>` and i18n keys `template.<name>`). */
export const TEMPLATES = [
  ['blank', blank],
  ['hello-world', helloWorld],
  ['json-api', jsonApi],
  ['kv-counter', kvCounter],
  ['cron-job', cronJob],
  ['webhook', webhook],
  ['ai-call', aiCall],
  ['email', emailSend],
];

export function templateCode(name) {
  return (TEMPLATES.find(([n]) => n === name) || TEMPLATES[0])[1];
}
