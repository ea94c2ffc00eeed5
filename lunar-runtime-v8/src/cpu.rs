//! The CPU clock of a worker thread: how much CPU time the thread has used, readable from
//! the worker itself (to charge each execution for its turns in JavaScript) and from the
//! watchdog thread (to stop a turn that runs past the execution's CPU-time limit).
//!
//! On Linux this is the thread's POSIX CPU-time clock. Elsewhere the clock is absent and
//! the runtime counts the wall-clock time of each turn instead, an upper bound.

// Reading a thread's clock is a libc call.
#![allow(unsafe_code)]

use std::time::Duration;

/// One thread's CPU-time clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThreadClock {
    #[cfg(target_os = "linux")]
    id: libc::clockid_t,
}

impl ThreadClock {
    /// The clock of the calling thread, when the platform has one.
    #[cfg(target_os = "linux")]
    pub(crate) fn current() -> Option<Self> {
        let mut id: libc::clockid_t = 0;
        // SAFETY: `pthread_self` is always valid for the calling thread, and `id` is a
        // valid place for the result.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &raw mut id) };
        (rc == 0).then_some(Self { id })
    }

    /// The clock of the calling thread, when the platform has one.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn current() -> Option<Self> {
        None
    }

    /// CPU time the thread has used so far. The clock stays valid while the thread lives;
    /// workers outlive every reader (the watchdog reads it only while an execution of that
    /// worker is inside JavaScript).
    #[cfg(target_os = "linux")]
    pub(crate) fn now(self) -> Option<Duration> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec to write to; an invalid clock id makes the call
        // fail with EINVAL, which is handled.
        let rc = unsafe { libc::clock_gettime(self.id, &raw mut ts) };
        if rc != 0 {
            return None;
        }
        let secs = u64::try_from(ts.tv_sec).ok()?;
        let nanos = u32::try_from(ts.tv_nsec).ok()?;
        Some(Duration::new(secs, nanos))
    }

    /// CPU time the thread has used so far.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn now(self) -> Option<Duration> {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_clock_advances_with_work_and_not_with_sleep() {
        let clock = ThreadClock::current().expect("linux has thread CPU clocks");
        let t0 = clock.now().expect("read");
        let started = std::time::Instant::now();
        let mut x = 0u64;
        // Busy until the clock shows 10 ms (on a loaded machine that takes longer than
        // 10 ms of wall time; it never takes less).
        let mut t1 = t0;
        while t1 - t0 < Duration::from_millis(10) && started.elapsed() < Duration::from_secs(10) {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            t1 = clock.now().expect("read");
        }
        assert!(t1 - t0 >= Duration::from_millis(10), "busy: {:?}", t1 - t0);
        // CPU time never exceeds wall time (give or take the clock's tick).
        assert!(
            started.elapsed() + Duration::from_millis(5) >= t1 - t0,
            "busy {:?} in {:?}",
            t1 - t0,
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
        let t2 = clock.now().expect("read");
        assert!(t2 - t1 < Duration::from_millis(20), "asleep: {:?}", t2 - t1);
        // Another thread reads the same clock.
        let seen = std::thread::spawn(move || clock.now())
            .join()
            .expect("join");
        assert!(seen.expect("read from another thread") >= t2);
    }
}
