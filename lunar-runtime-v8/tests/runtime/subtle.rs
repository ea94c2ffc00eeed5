//! `crypto.subtle`: results checked against published test vectors (RFC 4231, RFC 8032,
//! FIPS 180) and against vectors made with Node.js's Web Crypto (`webcrypto_vectors.json`),
//! so keys, signatures and ciphertexts interoperate with other platforms.

use serde_json::{Value, json};

use crate::harness::{RunOpts, run};

const VECTORS: &str = include_str!("webcrypto_vectors.json");

/// Runs `body` in an async handler with `V` (the vectors), `hex`, `unhex` and `utf8` in
/// scope, and returns its JSON value.
async fn js(body: &str) -> Value {
    let code = format!(
        "const V = {VECTORS};\n\
         const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');\n\
         const unhex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));\n\
         const utf8 = (s) => new TextEncoder().encode(s);\n\
         const fails = async (p) => {{ try {{ await p; return 'resolved'; }} catch (e) {{ return e.name; }} }};\n\
         async function handler() {{\n  const r = await (async () => {{ {body} }})();\n  return {{ body: JSON.stringify(r) }};\n}}\n"
    );
    let out = run(&code, RunOpts::default()).await;
    let resp = out.result.unwrap_or_else(|e| panic!("run failed: {e:?}"));
    serde_json::from_slice(resp.body.as_bytes()).expect("JSON")
}

#[tokio::test]
async fn digests_match_fips_180_and_unknown_names_are_not_supported() {
    let v = js(r#"
        const abc = utf8("abc");
        return {
          sha1: hex(await crypto.subtle.digest("SHA-1", abc)),
          sha256: hex(await crypto.subtle.digest({ name: "sha-256" }, abc.buffer)),
          sha384: (await crypto.subtle.digest("SHA-384", abc)).byteLength,
          sha512: hex(await crypto.subtle.digest("SHA-512", new DataView(abc.buffer))).slice(0, 16),
          md5: await fails(crypto.subtle.digest("MD5", abc)),
          notBytes: await fails(crypto.subtle.digest("SHA-256", "abc")),
          tag: Object.prototype.toString.call(crypto.subtle),
          isCrypto: crypto instanceof Crypto,
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "sha1": "a9993e364706816aba3e25717850c26c9cd0d89d",
            "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "sha384": 48,
            "sha512": "ddaf35a193617aba",
            "md5": "NotSupportedError",
            "notBytes": "TypeError",
            "tag": "[object SubtleCrypto]",
            "isCrypto": true,
        })
    );
}

