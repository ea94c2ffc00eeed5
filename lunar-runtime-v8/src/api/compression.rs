//! The native side of `CompressionStream` / `DecompressionStream`: gzip, deflate (zlib)
//! and deflate-raw on `flate2`, brotli on `brotli`, one codec per open stream. Decompressed output is bounded
//! by what the isolate's buffer budget has left, so a small bomb cannot grow the process.

use std::cell::RefCell;
use std::io::Write as _;
use std::sync::Arc;

use flate2::write::{DeflateEncoder, GzDecoder, GzEncoder, ZlibEncoder};
use flate2::{Compression, Decompress, FlushDecompress, Status};

use super::slots::Slots;
use super::{
    arg_bytes, arg_i64, new_uint8_array, throw_error, throw_range_error, throw_type_error,
};
use crate::buffers::BufferBudget;

/// Input is fed to the gzip decoder in slices this large, so its output (deflate expands
/// at most ~1032:1) is checked against the bound often enough.
const GZIP_SLICE: usize = 1024;

enum Codec {
    Gzip(GzEncoder<Vec<u8>>),
    Zlib(ZlibEncoder<Vec<u8>>),
    Raw(DeflateEncoder<Vec<u8>>),
    Gunzip(GzDecoder<Vec<u8>>),
    Inflate {
        d: Decompress,
        ended: bool,
    },
    /// `None` once finished.
    Brotli(Option<Box<brotli::CompressorWriter<Vec<u8>>>>),
    Unbrotli(Option<Box<brotli::DecompressorWriter<Capped>>>),
}

