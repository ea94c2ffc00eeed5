//! Encoding, hashing and randomness helpers for `base64`, `atob`/`btoa`, `crypto` and
//! `random`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use md5::Md5;
use rand::{Rng, TryRngCore};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

/// Largest `n` accepted by `random_string`, `random_bytes_b64` and `random_hex`
/// (64 MiB; the spec sets no bound, this keeps host allocations bounded).
pub const MAX_RANDOM_LEN: i64 = 64 * 1024 * 1024;

/// Standard base64 (`+/`, `=` padding) of `bytes`.
pub fn b64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The 6-bit value of a standard-alphabet base64 character.
fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Go's `illegal base64 data at input byte N` message.
fn corrupt(offset: usize) -> String {
    format!("illegal base64 data at input byte {offset}")
}

/// Go's `Encoding.decodeQuantum` for `StdEncoding`: decodes one quantum starting at `si`,
/// appending to `out`; returns the next index and whether decoding is finished.
fn decode_quantum(src: &[u8], mut si: usize, out: &mut Vec<u8>) -> Result<(usize, bool), String> {
    let mut dbuf = [0u8; 4];
    let mut dlen = 4;
    let mut done = false;
    let mut j = 0;
    while j < 4 {
        let Some(&c) = src.get(si) else {
            if j == 0 {
                return Ok((si, true));
            }
            return Err(corrupt(si - j));
        };
        si += 1;
        if let Some(v) = b64_value(c) {
            dbuf[j] = v;
            j += 1;
            continue;
        }
        if c == b'\n' || c == b'\r' {
            continue;
        }
        if c != b'=' {
            return Err(corrupt(si - 1));
        }
        // Padding: only valid after two or three characters.
        match j {
            0 | 1 => return Err(corrupt(si - 1)),
            2 => {
                // "==" expected; the first "=" is consumed. Skip newlines.
                while matches!(src.get(si), Some(b'\n' | b'\r')) {
                    si += 1;
                }
                match src.get(si) {
                    None => return Err(corrupt(src.len())),
                    Some(b'=') => si += 1,
                    Some(_) => return Err(corrupt(si - 1)),
                }
            }
            _ => {}
        }
        while matches!(src.get(si), Some(b'\n' | b'\r')) {
            si += 1;
        }
        if si < src.len() {
            // Trailing garbage after the padding.
            return Err(corrupt(si));
        }
        dlen = j;
        done = true;
        break;
    }
    let val = (u32::from(dbuf[0]) << 18)
        | (u32::from(dbuf[1]) << 12)
        | (u32::from(dbuf[2]) << 6)
        | u32::from(dbuf[3]);
    let bytes = val.to_be_bytes();
    out.extend_from_slice(&bytes[1..dlen]);
    Ok((si, done))
}

/// Go's `base64.StdEncoding.DecodeString`: standard alphabet, padding required, `\r` and
/// `\n` ignored anywhere, non-zero trailing bits accepted.
///
/// Fails with Go's `illegal base64 data at input byte <N>` (0-based byte offset).
pub fn b64_decode_strict(s: &str) -> Result<Vec<u8>, String> {
    let src = s.as_bytes();
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    loop {
        let (next, done) = decode_quantum(src, si, &mut out)?;
        si = next;
        if done || si >= src.len() {
            return Ok(out);
        }
    }
}

/// WHATWG forgiving-base64 decode (the `atob` algorithm); `None` means the
/// `InvalidCharacterError` failure. The JS side maps each byte to one Latin-1 code unit.
///
/// Steps: remove ASCII whitespace (TAB, LF, FF, CR, SPACE); if the length is a multiple
/// of 4, drop one or two trailing `=`; a length ≡ 1 (mod 4) or any character outside
/// `A-Za-z0-9+/` fails; leftover bits of a partial group are discarded.
pub fn forgiving_b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut data: Vec<u8> = Vec::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' | '\n' | '\u{c}' | '\r' | ' ' => {}
            _ => data.push(u8::try_from(u32::from(c)).ok()?),
        }
    }
    if data.len().is_multiple_of(4) {
        if data.ends_with(b"==") {
            data.truncate(data.len() - 2);
        } else if data.ends_with(b"=") {
            data.truncate(data.len() - 1);
        }
    }
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &c in &data {
        buffer = (buffer << 6) | u32::from(b64_value(c)?);
        bits += 6;
        if bits == 24 {
            out.extend_from_slice(&buffer.to_be_bytes()[1..]);
            buffer = 0;
            bits = 0;
        }
    }
    match bits {
        12 => out.push(((buffer >> 4) & 0xff) as u8),
        18 => out.extend_from_slice(&((buffer >> 2) as u16).to_be_bytes()),
        _ => {}
    }
    Some(out)
}

