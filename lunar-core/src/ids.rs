//! Identifiers: xid-format ids and `ver_{function_id}_v{n}` version ids.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";

struct Generator {
    machine: [u8; 3],
    pid: [u8; 2],
    counter: AtomicU32,
}

fn generator() -> &'static Generator {
    static GEN: OnceLock<Generator> = OnceLock::new();
    GEN.get_or_init(|| {
        let seed: [u8; 3] = rand::random();
        let pid = std::process::id();
        Generator {
            machine: seed,
            pid: [(pid >> 8) as u8, pid as u8],
            counter: AtomicU32::new(rand::random::<u32>() & 0x00ff_ffff),
        }
    })
}

/// A new xid: 4-byte big-endian Unix seconds, 3-byte machine id, 2-byte process id and a
/// 3-byte counter, as 20 lowercase base32hex characters. Ids sort by creation second.
#[must_use]
pub fn new_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    new_id_at(secs)
}

/// A new xid stamped with `unix_secs`.
#[must_use]
pub fn new_id_at(unix_secs: u64) -> String {
    let g = generator();
    let count = g.counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    // The xid format keeps the low 32 bits of the time.
    let t = (unix_secs & 0xffff_ffff) as u32;
    let mut raw = [0u8; 12];
    raw[..4].copy_from_slice(&t.to_be_bytes());
    raw[4..7].copy_from_slice(&g.machine);
    raw[7..9].copy_from_slice(&g.pid);
    raw[9..].copy_from_slice(&count.to_be_bytes()[1..]);
    encode(&raw)
}

fn encode(raw: &[u8; 12]) -> String {
    // 96 bits → 20 characters of 5 bits (the last one carries 1 bit of padding).
    let mut out = String::with_capacity(20);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in raw {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// True when `s` has the shape of an xid (20 base32hex characters).
#[must_use]
#[cfg(test)]
pub(crate) fn is_xid(s: &str) -> bool {
    s.len() == 20 && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// The version id `ver_{function_id}_v{n}`.
#[must_use]
pub fn version_id(function_id: &str, number: i64) -> String {
    format!("ver_{function_id}_v{number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xid_shape_and_order() {
        let a = new_id_at(1_700_000_000);
        let b = new_id_at(1_700_000_001);
        assert!(is_xid(&a), "{a}");
        assert!(a < b, "ids sort by time: {a} {b}");
        assert_ne!(new_id(), new_id());
    }

    #[test]
    fn xid_encodes_time_prefix() {
        // 4 bytes of time = 0x00000000 → the first 6 characters are "000000" plus 2 bits.
        let id = new_id_at(0);
        assert!(id.starts_with("000000"), "{id}");
    }

    #[test]
    fn version_id_format() {
        assert_eq!(version_id("abc", 3), "ver_abc_v3");
    }
}