#[tokio::test]
async fn hmac_signs_like_rfc_4231_and_checks_webhook_signatures() {
    let v = js(r#"
        const key = await crypto.subtle.importKey("raw", utf8("Jefe"), { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
        const msg = utf8("what do ya want for nothing?");
        const mac = await crypto.subtle.sign("HMAC", key, msg);
        const gen = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-512" }, true, ["sign"]);
        const jwk = await crypto.subtle.exportKey("jwk", key);
        return {
          mac: hex(mac),
          ok: await crypto.subtle.verify("HMAC", key, mac, msg),
          tampered: await crypto.subtle.verify("HMAC", key, mac, utf8("what do ya want for nothing!")),
          algorithm: key.algorithm,
          usages: key.usages,
          type: key.type,
          jwk,
          generated: [gen.algorithm.length, (await crypto.subtle.exportKey("raw", gen)).byteLength],
        };
    "#)
    .await;
    assert_eq!(
        v["mac"],
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(v["ok"], true);
    assert_eq!(v["tampered"], false);
    assert_eq!(
        v["algorithm"],
        json!({"name": "HMAC", "hash": {"name": "SHA-256"}, "length": 32})
    );
    assert_eq!(v["usages"], json!(["sign", "verify"]));
    assert_eq!(v["type"], "secret");
    assert_eq!(
        v["jwk"],
        json!({"kty": "oct", "k": "SmVmZQ", "alg": "HS256", "key_ops": ["sign", "verify"], "ext": true})
    );
    assert_eq!(v["generated"], json!([1024, 128]));
}

#[tokio::test]
async fn aes_modes_match_node_and_reject_tampering() {
    let v = js(r#"
        const raw = Uint8Array.from({ length: 16 }, (_, i) => i);
        const iv12 = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
        const iv16 = Uint8Array.from({ length: 16 }, (_, i) => 0xb0 + i);
        const ctr = new Uint8Array(16); ctr.fill(0xff, 8); ctr[15] = 0xfe;
        const msg = utf8("Lunar runs functions. ".repeat(3));
        const key = (name) => crypto.subtle.importKey("raw", raw, name, false, ["encrypt", "decrypt"]);
        const gcm = await key("AES-GCM"), cbc = await key("AES-CBC"), ctrKey = await key("AES-CTR");
        const gp = { name: "AES-GCM", iv: iv12, additionalData: utf8("aad") };
        const g = await crypto.subtle.encrypt(gp, gcm, msg);
        const c = await crypto.subtle.encrypt({ name: "AES-CBC", iv: iv16 }, cbc, msg);
        const t = await crypto.subtle.encrypt({ name: "AES-CTR", counter: ctr, length: 8 }, ctrKey, msg);
        const bad = new Uint8Array(g).slice(); bad[3] ^= 1;
        const text = async (p) => new TextDecoder().decode(await p);
        return {
          gcm: hex(g) === V.gcm, cbc: hex(c) === V.cbc, ctr: hex(t) === V.ctr,
          back: [
            await text(crypto.subtle.decrypt(gp, gcm, g)),
            await text(crypto.subtle.decrypt({ name: "AES-CBC", iv: iv16 }, cbc, c)),
            await text(crypto.subtle.decrypt({ name: "AES-CTR", counter: ctr, length: 8 }, ctrKey, t)),
          ].every((s) => s === "Lunar runs functions. ".repeat(3)),
          tampered: await fails(crypto.subtle.decrypt(gp, gcm, bad)),
          wrongAad: await fails(crypto.subtle.decrypt({ ...gp, additionalData: utf8("x") }, gcm, g)),
          badKey: await fails(crypto.subtle.importKey("raw", new Uint8Array(5), "AES-GCM", false, ["encrypt"])),
          noIv: await fails(crypto.subtle.encrypt({ name: "AES-GCM" }, gcm, msg)),
          wrongUse: await fails(crypto.subtle.sign("HMAC", gcm, msg)),
          algorithm: gcm.algorithm,
          extractable: await fails(crypto.subtle.exportKey("raw", gcm)),
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "gcm": true, "cbc": true, "ctr": true, "back": true,
            "tampered": "OperationError", "wrongAad": "OperationError",
            "badKey": "DataError", "noIv": "TypeError", "wrongUse": "InvalidAccessError",
            "algorithm": {"name": "AES-GCM", "length": 128},
            "extractable": "InvalidAccessError",
        })
    );
}

#[tokio::test]
async fn jwt_signatures_from_node_verify_and_ours_verify_back() {
    let v = js(r#"
        const data = utf8("header.payload");
        const s = crypto.subtle;
        const rsPub = await s.importKey("jwk", V.rsaPub, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
        const spki = Uint8Array.from(atob(V.rsaSpki), (c) => c.charCodeAt(0));
        const rsSpki = await s.importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["verify"]);
        const rsPriv = await s.importKey("jwk", V.rsaPriv, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]);
        const ours = await s.sign("RSASSA-PKCS1-v1_5", rsPriv, data);
        const psPub = await s.importKey("spki", spki, { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
        const oaep = await s.importKey("jwk", { ...V.rsaPriv, alg: "RSA-OAEP-256", key_ops: ["decrypt"] }, { name: "RSA-OAEP", hash: "SHA-256" }, false, ["decrypt"]);
        const esPub = await s.importKey("jwk", V.ecPub, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
        const p8 = Uint8Array.from(atob(V.ec384Pkcs8), (c) => c.charCodeAt(0));
        const es384 = await s.importKey("pkcs8", p8, { name: "ECDSA", namedCurve: "P-384" }, false, ["sign"]);
        const es384Pub = await s.importKey("raw", unhex(V.ec384Raw), { name: "ECDSA", namedCurve: "P-384" }, true, ["verify"]);
        const es384Sig = await s.sign({ name: "ECDSA", hash: "SHA-384" }, es384, data);
        return {
          rs256: await s.verify("RSASSA-PKCS1-v1_5", rsPub, unhex(V.rs256), data),
          rs256Spki: await s.verify("RSASSA-PKCS1-v1_5", rsSpki, unhex(V.rs256), data),
          rs256Wrong: await s.verify("RSASSA-PKCS1-v1_5", rsPub, unhex(V.rs256), utf8("header.payloaD")),
          deterministic: hex(ours) === V.rs256,
          ps256: await s.verify({ name: "RSA-PSS", saltLength: 32 }, psPub, unhex(V.ps256), data),
          oaep: new TextDecoder().decode(await s.decrypt({ name: "RSA-OAEP" }, oaep, unhex(V.oaep))),
          es256: await s.verify({ name: "ECDSA", hash: "SHA-256" }, esPub, unhex(V.es256), data),
          es256Short: await s.verify({ name: "ECDSA", hash: "SHA-256" }, esPub, unhex(V.es256).slice(1), data),
          es384: [es384Sig.byteLength, await s.verify({ name: "ECDSA", hash: "SHA-384" }, es384Pub, es384Sig, data)],
          es384Raw: hex(await s.exportKey("raw", es384Pub)) === V.ec384Raw,
          rsaAlgorithm: [rsSpki.algorithm.modulusLength, [...rsSpki.algorithm.publicExponent], rsSpki.algorithm.hash.name],
          jwkBack: (await s.exportKey("jwk", rsPriv)).d === V.rsaPriv.d,
          spkiBack: btoa(String.fromCharCode(...new Uint8Array(await s.exportKey("spki", rsSpki)))) === V.rsaSpki,
          publicOnPrivate: await fails(s.importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"])),
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "rs256": true, "rs256Spki": true, "rs256Wrong": false, "deterministic": true,
            "ps256": true, "oaep": "secret", "es256": true, "es256Short": false,
            "es384": [96, true], "es384Raw": true,
            "rsaAlgorithm": [2048, [1, 0, 1], "SHA-256"],
            "jwkBack": true, "spkiBack": true, "publicOnPrivate": "SyntaxError",
        })
    );
}

#[tokio::test]
async fn ed25519_matches_rfc_8032_and_generated_keys_round_trip() {
    let v = js(r#"
        const b64u = (b) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        const d = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        const x = unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        const priv = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", d: b64u(d), x: b64u(x) }, "Ed25519", true, ["sign"]);
        const pub = await crypto.subtle.importKey("raw", x, { name: "Ed25519" }, true, ["verify"]);
        const sig = await crypto.subtle.sign("Ed25519", priv, new Uint8Array(0));
        const pair = await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"]);
        const msg = utf8("webhook body");
        const s2 = await crypto.subtle.sign("Ed25519", pair.privateKey, msg);
        const spki = await crypto.subtle.exportKey("spki", pair.publicKey);
        const pub2 = await crypto.subtle.importKey("spki", spki, "Ed25519", true, ["verify"]);
        const p8 = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
        const priv2 = await crypto.subtle.importKey("pkcs8", p8, "Ed25519", false, ["sign"]);
        return {
          sig: hex(sig),
          ok: await crypto.subtle.verify("Ed25519", pub, sig, new Uint8Array(0)),
          generated: await crypto.subtle.verify("Ed25519", pub2, s2, msg),
          reimported: hex(await crypto.subtle.sign("Ed25519", priv2, msg)) === hex(s2),
          usages: [pair.privateKey.usages, pair.publicKey.usages, pair.publicKey.extractable],
          jwk: (await crypto.subtle.exportKey("jwk", pub)).x === b64u(x),
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "sig": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            "ok": true, "generated": true, "reimported": true,
            "usages": [["sign"], ["verify"], true], "jwk": true,
        })
    );
}

#[tokio::test]
async fn key_derivation_and_agreement() {
    let v = js(r#"
        const s = crypto.subtle;
        const hk = await s.importKey("raw", utf8("input key"), "HKDF", false, ["deriveBits"]);
        const hkdf = await s.deriveBits({ name: "HKDF", hash: "SHA-256", salt: utf8("salt"), info: utf8("info") }, hk, 256);
        const pw = await s.importKey("raw", utf8("password"), "PBKDF2", false, ["deriveBits", "deriveKey"]);
        const pbkdf2 = await s.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: utf8("salt"), iterations: 1000 }, pw, 256);
        const aes = await s.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: utf8("salt"), iterations: 1000 }, pw,
          { name: "AES-GCM", length: 256 }, true, ["encrypt"]);
        const a = await s.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
        const b = await s.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
        const ab = await s.deriveBits({ name: "ECDH", public: b.publicKey }, a.privateKey, 256);
        const ba = await s.deriveBits({ name: "ECDH", public: a.publicKey }, b.privateKey, 256);
        const other = await s.generateKey({ name: "ECDH", namedCurve: "P-384" }, false, ["deriveBits"]);
        return {
          hkdf: hex(hkdf) === V.hkdf,
          pbkdf2: hex(pbkdf2) === V.pbkdf2,
          derived: hex(await s.exportKey("raw", aes)) === V.pbkdf2,
          ecdh: [ab.byteLength, hex(ab) === hex(ba)],
          curveMismatch: await fails(s.deriveBits({ name: "ECDH", public: other.publicKey }, a.privateKey, 256)),
          extractableHkdf: await fails(s.importKey("raw", utf8("k"), "HKDF", true, ["deriveBits"])),
          noIterations: await fails(s.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: utf8("s"), iterations: 0 }, pw, 256)),
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "hkdf": true, "pbkdf2": true, "derived": true, "ecdh": [32, true],
            "curveMismatch": "InvalidAccessError", "extractableHkdf": "SyntaxError",
            "noIterations": "OperationError",
        })
    );
}