/// The brotli decoder's output: refuses to grow past `cap` bytes (the memory limit).
struct Capped {
    buf: Vec<u8>,
    cap: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.cap {
            return Err(std::io::Error::other(CAPPED));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The error text of [`Capped`]'s refusal.
const CAPPED: &str = "output past the memory limit";

/// Brotli's quality and window (log2) for `CompressionStream("brotli")`.
const BROTLI_QUALITY: u32 = 5;
const BROTLI_WINDOW: u32 = 22;

/// Why a chunk failed.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// Corrupt or truncated input: the stream errors with a `TypeError`.
    Data(String),
    /// The output would not fit in the memory limit.
    Memory,
}

fn corrupt(e: impl std::fmt::Display) -> Failure {
    Failure::Data(format!("The compressed data is not valid: {e}"))
}

impl Codec {
    fn open(format: &str, decompress: bool) -> Option<Codec> {
        let level = Compression::default();
        Some(match (format, decompress) {
            ("gzip", false) => Codec::Gzip(GzEncoder::new(Vec::new(), level)),
            ("deflate", false) => Codec::Zlib(ZlibEncoder::new(Vec::new(), level)),
            ("deflate-raw", false) => Codec::Raw(DeflateEncoder::new(Vec::new(), level)),
            ("gzip", true) => Codec::Gunzip(GzDecoder::new(Vec::new())),
            ("deflate", true) => Codec::Inflate {
                d: Decompress::new(true),
                ended: false,
            },
            ("deflate-raw", true) => Codec::Inflate {
                d: Decompress::new(false),
                ended: false,
            },
            ("brotli", false) => Codec::Brotli(Some(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                4096,
                BROTLI_QUALITY,
                BROTLI_WINDOW,
            )))),
            ("brotli", true) => Codec::Unbrotli(Some(Box::new(brotli::DecompressorWriter::new(
                Capped {
                    buf: Vec::new(),
                    cap: usize::MAX,
                },
                4096,
            )))),
            _ => return None,
        })
    }

    /// The output for `input` (and, when `last`, the end of the stream), at most `cap` bytes.
    fn push(&mut self, input: &[u8], last: bool, cap: usize) -> Result<Vec<u8>, Failure> {
        fn encode<W: std::io::Write>(
            w: &mut W,
            inner: impl FnOnce(&mut W) -> &mut Vec<u8>,
            finish: impl FnOnce(&mut W) -> std::io::Result<()>,
            input: &[u8],
            last: bool,
        ) -> Result<Vec<u8>, Failure> {
            w.write_all(input)
                .map_err(|e| Failure::Data(e.to_string()))?;
            if last {
                finish(w).map_err(|e| Failure::Data(e.to_string()))?;
            }
            Ok(std::mem::take(inner(w)))
        }
        match self {
            Codec::Gzip(w) => encode(w, GzEncoder::get_mut, GzEncoder::try_finish, input, last),
            Codec::Zlib(w) => encode(
                w,
                ZlibEncoder::get_mut,
                ZlibEncoder::try_finish,
                input,
                last,
            ),
            Codec::Raw(w) => encode(
                w,
                DeflateEncoder::get_mut,
                DeflateEncoder::try_finish,
                input,
                last,
            ),
            Codec::Gunzip(w) => {
                for slice in input.chunks(GZIP_SLICE) {
                    w.write_all(slice).map_err(corrupt)?;
                    // The decoder holds output back until flushed: without this a chunk
                    // whose output fits its buffer would give nothing until the end.
                    w.flush().map_err(corrupt)?;
                    if w.get_ref().len() > cap {
                        return Err(Failure::Memory);
                    }
                }
                if last {
                    w.try_finish()
                        .map_err(|_| corrupt("it is truncated or its checksum is wrong"))?;
                }
                Ok(std::mem::take(w.get_mut()))
            }
            Codec::Brotli(slot) => {
                let Some(w) = slot.as_mut() else {
                    return Err(Failure::Data("the stream has ended".into()));
                };
                w.write_all(input)
                    .map_err(|e| Failure::Data(e.to_string()))?;
                if last {
                    // Finishing happens when the writer is taken apart.
                    return Ok(slot.take().map(|w| w.into_inner()).unwrap_or_default());
                }
                Ok(std::mem::take(w.get_mut()))
            }
            Codec::Unbrotli(slot) => {
                let Some(w) = slot.as_mut() else {
                    return Err(Failure::Data("the stream has ended".into()));
                };
                w.get_mut().cap = cap;
                if let Err(e) = w.write_all(input).and_then(|()| w.flush()) {
                    if e.to_string() == CAPPED {
                        return Err(Failure::Memory);
                    }
                    return Err(corrupt(e));
                }
                if last {
                    return match slot.take().map(|w| w.into_inner()) {
                        Some(Ok(out)) => Ok(out.buf),
                        _ => Err(corrupt("it is truncated")),
                    };
                }
                Ok(std::mem::take(&mut w.get_mut().buf))
            }
            Codec::Inflate { d, ended } => {
                let mut out = Vec::new();
                let mut rest = input;
                while !*ended {
                    if out.capacity() - out.len() < 16 * 1024 {
                        out.reserve(64 * 1024);
                    }
                    if out.len() > cap {
                        return Err(Failure::Memory);
                    }
                    let (in0, out0) = (d.total_in(), d.total_out());
                    let status = d
                        .decompress_vec(rest, &mut out, FlushDecompress::None)
                        .map_err(corrupt)?;
                    let used = usize::try_from(d.total_in() - in0).unwrap_or(rest.len());
                    rest = rest.get(used..).unwrap_or_default();
                    if status == Status::StreamEnd {
                        *ended = true;
                    } else if used == 0 && d.total_out() == out0 {
                        break;
                    }
                }
                if out.len() > cap {
                    return Err(Failure::Memory);
                }
                if *ended && !rest.is_empty() {
                    return Err(corrupt("there is data after its end"));
                }
                if last && !*ended {
                    return Err(corrupt("it is truncated"));
                }
                Ok(out)
            }
        }
    }
}

thread_local! {
    /// Open codecs on this worker; the oldest go past 256 (abandoned streams).
    static OPEN: RefCell<Slots<Codec>> = const { RefCell::new(Slots::new(256)) };
}

