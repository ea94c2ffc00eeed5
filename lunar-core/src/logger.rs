//! The per-execution [`Logger`]: buffers entries, masks them and enforces the log limits.

use std::sync::{Arc, Mutex, PoisonError};

use crate::clock::Clock;
use crate::limits::Limits;
use crate::mask::mask_log_message;
use crate::model::{LogEntry, LogLevel};

/// Suffix of a message cut at the per-message limit.
pub const TRUNCATED_SUFFIX: &str = "…[truncated]";
/// Message of the entry written when a limit is reached.
pub const LIMIT_REACHED: &str = "log limit reached";

#[derive(Debug)]
struct State {
    entries: Vec<LogEntry>,
    counted: u64,
    bytes: u64,
    capped: bool,
}

/// Buffers one execution's log entries. Cheap to clone; clones share the buffer.
#[derive(Debug, Clone)]
pub struct Logger {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    max_entries: u64,
    max_bytes: u64,
    max_message: u64,
}

impl Logger {
    /// A logger with the limits of `limits`.
    pub fn new(limits: &Limits, clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                entries: Vec::new(),
                counted: 0,
                bytes: 0,
                capped: false,
            })),
            clock,
            max_entries: limits.max_log_entries,
            max_bytes: limits.max_log_bytes,
            max_message: limits.max_log_message_bytes,
        }
    }

    /// Writes one entry from user code, counted against the limits. Returns false when it
    /// was dropped.
    pub fn log(&self, level: LogLevel, message: &str) -> bool {
        let now = self.clock.unix();
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if st.capped {
            return false;
        }
        let mut text = cut(message, self.max_message);
        let len = text.len() as u64;
        if st.counted >= self.max_entries || st.bytes + len > self.max_bytes {
            st.capped = true;
            st.entries.push(LogEntry {
                level: LogLevel::Warn,
                message: LIMIT_REACHED.to_owned(),
                created_at: now,
            });
            return false;
        }
        st.counted += 1;
        st.bytes += len;
        text = mask_log_message(&text);
        st.entries.push(LogEntry {
            level,
            message: text,
            created_at: now,
        });
        true
    }

    /// `log.info`.
    pub fn info(&self, message: &str) -> bool {
        self.log(LogLevel::Info, message)
    }

    /// Writes an entry from Lunar itself (e.g. the runtime error), not counted against the
    /// limits; still masked.
    pub fn system(&self, level: LogLevel, message: &str) {
        let now = self.clock.unix();
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.entries.push(LogEntry {
            level,
            message: mask_log_message(message),
            created_at: now,
        });
    }

    /// Takes the buffered entries, leaving the buffer empty.
    #[must_use]
    pub fn take(&self) -> Vec<LogEntry> {
        std::mem::take(
            &mut self
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entries,
        )
    }

    /// Number of buffered entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len()
    }

    /// True when nothing is buffered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn cut(message: &str, max: u64) -> String {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    if message.len() <= max {
        return message.to_owned();
    }
    let mut end = max;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let mut s = String::with_capacity(end + TRUNCATED_SUFFIX.len());
    s.push_str(&message[..end]);
    s.push_str(TRUNCATED_SUFFIX);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    fn logger(entries: u64, bytes: u64, msg: u64) -> Logger {
        let limits = Limits {
            max_log_entries: entries,
            max_log_bytes: bytes,
            max_log_message_bytes: msg,
            ..Limits::default()
        };
        Logger::new(&limits, Arc::new(SystemClock))
    }

    #[test]
    fn entry_cap_writes_one_warning_then_drops() {
        let l = logger(3, 1 << 20, 1 << 14);
        for i in 0..10 {
            l.info(&format!("m{i}"));
        }
        let e = l.take();
        assert_eq!(e.len(), 4);
        assert_eq!(e[2].message, "m2");
        assert_eq!(e[3].level, LogLevel::Warn);
        assert_eq!(e[3].message, LIMIT_REACHED);
    }

    #[test]
    fn volume_cap_and_message_cut() {
        let l = logger(100, 21, 4);
        assert!(l.info("abcdef"));
        assert!(l.info("ab"));
        assert!(!l.info("abcd"));
        let e = l.take();
        assert_eq!(e[0].message, format!("abcd{TRUNCATED_SUFFIX}"));
        assert_eq!(e[1].message, "ab");
        assert_eq!(e[2].message, LIMIT_REACHED);
    }

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("ééé", 3), format!("é{TRUNCATED_SUFFIX}"));
    }

    #[test]
    fn system_entries_are_not_counted_and_masked() {
        let l = logger(0, 0, 10);
        l.system(LogLevel::Error, "Authorization: Bearer abc123def456");
        let e = l.take();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].message, "Authorization: [REDACTED]");
    }
}
