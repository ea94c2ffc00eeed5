//! Go `time.Format` / `time.ParseInLocation` with reference layouts.
//!
//! This is a byte-for-byte port of the layout tokenizer (`nextStdChunk`), the formatter
//! (`appendFormat`) and the parser (`parse`) of Go's `time/format.go`, restricted to whole
//! Unix seconds. Time zone data comes from `chrono-tz`; Go's zone abbreviations are the
//! tzdata abbreviations, which chrono-tz exposes (numeric ones such as `+03` are
//! reconstructed from the offset).

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::OffsetName;
use chrono_tz::Tz;

/// One layout element, as in Go's `std*` constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    /// `January`
    LongMonth,
    /// `Jan`
    Month,
    /// `1`
    NumMonth,
    /// `01`
    ZeroMonth,
    /// `Monday`
    LongWeekDay,
    /// `Mon`
    WeekDay,
    /// `2`
    Day,
    /// `_2`
    UnderDay,
    /// `02`
    ZeroDay,
    /// `__2`
    UnderYearDay,
    /// `002`
    ZeroYearDay,
    /// `15`
    Hour,
    /// `3`
    Hour12,
    /// `03`
    ZeroHour12,
    /// `4`
    Minute,
    /// `04`
    ZeroMinute,
    /// `5`
    Second,
    /// `05`
    ZeroSecond,
    /// `2006`
    LongYear,
    /// `06`
    Year,
    /// `PM`
    UpperPm,
    /// `pm`
    LowerPm,
    /// `MST`
    Tz,
    /// `Z0700`
    Iso8601Tz,
    /// `Z070000`
    Iso8601SecondsTz,
    /// `Z07`
    Iso8601ShortTz,
    /// `Z07:00`
    Iso8601ColonTz,
    /// `Z07:00:00`
    Iso8601ColonSecondsTz,
    /// `-0700`
    NumTz,
    /// `-070000`
    NumSecondsTz,
    /// `-07`
    NumShortTz,
    /// `-07:00`
    NumColonTz,
    /// `-07:00:00`
    NumColonSecondsTz,
    /// `.000` / `,000`: fixed number of digits.
    FracSecond0 {
        /// Number of `0` digits in the layout.
        digits: usize,
        /// The separator (`.` or `,`).
        sep: u8,
    },
    /// `.999` / `,999`: trailing zeros dropped.
    FracSecond9 {
        /// Number of `9` digits in the layout.
        digits: usize,
        /// The separator (`.` or `,`).
        sep: u8,
    },
}

impl Std {
    /// Whether this is one of the `Z…` ISO 8601 zone elements (print `Z` for UTC).
    fn is_iso_tz(self) -> bool {
        matches!(
            self,
            Std::Iso8601Tz
                | Std::Iso8601SecondsTz
                | Std::Iso8601ShortTz
                | Std::Iso8601ColonTz
                | Std::Iso8601ColonSecondsTz
        )
    }

    /// Whether this is any numeric zone offset element (`Z…` or `-…`).
    fn is_num_tz(self) -> bool {
        self.is_iso_tz()
            || matches!(
                self,
                Std::NumTz
                    | Std::NumSecondsTz
                    | Std::NumShortTz
                    | Std::NumColonTz
                    | Std::NumColonSecondsTz
            )
    }
}

