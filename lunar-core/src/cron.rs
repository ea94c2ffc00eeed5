//! Cron expressions: parsing with the original's exact error texts, the
//! next fire time, and the "in N minutes" text.
//!
//! The syntax is the classic five fields (minute, hour, day of month, month, day of week)
//! with an optional `CRON_TZ=<Zone> ` or `TZ=<Zone> ` prefix. The parser follows the
//! original's (robfig/cron v3 standard parser) semantics and messages step by step. Next
//! fire times are searched over the parsed fields in the schedule's zone: the `cron` crate
//! cannot express the rule that a day matches when *either* restricted day field matches,
//! so the search is done here.
//!
//! Daylight-saving time: a wall-clock time skipped by a forward jump does not fire that
//! day; a wall-clock time that occurs twice (backward jump) fires at both instants.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// Days searched ahead for a next fire time (covers the eight-year gap between two
/// 29ths of February around 2100).
const SEARCH_DAYS: u32 = 366 * 10;

/// A cron parser error. Its `Display` is the parser's message, without the
/// `invalid cron expression: ` prefix that validation adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    message: String,
}

impl CronError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The parser message (same text as `Display`).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CronError {}

/// A parsed five-field cron expression and the zone it runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule {
    minutes: u64,
    hours: u64,
    days_of_month: u64,
    months: u64,
    days_of_week: u64,
    /// Both day fields must match (one of them is `*`/`?`); otherwise either suffices.
    days_and: bool,
    zone: Tz,
}

impl CronSchedule {
    /// Parses `expr`; the zone is UTC unless a `CRON_TZ=` / `TZ=` prefix names one.
    ///
    /// # Errors
    /// The parser's error text.
    pub fn parse(expr: &str) -> Result<Self, CronError> {
        Self::parse_in(expr, Tz::UTC)
    }

