//! Streams (`ReadableStream`, `WritableStream`, `TransformStream` and friends), bodies as
//! streams, and compression streams, as Workers and Deno code uses them.

use std::sync::Arc;
use std::time::Duration;

use lunar_core::runtime::{Limits, RunErrorKind};
use lunar_runtime_v8::{V8Options, V8Runtime};
use serde_json::{Value, json};

use crate::harness::{RunOpts, run, run_on};

/// Runs `body` inside an async handler and returns its JSON value.
async fn js(body: &str) -> Value {
    let code = format!(
        "const utf8 = (s) => new TextEncoder().encode(s);\n\
         const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));\n\
         async function collect(stream) {{ const out = []; for await (const c of stream) out.push(c); return out; }}\n\
         async function handler() {{\n  const r = await (async () => {{ {body} }})();\n  return {{ body: JSON.stringify(r === undefined ? null : r) }};\n}}\n"
    );
    let out = run(&code, RunOpts::default()).await;
    let resp = out.result.unwrap_or_else(|e| panic!("run failed: {e:?}"));
    serde_json::from_slice(resp.body.as_bytes()).expect("JSON")
}

#[tokio::test]
async fn streams_pull_pipe_tee_and_transform() {
    let v = js(r#"
        const names = ["ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamDefaultController",
          "WritableStream", "WritableStreamDefaultWriter", "WritableStreamDefaultController", "TransformStream",
          "TransformStreamDefaultController", "ByteLengthQueuingStrategy", "CountQueuingStrategy",
          "TextEncoderStream", "TextDecoderStream", "CompressionStream", "DecompressionStream"];
        let pulls = 0;
        const counted = new ReadableStream({
          pull(c) { pulls += 1; if (pulls > 3) c.close(); else c.enqueue(pulls); },
        }, new CountQueuingStrategy({ highWaterMark: 1 }));
        await new Promise((r) => setTimeout(r, 0));
        const pullsBeforeRead = pulls;
        const [a, b] = counted.tee();
        const upper = new TransformStream({ transform(chunk, c) { c.enqueue(String(chunk).toUpperCase()); } });
        const written = [];
        const sink = new WritableStream({ write(chunk) { written.push(chunk); } });
        // "é" (c3 a9) split across two chunks.
        const bytes = ReadableStream.from([new Uint8Array([0x63, 0x61, 0x66, 0xc3]), new Uint8Array([0xa9, 0x21])]);
        await bytes.pipeThrough(new TextDecoderStream()).pipeThrough(upper).pipeTo(sink);
        const encoded = await collect(ReadableStream.from(["hé"]).pipeThrough(new TextEncoderStream()));
        const early = ReadableStream.from([1, 2, 3]);
        for await (const x of early) if (x === 1) break;
        const ws = new WritableStream({}, new ByteLengthQueuingStrategy({ highWaterMark: 4 }));
        const writer = ws.getWriter();
        const before = writer.desiredSize;
        return {
          missing: names.filter((n) => typeof globalThis[n] !== "function"),
          pullsBeforeRead,
          branches: [await collect(a), await collect(b)],
          written,
          encoded: encoded.map((u) => [...u]),
          earlyBreak: [early.locked, await early.getReader().read()],
          desired: before,
          tag: Object.prototype.toString.call(new ReadableStream()),
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "missing": [],
            "pullsBeforeRead": 1,
            "branches": [[1, 2, 3], [1, 2, 3]],
            "written": ["CAF", "É!"],
            "encoded": [[104, 195, 169]],
            "earlyBreak": [false, {"done": true}],
            "desired": 4,
            "tag": "[object ReadableStream]",
        })
    );
}

#[tokio::test]
async fn bodies_are_streams() {
    let v = js(r#"
        const r = new Response("hello");
        const body = r.body;
        const usedAfterGet = r.bodyUsed;
        const reader = body.getReader();
        const lockedText = await r.text().then(() => "read", (e) => e.name);
        const first = await reader.read();
        const fromStream = new Response(ReadableStream.from([utf8("a"), utf8("b")]));
        const copy = fromStream.clone();
        const req = new Request("https://x.test/", { method: "POST", body: ReadableStream.from([utf8("up")]), duplex: "half" });
        const badChunk = await new Response(ReadableStream.from(["not bytes"])).text().then(() => "read", (e) => e.name);
        return {
          isStream: body instanceof ReadableStream,
          same: r.body === body,
          usedAfterGet,
          lockedText,
          first: [[...first.value], first.done],
          used: r.bodyUsed,
          nullBody: new Response(null).body,
          texts: [await fromStream.text(), await copy.text()],
          request: await req.text(),
          blob: new TextDecoder().decode((await collect(new Blob(["bl", "ob"]).stream()))[0]),
          badChunk,
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "isStream": true, "same": true, "usedAfterGet": false, "lockedText": "TypeError",
            "first": [[104, 101, 108, 108, 111], false], "used": true, "nullBody": null,
            "texts": ["ab", "ab"], "request": "up", "blob": "blob", "badChunk": "TypeError",
        })
    );
}