/// Month names (Go's `longMonthNames`).
const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Abbreviated month names (Go's `shortMonthNames`).
const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Weekday names, Sunday first (Go's `longDayNames`).
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
/// Abbreviated weekday names (Go's `shortDayNames`).
const SHORT_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/// Cumulative days before each month in a non-leap year (Go's `daysBefore`).
const DAYS_BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/// Byte at `i` if it is an ASCII digit (Go's `isDigit(s, i)`).
fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

/// Whether `s` starts with an ASCII lower-case letter (Go's `startsWithLowerCase`).
fn starts_with_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

/// Go's `nextStdChunk`: finds the first layout element in `layout`.
///
/// Returns `(prefix_end, element, suffix_start)`; the element text is
/// `layout[prefix_end..suffix_start]`. `None` means the whole layout is literal.
fn next_std_chunk(layout: &[u8]) -> Option<(usize, Std, usize)> {
    let has = |i: usize, s: &str| layout.get(i..i + s.len()) == Some(s.as_bytes());
    for i in 0..layout.len() {
        match layout[i] {
            b'J' if has(i, "Jan") => {
                if has(i, "January") {
                    return Some((i, Std::LongMonth, i + 7));
                }
                if !starts_with_lower(&layout[i + 3..]) {
                    return Some((i, Std::Month, i + 3));
                }
            }
            b'M' => {
                if has(i, "Mon") {
                    if has(i, "Monday") {
                        return Some((i, Std::LongWeekDay, i + 6));
                    }
                    if !starts_with_lower(&layout[i + 3..]) {
                        return Some((i, Std::WeekDay, i + 3));
                    }
                }
                if has(i, "MST") {
                    return Some((i, Std::Tz, i + 3));
                }
            }
            b'0' => {
                if let Some(&c) = layout.get(i + 1)
                    && (b'1'..=b'6').contains(&c)
                {
                    let std = [
                        Std::ZeroMonth,
                        Std::ZeroDay,
                        Std::ZeroHour12,
                        Std::ZeroMinute,
                        Std::ZeroSecond,
                        Std::Year,
                    ][usize::from(c - b'1')];
                    return Some((i, std, i + 2));
                }
                if has(i + 1, "02") {
                    return Some((i, Std::ZeroYearDay, i + 3));
                }
            }
            b'1' => {
                if layout.get(i + 1) == Some(&b'5') {
                    return Some((i, Std::Hour, i + 2));
                }
                return Some((i, Std::NumMonth, i + 1));
            }
            b'2' => {
                if has(i, "2006") {
                    return Some((i, Std::LongYear, i + 4));
                }
                return Some((i, Std::Day, i + 1));
            }
            b'_' => {
                if layout.get(i + 1) == Some(&b'2') {
                    // `_2006` is really a literal `_` followed by the long year.
                    if has(i + 1, "2006") {
                        return Some((i + 1, Std::LongYear, i + 5));
                    }
                    return Some((i, Std::UnderDay, i + 2));
                }
                if has(i + 1, "_2") {
                    return Some((i, Std::UnderYearDay, i + 3));
                }
            }
            b'3' => return Some((i, Std::Hour12, i + 1)),
            b'4' => return Some((i, Std::Minute, i + 1)),
            b'5' => return Some((i, Std::Second, i + 1)),
            b'P' if layout.get(i + 1) == Some(&b'M') => {
                return Some((i, Std::UpperPm, i + 2));
            }
            b'p' if layout.get(i + 1) == Some(&b'm') => {
                return Some((i, Std::LowerPm, i + 2));
            }
            b'-' => {
                for (text, std) in [
                    ("-070000", Std::NumSecondsTz),
                    ("-07:00:00", Std::NumColonSecondsTz),
                    ("-0700", Std::NumTz),
                    ("-07:00", Std::NumColonTz),
                    ("-07", Std::NumShortTz),
                ] {
                    if has(i, text) {
                        return Some((i, std, i + text.len()));
                    }
                }
            }
            b'Z' => {
                for (text, std) in [
                    ("Z070000", Std::Iso8601SecondsTz),
                    ("Z07:00:00", Std::Iso8601ColonSecondsTz),
                    ("Z0700", Std::Iso8601Tz),
                    ("Z07:00", Std::Iso8601ColonTz),
                    ("Z07", Std::Iso8601ShortTz),
                ] {
                    if has(i, text) {
                        return Some((i, std, i + text.len()));
                    }
                }
            }
            sep @ (b'.' | b',') => {
                if let Some(&ch) = layout.get(i + 1)
                    && (ch == b'0' || ch == b'9')
                {
                    let mut j = i + 1;
                    while layout.get(j) == Some(&ch) {
                        j += 1;
                    }
                    // The run of digits must end here to be a fractional second.
                    if !is_digit(layout, j) {
                        let digits = j - (i + 1);
                        let std = if ch == b'0' {
                            Std::FracSecond0 { digits, sep }
                        } else {
                            Std::FracSecond9 { digits, sep }
                        };
                        return Some((i, std, j));
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Go's `appendInt`: decimal with a leading `-` for negatives, zero-padded to `width`.
fn append_int(out: &mut String, x: i64, width: usize) {
    if x < 0 {
        out.push('-');
    }
    out.push_str(&format!("{:0width$}", x.unsigned_abs()));
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month 1-12, day 1-31).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Howard Hinnant's algorithm, valid over the whole i64 range used here.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Proleptic Gregorian date to days since 1970-01-01.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Gregorian leap year.
fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1-12) of `year`.
fn days_in(month: i64, year: i64) -> i64 {
    if month == 2 && is_leap(year) {
        return 29;
    }
    let m = usize::try_from(month.clamp(1, 12)).unwrap_or(1);
    DAYS_BEFORE[m] - DAYS_BEFORE[m - 1]
}

/// Go-style abbreviation for a numeric offset (tzdata's `%z` style: `+03`, `+0530`).
fn numeric_zone_name(offset: i64) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.abs() / 60;
    if minutes % 60 == 0 {
        format!("{sign}{:02}", minutes / 60)
    } else {
        format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
    }
}

/// Go's `Location.lookup`: zone abbreviation and offset (seconds east of UTC) at `unix`.
///
/// Instants outside chrono's range are clamped for the lookup.
fn lookup(tz: Tz, unix: i64) -> (String, i64) {
    /// Roughly the edge of chrono's supported range (±250,000 years).
    const LIMIT: i64 = 8_000_000_000_000;
    let clamped = unix.clamp(-LIMIT, LIMIT);
    let Some(utc) = DateTime::from_timestamp(clamped, 0) else {
        return ("UTC".to_owned(), 0);
    };
    let off = tz.offset_from_utc_datetime(&utc.naive_utc());
    let secs = i64::from(off.fix().local_minus_utc());
    let name = off
        .abbreviation()
        .map_or_else(|| numeric_zone_name(secs), str::to_owned);
    (name, secs)
}

/// Go's `Location.lookupName`: offset of a zone abbreviation in `tz` around `unix`.
///
/// Go scans every zone of the location; chrono-tz does not expose that list, so the
/// candidates are the zones in effect around `unix` (±3 and ±6 months), which covers
/// standard and daylight time.
fn lookup_name(tz: Tz, name: &str, unix: i64) -> Option<i64> {
    /// About one month in seconds.
    const MONTH: i64 = 30 * 86_400;
    let candidates: Vec<(String, i64)> = [0, -3, 3, -6, 6]
        .iter()
        .map(|k| lookup(tz, unix + k * MONTH))
        .collect();
    for (n, off) in &candidates {
        if n == name {
            let (n2, off2) = lookup(tz, unix - off);
            if n2 == *n {
                return Some(off2);
            }
        }
    }
    candidates
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, off)| off)
}

/// Formats Unix seconds `ts` in `tz` with a Go reference layout (Go's `Time.Format`).
pub fn format(ts: i64, layout: &str, tz: Tz) -> String {
    let (zone_name, offset) = lookup(tz, ts);
    let local = ts.saturating_add(offset);
    let days = local.div_euclid(86_400);
    let secs_of_day = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let yday = days - days_from_civil(year, 1, 1) + 1;
    let weekday = usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
    let month_idx = usize::try_from(month - 1).unwrap_or(0);
    let hour = secs_of_day / 3600;
    let min = secs_of_day / 60 % 60;
    let sec = secs_of_day % 60;

    let mut out = String::with_capacity(layout.len() + 10);
    let mut rest = layout.as_bytes();
    while !rest.is_empty() {
        let Some((pre, std, suf)) = next_std_chunk(rest) else {
            out.push_str(&String::from_utf8_lossy(rest));
            break;
        };
        out.push_str(&String::from_utf8_lossy(&rest[..pre]));
        rest = &rest[suf..];
        match std {
            Std::Year => append_int(&mut out, year.abs() % 100, 2),
            Std::LongYear => append_int(&mut out, year, 4),
            Std::Month => out.push_str(SHORT_MONTHS[month_idx]),
            Std::LongMonth => out.push_str(LONG_MONTHS[month_idx]),
            Std::NumMonth => append_int(&mut out, month, 0),
            Std::ZeroMonth => append_int(&mut out, month, 2),
            Std::WeekDay => out.push_str(SHORT_DAYS[weekday]),
            Std::LongWeekDay => out.push_str(LONG_DAYS[weekday]),
            Std::Day => append_int(&mut out, day, 0),
            Std::UnderDay => {
                if day < 10 {
                    out.push(' ');
                }
                append_int(&mut out, day, 0);
            }
            Std::ZeroDay => append_int(&mut out, day, 2),
            Std::UnderYearDay => {
                if yday < 100 {
                    out.push(' ');
                    if yday < 10 {
                        out.push(' ');
                    }
                }
                append_int(&mut out, yday, 0);
            }
            Std::ZeroYearDay => append_int(&mut out, yday, 3),
            Std::Hour => append_int(&mut out, hour, 2),
            Std::Hour12 | Std::ZeroHour12 => {
                let hr = match hour % 12 {
                    0 => 12,
                    h => h,
                };
                append_int(&mut out, hr, if std == Std::Hour12 { 0 } else { 2 });
            }
            Std::Minute => append_int(&mut out, min, 0),
            Std::ZeroMinute => append_int(&mut out, min, 2),
            Std::Second => append_int(&mut out, sec, 0),
            Std::ZeroSecond => append_int(&mut out, sec, 2),
            Std::UpperPm => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
            Std::LowerPm => out.push_str(if hour >= 12 { "pm" } else { "am" }),
            Std::Tz => out.push_str(&zone_name),
            Std::FracSecond0 { digits, sep } => {
                // Whole seconds: the fraction is always zero; Go prints at most 9 digits.
                out.push(char::from(sep));
                out.extend(std::iter::repeat_n('0', digits.min(9)));
            }
            Std::FracSecond9 { .. } => {}
            _ if std.is_num_tz() => {
                if offset == 0 && std.is_iso_tz() {
                    out.push('Z');
                    continue;
                }
                let zone = offset / 60;
                let abs = offset.abs();
                out.push(if zone < 0 { '-' } else { '+' });
                let zone = zone.abs();
                append_int(&mut out, zone / 60, 2);
                if matches!(
                    std,
                    Std::Iso8601ColonTz
                        | Std::NumColonTz
                        | Std::Iso8601ColonSecondsTz
                        | Std::NumColonSecondsTz
                ) {
                    out.push(':');
                }
                if !matches!(std, Std::NumShortTz | Std::Iso8601ShortTz) {
                    append_int(&mut out, zone % 60, 2);
                }
                if matches!(
                    std,
                    Std::Iso8601SecondsTz
                        | Std::NumSecondsTz
                        | Std::NumColonSecondsTz
                        | Std::Iso8601ColonSecondsTz
                ) {
                    if matches!(std, Std::NumColonSecondsTz | Std::Iso8601ColonSecondsTz) {
                        out.push(':');
                    }
                    append_int(&mut out, abs % 60, 2);
                }
            }
            _ => {}
        }
    }
    out
}

/// Go's `time.quote`: double-quoted, `"` and `\` escaped, control and non-ASCII bytes as `\xNN`.
fn quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        if !(b' '..0x80).contains(&b) {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            if b == b'"' || b == b'\\' {
                out.push('\\');
            }
            out.push(char::from(b));
        }
    }
    out.push('"');
    out
}

/// Go's `leadingInt`: leading decimal digits of `s` (`None` on overflow past 2^63).
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        if x > (1u64 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1u64 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `atoi`: optional sign, then digits only (an empty digit string is 0).
fn atoi(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (q, rem) = leading_int(digits)?;
    if !rem.is_empty() {
        return None;
    }
    // Go converts with int(q), wrapping 2^63 to i64::MIN.
    let x = q as i64;
    Some(if neg { x.wrapping_neg() } else { x })
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    if !is_digit(s, 0) {
        return None;
    }
    if !is_digit(s, 1) {
        if fixed {
            return None;
        }
        return Some((i64::from(s[0] - b'0'), &s[1..]));
    }
    Some((
        i64::from(s[0] - b'0') * 10 + i64::from(s[1] - b'0'),
        &s[2..],
    ))
}

/// Go's `getnum3`: one to three digits (exactly three when `fixed`).
fn getnum3(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    let mut n = 0;
    let mut i = 0;
    while i < 3 && is_digit(s, i) {
        n = n * 10 + i64::from(s[i] - b'0');
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

/// Go's `match`: ASCII case-insensitive equality of equal-length strings.
fn ascii_match(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).all(|(&c1, &c2)| {
        c1 == c2 || {
            let (l1, l2) = (c1 | 0x20, c2 | 0x20);
            l1 == l2 && l1.is_ascii_lowercase()
        }
    })
}

/// Go's `lookup`: index of the first table entry that prefixes `val` (case-insensitively).
fn lookup_table<'a>(tab: &[&str], val: &'a [u8]) -> Option<(usize, &'a [u8])> {
    tab.iter().enumerate().find_map(|(i, v)| {
        let v = v.as_bytes();
        (val.len() >= v.len() && ascii_match(&val[..v.len()], v)).then(|| (i, &val[v.len()..]))
    })
}

/// Strips leading spaces (Go's `cutspace`).
fn cutspace(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    s
}

/// Go's `skip`: matches the literal `prefix`; a space matches any run of spaces.
fn skip<'a>(mut value: &'a [u8], mut prefix: &[u8]) -> Result<&'a [u8], &'a [u8]> {
    while let Some(&p) = prefix.first() {
        if p == b' ' {
            if value.first().is_some_and(|&c| c != b' ') {
                return Err(value);
            }
            prefix = cutspace(prefix);
            value = cutspace(value);
            continue;
        }
        if value.first() != Some(&p) {
            return Err(value);
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Ok(value)
}

/// Go's `parseNanoseconds`: `value[0]` a separator, then up to 9 digits (sign accepted).
///
/// Returns `Err(None)` for a syntax error, `Err(Some(range))` for a range error.
fn parse_nanoseconds(value: &[u8], nbytes: usize) -> Result<i64, Option<&'static str>> {
    if !matches!(value.first(), Some(b'.' | b',')) {
        return Err(None);
    }
    let nbytes = nbytes.min(10).min(value.len());
    let mut ns = atoi(&value[1..nbytes]).ok_or(None)?;
    if ns < 0 {
        return Err(Some("fractional second"));
    }
    for _ in 0..10 - nbytes {
        ns = ns.saturating_mul(10);
    }
    Ok(ns)
}

/// Go's `parseSignedOffset`: length of a `+h`/`-hh` prefix (0 if none or hour > 23).
fn parse_signed_offset(value: &[u8]) -> usize {
    if !matches!(value.first(), Some(b'+' | b'-')) {
        return 0;
    }
    match leading_int(&value[1..]) {
        Some((x, rem)) if rem.len() != value.len() - 1 && x <= 23 => value.len() - rem.len(),
        _ => 0,
    }
}

/// Go's `parseTimeZone`: length of a zone abbreviation at the start of `value`.
fn parse_time_zone(value: &[u8]) -> Option<usize> {
    if value.len() < 3 {
        return None;
    }
    if value.starts_with(b"ChST") || value.starts_with(b"MeST") {
        return Some(4);
    }
    if value.starts_with(b"GMT") {
        return Some(
            3 + if value.len() == 3 {
                0
            } else {
                parse_signed_offset(&value[3..])
            },
        );
    }
    if value[0] == b'+' || value[0] == b'-' {
        let n = parse_signed_offset(value);
        return (n > 0).then_some(n);
    }
    let upper = value
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        5 if value[4] == b'T' => Some(5),
        4 if value[3] == b'T' || value.starts_with(b"WITA") => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// A numeric zone offset split as Go does: sign byte, hours, minutes, seconds, rest.
type OffsetParts<'a> = (u8, &'a [u8], &'a [u8], &'a [u8], &'a [u8]);

/// Go's `Date(...)` in `tz`: local wall time (seconds since the epoch as if UTC) to Unix.
fn local_to_unix(tz: Tz, local: i64) -> i64 {
    let (_, mut offset) = lookup(tz, local);
    if offset != 0 {
        let utc = local - offset;
        let (_, off2) = lookup(tz, utc);
        if off2 != offset {
            offset = off2;
        }
        return local - offset;
    }
    local
}

/// Why one layout element did not match (Go's `errBad`, or a value out of its range; a
/// range error is reported in preference to a syntax error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    /// The value does not have the element's form.
    Syntax,
    /// The element's value is out of range (`month`, `hour`, ...).
    Range(&'static str),
}

/// What the elements of a value said, as Go's `parse` collects it.
#[derive(Debug, Clone, Copy)]
struct Fields<'a> {
    year: i64,
    /// 1..=12, or -1 when absent.
    month: i64,
    /// -1 when absent.
    day: i64,
    /// Day of the year, -1 when absent.
    yday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    am: bool,
    pm: bool,
    /// `Z` or `UTC` was given.
    utc: bool,
    /// A numeric offset in seconds, -1 when absent.
    zone_offset: i64,
    /// A zone abbreviation.
    zone_name: Option<&'a [u8]>,
}

impl Default for Fields<'_> {
    fn default() -> Self {
        Self {
            year: 0,
            month: -1,
            day: -1,
            yday: -1,
            hour: 0,
            min: 0,
            sec: 0,
            am: false,
            pm: false,
            utc: false,
            zone_offset: -1,
            zone_name: None,
        }
    }
}

/// Parses `value` with a Go reference layout (Go's `time.ParseInLocation(layout, value, tz)`),
/// returning Unix seconds (any fraction is dropped). A value without zone information is
/// interpreted in `tz`. Errors carry Go's exact `*time.ParseError` text.
pub fn parse(value: &str, layout: &str, tz: Tz) -> Result<i64, String> {
    let (avalue, alayout) = (value.as_bytes(), layout.as_bytes());
    let cannot = |value_elem: &[u8], layout_elem: &[u8]| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            quote(avalue),
            quote(alayout),
            quote(value_elem),
            quote(layout_elem)
        )
    };
    let message = |msg: &str| format!("parsing time {}{msg}", quote(avalue));

    let mut f = Fields::default();
    let (mut value, mut layout) = (avalue, alayout);
    loop {
        let chunk = next_std_chunk(layout);
        let prefix = chunk.map_or(layout, |(pre, _, _)| &layout[..pre]);
        value = skip(value, prefix).map_err(|v| cannot(v, prefix))?;
        let Some((pre, std, suf)) = chunk else {
            if !value.is_empty() {
                return Err(message(&format!(": extra text: {}", quote(value))));
            }
            break;
        };
        let element = &layout[pre..suf];
        layout = &layout[suf..];
        value = match parse_element(std, value, layout, &mut f) {
            Ok(rest) => rest,
            Err(Bad::Range(what)) => return Err(message(&format!(": {what} out of range"))),
            Err(Bad::Syntax) => return Err(cannot(value, element)),
        };
    }
    if f.pm && f.hour < 12 {
        f.hour += 12;
    } else if f.am && f.hour == 12 {
        f.hour = 0;
    }
    resolve_date(&mut f).map_err(|m| message(&format!(": {m}")))?;
    let local =
        days_from_civil(f.year, f.month, f.day) * 86_400 + f.hour * 3600 + f.min * 60 + f.sec;
    Ok(to_unix(&f, local, tz))
}