    /// Parses `expr`; the zone is `default_zone` (the server zone) unless a `CRON_TZ=` /
    /// `TZ=` prefix names one.
    ///
    /// # Errors
    /// The parser's error text.
    pub fn parse_in(expr: &str, default_zone: Tz) -> Result<Self, CronError> {
        if expr.is_empty() {
            return Err(CronError::new("empty spec string"));
        }
        let mut spec = expr;
        let mut zone = default_zone;
        if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
            let eq = spec.find('=').map_or(0, |i| i + 1);
            let (name, rest) = match spec.find(' ') {
                Some(space) => (&spec[eq..space], &spec[space..]),
                None => (&spec[eq..], ""),
            };
            zone = load_location(name, default_zone)
                .map_err(|e| CronError::new(format!("provided bad location {name}: {e}")))?;
            spec = rest.trim();
        }
        if spec.starts_with('@') {
            return Err(CronError::new(format!(
                "parser does not accept descriptors: {spec}"
            )));
        }
        let fields: Vec<&str> = spec.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError::new(format!(
                "expected exactly 5 fields, found {}: [{}]",
                fields.len(),
                fields.join(" ")
            )));
        }
        let minutes = get_field(fields[0], &MINUTES)?;
        let hours = get_field(fields[1], &HOURS)?;
        let days_of_month = get_field(fields[2], &DAYS_OF_MONTH)?;
        let months = get_field(fields[3], &MONTHS)?;
        let days_of_week = get_field(fields[4], &DAYS_OF_WEEK)?;
        Ok(Self {
            minutes: minutes.bits,
            hours: hours.bits,
            days_of_month: days_of_month.bits,
            months: months.bits,
            days_of_week: days_of_week.bits,
            days_and: days_of_month.star || days_of_week.star,
            zone,
        })
    }

    /// The zone the schedule runs in.
    #[must_use]
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first fire time strictly after `after`, or `None` when the schedule never
    /// fires within the next ten years (e.g. `0 0 30 2 *`).
    #[must_use]
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut date = after.with_timezone(&self.zone).date_naive();
        for _ in 0..SEARCH_DAYS {
            if self.day_matches(date)
                && let Some(t) = self.first_on(date, after)
            {
                return Some(t);
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// The fire times strictly after `after`, in order.
    pub fn upcoming_after(&self, after: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        std::iter::successors(self.next_after(after), move |t| self.next_after(*t))
    }

    /// Whether the local date `date` is a firing day.
    fn day_matches(&self, date: NaiveDate) -> bool {
        if !has(self.months, date.month()) {
            return false;
        }
        let dom = has(self.days_of_month, date.day());
        let dow = has(self.days_of_week, date.weekday().num_days_from_sunday());
        if self.days_and {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The earliest instant after `after` whose wall-clock time on `date` matches.
    fn first_on(&self, date: NaiveDate, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut best: Option<DateTime<Utc>> = None;
        for hour in bits(self.hours) {
            for minute in bits(self.minutes) {
                let Some(naive) = date.and_hms_opt(hour, minute, 0) else {
                    continue;
                };
                let local = self.zone.from_local_datetime(&naive);
                for t in [local.earliest(), local.latest()].into_iter().flatten() {
                    let t = t.with_timezone(&Utc);
                    if t > after && best.is_none_or(|b| t < b) {
                        best = Some(t);
                    }
                }
            }
        }
        best
    }
}

/// Validates `expr` (callers treat `""` as "no schedule" and do not pass it).
///
/// # Errors
/// The parser's error text.
pub fn validate(expr: &str) -> Result<(), CronError> {
    CronSchedule::parse(expr).map(|_| ())
}

/// The next fire time of `expr` strictly after `now`: `Ok(None)` for an empty schedule
/// (or one that never fires), an error for an invalid one.
///
/// # Errors
/// The parser's error text.
pub fn next_run(
    expr: &str,
    now: DateTime<Utc>,
    default_zone: Tz,
) -> Result<Option<DateTime<Utc>>, CronError> {
    if expr.is_empty() {
        return Ok(None);
    }
    Ok(CronSchedule::parse_in(expr, default_zone)?.next_after(now))
}

/// Human text for the time `t` seen from `now` (both Unix seconds): `overdue`,
/// `in less than a minute`, `in N minutes`, `in N hours` or `in N days`.
#[must_use]
pub(crate) fn human_until(t: i64, now: i64) -> String {
    let d = t.saturating_sub(now);
    if d < 0 {
        return "overdue".to_owned();
    }
    if d < 60 {
        return "in less than a minute".to_owned();
    }
    let (n, unit) = if d < 3600 {
        (d / 60, "minute")
    } else if d < 86_400 {
        (d / 3600, "hour")
    } else {
        (d / 3600 / 24, "day")
    };
    if n == 1 {
        format!("in 1 {unit}")
    } else {
        format!("in {n} {unit}s")
    }
}

/// Go's `time.LoadLocation`, over the chrono-tz database; `Local` is the server zone.
fn load_location(name: &str, default_zone: Tz) -> Result<Tz, String> {
    if name.is_empty() || name == "UTC" {
        return Ok(Tz::UTC);
    }
    if name == "Local" {
        return Ok(default_zone);
    }
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return Err("time: invalid location name".to_owned());
    }
    name.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {name}"))
}

/// The range and names of one field.
struct Bounds {
    min: u64,
    max: u64,
    names: &'static [(&'static str, u64)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DAYS_OF_MONTH: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DAYS_OF_WEEK: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// A parsed field: the allowed values as bits, and whether it was unrestricted (`*` / `?`
/// without a step above 1), which decides the day-matching rule.
#[derive(Debug, Clone, Copy, Default)]
struct Field {
    bits: u64,
    star: bool,
}

/// `list = range {"," range}`; empty list items are ignored.
fn get_field(field: &str, b: &Bounds) -> Result<Field, CronError> {
    let mut out = Field::default();
    for expr in field.split(',').filter(|s| !s.is_empty()) {
        let f = get_range(expr, b)?;
        out.bits |= f.bits;
        out.star |= f.star;
    }
    Ok(out)
}

/// `* | ? | number | number "-" number` with an optional `"/" step`; `a/n` means
/// `a-max/n`.
fn get_range(expr: &str, b: &Bounds) -> Result<Field, CronError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;

    let (start, mut end, mut star);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (start, end, star) = (b.min, b.max, true);
    } else {
        start = parse_int_or_name(low_and_high[0], b.names)?;
        star = false;
        end = match low_and_high.len() {
            1 => start,
            2 => parse_int_or_name(low_and_high[1], b.names)?,
            _ => return Err(CronError::new(format!("too many hyphens: {expr}"))),
        };
    }

    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(CronError::new(format!("too many slashes: {expr}"))),
    };

    if start < b.min {
        return Err(CronError::new(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        )));
    }
    if end > b.max {
        return Err(CronError::new(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        )));
    }
    if start > end {
        return Err(CronError::new(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        )));
    }
    if step == 0 {
        return Err(CronError::new(format!(
            "step of range should be a positive number: {expr}"
        )));
    }

    let mut bits = 0u64;
    let mut v = start;
    while v <= end {
        bits |= 1 << v;
        match v.checked_add(step) {
            Some(next) => v = next,
            None => break,
        }
    }
    Ok(Field { bits, star })
}