#[tokio::test]
async fn a_handler_may_return_a_streamed_response() {
    // Chunks written after the handler returned, from timers, as a Workers function
    // streaming its answer would.
    let code = r#"
        export default {
          async fetch(request) {
            const { readable, writable } = new TransformStream();
            const writer = writable.getWriter();
            (async () => {
              for (const part of ["data: 1\n\n", "data: 2\n\n"]) {
                await new Promise((r) => setTimeout(r, 5));
                await writer.write(new TextEncoder().encode(part));
              }
              await writer.close();
            })();
            return new Response(readable, { status: 201, headers: { "content-type": "text/event-stream" } });
          },
        };
    "#;
    let out = run(code, RunOpts::default()).await;
    let resp = out.result.expect("streamed response");
    assert_eq!(resp.status_code, 201);
    assert_eq!(
        String::from_utf8_lossy(resp.body.as_bytes()),
        "data: 1\n\ndata: 2\n\n"
    );

    let erroring = r#"
        function handler() {
          return new Response(new ReadableStream({ pull(c) { c.error(new RangeError("source broke")); } }));
        }
    "#;
    let e = run(erroring, RunOpts::default()).await.result.unwrap_err();
    assert!(e.message.starts_with("RangeError: source broke"), "{e:?}");
}

#[tokio::test]
async fn compression_streams_round_trip_and_read_what_node_wrote() {
    // gzip, deflate-raw, deflate and brotli of "Lunar streams " × 50, made by Node's zlib.
    let v = js(r#"
        const text = "Lunar streams ".repeat(50);
        const squeeze = async (fmt, data) => new Uint8Array(await new Response(ReadableStream.from([data]).pipeThrough(new CompressionStream(fmt))).arrayBuffer());
        const unsqueeze = async (fmt, data) => await new Response(ReadableStream.from([data]).pipeThrough(new DecompressionStream(fmt))).text();
        const out = {};
        for (const fmt of ["gzip", "deflate", "deflate-raw", "brotli"]) {
          const packed = await squeeze(fmt, utf8(text));
          out[fmt] = [packed.length < 100, (await unsqueeze(fmt, packed)) === text];
        }
        const node = {
          gzip: "H4sIAAAAAAAAA/MpzUssUiguKUpNzC1W8BnljfKGDA8AFLqnMbwCAAA=",
          "deflate-raw": "8ynNSyxSKC4pSk3MLVbwGeWN8oYMDwA=",
          deflate: "eJzzKc1LLFIoLilKTcwtVvAZ5Y3yhgwPAOuXBsI=",
          brotli: "G7sC+I1Utb9mcpOrE2HVSmH1AD/YXkYD",
        };
        for (const fmt of Object.keys(node)) out["node " + fmt] = (await unsqueeze(fmt, b64(node[fmt]))) === text;
        const fails = async (f) => { try { await f(); return "ok"; } catch (e) { return e.name; } };
        const gz = b64(node.gzip);
        out.truncated = await fails(() => unsqueeze("gzip", gz.slice(0, gz.length - 6)));
        out.corrupt = await fails(() => unsqueeze("deflate", utf8("not deflate at all")));
        out.unknown = await fails(() => new CompressionStream("zstd"));
        out.notBytes = await fails(() => squeeze("gzip", "a string"));
        return out;
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "gzip": [true, true], "deflate": [true, true], "deflate-raw": [true, true],
            "brotli": [true, true],
            "node gzip": true, "node deflate-raw": true, "node deflate": true, "node brotli": true,
            "truncated": "TypeError", "corrupt": "TypeError", "unknown": "TypeError",
            "notBytes": "TypeError",
        })
    );
}

