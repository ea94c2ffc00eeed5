//! `time.now`, `time.sleep`, the timers behind `setTimeout`/`setInterval`, and the clock
//! of `performance`.

use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime};

use lunar_core::compat::time as gotime;

use crate::state::OpValue;

use super::{arg_i64, arg_string, exec_state, return_op, return_string, throw_error};

/// `ops.now()` → Unix seconds from the host clock.
pub(super) fn now<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    #[allow(clippy::cast_precision_loss)]
    rv.set_double(st.host.clock.unix() as f64);
}

/// `ops.sleep(ms)` → `Promise<void>` resolving after `ms` (dropped with the execution).
pub(super) fn sleep<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let ms = args.get(0).number_value(scope).unwrap_or(0.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ms = if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    };
    return_op(scope, &st, &mut rv, async move {
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        } else {
            tokio::task::yield_now().await;
        }
        Ok(OpValue::Undefined)
    });
}

/// The origin of `performance.now()`: when the runtime first read it, on both clocks.
static ORIGIN: LazyLock<(Instant, SystemTime)> =
    LazyLock::new(|| (Instant::now(), SystemTime::now()));

/// Resolution of `performance.now()` in ms: coarse enough to blunt timing attacks.
const PERF_STEP_MS: f64 = 0.1;

/// `ops.perfNow()` → ms since [`ORIGIN`] on the monotonic clock, in steps of 100 µs.
pub(super) fn perf_now<'s>(
    _scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let ms = ORIGIN.0.elapsed().as_secs_f64() * 1000.0;
    rv.set_double((ms / PERF_STEP_MS).floor() * PERF_STEP_MS);
}

/// `ops.perfOrigin()` → [`ORIGIN`] as Unix ms (`performance.timeOrigin`), in steps of
/// 100 µs.
pub(super) fn perf_origin<'s>(
    _scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let ms = ORIGIN
        .1
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    rv.set_double((ms / PERF_STEP_MS).floor() * PERF_STEP_MS);
}

/// `ops.timerStart(ms, callback, repeat)` → the timer's id; `callback` runs after `ms`
/// within the execution, and again every `ms` when `repeat` (dropped when it ends).
pub(super) fn timer_start<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let Ok(callback) = v8::Local::<v8::Function>::try_from(args.get(1)) else {
        return throw_error(scope, "timer callback must be a function");
    };
    let ms = u64::try_from(arg_i64(scope, &args, 0)).unwrap_or(0);
    let repeat = args.get(2).is_true();
    let id = st.start_timer(scope, ms, callback, repeat);
    #[allow(clippy::cast_precision_loss)] // ids stay far below 2^53
    rv.set_double(id as f64);
}

/// `ops.timerClear(id)`: cancels one of the execution's timers.
pub(super) fn timer_clear<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    if let Ok(id) = u64::try_from(arg_i64(scope, &args, 0)) {
        st.clear_timer(id);
    }
}

/// `ops.timeFormat(ts, layout)` in the job's time zone (Go layouts).
pub(super) fn format<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let ts = arg_i64(scope, &args, 0);
    let layout = arg_string(scope, &args, 1);
    let out = gotime::format(ts, &layout, st.timezone);
    return_string(scope, &mut rv, &out);
}

/// `ops.timeParse(value, layout)` → Unix seconds; throws Go's parse error.
pub(super) fn parse<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let value = arg_string(scope, &args, 0);
    let layout = arg_string(scope, &args, 1);
    match gotime::parse(&value, &layout, st.timezone) {
        #[allow(clippy::cast_precision_loss)]
        Ok(ts) => rv.set_double(ts as f64),
        Err(e) => throw_error(scope, &e),
    }
}