/// A name of the field (case-insensitive) or a non-negative integer.
fn parse_int_or_name(expr: &str, names: &[(&str, u64)]) -> Result<u64, CronError> {
    let lower = expr.to_lowercase();
    if let Some(&(_, v)) = names.iter().find(|(n, _)| *n == lower) {
        return Ok(v);
    }
    must_parse_int(expr)
}

/// A non-negative integer as Go's `strconv.Atoi` reads it (optional sign, decimal digits).
fn must_parse_int(expr: &str) -> Result<u64, CronError> {
    let num = go_atoi(expr).map_err(|e| {
        CronError::new(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing {}: {e}",
            go_quote(expr)
        ))
    })?;
    u64::try_from(num)
        .map_err(|_| CronError::new(format!("negative number ({num}) not allowed: {expr}")))
}

/// Go's `strconv.Atoi` on a 64-bit platform; the error is Go's reason text.
fn go_atoi(s: &str) -> Result<i64, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    const RANGE: &str = "value out of range";
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return Err(SYNTAX);
    };
    let (neg, digits) = match first {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return Err(SYNTAX);
    }
    // Digits are scanned left to right: a bad byte before the overflow point is a syntax
    // error, an overflow before a bad byte a range error (as in Go's ParseUint).
    let mut n: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(SYNTAX);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
            .ok_or(RANGE)?;
    }
    if neg {
        if n > 1 << 63 {
            return Err(RANGE);
        }
        Ok(i64::try_from(n).map_or(i64::MIN, |v| -v))
    } else {
        i64::try_from(n).map_err(|_| RANGE)
    }
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    crate::compat::quote::go_quote(s.as_bytes())
}

/// Whether bit `v` is set.
fn has(set: u64, v: u32) -> bool {
    v < 64 && set & (1 << v) != 0
}