/// Parses one layout element at the start of `value` into `f`; returns the rest of the
/// value. `layout` is what follows the element (a fractional second after the seconds).
fn parse_element<'v>(
    std: Std,
    value: &'v [u8],
    layout: &[u8],
    f: &mut Fields<'v>,
) -> Result<&'v [u8], Bad> {
    match std {
        Std::Year => {
            let (p, rest) = split(value, 2)?;
            let y = atoi(p).ok_or(Bad::Syntax)?;
            f.year = if y >= 69 { y + 1900 } else { y + 2000 };
            Ok(rest)
        }
        Std::LongYear => {
            if !is_digit(value, 0) {
                return Err(Bad::Syntax);
            }
            let (p, rest) = split(value, 4)?;
            f.year = atoi(p).ok_or(Bad::Syntax)?;
            Ok(rest)
        }
        Std::Month | Std::LongMonth => {
            let tab: &[&str] = if std == Std::Month {
                &SHORT_MONTHS
            } else {
                &LONG_MONTHS
            };
            let (i, rest) = lookup_table(tab, value).ok_or(Bad::Syntax)?;
            f.month = i64::try_from(i).unwrap_or(0) + 1;
            Ok(rest)
        }
        Std::NumMonth | Std::ZeroMonth => {
            let (m, rest) = getnum(value, std == Std::ZeroMonth).ok_or(Bad::Syntax)?;
            f.month = m;
            in_range(m, 1, 12, "month")?;
            Ok(rest)
        }
        Std::WeekDay | Std::LongWeekDay => {
            let tab: &[&str] = if std == Std::WeekDay {
                &SHORT_DAYS
            } else {
                &LONG_DAYS
            };
            lookup_table(tab, value)
                .map(|(_, rest)| rest)
                .ok_or(Bad::Syntax)
        }
        Std::Day | Std::UnderDay | Std::ZeroDay => {
            let value = if std == Std::UnderDay {
                value.strip_prefix(b" ").unwrap_or(value)
            } else {
                value
            };
            let (d, rest) = getnum(value, std == Std::ZeroDay).ok_or(Bad::Syntax)?;
            f.day = d;
            Ok(rest)
        }
        Std::UnderYearDay | Std::ZeroYearDay => {
            let mut value = value;
            if std == Std::UnderYearDay {
                for _ in 0..2 {
                    value = value.strip_prefix(b" ").unwrap_or(value);
                }
            }
            let (d, rest) = getnum3(value, std == Std::ZeroYearDay).ok_or(Bad::Syntax)?;
            f.yday = d;
            Ok(rest)
        }
        Std::Hour | Std::Hour12 | Std::ZeroHour12 => {
            let (h, rest) = getnum(value, std == Std::ZeroHour12).ok_or(Bad::Syntax)?;
            f.hour = h;
            in_range(h, 0, if std == Std::Hour { 23 } else { 12 }, "hour")?;
            Ok(rest)
        }
        Std::Minute | Std::ZeroMinute => {
            let (m, rest) = getnum(value, std == Std::ZeroMinute).ok_or(Bad::Syntax)?;
            f.min = m;
            in_range(m, 0, 59, "minute")?;
            Ok(rest)
        }
        Std::Second | Std::ZeroSecond => {
            let (s, rest) = getnum(value, std == Std::ZeroSecond).ok_or(Bad::Syntax)?;
            f.sec = s;
            in_range(s, 0, 59, "second")?;
            let fraction_in_layout = matches!(
                next_std_chunk(layout),
                Some((_, Std::FracSecond0 { .. } | Std::FracSecond9 { .. }, _))
            );
            if fraction_in_layout || !starts_fraction(rest) {
                return Ok(rest);
            }
            // A fractional second in the value but not in the layout.
            let mut n = 2;
            while is_digit(rest, n) {
                n += 1;
            }
            skip_fraction(rest, n)
        }
        Std::UpperPm | Std::LowerPm => {
            let (p, rest) = split(value, 2)?;
            let (pm, am): (&[u8], &[u8]) = if std == Std::UpperPm {
                (b"PM", b"AM")
            } else {
                (b"pm", b"am")
            };
            if p == pm {
                f.pm = true;
            } else if p == am {
                f.am = true;
            } else {
                return Err(Bad::Syntax);
            }
            Ok(rest)
        }
        _ if std.is_num_tz() => {
            if std.is_iso_tz()
                && let Some(rest) = value.strip_prefix(b"Z")
            {
                f.utc = true;
                return Ok(rest);
            }
            let (offset, rest) = numeric_offset(std, value)?;
            f.zone_offset = offset;
            Ok(rest)
        }
        Std::Tz => {
            if let Some(rest) = value.strip_prefix(b"UTC") {
                f.utc = true;
                return Ok(rest);
            }
            let n = parse_time_zone(value).ok_or(Bad::Syntax)?;
            f.zone_name = Some(&value[..n]);
            Ok(&value[n..])
        }
        Std::FracSecond0 { digits, .. } => {
            let n = 1 + digits;
            if value.len() < n {
                return Err(Bad::Syntax);
            }
            skip_fraction(value, n)
        }
        // Without a separator and digit the fraction is simply omitted.
        Std::FracSecond9 { .. } if starts_fraction(value) => {
            let mut i = 0;
            while is_digit(value, i + 1) {
                i += 1;
            }
            skip_fraction(value, 1 + i)
        }
        _ => Ok(value),
    }
}

