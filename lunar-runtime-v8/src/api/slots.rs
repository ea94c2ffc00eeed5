//! Native state of JS objects that outlive one op call (a streaming text decoder, a
//! compression codec), kept per worker thread by id. The oldest are dropped past a bound,
//! so abandoned streams cannot pile up.

use std::collections::BTreeMap;

/// Values by id, at most `max` of them.
pub(super) struct Slots<T> {
    next: u64,
    max: usize,
    open: BTreeMap<u64, T>,
}

impl<T> Slots<T> {
    /// No values yet; `max` at a time.
    pub(super) const fn new(max: usize) -> Self {
        Self {
            next: 0,
            max,
            open: BTreeMap::new(),
        }
    }

    /// Keeps `value` (dropping the oldest when full); returns its id.
    pub(super) fn insert(&mut self, value: T) -> u64 {
        while self.open.len() >= self.max {
            self.open.pop_first();
        }
        self.next += 1;
        self.open.insert(self.next, value);
        self.next
    }

    /// Takes value `id` out (put it back with [`put`](Self::put) to keep it).
    pub(super) fn take(&mut self, id: u64) -> Option<T> {
        self.open.remove(&id)
    }

    /// Puts value `id` back after [`take`](Self::take).
    pub(super) fn put(&mut self, id: u64, value: T) {
        self.open.insert(id, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_go_past_the_bound() {
        let mut s = Slots::new(2);
        let a = s.insert("a");
        let b = s.insert("b");
        let c = s.insert("c");
        assert_eq!(s.take(a), None, "dropped");
        assert_eq!(s.take(b), Some("b"));
        s.put(b, "b2");
        assert_eq!(s.take(c), Some("c"));
        assert_eq!(s.take(b), Some("b2"));
    }
}