/// The set bits, ascending.
fn bits(set: u64) -> impl Iterator<Item = u32> {
    (0..64u32).filter(move |&v| set & (1 << v) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamp")
            .with_timezone(&Utc)
    }

    fn err(expr: &str) -> String {
        match CronSchedule::parse(expr) {
            Ok(s) => panic!("{expr:?} parsed: {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn next(expr: &str, after: &str) -> DateTime<Utc> {
        CronSchedule::parse(expr)
            .expect("valid expression")
            .next_after(utc(after))
            .expect("a next fire time")
    }

    fn nexts(expr: &str, after: &str, n: usize) -> Vec<String> {
        CronSchedule::parse(expr)
            .expect("valid expression")
            .upcoming_after(utc(after))
            .take(n)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ %a").to_string())
            .collect()
    }

    // ---- parser errors ----

    #[test]
    fn empty_spec() {
        assert_eq!(err(""), "empty spec string");
    }

    #[test]
    fn wrong_field_counts() {
        assert_eq!(
            err("* * * * * *"),
            "expected exactly 5 fields, found 6: [* * * * * *]"
        );
        assert_eq!(err("* *"), "expected exactly 5 fields, found 2: [* *]");
        assert_eq!(err("   "), "expected exactly 5 fields, found 0: []");
        assert_eq!(
            err("0  9\t* *\n"),
            "expected exactly 5 fields, found 4: [0 9 * *]"
        );
        assert_eq!(err("CRON_TZ=UTC"), "expected exactly 5 fields, found 0: []");
    }

    #[test]
    fn descriptors_are_rejected() {
        assert_eq!(err("@daily"), "parser does not accept descriptors: @daily");
        assert_eq!(
            err("TZ=UTC @every 5m"),
            "parser does not accept descriptors: @every 5m"
        );
    }

    #[test]
    fn range_errors() {
        assert_eq!(
            err("60 * * * *"),
            "end of range (60) above maximum (59): 60"
        );
        assert_eq!(
            err("* 24 * * *"),
            "end of range (24) above maximum (23): 24"
        );
        assert_eq!(
            err("* * 32 * *"),
            "end of range (32) above maximum (31): 32"
        );
        assert_eq!(
            err("* * * 13 *"),
            "end of range (13) above maximum (12): 13"
        );
        assert_eq!(err("* * * * 7"), "end of range (7) above maximum (6): 7");
        assert_eq!(
            err("* * 0 * *"),
            "beginning of range (0) below minimum (1): 0"
        );
        assert_eq!(
            err("* * * 0 *"),
            "beginning of range (0) below minimum (1): 0"
        );
        assert_eq!(
            err("* * 0-5 * *"),
            "beginning of range (0) below minimum (1): 0-5"
        );
        assert_eq!(
            err("30-10 * * * *"),
            "beginning of range (30) beyond end of range (10): 30-10"
        );
        assert_eq!(
            err("* * * * FRI-MON"),
            "beginning of range (5) beyond end of range (1): FRI-MON"
        );
        assert_eq!(
            err("5-70/5 * * * *"),
            "end of range (70) above maximum (59): 5-70/5"
        );
        // In a list, the first bad item is reported.
        assert_eq!(
            err("1,2,99 * * * *"),
            "end of range (99) above maximum (59): 99"
        );
        // Fields are checked in order.
        assert_eq!(
            err("99 99 * * *"),
            "end of range (99) above maximum (59): 99"
        );
    }

    #[test]
    fn step_errors() {
        assert_eq!(
            err("*/0 * * * *"),
            "step of range should be a positive number: */0"
        );
        assert_eq!(
            err("1-5/0 * * * *"),
            "step of range should be a positive number: 1-5/0"
        );
        assert_eq!(err("*/-1 * * * *"), "negative number (-1) not allowed: -1");
        assert_eq!(
            err("*/-0 * * * *"),
            "step of range should be a positive number: */-0"
        );
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(err("1-2-3 * * * *"), "too many hyphens: 1-2-3");
        assert_eq!(err("*/2/3 * * * *"), "too many slashes: */2/3");
        assert_eq!(err("1/2/3 * * * *"), "too many slashes: 1/2/3");
        assert_eq!(
            err("x * * * *"),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            err("* * * * MONDAY"),
            "failed to parse int from MONDAY: strconv.Atoi: parsing \"MONDAY\": invalid syntax"
        );
        assert_eq!(
            err("jan * * * *"),
            "failed to parse int from jan: strconv.Atoi: parsing \"jan\": invalid syntax"
        );
        assert_eq!(
            err("1- * * * *"),
            "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"
        );
        assert_eq!(
            err("-5 * * * *"),
            "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"
        );
        assert_eq!(
            err("*/ * * * *"),
            "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"
        );
        assert_eq!(
            err("*/+ * * * *"),
            "failed to parse int from +: strconv.Atoi: parsing \"+\": invalid syntax"
        );
        assert_eq!(
            err("1.5 * * * *"),
            "failed to parse int from 1.5: strconv.Atoi: parsing \"1.5\": invalid syntax"
        );
        // The low end is parsed before the hyphen count is checked.
        assert_eq!(
            err("a-1-2 * * * *"),
            "failed to parse int from a: strconv.Atoi: parsing \"a\": invalid syntax"
        );
    }

    #[test]
    fn atoi_edge_cases() {
        assert_eq!(
            err("99999999999999999999 * * * *"),
            "failed to parse int from 99999999999999999999: strconv.Atoi: parsing \"99999999999999999999\": value out of range"
        );
        assert_eq!(
            err("9223372036854775807 * * * *"),
            "end of range (9223372036854775807) above maximum (59): 9223372036854775807"
        );
        assert_eq!(
            err("*/-9223372036854775808 * * * *"),
            "negative number (-9223372036854775808) not allowed: -9223372036854775808"
        );
        assert_eq!(
            err("*/9223372036854775808 * * * *"),
            "failed to parse int from 9223372036854775808: strconv.Atoi: parsing \"9223372036854775808\": value out of range"
        );
        assert_eq!(
            err("a\"b * * * *"),
            "failed to parse int from a\"b: strconv.Atoi: parsing \"a\\\"b\": invalid syntax"
        );
        assert_eq!(
            err("\u{1} * * * *"),
            "failed to parse int from \u{1}: strconv.Atoi: parsing \"\\x01\": invalid syntax"
        );
        assert_eq!(
            err("é * * * *"),
            "failed to parse int from é: strconv.Atoi: parsing \"é\": invalid syntax"
        );
        assert_eq!(
            err("\u{200b} * * * *"),
            "failed to parse int from \u{200b}: strconv.Atoi: parsing \"\\u200b\": invalid syntax"
        );
        // A sign is accepted, as by Go.
        assert!(CronSchedule::parse("+5 * * * *").is_ok());
    }

    #[test]
    fn zone_errors() {
        assert_eq!(
            err("CRON_TZ=Mars/Olympus 0 9 * * *"),
            "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"
        );
        assert_eq!(
            err("TZ=Nowhere * * * * *"),
            "provided bad location Nowhere: unknown time zone Nowhere"
        );
        assert_eq!(
            err("CRON_TZ=america/new_york 0 9 * * *"),
            "provided bad location america/new_york: unknown time zone america/new_york"
        );
        assert_eq!(
            err("TZ=../etc/passwd * * * * *"),
            "provided bad location ../etc/passwd: time: invalid location name"
        );
        // The zone is checked before the fields.
        assert_eq!(
            err("TZ=Nowhere 99"),
            "provided bad location Nowhere: unknown time zone Nowhere"
        );
    }

    #[test]
    fn validate_helper() {
        assert_eq!(validate("*/5 * * * *"), Ok(()));
        assert_eq!(
            validate("* * * * * *").map_err(|e| e.to_string()),
            Err("expected exactly 5 fields, found 6: [* * * * * *]".to_owned())
        );
        assert_eq!(
            validate("").map_err(|e| e.message().to_owned()),
            Err("empty spec string".to_owned())
        );
    }

    #[test]
    fn accepted_syntax() {
        for expr in [
            "* * * * *",
            "? ? ? ? ?",
            "0 0 1 1 0",
            "59 23 31 12 6",
            "*/15 * * * *",
            "0-59/10 0-23 1-31 1-12 0-6",
            "5/10 * * * *",
            "1,2,3 * * * *",
            "1,,2, * * * *",
            "0 9 * JAN-mar MON-FRI",
            "0 9 ? * sun,Sat",
            "*-5 * * * *",
            "0 0 * * SUN",
            "CRON_TZ=Europe/Berlin 0 9 * * *",
            "TZ=Asia/Tokyo 0 9 * * *",
            "TZ= 0 9 * * *",
            "CRON_TZ=UTC   0 9 * * *",
            "TZ=Local 0 9 * * *",
        ] {
            assert!(CronSchedule::parse(expr).is_ok(), "{expr}");
        }
    }

    // ---- next fire time ----

    #[test]
    fn every_minute_is_the_next_minute() {
        assert_eq!(
            next("* * * * *", "2024-05-01T10:20:30Z"),
            utc("2024-05-01T10:21:00Z")
        );
        assert_eq!(
            next("* * * * *", "2024-12-31T23:59:59Z"),
            utc("2025-01-01T00:00:00Z")
        );
    }

    #[test]
    fn strictly_after() {
        assert_eq!(
            next("* * * * *", "2024-05-01T10:20:00Z"),
            utc("2024-05-01T10:21:00Z")
        );
        assert_eq!(
            next("0 9 * * *", "2024-05-01T09:00:00Z"),
            utc("2024-05-02T09:00:00Z")
        );
        assert_eq!(
            next("0 9 * * *", "2024-05-01T08:59:59Z"),
            utc("2024-05-01T09:00:00Z")
        );
    }

    #[test]
    fn steps_ranges_and_lists() {
        assert_eq!(
            nexts("*/15 * * * *", "2024-05-01T10:07:00Z", 4),
            [
                "2024-05-01T10:15:00Z Wed",
                "2024-05-01T10:30:00Z Wed",
                "2024-05-01T10:45:00Z Wed",
                "2024-05-01T11:00:00Z Wed",
            ]
        );
        assert_eq!(
            nexts("10-12 8 * * *", "2024-05-01T08:10:00Z", 3),
            [
                "2024-05-01T08:11:00Z Wed",
                "2024-05-01T08:12:00Z Wed",
                "2024-05-02T08:10:00Z Thu",
            ]
        );
        assert_eq!(
            nexts("0 1,13,22 * * *", "2024-05-01T12:00:00Z", 4),
            [
                "2024-05-01T13:00:00Z Wed",
                "2024-05-01T22:00:00Z Wed",
                "2024-05-02T01:00:00Z Thu",
                "2024-05-02T13:00:00Z Thu",
            ]
        );
        // a/n = a-max/n
        assert_eq!(
            nexts("50/5 * * * *", "2024-05-01T10:00:00Z", 3),
            [
                "2024-05-01T10:50:00Z Wed",
                "2024-05-01T10:55:00Z Wed",
                "2024-05-01T11:50:00Z Wed",
            ]
        );
        assert_eq!(
            nexts("0 0 1 2-12/5 *", "2024-01-15T00:00:00Z", 3),
            [
                "2024-02-01T00:00:00Z Thu",
                "2024-07-01T00:00:00Z Mon",
                "2024-12-01T00:00:00Z Sun",
            ]
        );
    }

    #[test]
    fn names() {
        // 2024-05-03 is a Friday.
        assert_eq!(
            nexts("0 9 * * MON-FRI", "2024-05-03T10:00:00Z", 2),
            ["2024-05-06T09:00:00Z Mon", "2024-05-07T09:00:00Z Tue"]
        );
        assert_eq!(
            nexts("0 0 1 jan *", "2024-05-03T10:00:00Z", 2),
            ["2025-01-01T00:00:00Z Wed", "2026-01-01T00:00:00Z Thu"]
        );
        assert_eq!(
            nexts("0 12 * * sun", "2024-05-03T10:00:00Z", 1),
            ["2024-05-05T12:00:00Z Sun"]
        );
        assert_eq!(
            nexts("0 12 * * 0", "2024-05-03T10:00:00Z", 1),
            ["2024-05-05T12:00:00Z Sun"]
        );
        assert_eq!(
            nexts("0 12 * * 6", "2024-05-03T10:00:00Z", 1),
            ["2024-05-04T12:00:00Z Sat"]
        );
    }

    #[test]
    fn day_fields_restricted_together_match_either() {
        // Friday or the 13th. 2024-09-13 is a Friday; 2024-10-13 a Sunday.
        assert_eq!(
            nexts("0 0 13 * 5", "2024-09-01T00:00:00Z", 5),
            [
                "2024-09-06T00:00:00Z Fri",
                "2024-09-13T00:00:00Z Fri",
                "2024-09-20T00:00:00Z Fri",
                "2024-09-27T00:00:00Z Fri",
                "2024-10-04T00:00:00Z Fri",
            ]
        );
        assert_eq!(
            nexts("0 0 13 * 5", "2024-10-11T00:00:00Z", 2),
            ["2024-10-13T00:00:00Z Sun", "2024-10-18T00:00:00Z Fri"]
        );
    }

    #[test]
    fn unrestricted_day_field_requires_both() {
        // dom `*`: only Fridays.
        assert_eq!(
            nexts("0 0 * * 5", "2024-10-11T00:00:00Z", 1),
            ["2024-10-18T00:00:00Z Fri"]
        );
        // dow `?`: only the 13th.
        assert_eq!(
            nexts("0 0 13 * ?", "2024-10-11T00:00:00Z", 1),
            ["2024-10-13T00:00:00Z Sun"]
        );
        // `*/1` is still unrestricted; `*/2` is restricted (robfig's star bit).
        assert_eq!(
            nexts("0 0 13 * */1", "2024-10-11T00:00:00Z", 1),
            ["2024-10-13T00:00:00Z Sun"]
        );
        // dom */2 (odd days) OR dow */2 (Sun, Tue, Thu, Sat).
        assert_eq!(
            nexts("0 0 */2 * */2", "2024-10-13T12:00:00Z", 3),
            [
                "2024-10-15T00:00:00Z Tue",
                "2024-10-17T00:00:00Z Thu",
                "2024-10-19T00:00:00Z Sat",
            ]
        );
        assert_eq!(
            nexts("0 0 */2 * */2", "2024-10-20T12:00:00Z", 2),
            ["2024-10-21T00:00:00Z Mon", "2024-10-22T00:00:00Z Tue"]
        );
    }

    #[test]
    fn short_months_and_leap_days() {
        assert_eq!(
            next("0 0 31 * *", "2024-04-01T00:00:00Z"),
            utc("2024-05-31T00:00:00Z")
        );
        assert_eq!(
            next("0 0 29 2 *", "2024-03-01T00:00:00Z"),
            utc("2028-02-29T00:00:00Z")
        );
        assert_eq!(
            next("0 0 29 2 *", "2096-03-01T00:00:00Z"),
            utc("2104-02-29T00:00:00Z")
        );
        let never = CronSchedule::parse("0 0 30 2 *").expect("valid");
        assert_eq!(never.next_after(utc("2024-01-01T00:00:00Z")), None);
        let empty_list = CronSchedule::parse(", * * * *").expect("valid");
        assert_eq!(empty_list.next_after(utc("2024-01-01T00:00:00Z")), None);
    }

    #[test]
    fn cron_tz_prefix() {
        // New York: EST (UTC-5) in January, EDT (UTC-4) in July.
        assert_eq!(
            next("CRON_TZ=America/New_York 0 9 * * *", "2024-01-10T00:00:00Z"),
            utc("2024-01-10T14:00:00Z")
        );
        assert_eq!(
            next("CRON_TZ=America/New_York 0 9 * * *", "2024-07-10T00:00:00Z"),
            utc("2024-07-10T13:00:00Z")
        );
        assert_eq!(
            next("TZ=Asia/Tokyo 0 9 * * *", "2024-07-10T00:00:00Z"),
            utc("2024-07-11T00:00:00Z")
        );
        let s = CronSchedule::parse("CRON_TZ=Europe/Berlin 0 9 * * *").expect("valid");
        assert_eq!(s.zone(), chrono_tz::Europe::Berlin);
        assert_eq!(
            CronSchedule::parse("0 9 * * *").expect("valid").zone(),
            Tz::UTC
        );
    }

    #[test]
    fn local_day_decides_the_day_fields() {
        // 2024-05-03 is a Friday; 23:30 Friday in New York is 03:30 Saturday UTC.
        assert_eq!(
            next(
                "CRON_TZ=America/New_York 30 23 * * FRI",
                "2024-05-01T00:00:00Z"
            ),
            utc("2024-05-04T03:30:00Z")
        );
    }

    #[test]
    fn default_zone_parameter() {
        let ny = chrono_tz::America::New_York;
        let s = CronSchedule::parse_in("0 9 * * *", ny).expect("valid");
        assert_eq!(s.zone(), ny);
        assert_eq!(
            s.next_after(utc("2024-01-10T00:00:00Z")),
            Some(utc("2024-01-10T14:00:00Z"))
        );
        // A prefix overrides the default zone; `Local` is the default zone.
        let s = CronSchedule::parse_in("TZ=UTC 0 9 * * *", ny).expect("valid");
        assert_eq!(s.zone(), Tz::UTC);
        let s = CronSchedule::parse_in("TZ=Local 0 9 * * *", ny).expect("valid");
        assert_eq!(s.zone(), ny);
    }

    #[test]
    fn dst_gap_skips_and_overlap_fires_twice() {
        // 2024-03-10 02:00 EST -> 03:00 EDT: 02:30 does not exist that day.
        assert_eq!(
            nexts(
                "CRON_TZ=America/New_York 30 2 * * *",
                "2024-03-09T12:00:00Z",
                2
            ),
            ["2024-03-11T06:30:00Z Mon", "2024-03-12T06:30:00Z Tue"]
        );
        // 2024-11-03 02:00 EDT -> 01:00 EST: 01:30 occurs twice.
        assert_eq!(
            nexts(
                "CRON_TZ=America/New_York 30 1 * * *",
                "2024-11-02T12:00:00Z",
                4
            ),
            [
                "2024-11-03T05:30:00Z Sun",
                "2024-11-03T06:30:00Z Sun",
                "2024-11-04T06:30:00Z Mon",
                "2024-11-05T06:30:00Z Tue",
            ]
        );
        // Hourly stays hourly in absolute time across the overlap.
        assert_eq!(
            nexts(
                "CRON_TZ=America/New_York 0 * * * *",
                "2024-11-03T04:30:00Z",
                3
            ),
            [
                "2024-11-03T05:00:00Z Sun",
                "2024-11-03T06:00:00Z Sun",
                "2024-11-03T07:00:00Z Sun",
            ]
        );
        // Starting inside the overlap (01:50 EDT), the earliest later instant wins.
        assert_eq!(
            nexts(
                "CRON_TZ=America/New_York 30,55 1 * * *",
                "2024-11-03T05:50:00Z",
                3
            ),
            [
                "2024-11-03T05:55:00Z Sun",
                "2024-11-03T06:30:00Z Sun",
                "2024-11-03T06:55:00Z Sun",
            ]
        );
    }

    #[test]
    fn next_run_helper() {
        let now = utc("2024-05-01T10:20:30Z");
        assert_eq!(next_run("", now, Tz::UTC), Ok(None));
        assert_eq!(
            next_run("*/5 * * * *", now, Tz::UTC),
            Ok(Some(utc("2024-05-01T10:25:00Z")))
        );
        assert_eq!(
            next_run("0 9 * * *", now, chrono_tz::America::New_York),
            Ok(Some(utc("2024-05-01T13:00:00Z")))
        );
        assert_eq!(
            next_run("bad", now, Tz::UTC).map_err(|e| e.to_string()),
            Err("expected exactly 5 fields, found 1: [bad]".to_owned())
        );
    }

    // ---- human text ----

    #[test]
    fn human_text_boundaries() {
        let now = 1_700_000_000;
        let h = |d: i64| human_until(now + d, now);
        assert_eq!(h(-1), "overdue");
        assert_eq!(h(0), "in less than a minute");
        assert_eq!(h(59), "in less than a minute");
        assert_eq!(h(60), "in 1 minute");
        assert_eq!(h(119), "in 1 minute");
        assert_eq!(h(120), "in 2 minutes");
        assert_eq!(h(180), "in 3 minutes");
        assert_eq!(h(3599), "in 59 minutes");
        assert_eq!(h(3600), "in 1 hour");
        assert_eq!(h(7199), "in 1 hour");
        assert_eq!(h(7200), "in 2 hours");
        assert_eq!(h(86_399), "in 23 hours");
        assert_eq!(h(86_400), "in 1 day");
        assert_eq!(h(2 * 86_400 - 1), "in 1 day");
        assert_eq!(h(2 * 86_400), "in 2 days");
        assert_eq!(h(400 * 86_400), "in 400 days");
        assert_eq!(human_until(i64::MIN, i64::MAX), "overdue");
    }
}