/// A gzip bomb (200 MiB of zeros in ~200 KB) decompressed under a 64 MiB limit ends its own
/// execution with the memory error, and an execution waiting on the same worker finishes.
#[tokio::test]
async fn a_decompression_bomb_ends_only_its_execution() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).expect("runtime"));
    let code = r#"
        async function handler(ctx, event) {
          if (event.query.wait) { await new Promise((r) => setTimeout(r, 400)); return { body: "waited" }; }
          const zeros = new Uint8Array(1024 * 1024);
          const cs = new CompressionStream("gzip");
          const w = cs.writable.getWriter();
          const packed = new Response(cs.readable).arrayBuffer();
          for (let i = 0; i < 200; i++) await w.write(zeros);
          await w.close();
          const bomb = new Uint8Array(await packed);
          const kept = [];
          for await (const chunk of ReadableStream.from([bomb]).pipeThrough(new DecompressionStream("gzip"))) kept.push(chunk);
          return { body: "survived " + kept.length };
        }
    "#;
    let limits = Limits::default()
        .with_memory_mb(64)
        .with_timeout(Duration::from_secs(20));
    let opts = |wait: bool| {
        let mut o = RunOpts {
            limits,
            version_id: Some("bomb".into()),
            ..RunOpts::default()
        };
        if wait {
            o.event.query.insert("wait".into(), "1".into());
        }
        o
    };
    let waiting = run_on(&rt, code, opts(true));
    let bomb = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        run_on(&rt, code, opts(false)).await
    };
    let (waiting, bomb) = tokio::join!(waiting, bomb);
    let e = bomb.result.unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Memory, "{e:?}");
    assert_eq!(e.message, "memory limit exceeded (64 MiB)");
    let w = waiting.result.expect("the waiting execution finishes");
    assert_eq!(String::from_utf8_lossy(w.body.as_bytes()), "waited");
}

#[tokio::test]
async fn byte_streams_fill_the_readers_buffers() {
    let v = js(r#"
        // A source that writes into the reader's own buffer through byobRequest.
        let n = 0;
        const source = new ReadableStream({
          type: "bytes",
          pull(c) {
            const req = c.byobRequest;
            const view = req.view;
            view[0] = ++n; view[1] = n * 10;
            req.respond(2);
            if (n === 3) c.close();
          },
        });
        const reader = source.getReader({ mode: "byob" });
        const got = [];
        let buf = new ArrayBuffer(8);
        for (;;) {
          const { value, done } = await reader.read(new Uint8Array(buf), { min: 2 });
          if (done) break;
          got.push([...value]);
          buf = value.buffer;
        }
        // A body read with a BYOB reader, into a view larger than it.
        const body = new Response("hello").body.getReader({ mode: "byob" });
        const first = await body.read(new Uint8Array(16));
        let detached;
        const view = new Uint8Array(4);
        const s2 = new ReadableStream({ type: "bytes", start(c) { c.enqueue(new Uint8Array([1, 2])); c.close(); } });
        const r2 = s2.getReader({ mode: "byob" });
        await r2.read(view);
        detached = view.buffer.detached;
        return {
          got,
          body: new TextDecoder().decode(first.value),
          detached,
          globals: [typeof ReadableStreamBYOBReader, typeof ReadableStreamBYOBRequest, typeof ReadableByteStreamController],
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "got": [[1, 10], [2, 20], [3, 30]],
            "body": "hello",
            "detached": true,
            "globals": ["function", "function", "function"],
        })
    );
}

#[tokio::test]
async fn decompression_gives_each_chunks_output_before_the_end() {
    // The writer stays open: each format's output must come from the one chunk written.
    let v = js(r#"
        const out = {};
        for (const fmt of ["gzip", "deflate", "deflate-raw", "brotli"]) {
          const packed = new Uint8Array(await new Response(ReadableStream.from([utf8("expected output")]).pipeThrough(new CompressionStream(fmt))).arrayBuffer());
          const ds = new DecompressionStream(fmt);
          const reader = ds.readable.getReader();
          ds.writable.getWriter().write(packed);
          const { value } = await reader.read();
          out[fmt] = new TextDecoder().decode(value);
        }
        return out;
    "#)
    .await;
    assert_eq!(
        v,
        json!({"gzip": "expected output", "deflate": "expected output",
               "deflate-raw": "expected output", "brotli": "expected output"})
    );
}