/// `ops.compressOpen(format, decompress)` → the id of a new codec; throws a `TypeError`
/// for an unknown format.
pub(super) fn open<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let format = args.get(0).to_rust_string_lossy(scope);
    let decompress = args.get(1).boolean_value(scope);
    let Some(codec) = Codec::open(&format, decompress) else {
        return throw_type_error(
            scope,
            &format!("Unsupported compression format: '{format}'"),
        );
    };
    let id = OPEN.with_borrow_mut(|o| o.insert(codec));
    #[allow(clippy::cast_precision_loss)] // ids stay far below 2^53
    rv.set_double(id as f64);
}

/// `ops.compressPush(id, bytes, last)` → the output for `bytes` as a `Uint8Array`. Corrupt
/// input throws a `TypeError`; output past the memory limit a `RangeError`. The codec is
/// dropped after the last chunk and after a failure.
pub(super) fn push<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let id = u64::try_from(arg_i64(scope, &args, 0)).unwrap_or(0);
    let input = arg_bytes(args.get(1)).unwrap_or_default();
    let last = args.get(2).boolean_value(scope);
    let budget = scope.get_slot::<Arc<BufferBudget>>().cloned();
    let cap = budget.as_ref().map_or(usize::MAX, |b| b.remaining());
    let Some(mut codec) = OPEN.with_borrow_mut(|o| o.take(id)) else {
        return throw_error(scope, "the compression stream is gone");
    };
    let out = codec.push(&input, last, cap);
    if out.is_ok() && !last {
        OPEN.with_borrow_mut(|o| o.put(id, codec));
    }
    match out {
        Ok(bytes) => {
            if let Some(a) = new_uint8_array(scope, bytes) {
                rv.set(a.into());
            }
        }
        Err(Failure::Data(m)) => throw_type_error(scope, &m),
        Err(Failure::Memory) => {
            if let Some(b) = budget {
                b.refuse();
            }
            throw_range_error(scope, "Array buffer allocation failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        format: &str,
        decompress: bool,
        chunks: &[&[u8]],
        cap: usize,
    ) -> Result<Vec<u8>, Failure> {
        let mut c = Codec::open(format, decompress).expect("format");
        let mut out = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            out.extend(c.push(chunk, i + 1 == chunks.len(), cap)?);
        }
        Ok(out)
    }

    #[test]
    fn every_format_round_trips_in_pieces() {
        let text = b"Lunar compresses this. ".repeat(200);
        for format in ["gzip", "deflate", "deflate-raw", "brotli"] {
            let packed = run(
                format,
                false,
                &[&text[..100], &text[100..], b""],
                usize::MAX,
            )
            .unwrap();
            assert!(packed.len() < text.len() / 4, "{format}");
            let (a, b) = packed.split_at(packed.len() / 2);
            let back = run(format, true, &[a, b, b""], usize::MAX).unwrap();
            assert_eq!(back, text, "{format}");
        }
    }

    #[test]
    fn each_chunk_gives_its_output_at_once() {
        let text = b"expected output";
        for format in ["gzip", "deflate", "deflate-raw", "brotli"] {
            let packed = run(format, false, &[text, b""], usize::MAX).unwrap();
            let mut c = Codec::open(format, true).unwrap();
            assert_eq!(
                c.push(&packed, false, usize::MAX).unwrap(),
                text,
                "{format}"
            );
        }
    }

    #[test]
    fn truncated_trailing_and_oversized_output_fail() {
        let text = vec![0u8; 4 << 20];
        for format in ["gzip", "deflate", "deflate-raw", "brotli"] {
            let packed = run(format, false, &[&text, b""], usize::MAX).unwrap();
            let cut = &packed[..packed.len() - 4];
            assert!(
                matches!(
                    run(format, true, &[cut, b""], usize::MAX),
                    Err(Failure::Data(_))
                ),
                "{format}"
            );
            assert_eq!(
                run(format, true, &[&packed, b""], 1 << 20),
                Err(Failure::Memory),
                "{format}"
            );
        }
        let packed = run("deflate", false, &[b"x", b""], usize::MAX).unwrap();
        let trailing = [packed.as_slice(), b"junk"].concat();
        assert!(matches!(
            run("deflate", true, &[&trailing, b""], usize::MAX),
            Err(Failure::Data(_))
        ));
        assert!(Codec::open("zstd", false).is_none());
    }
}