/// The first `n` bytes and the rest, or `Syntax` when the value is shorter.
fn split(value: &[u8], n: usize) -> Result<(&[u8], &[u8]), Bad> {
    if value.len() < n {
        return Err(Bad::Syntax);
    }
    Ok(value.split_at(n))
}

/// `Range(what)` unless `min <= v <= max`.
fn in_range(v: i64, min: i64, max: i64, what: &'static str) -> Result<(), Bad> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(Bad::Range(what))
    }
}

/// A `.` or `,` followed by a digit.
fn starts_fraction(value: &[u8]) -> bool {
    value.len() >= 2 && matches!(value[0], b'.' | b',') && is_digit(value, 1)
}

/// Checks the `n`-byte fraction at the start of `value` (separator included) and skips it.
fn skip_fraction(value: &[u8], n: usize) -> Result<&[u8], Bad> {
    match parse_nanoseconds(value, n) {
        Ok(_) => Ok(&value[n..]),
        Err(Some(what)) => Err(Bad::Range(what)),
        Err(None) => Err(Bad::Syntax),
    }
}

/// A numeric zone offset in the form `std` asks for: seconds east of UTC, and the rest.
fn numeric_offset(std: Std, value: &[u8]) -> Result<(i64, &[u8]), Bad> {
    let parts: Option<OffsetParts<'_>> = match std {
        Std::Iso8601ColonTz | Std::NumColonTz => {
            (value.len() >= 6 && value[3] == b':').then(|| {
                (
                    value[0],
                    &value[1..3],
                    &value[4..6],
                    &b"00"[..],
                    &value[6..],
                )
            })
        }
        Std::NumShortTz | Std::Iso8601ShortTz => (value.len() >= 3)
            .then(|| (value[0], &value[1..3], &b"00"[..], &b"00"[..], &value[3..])),
        Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz => {
            (value.len() >= 9 && value[3] == b':' && value[6] == b':').then(|| {
                (
                    value[0],
                    &value[1..3],
                    &value[4..6],
                    &value[7..9],
                    &value[9..],
                )
            })
        }
        Std::Iso8601SecondsTz | Std::NumSecondsTz => (value.len() >= 7).then(|| {
            (
                value[0],
                &value[1..3],
                &value[3..5],
                &value[5..7],
                &value[7..],
            )
        }),
        _ => (value.len() >= 5).then(|| {
            (
                value[0],
                &value[1..3],
                &value[3..5],
                &b"00"[..],
                &value[5..],
            )
        }),
    };
    let (sign, h, m, s, rest) = parts.ok_or(Bad::Syntax)?;
    // Go reads all three (stopping at the first failure) and checks the ranges of what it
    // got before the syntax: the last range error wins.
    let hr = getnum(h, true);
    let mm = hr.and_then(|_| getnum(m, true));
    let ss = mm.and_then(|_| getnum(s, true));
    let digits_ok = ss.is_some();
    let (hr, mm, ss) = (
        hr.map_or(0, |x| x.0),
        mm.map_or(0, |x| x.0),
        ss.map_or(0, |x| x.0),
    );
    let range = [
        (ss > 60, "time zone offset second"),
        (mm > 60, "time zone offset minute"),
        (hr > 24, "time zone offset hour"),
    ]
    .into_iter()
    .find_map(|(over, what)| over.then_some(what));
    if let Some(what) = range {
        return Err(Bad::Range(what));
    }
    let offset = (hr * 60 + mm) * 60 + ss;
    match (digits_ok, sign) {
        (true, b'+') => Ok((offset, rest)),
        (true, b'-') => Ok((-offset, rest)),
        _ => Err(Bad::Syntax),
    }
}

