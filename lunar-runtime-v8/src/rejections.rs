//! Unhandled promise rejections: V8 reports them here; the execution logs those still
//! unhandled after each turn.

use crate::state;

/// The isolate's promise-reject callback.
pub(crate) extern "C" fn on_reject(msg: v8::PromiseRejectMessage<'_>) {
    // SAFETY: V8 calls this on the isolate's thread, inside a context, with a live message.
    #[allow(unsafe_code)]
    let cs = unsafe { v8::CallbackScope::new(&msg) };
    let cs = std::pin::pin!(cs);
    let scope = &mut cs.init();
    v8::scope!(let scope, scope);
    let Some(st) = state::current(scope) else {
        return;
    };
    let promise = msg.get_promise();
    match msg.get_event() {
        v8::PromiseRejectEvent::PromiseRejectWithNoHandler => {
            let reason = msg
                .get_value()
                .unwrap_or_else(|| v8::undefined(scope).into());
            let entry = (
                v8::Global::new(scope, promise),
                v8::Global::new(scope, reason),
            );
            st.rejections.borrow_mut().push(entry);
        }
        v8::PromiseRejectEvent::PromiseHandlerAddedAfterReject => {
            st.rejections
                .borrow_mut()
                .retain(|(p, _)| v8::Local::new(scope, p) != promise);
        }
        _ => {}
    }
}