#[tokio::test]
async fn keys_wrap_generate_and_refuse_misuse() {
    let v = js(r#"
        const s = crypto.subtle;
        const kek = await s.generateKey({ name: "AES-GCM", length: 256 }, false, ["wrapKey", "unwrapKey"]);
        const mac = await s.generateKey({ name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
        const iv = crypto.getRandomValues(new Uint8Array(12));
        const wrapped = await s.wrapKey("jwk", mac, kek, { name: "AES-GCM", iv });
        const back = await s.unwrapKey("jwk", wrapped, kek, { name: "AES-GCM", iv }, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
        const rawWrapped = await s.wrapKey("raw", mac, kek, { name: "AES-GCM", iv });
        const rawBack = await s.unwrapKey("raw", rawWrapped, kek, { name: "AES-GCM", iv }, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
        const m = utf8("m");
        const rsa = await s.generateKey({ name: "RSA-OAEP", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["encrypt", "decrypt"]);
        const ct = await s.encrypt({ name: "RSA-OAEP" }, rsa.publicKey, m);
        let illegal;
        try { new CryptoKey(); } catch (e) { illegal = e.name; }
        return {
          unwrapped: hex(await s.sign("HMAC", back, m)) === hex(await s.sign("HMAC", mac, m)),
          rawUnwrapped: await s.verify("HMAC", rawBack, await s.sign("HMAC", mac, m), m),
          rsa: [new TextDecoder().decode(await s.decrypt({ name: "RSA-OAEP" }, rsa.privateKey, ct)), rsa.publicKey.usages, rsa.privateKey.usages],
          badUsage: await fails(s.generateKey({ name: "AES-GCM", length: 128 }, true, ["sign"])),
          noUsages: await fails(s.generateKey({ name: "AES-GCM", length: 128 }, true, [])),
          badLength: await fails(s.generateKey({ name: "AES-GCM", length: 100 }, true, ["encrypt"])),
          unknownUsage: await fails(s.generateKey({ name: "AES-GCM", length: 128 }, true, ["fly"])),
          wrapNonExtractable: await fails(s.wrapKey("raw", kek, kek, { name: "AES-GCM", iv })),
          illegal,
          keyTag: Object.prototype.toString.call(mac),
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "unwrapped": true, "rawUnwrapped": true,
            "rsa": ["m", ["encrypt"], ["decrypt"]],
            "badUsage": "SyntaxError", "noUsages": "SyntaxError", "badLength": "OperationError",
            "unknownUsage": "TypeError", "wrapNonExtractable": "InvalidAccessError",
            "illegal": "TypeError", "keyTag": "[object CryptoKey]",
        })
    );
}

#[tokio::test]
async fn aes_kw_x25519_and_p521() {
    let v = js(r#"
        const s = crypto.subtle;
        // RFC 3394 4.1: 128-bit key data wrapped with a 128-bit KEK.
        const kek = await s.importKey("raw", unhex("000102030405060708090A0B0C0D0E0F"), "AES-KW", false, ["wrapKey", "unwrapKey"]);
        const data = await s.importKey("raw", unhex("00112233445566778899AABBCCDDEEFF"), "AES-GCM", true, ["encrypt"]);
        const wrapped = await s.wrapKey("raw", data, kek, "AES-KW");
        const back = await s.unwrapKey("raw", wrapped, kek, "AES-KW", "AES-GCM", true, ["encrypt"]);
        const bad = new Uint8Array(wrapped).slice(); bad[0] ^= 1;
        // RFC 7748 6.1: Alice's private key with Bob's public key.
        const b64u = (b) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        const alicePriv = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        const alicePub = unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        const alice = await s.importKey("jwk", { kty: "OKP", crv: "X25519", d: b64u(alicePriv), x: b64u(alicePub) }, "X25519", true, ["deriveBits"]);
        const bob = await s.importKey("raw", unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), "X25519", true, []);
        const pair = await s.generateKey("X25519", true, ["deriveBits"]);
        const p8 = await s.exportKey("pkcs8", alice);
        const again = await s.importKey("pkcs8", p8, "X25519", false, ["deriveBits"]);
        // P-521 ECDSA with SHA-512, through JWK.
        const ec = await s.generateKey({ name: "ECDSA", namedCurve: "P-521" }, true, ["sign", "verify"]);
        const msg = utf8("p521");
        const sig = await s.sign({ name: "ECDSA", hash: "SHA-512" }, ec.privateKey, msg);
        const pubJwk = await s.exportKey("jwk", ec.publicKey);
        const pub = await s.importKey("jwk", pubJwk, { name: "ECDSA", namedCurve: "P-521" }, false, ["verify"]);
        const dh = await s.generateKey({ name: "ECDH", namedCurve: "P-521" }, false, ["deriveBits"]);
        return {
          wrapped: hex(wrapped),
          unwrapped: hex(await s.exportKey("raw", back)),
          tampered: await fails(s.unwrapKey("raw", bad, kek, "AES-KW", "AES-GCM", true, ["encrypt"])),
          kwEncrypt: await fails(s.encrypt("AES-KW", kek, new Uint8Array(16))),
          kwBadUsage: await fails(s.generateKey({ name: "AES-KW", length: 128 }, true, ["encrypt"])),
          shared: hex(await s.deriveBits({ name: "X25519", public: bob }, alice, 256)),
          sharedAgain: hex(await s.deriveBits({ name: "X25519", public: bob }, again, 256)),
          generated: (await s.deriveBits({ name: "X25519", public: pair.publicKey }, pair.privateKey, 256)).byteLength,
          p521: [sig.byteLength, pubJwk.crv, await s.verify({ name: "ECDSA", hash: "SHA-512" }, pub, sig, msg),
                 await s.verify({ name: "ECDSA", hash: "SHA-512" }, pub, sig, utf8("other"))],
          p521dh: (await s.deriveBits({ name: "ECDH", public: dh.publicKey }, dh.privateKey, 528)).byteLength,
          publicNotExtractable: [pub.extractable, bob.extractable],
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "wrapped": "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5",
            "unwrapped": "00112233445566778899aabbccddeeff",
            "tampered": "OperationError",
            "kwEncrypt": "NotSupportedError",
            "kwBadUsage": "SyntaxError",
            "shared": "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
            "sharedAgain": "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
            "generated": 32,
            "p521": [132, "P-521", true, false],
            "p521dh": 66,
            "publicNotExtractable": [false, true],
        })
    );
}

#[tokio::test]
async fn aes_gcm_takes_any_iv_length_and_the_shorter_tags() {
    // Vectors made with Node's and Deno's Web Crypto (each takes only some of the lengths;
    // where both do, they agree).
    let v = js(r#"
        const s = crypto.subtle;
        const key = await s.importKey("raw", Uint8Array.from({ length: 32 }, (_, i) => i * 3), "AES-GCM", false, ["encrypt", "decrypt"]);
        const msg = utf8("GCM with other IV and tag lengths, not a multiple of 16");
        const out = {};
        for (const [name, expected] of Object.entries(V.gcmLengths)) {
          const [ivLen, tagLength] = name.split("/").map(Number);
          const p = { name: "AES-GCM", iv: Uint8Array.from({ length: ivLen }, (_, i) => 0x40 + i), tagLength, additionalData: utf8("ad") };
          const sealed = await s.encrypt(p, key, msg);
          const back = new TextDecoder().decode(await s.decrypt(p, key, sealed));
          const bad = new Uint8Array(sealed).slice(); bad[bad.length - 1] ^= 1;
          out[name] = [hex(sealed) === expected, back === new TextDecoder().decode(msg), await fails(s.decrypt(p, key, bad))];
        }
        out.badTag = await fails(s.encrypt({ name: "AES-GCM", iv: new Uint8Array(12), tagLength: 100 }, key, msg));
        out.emptyIv = await fails(s.encrypt({ name: "AES-GCM", iv: new Uint8Array(0) }, key, msg));
        return out;
    "#)
    .await;
    let ok = json!([true, true, "OperationError"]);
    for name in [
        "16/128", "60/128", "12/32", "12/64", "12/96", "12/104", "12/120", "32/112",
    ] {
        assert_eq!(v[name], ok, "{name}: {v}");
    }
    assert_eq!(v["badTag"], "OperationError");
    assert_eq!(v["emptyIv"], "OperationError");
}

#[tokio::test]
async fn x448_matches_rfc_7748() {
    let v = js(r#"
        const s = crypto.subtle;
        const b64u = (b) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        const d = unhex("9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b");
        const x = unhex("9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0");
        const alice = await s.importKey("jwk", { kty: "OKP", crv: "X448", d: b64u(d), x: b64u(x) }, "X448", true, ["deriveBits"]);
        const bob = await s.importKey("raw", unhex("3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609"), "X448", true, []);
        const pair = await s.generateKey("X448", true, ["deriveBits"]);
        const spki = await s.exportKey("spki", pair.publicKey);
        const pub = await s.importKey("spki", spki, "X448", true, []);
        const wrongX = { kty: "OKP", crv: "X448", d: b64u(d), x: b64u(unhex("00".repeat(56))) };
        return {
          shared: hex(await s.deriveBits({ name: "X448", public: bob }, alice, 448)),
          generated: (await s.deriveBits({ name: "X448", public: pub }, pair.privateKey, 448)).byteLength,
          spki: spki.byteLength,
          jwk: (await s.exportKey("jwk", alice)).x === b64u(x),
          mismatch: await fails(s.importKey("jwk", wrongX, "X448", true, ["deriveBits"])),
          smallOrder: await fails(s.deriveBits({ name: "X448", public: await s.importKey("raw", new Uint8Array(56), "X448", true, []) }, alice, 448)),
        };
    "#)
    .await;
    assert_eq!(
        v,
        json!({
            "shared": "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d",
            "generated": 56, "spki": 68, "jwk": true,
            "mismatch": "DataError", "smallOrder": "OperationError",
        })
    );
}

/// ECDSA with a digest shorter than the curve's field (P-384 with SHA-1, P-521 with SHA-256).
#[tokio::test]
async fn ecdsa_takes_short_digests() {
    let v = js(r#"
        const out = [];
        for (const [namedCurve, hash] of [["P-384", "SHA-1"], ["P-521", "SHA-1"], ["P-521", "SHA-256"]]) {
          const k = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve }, false, ["sign", "verify"]);
          const sig = await crypto.subtle.sign({ name: "ECDSA", hash }, k.privateKey, utf8("m"));
          out.push(await crypto.subtle.verify({ name: "ECDSA", hash }, k.publicKey, sig, utf8("m")));
        }
        return out;
    "#)
    .await;
    assert_eq!(v, json!([true, true, true]));
}