/// Go's day-of-year and default handling: month and day from the day of the year (which
/// must agree with any given), else January and the first; then the day's range.
fn resolve_date(f: &mut Fields<'_>) -> Result<(), &'static str> {
    if f.yday >= 0 {
        let mut yday = f.yday;
        let (mut m, mut d) = (0, 0);
        if is_leap(f.year) {
            if yday == 31 + 29 {
                (m, d) = (2, 29);
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err("day-of-year out of range");
        }
        if m == 0 {
            m = (yday - 1) / 31 + 1;
            if DAYS_BEFORE[usize::try_from(m).unwrap_or(0)] < yday {
                m += 1;
            }
            d = yday - DAYS_BEFORE[usize::try_from(m - 1).unwrap_or(0)];
        }
        if f.month >= 0 && f.month != m {
            return Err("day-of-year does not match month");
        }
        f.month = m;
        if f.day >= 0 && f.day != d {
            return Err("day-of-year does not match day");
        }
        f.day = d;
    } else {
        if f.month < 0 {
            f.month = 1;
        }
        if f.day < 0 {
            f.day = 1;
        }
    }
    if f.day < 1 || f.day > days_in(f.month, f.year) {
        return Err("day out of range");
    }
    Ok(())
}

/// Local wall time to Unix seconds by the zone the value gave (`Z`/`UTC`, an offset, an
/// abbreviation known in `tz` or `GMT±h`), else by `tz`.
fn to_unix(f: &Fields<'_>, local: i64, tz: Tz) -> i64 {
    if f.utc {
        return local;
    }
    if f.zone_offset != -1 {
        return local - f.zone_offset;
    }
    let Some(name) = f.zone_name else {
        return local_to_unix(tz, local);
    };
    let name = String::from_utf8_lossy(name);
    if let Some(offset) = lookup_name(tz, &name, local) {
        return local - offset;
    }
    // Unknown abbreviation: a fake zone with offset 0, except `GMT±h`.
    let offset = name
        .strip_prefix("GMT")
        .filter(|h| !h.is_empty())
        .and_then(|h| atoi(h.as_bytes()))
        .map_or(0, |h| h * 3600);
    local - offset
}

#[cfg(test)]
mod tests {
    use super::{format, parse};
    use chrono_tz::Tz;

    const UTC: Tz = Tz::UTC;
    const NY: Tz = chrono_tz::America::New_York;
    const RFC1123: &str = "Mon, 02 Jan 2006 15:04:05 MST";
    const RFC3339: &str = "2006-01-02T15:04:05Z07:00";
    /// 2024-01-15T00:00:00Z (a Monday).
    const JAN15: i64 = 1_705_276_800;
    /// 2024-07-03T09:46:40Z (a Wednesday).
    const JUL3: i64 = 1_720_000_000;
    /// 0000-01-01T00:00:00Z.
    const YEAR0: i64 = -62_167_219_200;

    #[test]
    fn format_basic_layouts() {
        assert_eq!(format(0, RFC3339, UTC), "1970-01-01T00:00:00Z");
        assert_eq!(format(JAN15, RFC1123, UTC), "Mon, 15 Jan 2024 00:00:00 UTC");
        assert_eq!(format(JAN15, "2006-01-02", UTC), "2024-01-15");
        assert_eq!(
            format(JUL3, "Monday January 2 2006 15:04:05", UTC),
            "Wednesday July 3 2024 09:46:40"
        );
        assert_eq!(
            format(JUL3, "Mon Jan _2 15:04:05 2006", UTC),
            "Wed Jul  3 09:46:40 2024"
        );
        assert_eq!(
            format(JUL3, "1/2/06 3:4:5 PM pm", UTC),
            "7/3/24 9:46:40 AM am"
        );
        assert_eq!(format(JUL3 + 4 * 3600, "03:04PM", UTC), "01:46PM");
        assert_eq!(
            format(JUL3 - 9 * 3600 - 46 * 60, "3 03 15 PM", UTC),
            "12 12 00 AM"
        );
        assert_eq!(format(JUL3 + 3 * 3600, "3 03 15 PM", UTC), "12 12 12 PM");
    }

    #[test]
    fn format_day_of_year() {
        assert_eq!(format(0, "002|__2|_2|2", UTC), "001|  1| 1|1");
        assert_eq!(format(JUL3, "002|__2", UTC), "185|185");
        assert_eq!(format(86_400 * 40, "002|__2", UTC), "041| 41");
    }

    #[test]
    fn format_fractional_seconds() {
        assert_eq!(format(0, "15:04:05.000", UTC), "00:00:00.000");
        assert_eq!(format(0, "15:04:05,000", UTC), "00:00:00,000");
        assert_eq!(format(0, "15:04:05.999", UTC), "00:00:00");
        assert_eq!(
            format(0, "15:04:05.000000000000", UTC),
            "00:00:00.000000000"
        );
        // A run of digits followed by another digit is not a fraction.
        assert_eq!(format(0, ".0001", UTC), ".0001");
    }

    #[test]
    fn format_tokenizer_edge_cases() {
        assert_eq!(format(0, "Janet Month", UTC), "Janet Month");
        assert_eq!(format(0, "_2006", UTC), "_1970");
        assert_eq!(format(0, "06", UTC), "70");
        assert_eq!(format(0, "January Jan", UTC), "January Jan");
        assert_eq!(format(0, "MST", UTC), "UTC");
        assert_eq!(format(0, "literal text: ok", UTC), "literal text: ok");
        assert_eq!(format(0, "", UTC), "");
        assert_eq!(format(0, "ü2006ü", UTC), "ü1970ü");
    }

    #[test]
    fn format_zones() {
        assert_eq!(format(JAN15, RFC1123, NY), "Sun, 14 Jan 2024 19:00:00 EST");
        assert_eq!(format(JAN15, RFC3339, NY), "2024-01-14T19:00:00-05:00");
        assert_eq!(
            format(JUL3, "15:04 MST -0700 -07:00 -07", NY),
            "05:46 EDT -0400 -04:00 -04"
        );
        assert_eq!(format(JUL3, "-070000 -07:00:00", NY), "-040000 -04:00:00");
        assert_eq!(
            format(0, "Z0700 Z07:00 Z07 Z070000 Z07:00:00", UTC),
            "Z Z Z Z Z"
        );
        assert_eq!(
            format(0, "-0700 -07:00 -07 -070000 -07:00:00", UTC),
            "+0000 +00:00 +00 +000000 +00:00:00"
        );
        let kolkata = chrono_tz::Asia::Kolkata;
        assert_eq!(
            format(0, "Z0700 Z07:00 Z07 MST", kolkata),
            "+0530 +05:30 +05 IST"
        );
        assert_eq!(format(0, "MST", chrono_tz::Asia::Dubai), "+04");
    }

    #[test]
    fn format_extreme_years() {
        assert_eq!(format(-62_135_596_800, "2006-01-02", UTC), "0001-01-01");
        assert_eq!(format(YEAR0 - 86_400, "2006 06", UTC), "-0001 01");
        assert_eq!(format(253_402_300_800, "2006-01-02", UTC), "10000-01-01");
        // Far outside chrono's range: still formats without panicking.
        assert!(!format(i64::MAX / 2, RFC3339, NY).is_empty());
        assert!(!format(i64::MIN / 2, RFC3339, UTC).is_empty());
        for ts in [i64::MIN, i64::MAX] {
            let all = "2006 06 01 1 Jan January 02 2 _2 002 __2 15 03 3 04 4 05 5 .000 .999 PM pm \
                       Mon Monday MST -0700 -07:00 -07 -070000 -07:00:00 Z0700 Z07:00";
            assert!(!format(ts, all, NY).is_empty());
            assert!(!format(ts, all, UTC).is_empty());
        }
    }

    #[test]
    fn parse_basic() {
        assert_eq!(parse("2024-01-15", "2006-01-02", UTC), Ok(JAN15));
        assert_eq!(parse("1970-01-01T00:00:00Z", RFC3339, UTC), Ok(0));
        assert_eq!(
            parse("2024-01-15T00:00:00+01:00", RFC3339, UTC),
            Ok(JAN15 - 3600)
        );
        assert_eq!(
            parse("Mon, 15 Jan 2024 00:00:00 UTC", RFC1123, NY),
            Ok(JAN15)
        );
        assert_eq!(
            parse(
                "Wednesday July 3 2024 09:46:40",
                "Monday January 2 2006 15:04:05",
                UTC
            ),
            Ok(JUL3)
        );
        assert_eq!(
            parse("wed JUL  3 09:46:40 2024", "Mon Jan _2 15:04:05 2006", UTC),
            Ok(JUL3)
        );
        assert_eq!(parse("7/3/24 9:46:40 AM", "1/2/06 3:4:5 PM", UTC), Ok(JUL3));
        assert_eq!(
            parse("7/3/24 1:46:40 pm", "1/2/06 3:4:5 pm", UTC),
            Ok(JUL3 + 4 * 3600)
        );
        // Missing date fields default to year 0, January 1 (as in Go).
        assert_eq!(parse("12:00AM", "03:04PM", UTC), Ok(YEAR0));
        assert_eq!(parse("12:00PM", "03:04PM", UTC), Ok(YEAR0 + 12 * 3600));
        assert_eq!(parse("69-01-01", "06-01-02", UTC), Ok(-31_536_000));
        assert_eq!(parse("68-01-01", "06-01-02", UTC), Ok(3_092_601_600));
        assert_eq!(parse("", "", UTC), Ok(YEAR0));
    }

    #[test]
    fn parse_round_trips() {
        for ts in [0, JAN15, JUL3, 951_782_400, -1_000_000_000] {
            for tz in [UTC, NY] {
                let s = format(ts, RFC1123, tz);
                assert_eq!(parse(&s, RFC1123, tz), Ok(ts), "{s}");
                let s = format(ts, RFC3339, tz);
                assert_eq!(parse(&s, RFC3339, UTC), Ok(ts), "{s}");
                let s = format(ts, "2006-01-02 15:04:05", tz);
                assert_eq!(parse(&s, "2006-01-02 15:04:05", tz), Ok(ts), "{s}");
            }
        }
    }

    #[test]
    fn parse_in_zone() {
        assert_eq!(
            parse("2024-01-15 00:00:00", "2006-01-02 15:04:05", NY),
            Ok(JAN15 + 5 * 3600)
        );
        assert_eq!(
            parse("Sun, 14 Jan 2024 19:00:00 EST", RFC1123, NY),
            Ok(JAN15)
        );
        // Standard-time abbreviation during summer: Go still applies its offset.
        assert_eq!(
            parse("2024-07-03 05:46:40 EST", "2006-01-02 15:04:05 MST", NY),
            Ok(JUL3 + 3600)
        );
        assert_eq!(
            parse("2024-07-03 05:46:40 EDT", "2006-01-02 15:04:05 MST", NY),
            Ok(JUL3)
        );
        // Unknown abbreviation: fake zone with offset 0.
        assert_eq!(
            parse("Mon, 15 Jan 2024 00:00:00 EST", RFC1123, UTC),
            Ok(JAN15)
        );
        assert_eq!(
            parse("2024-01-15 00:00 GMT+3", "2006-01-02 15:04 MST", UTC),
            Ok(JAN15 - 3 * 3600)
        );
        assert_eq!(
            parse("2024-01-15 00:00 GMT", "2006-01-02 15:04 MST", UTC),
            Ok(JAN15)
        );
        // Spring-forward gap (02:30 does not exist): Go's Date picks the later offset.
        assert_eq!(
            parse("2024-03-10 02:30", "2006-01-02 15:04", NY),
            Ok(1_710_052_200)
        );
        // Explicit numeric offsets ignore the location.
        assert_eq!(
            parse("2024-01-15 00:00 -0500", "2006-01-02 15:04 -0700", UTC),
            Ok(JAN15 + 5 * 3600)
        );
        assert_eq!(
            parse("2024-01-15 00:00 +00", "2006-01-02 15:04 Z07", NY),
            Ok(JAN15)
        );
        assert_eq!(
            parse("2024-01-15 00:00 +010203", "2006-01-02 15:04 -070000", UTC),
            Ok(JAN15 - 3723)
        );
        assert_eq!(
            parse(
                "2024-01-15 00:00 -01:02:03",
                "2006-01-02 15:04 Z07:00:00",
                UTC
            ),
            Ok(JAN15 + 3723)
        );
        assert_eq!(
            parse("2024-01-15 00:00 Z", "2006-01-02 15:04 Z0700", NY),
            Ok(JAN15)
        );
    }

    #[test]
    fn parse_day_of_year() {
        assert_eq!(parse("2024-060", "2006-002", UTC), Ok(1_709_164_800));
        assert_eq!(parse("2024  60", "2006 __2", UTC), Ok(1_709_164_800));
        assert_eq!(
            parse("2024-061 03-01", "2006-002 01-02", UTC),
            Ok(1_709_164_800 + 86_400)
        );
        assert_eq!(
            parse("2023-366", "2006-002", UTC),
            Err(r#"parsing time "2023-366": day-of-year out of range"#.to_owned())
        );
        assert_eq!(
            parse("2024-060 03", "2006-002 01", UTC),
            Err(r#"parsing time "2024-060 03": day-of-year does not match month"#.to_owned())
        );
        assert_eq!(
            parse("2024-060 02-28", "2006-002 01-02", UTC),
            Err(r#"parsing time "2024-060 02-28": day-of-year does not match day"#.to_owned())
        );
    }

    #[test]
    fn parse_fractions() {
        assert_eq!(
            parse("2024-01-15 00:00:00.123456", "2006-01-02 15:04:05", UTC),
            Ok(JAN15)
        );
        assert_eq!(
            parse("00:00:01,5", "15:04:05.999", UTC),
            parse("00:00:01", "15:04:05", UTC)
        );
        assert_eq!(
            parse("00:00:01", "15:04:05.999", UTC),
            parse("00:00:01", "15:04:05", UTC)
        );
        assert_eq!(
            parse("00:00:01.120", "15:04:05.000", UTC),
            parse("00:00:01", "15:04:05", UTC)
        );
        assert_eq!(
            parse("00:00:01.12", "15:04:05.000", UTC),
            Err(
                r#"parsing time "00:00:01.12" as "15:04:05.000": cannot parse ".12" as ".000""#
                    .to_owned()
            )
        );
        assert_eq!(
            parse("00:00:01x123", "15:04:05.000", UTC),
            Err(
                r#"parsing time "00:00:01x123" as "15:04:05.000": cannot parse "x123" as ".000""#
                    .to_owned()
            )
        );
    }

    #[test]
    fn parse_cannot_parse_errors() {
        assert_eq!(
            parse("2006-01-02T15:04:05", RFC3339, UTC),
            Err(r#"parsing time "2006-01-02T15:04:05" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00""#.to_owned())
        );
        assert_eq!(
            parse("24-01-15", "2006-01-02", UTC),
            Err(
                r#"parsing time "24-01-15" as "2006-01-02": cannot parse "24-01-15" as "2006""#
                    .to_owned()
            )
        );
        assert_eq!(
            parse("2024/01/15", "2006-01-02", UTC),
            Err(
                r#"parsing time "2024/01/15" as "2006-01-02": cannot parse "/01/15" as "-""#
                    .to_owned()
            )
        );
        assert_eq!(
            parse("2024-1-15", "2006-01-02", UTC),
            Err(
                r#"parsing time "2024-1-15" as "2006-01-02": cannot parse "1-15" as "01""#
                    .to_owned()
            )
        );
        assert_eq!(
            parse("Foo 2", "Jan 2", UTC),
            Err(r#"parsing time "Foo 2" as "Jan 2": cannot parse "Foo 2" as "Jan""#.to_owned())
        );
        assert_eq!(
            parse("10:00 XM", "15:04 PM", UTC),
            Err(r#"parsing time "10:00 XM" as "15:04 PM": cannot parse "XM" as "PM""#.to_owned())
        );
        assert_eq!(
            parse("10:00 +05", "15:04 -0700", UTC),
            Err(
                r#"parsing time "10:00 +05" as "15:04 -0700": cannot parse "+05" as "-0700""#
                    .to_owned()
            )
        );
        assert_eq!(
            parse("10:00 *0500", "15:04 -0700", UTC),
            Err(
                r#"parsing time "10:00 *0500" as "15:04 -0700": cannot parse "*0500" as "-0700""#
                    .to_owned()
            )
        );
        assert_eq!(
            parse("10:00 ab", "15:04 MST", UTC),
            Err(r#"parsing time "10:00 ab" as "15:04 MST": cannot parse "ab" as "MST""#.to_owned())
        );
    }

    #[test]
    fn parse_quotes_like_go() {
        assert_eq!(
            parse("\"é\n", "2006", UTC),
            Err(r#"parsing time "\"\xc3\xa9\x0a" as "2006": cannot parse "\"\xc3\xa9\x0a" as "2006""#.to_owned())
        );
        assert_eq!(
            parse("2024\\", "2006", UTC),
            Err(r#"parsing time "2024\\": extra text: "\\""#.to_owned())
        );
    }

    #[test]
    fn parse_extra_text() {
        assert_eq!(
            parse("2024-01-15x", "2006-01-02", UTC),
            Err(r#"parsing time "2024-01-15x": extra text: "x""#.to_owned())
        );
        assert_eq!(
            parse("2024-01-15 10:00", "2006-01-02", UTC),
            Err(r#"parsing time "2024-01-15 10:00": extra text: " 10:00""#.to_owned())
        );
    }

    #[test]
    fn parse_range_errors() {
        let err = |v: &str, what: &str| Err(format!("parsing time \"{v}\": {what} out of range"));
        assert_eq!(
            parse("2024-13-01", "2006-01-02", UTC),
            err("2024-13-01", "month")
        );
        assert_eq!(
            parse("2024-00-01", "2006-01-02", UTC),
            err("2024-00-01", "month")
        );
        assert_eq!(
            parse("2024-02-30", "2006-01-02", UTC),
            err("2024-02-30", "day")
        );
        assert_eq!(
            parse("2023-02-29", "2006-01-02", UTC),
            err("2023-02-29", "day")
        );
        assert_eq!(
            parse("2024-01-00", "2006-01-02", UTC),
            err("2024-01-00", "day")
        );
        assert_eq!(parse("2024-02-29", "2006-01-02", UTC), Ok(1_709_164_800));
        assert_eq!(parse("24:00", "15:04", UTC), err("24:00", "hour"));
        assert_eq!(parse("13PM", "3PM", UTC), err("13PM", "hour"));
        assert_eq!(parse("10:60", "15:04", UTC), err("10:60", "minute"));
        assert_eq!(
            parse("10:00:60", "15:04:05", UTC),
            err("10:00:60", "second")
        );
        assert_eq!(
            parse("10:00 +2500", "15:04 -0700", UTC),
            err("10:00 +2500", "time zone offset hour")
        );
        assert_eq!(
            parse("10:00 +0061", "15:04 -0700", UTC),
            err("10:00 +0061", "time zone offset minute")
        );
    }
}