/// `btoa`: base64 of a Latin-1 string; `None` (`InvalidCharacterError`) when any character
/// is above U+00FF (lone surrogates arrive as U+FFFD and fail too).
pub fn btoa_latin1(s: &str) -> Option<String> {
    let bytes = s
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some(b64_encode(&bytes))
}

/// Lowercase hex digest of `data` with `alg` (`md5`, `sha1`, `sha256`, `sha512`);
/// `None` for an unknown algorithm.
pub fn digest_hex(alg: &str, data: &[u8]) -> Option<String> {
    Some(match alg {
        "md5" => hex::encode(Md5::digest(data)),
        "sha1" => hex::encode(Sha1::digest(data)),
        "sha256" => hex::encode(Sha256::digest(data)),
        "sha512" => hex::encode(Sha512::digest(data)),
        _ => return None,
    })
}

/// Computes an HMAC with any key length (HMAC accepts every key size).
fn hmac_of<M: Mac + hmac::digest::KeyInit>(message: &[u8], key: &[u8]) -> Option<String> {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(hex::encode(mac.finalize().into_bytes()))
}

/// Lowercase hex HMAC of `message` under `key` with `alg` (`sha1`, `sha256`, `sha512`);
/// `None` for an unknown algorithm. Note the argument order: message first, key second.
pub fn hmac_hex(alg: &str, message: &[u8], key: &[u8]) -> Option<String> {
    match alg {
        "sha1" => hmac_of::<Hmac<Sha1>>(message, key),
        "sha256" => hmac_of::<Hmac<Sha256>>(message, key),
        "sha512" => hmac_of::<Hmac<Sha512>>(message, key),
        _ => None,
    }
}

/// A random version 4 UUID, `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx` (lowercase).
pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Fills `buf` from the operating system's CSPRNG (for `crypto.getRandomValues`).
pub fn fill_os_random(buf: &mut [u8]) -> Result<(), String> {
    rand::rngs::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| format!("random source failed: {e}"))
}

/// Uniform integer in `[min, max]` (inclusive) from a CSPRNG.
///
/// `min > max` fails with `min (A) must be less than or equal to max (B)`.
pub fn random_int(min: i64, max: i64) -> Result<i64, String> {
    if min > max {
        return Err(format!(
            "min ({min}) must be less than or equal to max ({max})"
        ));
    }
    Ok(rand::rng().random_range(min..=max))
}

/// Uniform float in `[0, 1)` (53 random bits) from a CSPRNG.
pub fn random_float() -> f64 {
    rand::rng().random::<f64>()
}

/// Validates a `random.*` length: `n <= 0` → `length must be positive, got N`; above
/// [`MAX_RANDOM_LEN`] → `length must be at most 67108864, got N`.
fn check_len(n: i64) -> Result<usize, String> {
    if n <= 0 {
        return Err(format!("length must be positive, got {n}"));
    }
    if n > MAX_RANDOM_LEN {
        return Err(format!("length must be at most {MAX_RANDOM_LEN}, got {n}"));
    }
    usize::try_from(n).map_err(|_| format!("length must be at most {MAX_RANDOM_LEN}, got {n}"))
}

/// `n` characters drawn uniformly from `a-zA-Z0-9` with a CSPRNG.
pub fn random_string(n: i64) -> Result<String, String> {
    /// The 62 characters `random.string` draws from.
    const CHARS: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let len = check_len(n)?;
    let mut rng = rand::rng();
    Ok((0..len)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect())
}

/// `n` random bytes from a CSPRNG.
fn random_bytes(n: i64) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; check_len(n)?];
    rand::rng().fill(buf.as_mut_slice());
    Ok(buf)
}

/// Standard padded base64 of `n` random bytes (`random.bytes`).
pub fn random_bytes_b64(n: i64) -> Result<String, String> {
    random_bytes(n).map(|b| b64_encode(&b))
}

