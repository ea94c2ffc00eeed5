//! `TextEncoder` (UTF-8) and `TextDecoder` (every encoding of the WHATWG Encoding
//! standard, through `encoding_rs`: labels, `fatal`, `ignoreBOM` and streaming).

use std::cell::RefCell;

use encoding_rs::{CoderResult, Decoder, DecoderResult, Encoding};

use super::slots::Slots;
use super::{arg_bytes, arg_i64, new_uint8_array, return_string, throw_error, throw_range_error};

/// `ops.utf8Encode(string)` → `Uint8Array`.
pub(super) fn utf8_encode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = args.get(0).to_rust_string_lossy(scope);
    if let Some(a) = new_uint8_array(scope, s.into_bytes()) {
        rv.set(a.into());
    }
}

/// `ops.textEncodingName(label)` → the encoding's name as `TextDecoder.encoding` gives it
/// (`"shift_jis"` for `"sjis"`), or `null` for an unknown label and for `replacement`
/// (which `TextDecoder` refuses).
pub(super) fn encoding_name<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let label = args.get(0).to_rust_string_lossy(scope);
    match Encoding::for_label(label.as_bytes()) {
        Some(e) if e != encoding_rs::REPLACEMENT => {
            return_string(scope, &mut rv, &e.name().to_ascii_lowercase());
        }
        _ => rv.set_null(),
    }
}

/// A decoder of `name` (a name [`encoding_name`] gave): the BOM of that encoding is
/// removed unless `ignore_bom`.
fn decoder(name: &str, ignore_bom: bool) -> Option<Decoder> {
    let e = Encoding::for_label(name.as_bytes())?;
    Some(if ignore_bom {
        e.new_decoder_without_bom_handling()
    } else {
        e.new_decoder_with_bom_removal()
    })
}

/// Decodes `bytes` with `d` (`last`: the end of the input); `None` when `fatal` and the
/// input is malformed.
fn decode_with(d: &mut Decoder, bytes: &[u8], fatal: bool, last: bool) -> Option<String> {
    let cap = d
        .max_utf8_buffer_length(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut out = String::with_capacity(cap);
    if fatal {
        let (result, _) = d.decode_to_string_without_replacement(bytes, &mut out, last);
        match result {
            DecoderResult::InputEmpty => Some(out),
            DecoderResult::Malformed(..) | DecoderResult::OutputFull => None,
        }
    } else {
        let (result, _, _) = d.decode_to_string(bytes, &mut out, last);
        (result == CoderResult::InputEmpty).then_some(out)
    }
}

/// `ops.textDecode(name, bytes, fatal, ignoreBOM)` → the whole input decoded, or `null`
/// when `fatal` and it is malformed.
pub(super) fn decode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let name = args.get(0).to_rust_string_lossy(scope);
    let bytes = arg_bytes(args.get(1)).unwrap_or_default();
    let fatal = args.get(2).boolean_value(scope);
    let ignore_bom = args.get(3).boolean_value(scope);
    let Some(mut d) = decoder(&name, ignore_bom) else {
        return throw_range_error(scope, &format!("unknown encoding {name}"));
    };
    match decode_with(&mut d, &bytes, fatal, true) {
        Some(text) => return_string(scope, &mut rv, &text),
        None => rv.set_null(),
    }
}

thread_local! {
    /// Decoders of streams in progress (`decode(chunk, {stream: true})`) on this worker. A
    /// stream's decoder goes at its last chunk or its first error; the oldest go past 4096
    /// (abandoned streams).
    static STREAMS: RefCell<Slots<Decoder>> = const { RefCell::new(Slots::new(4096)) };
}

/// `ops.textStreamOpen(name, ignoreBOM)` → the id of a new stream decoder.
pub(super) fn stream_open<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let name = args.get(0).to_rust_string_lossy(scope);
    let ignore_bom = args.get(1).boolean_value(scope);
    let Some(d) = decoder(&name, ignore_bom) else {
        return throw_range_error(scope, &format!("unknown encoding {name}"));
    };
    let id = STREAMS.with_borrow_mut(|s| s.insert(d));
    #[allow(clippy::cast_precision_loss)] // ids stay far below 2^53
    rv.set_double(id as f64);
}

/// `ops.textStreamDecode(id, bytes, fatal, last)` → the chunk decoded (a character split
/// across chunks comes out whole with the later one), or `null` when `fatal` and it is
/// malformed. The decoder is dropped after the last chunk and after an error.
pub(super) fn stream_decode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let id = u64::try_from(arg_i64(scope, &args, 0)).unwrap_or(0);
    let bytes = arg_bytes(args.get(1)).unwrap_or_default();
    let fatal = args.get(2).boolean_value(scope);
    let last = args.get(3).boolean_value(scope);
    let Some(mut d) = STREAMS.with_borrow_mut(|s| s.take(id)) else {
        return throw_error(scope, "the decoder's stream is gone");
    };
    let out = decode_with(&mut d, &bytes, fatal, last);
    if out.is_some() && !last {
        STREAMS.with_borrow_mut(|s| s.put(id, d));
    }
    match out {
        Some(text) => return_string(scope, &mut rv, &text),
        None => rv.set_null(),
    }
}
