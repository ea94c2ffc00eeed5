//! The isolate's `ArrayBuffer` allocator: backing stores live outside the V8 heap, so the
//! heap limit does not see them, and a function allocating `new ArrayBuffer(16 MiB)` in a
//! loop would grow the process until the machine runs out of memory. Every isolate gets an
//! allocator of its own that charges each backing store to a budget (the isolate's memory
//! limit, besides its heap) and refuses past it: the allocation fails (JavaScript sees a
//! `RangeError`), the worker's flag is raised, and the execution then ends with
//! `memory limit exceeded` — from the watchdog when the code goes on computing.

// The allocator is a C vtable V8 calls into: its functions are `unsafe extern "C"`.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Bytes of backing stores in use, the bound, and the flag raised on a refusal.
#[derive(Debug)]
pub(crate) struct BufferBudget {
    used: AtomicUsize,
    limit: usize,
    /// Shared with the worker's gate: raised when an allocation was refused.
    exceeded: Arc<AtomicBool>,
}

impl BufferBudget {
    /// A budget of `limit` bytes that raises `exceeded` when it refuses an allocation.
    pub(crate) fn new(limit: usize, exceeded: Arc<AtomicBool>) -> Arc<Self> {
        Arc::new(Self {
            used: AtomicUsize::new(0),
            limit,
            exceeded,
        })
    }

    /// Bytes of backing stores in use.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Bytes that may still be charged.
    pub(crate) fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.used())
    }

    /// Raises the flag without charging: native code refused to make a buffer this large.
    pub(crate) fn refuse(&self) {
        self.exceeded.store(true, Ordering::Release);
    }

    /// Reserves `len` bytes, or refuses (and raises the flag) past the limit.
    fn charge(&self, len: usize) -> bool {
        let reserved = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(len).filter(|&n| n <= self.limit)
            });
        if reserved.is_err() {
            self.exceeded.store(true, Ordering::Release);
        }
        reserved.is_ok()
    }

    fn release(&self, len: usize) {
        self.used.fetch_sub(len, Ordering::AcqRel);
    }

    /// A V8 allocator charging this budget.
    pub(crate) fn allocator(self: &Arc<Self>) -> v8::UniqueRef<v8::Allocator> {
        // SAFETY: the handle is an `Arc<BufferBudget>` turned into a raw pointer, which
        // `drop_budget` turns back exactly once when V8 drops the allocator; the vtable's
        // functions all take that type.
        unsafe { v8::new_rust_allocator(Arc::into_raw(self.clone()), &VTABLE) }
    }
}

static VTABLE: v8::RustAllocatorVtable<BufferBudget> = v8::RustAllocatorVtable {
    allocate,
    allocate_uninitialized,
    free,
    drop: drop_budget,
};

/// `malloc(0)` may answer null, which V8 would take for a failure.
fn size(len: usize) -> usize {
    len.max(1)
}

unsafe extern "C" fn allocate(budget: &BufferBudget, len: usize) -> *mut c_void {
    if !budget.charge(len) {
        return std::ptr::null_mut();
    }
    // SAFETY: calloc with a non-zero size; the result is checked for null.
    let p = unsafe { libc::calloc(size(len), 1) };
    if p.is_null() {
        budget.release(len);
    }
    p
}

unsafe extern "C" fn allocate_uninitialized(budget: &BufferBudget, len: usize) -> *mut c_void {
    if !budget.charge(len) {
        return std::ptr::null_mut();
    }
    // SAFETY: malloc with a non-zero size; the result is checked for null.
    let p = unsafe { libc::malloc(size(len)) };
    if p.is_null() {
        budget.release(len);
    }
    p
}

unsafe extern "C" fn free(budget: &BufferBudget, data: *mut c_void, len: usize) {
    // SAFETY: V8 frees only what `allocate`/`allocate_uninitialized` returned, with the
    // length it asked for (possibly from a GC thread; the budget is atomic).
    unsafe { libc::free(data) };
    budget.release(len);
}

unsafe extern "C" fn drop_budget(budget: *const BufferBudget) {
    // SAFETY: the pointer came from `Arc::into_raw` in `allocator`, and V8 drops the
    // allocator once.
    drop(unsafe { Arc::from_raw(budget) });
}

/// A backing store holding `bytes` that native code made (a decoded body, a decompressed
/// chunk, an encoded string), charged to `budget` like the allocator's own stores until V8
/// frees it; `None`, with the flag raised, past the limit.
pub(crate) fn charged_store(
    budget: &Arc<BufferBudget>,
    bytes: Vec<u8>,
) -> Option<v8::UniqueRef<v8::BackingStore>> {
    let len = bytes.len();
    if !budget.charge(len) {
        return None;
    }
    let data = Box::into_raw(bytes.into_boxed_slice()).cast::<u8>();
    let owner = Arc::into_raw(budget.clone()).cast_mut().cast::<c_void>();
    // SAFETY: `data` points at `len` bytes owned by the leaked box and `owner` is a leaked
    // `Arc<BufferBudget>`; V8 calls `free_charged` once, with both, when it drops the store.
    Some(unsafe {
        v8::ArrayBuffer::new_backing_store_from_ptr(data.cast(), len, free_charged, owner)
    })
}

unsafe extern "C" fn free_charged(data: *mut c_void, len: usize, owner: *mut c_void) {
    // SAFETY: see `charged_store`: the pointers came from `Box::into_raw` of a `len`-byte
    // slice and `Arc::into_raw`, and V8 calls the deleter exactly once.
    unsafe {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            data.cast::<u8>(),
            len,
        )));
        let budget = Arc::from_raw(owner.cast_const().cast::<BufferBudget>());
        budget.release(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_past_its_limit_and_raises_the_flag() {
        let flag = Arc::new(AtomicBool::new(false));
        let b = BufferBudget::new(100, flag.clone());
        assert!(b.charge(60));
        assert!(b.charge(40));
        assert!(!flag.load(Ordering::Acquire));
        assert!(!b.charge(1), "full");
        assert!(flag.load(Ordering::Acquire));
        b.release(50);
        assert!(b.charge(50));
        assert_eq!(b.used(), 100);
        assert!(!b.charge(usize::MAX), "no overflow");
    }
}