/// Lowercase hex of `n` random bytes, `2n` characters (`random.hex`).
pub fn random_hex(n: i64) -> Result<String, String> {
    random_bytes(n).map(hex::encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_is_consistent() {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for c in 0..=255u8 {
            let want = ALPHABET.iter().position(|&a| a == c);
            assert_eq!(b64_value(c).map(usize::from), want);
        }
    }

    #[test]
    fn encode() {
        assert_eq!(b64_encode(b""), "");
        assert_eq!(b64_encode(b"f"), "Zg==");
        assert_eq!(b64_encode(b"fo"), "Zm8=");
        assert_eq!(b64_encode(b"foo"), "Zm9v");
        assert_eq!(b64_encode(&[0xfb, 0xff]), "+/8=");
        assert_eq!(b64_encode("héllo".as_bytes()), "aMOpbGxv");
    }

    #[test]
    fn strict_decode_ok() {
        let ok =
            |s: &str, want: &[u8]| assert_eq!(b64_decode_strict(s).as_deref(), Ok(want), "{s:?}");
        ok("", b"");
        ok("\n", b"");
        ok("\r\n", b"");
        ok("Zg==", b"f");
        ok("Zm8=", b"fo");
        ok("Zm9v", b"foo");
        ok("Zm9vYmFy", b"foobar");
        ok("Zm9vYmE=", b"fooba");
        ok("Zm9v\r\nYmFy\n", b"foobar");
        ok("Z\ng\r=\n=\n", b"f");
        ok("Zm9vYmFyYmF6cXV4", b"foobarbazqux");
        ok("+/8=", &[0xfb, 0xff]);
        // StdEncoding is not Strict(): non-zero trailing bits are accepted.
        ok("Zh==", b"f");
        ok("Zm9=", b"fo");
    }

    #[test]
    fn strict_decode_errors() {
        let bad = |s: &str, n: usize| {
            assert_eq!(
                b64_decode_strict(s),
                Err(format!("illegal base64 data at input byte {n}")),
                "{s:?}"
            );
        };
        bad("abc", 0);
        bad("YQ", 0);
        bad("Y", 0);
        bad("YQ=", 3);
        bad("Y!==", 1);
        bad("YWJj!", 4);
        bad("YWJjZA", 4);
        bad("YWJjZ", 4);
        bad("=", 0);
        bad("====", 0);
        bad("Y===", 1);
        bad("YQ=x", 2);
        bad("YQ==YQ==", 4);
        bad("YWI=YQ==", 4);
        bad("YQ== ", 4);
        bad("YQ==\nx", 5);
        bad("YWJj YQ==", 4);
        bad("Zm9v-_==", 4);
        bad("YQ\n", 1);
        bad("\nYQ", 1);
        bad("é", 0);
        bad("Zm9vYmFy\u{0}", 8);
    }

    #[test]
    fn forgiving_decode() {
        assert_eq!(forgiving_b64_decode("Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(
            forgiving_b64_decode(" Zm 9v\tYg\n==\u{c}").as_deref(),
            Some(&b"foob"[..])
        );
        assert_eq!(
            forgiving_b64_decode("Zm9vYg").as_deref(),
            Some(&b"foob"[..])
        );
        assert_eq!(
            forgiving_b64_decode("Zm9vYmE").as_deref(),
            Some(&b"fooba"[..])
        );
        assert_eq!(
            forgiving_b64_decode("Zm9vYmE=").as_deref(),
            Some(&b"fooba"[..])
        );
        assert_eq!(forgiving_b64_decode("Zh").as_deref(), Some(&b"f"[..]));
        assert_eq!(forgiving_b64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(forgiving_b64_decode("/w==").as_deref(), Some(&[0xff][..]));
        assert_eq!(forgiving_b64_decode("Zm9vY"), None); // length % 4 == 1
        assert_eq!(forgiving_b64_decode("Zg="), None); // '=' kept (length 3), not in alphabet
        assert_eq!(forgiving_b64_decode("Zg==="), None);
        assert_eq!(forgiving_b64_decode("Z==="), None);
        assert_eq!(forgiving_b64_decode("Zm9v-_"), None);
        assert_eq!(forgiving_b64_decode("Zm\u{b}9v"), None); // VT is not ASCII whitespace
        assert_eq!(forgiving_b64_decode("Zm9\u{e9}"), None);
        assert_eq!(forgiving_b64_decode("Zm9\u{100}"), None);
    }

    #[test]
    fn btoa() {
        assert_eq!(btoa_latin1("foo").as_deref(), Some("Zm9v"));
        assert_eq!(btoa_latin1("\u{ff}\u{0}").as_deref(), Some("/wA="));
        assert_eq!(btoa_latin1(""), Some(String::new()));
        assert_eq!(btoa_latin1("\u{100}"), None);
        assert_eq!(btoa_latin1("\u{fffd}"), None);
    }

    #[test]
    fn digests() {
        let d = |alg: &str, s: &str| digest_hex(alg, s.as_bytes());
        assert_eq!(
            d("md5", "").as_deref(),
            Some("d41d8cd98f00b204e9800998ecf8427e")
        );
        assert_eq!(
            d("md5", "abc").as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(
            d("sha1", "abc").as_deref(),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            d("sha256", "abc").as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            d("sha256", "").as_deref(),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(
            d("sha512", "abc").as_deref(),
            Some(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            )
        );
        assert_eq!(d("sha384", "abc"), None);
    }

    #[test]
    fn hmacs() {
        // RFC 4231 test case 2 (key "Jefe").
        let msg = b"what do ya want for nothing?";
        assert_eq!(
            hmac_hex("sha256", msg, b"Jefe").as_deref(),
            Some("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            hmac_hex("sha512", msg, b"Jefe").as_deref(),
            Some(
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
            )
        );
        // RFC 2202 test case 2.
        assert_eq!(
            hmac_hex("sha1", msg, b"Jefe").as_deref(),
            Some("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
        // RFC 4231 test case 6: key longer than the block size.
        let key = [0xaa_u8; 131];
        assert_eq!(
            hmac_hex(
                "sha256",
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                &key
            )
            .as_deref(),
            Some("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        );
        assert_eq!(hmac_hex("md5", msg, b"k"), None);
        assert!(hmac_hex("sha256", b"", b"").is_some());
    }

    #[test]
    fn uuids() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert!(
            u.bytes()
                .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(uuid_v4(), u);
    }

    #[test]
    fn random_ints() {
        assert_eq!(random_int(5, 5), Ok(5));
        for _ in 0..200 {
            let v = random_int(-3, 3).expect("range");
            assert!((-3..=3).contains(&v));
        }
        let mut seen = [false; 3];
        for _ in 0..300 {
            let v = random_int(0, 2).expect("range");
            seen[usize::try_from(v).expect("small")] = true;
        }
        assert_eq!(seen, [true; 3]);
        assert!(random_int(i64::MIN, i64::MAX).is_ok());
        assert_eq!(
            random_int(10, 1),
            Err("min (10) must be less than or equal to max (1)".to_owned())
        );
        assert_eq!(
            random_int(-1, -2),
            Err("min (-1) must be less than or equal to max (-2)".to_owned())
        );
    }

    #[test]
    fn random_floats() {
        for _ in 0..1000 {
            let f = random_float();
            assert!((0.0..1.0).contains(&f));
        }
    }

    #[test]
    fn random_strings_and_bytes() {
        let s = random_string(64).expect("len");
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(random_string(1).map(|s| s.len()), Ok(1));
        assert_eq!(
            random_string(0),
            Err("length must be positive, got 0".to_owned())
        );
        assert_eq!(
            random_string(-5),
            Err("length must be positive, got -5".to_owned())
        );
        assert_eq!(
            random_string(MAX_RANDOM_LEN + 1),
            Err("length must be at most 67108864, got 67108865".to_owned())
        );

        let b = random_bytes_b64(16).expect("len");
        assert_eq!(b64_decode_strict(&b).map(|v| v.len()), Ok(16));
        assert_eq!(random_bytes_b64(1).map(|s| s.len()), Ok(4));
        assert_eq!(
            random_bytes_b64(0),
            Err("length must be positive, got 0".to_owned())
        );

        let h = random_hex(16).expect("len");
        assert_eq!(h.len(), 32);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(
            random_hex(-1),
            Err("length must be positive, got -1".to_owned())
        );
        assert_ne!(random_hex(16), random_hex(16));
    }

    #[test]
    fn os_random_fills() {
        let mut buf = [0u8; 64];
        assert_eq!(fill_os_random(&mut buf), Ok(()));
        assert!(buf.iter().any(|&b| b != 0));
        assert_eq!(fill_os_random(&mut []), Ok(()));
    }
}
