//! Admission control: the engine-wide bound on executions in flight and each function's
//! `max_concurrency`, both checked before anything runs or is recorded, so an overloaded
//! engine refuses at once instead of queueing without bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The two bounds of an engine.
#[derive(Debug)]
pub(crate) struct Admission {
    /// Permits for executions in flight; `None`: no bound.
    global: Option<Arc<Semaphore>>,
    /// Executions in flight per function that has a `max_concurrency`.
    per_function: Mutex<HashMap<String, u64>>,
}

/// One execution's place under the engine-wide bound; released on drop.
#[derive(Debug)]
pub(crate) struct Permit(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

/// One execution's place under its function's `max_concurrency`; released on drop.
#[derive(Debug)]
pub(crate) struct FunctionSlot<'a> {
    admission: &'a Admission,
    function_id: &'a str,
}

impl Admission {
    /// At most `max_in_flight` executions at once (0: no bound).
    pub(crate) fn new(max_in_flight: usize) -> Self {
        Self {
            global: (max_in_flight > 0).then(|| Arc::new(Semaphore::new(max_in_flight))),
            per_function: Mutex::default(),
        }
    }

    /// A place under the engine-wide bound, or `None` when every place is taken.
    pub(crate) fn enter(&self) -> Option<Permit> {
        match &self.global {
            None => Some(Permit(None)),
            Some(s) => s.clone().try_acquire_owned().ok().map(|p| Permit(Some(p))),
        }
    }

    /// A place among the function's `max` concurrent executions, or `None` when it
    /// already has `max` in flight.
    pub(crate) fn enter_function<'a>(
        &'a self,
        function_id: &'a str,
        max: u64,
    ) -> Option<FunctionSlot<'a>> {
        let mut counts = self.counts();
        // Looked up first: the id is copied only when the function has none in flight.
        match counts.get_mut(function_id) {
            Some(n) if *n >= max => return None,
            Some(n) => *n += 1,
            None if max == 0 => return None,
            None => {
                counts.insert(function_id.to_owned(), 1);
            }
        }
        Some(FunctionSlot {
            admission: self,
            function_id,
        })
    }

    /// Executions of the function in flight under its `max_concurrency`.
    #[cfg(test)]
    fn in_flight_of(&self, function_id: &str) -> u64 {
        self.counts().get(function_id).copied().unwrap_or(0)
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.per_function
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FunctionSlot<'_> {
    fn drop(&mut self) {
        let mut counts = self.admission.counts();
        if let Some(n) = counts.get_mut(self.function_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(self.function_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Admission;

    #[test]
    fn the_global_bound_refuses_past_its_size_and_frees_on_drop() {
        let a = Admission::new(2);
        let one = a.enter().expect("first");
        let two = a.enter().expect("second");
        assert!(a.enter().is_none(), "third refused");
        drop(one);
        let three = a.enter().expect("a place was freed");
        drop((two, three));
        let unbounded = Admission::new(0);
        let held: Vec<_> = (0..10_000)
            .map(|_| unbounded.enter().expect("no bound"))
            .collect();
        assert_eq!(held.len(), 10_000);
    }

    #[test]
    fn each_function_has_its_own_bound() {
        let a = Admission::new(0);
        let f1 = a.enter_function("f", 2).expect("first");
        let f2 = a.enter_function("f", 2).expect("second");
        assert!(a.enter_function("f", 2).is_none(), "f is full");
        let g = a.enter_function("g", 1).expect("g is another function");
        assert!(a.enter_function("g", 1).is_none());
        assert_eq!(a.in_flight_of("f"), 2);
        drop(f1);
        assert_eq!(a.in_flight_of("f"), 1);
        let f3 = a.enter_function("f", 2).expect("freed");
        drop((f2, f3, g));
        assert_eq!((a.in_flight_of("f"), a.in_flight_of("g")), (0, 0));
        assert!(a.counts().is_empty(), "no entry left behind");
    }
}
