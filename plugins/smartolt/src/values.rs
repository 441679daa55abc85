//! Reading SmartOLT's loosely typed values: numbers that are sometimes strings, powers written
//! `"-21.19 dBm"`, local times `YYYY-MM-DD HH:MM:SS`, and the GPON hex form of a serial.

use serde_json::Value;

/// A string field (numbers are taken as their text); empty or `-` is absent.
pub(crate) fn text(row: &Value, key: &str) -> Option<String> {
    let text = match row.get(key)? {
        Value::String(text) => text.trim().to_owned(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    (!text.is_empty() && text != "-").then_some(text)
}

/// A whole number field, written as a number or as decimal text.
pub(crate) fn number(row: &Value, key: &str) -> Option<u32> {
    match row.get(key)? {
        Value::Number(number) => number.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A power in dBm: `"-21.19 dBm"`, `"-21.19"` or a number; anything else (`"-"`) is absent.
pub(crate) fn dbm(value: &Value) -> Option<f64> {
    let parsed = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => {
            let text = text.trim();
            let text = text
                .strip_suffix("dBm")
                .or_else(|| text.strip_suffix("dbm"))
                .unwrap_or(text);
            text.trim().parse::<f64>().ok()
        }
        _ => None,
    };
    parsed.filter(|v| v.is_finite() && (-60.0..=20.0).contains(v))
}

pub(crate) fn dbm_field(row: &Value, key: &str) -> Option<f64> {
    row.get(key).and_then(dbm)
}

/// `YYYY-MM-DD HH:MM:SS` in a clock `offset_minutes` ahead of UTC, as Unix milliseconds.
pub(crate) fn local_time_ms(text: &str, offset_minutes: i32) -> Option<u64> {
    let text = text.trim();
    let (date, clock) = text.split_once([' ', 'T'])?;
    let mut date = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let mut clock = clock.split(':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + hour * 3600 + minute * 60 + second;
    let utc = local - i64::from(offset_minutes) * 60;
    u64::try_from(utc).ok().map(|secs| secs * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The GPON hex form of a serial: the four vendor characters hex-encoded (`HWTC` → `48575443`),
/// the rest as is, upper case. `None` when the serial is not 4 ASCII letters or digits and 8 hex digits
/// (it is then already in hex form, or not a GPON serial).
pub(crate) fn hex_serial(serial: &str) -> Option<String> {
    let serial = serial.trim();
    if serial.len() != 12 || !serial.is_ascii() {
        return None;
    }
    let (vendor, rest) = serial.split_at(4);
    if !vendor.bytes().all(|b| b.is_ascii_alphanumeric())
        || !rest.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    let mut out: String = vendor.bytes().map(|b| format!("{b:02X}")).collect();
    out.push_str(&rest.to_ascii_uppercase());
    Some(out)
}
