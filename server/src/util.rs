//! Small helpers: wall-clock time, ISO-8601 formatting, random ids, OpenWA's id spellings.

use rand::RngCore;

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso(ms: i64) -> String {
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Optional milliseconds as an ISO string or JSON null.
pub fn iso_opt(ms: Option<i64>) -> serde_json::Value {
    ms.map_or(serde_json::Value::Null, |ms| iso(ms).into())
}

/// `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` as Unix milliseconds; `None` if it is not one.
pub fn parse_iso(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once('T')?;
    let mut ymd = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    if ymd.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let (clock, offset_secs) = if let Some(clock) = rest.strip_suffix('Z') {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (clock, zone) = rest.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (hh, mm) = zone[1..].split_once(':')?;
        let (hh, mm) = (hh.parse::<i64>().ok()?, mm.parse::<i64>().ok()?);
        if hh > 23 || mm > 59 {
            return None;
        }
        (clock, sign * (hh * 3600 + mm * 60))
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, min, s) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || h > 23 || min > 59 || s > 60 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis = format!("{fraction:0<3}")[..3].parse::<i64>().ok()?;
    let days = days_from_civil(y, m, d);
    Some(((days * 86_400 + h * 3600 + min * 60 + s - offset_secs) * 1000) + millis)
}

/// (year, month, day) as days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 as (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A random UUID (version 4), the form OpenWA gives its ids.
pub fn new_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `n` random bytes as hex.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// An engine JID in OpenWA's spelling: users as `…@c.us`, everything else unchanged.
pub fn openwa_id(jid: &str) -> String {
    match jid.strip_suffix("@s.whatsapp.net") {
        Some(user) => format!("{user}@c.us"),
        None => jid.to_owned(),
    }
}

/// A device JID's account (`user:device@server` → `user@server`), in OpenWA's spelling.
pub fn account_id(jid: &str) -> String {
    let Some((user, server)) = jid.split_once('@') else {
        return jid.to_owned();
    };
    let user = user.split([':', '.']).next().unwrap_or(user);
    openwa_id(&format!("{user}@{server}"))
}

/// The phone number of a `…@s.whatsapp.net` / `…@c.us` JID.
pub fn phone_of(jid: &str) -> Option<String> {
    let user = jid
        .strip_suffix("@s.whatsapp.net")
        .or_else(|| jid.strip_suffix("@c.us"))?;
    Some(user.split([':', '.']).next().unwrap_or(user).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_parses_what_it_formats_and_offsets() {
        for ms in [0, 1_700_000_000_123, 951_782_400_000, -86_400_000] {
            assert_eq!(parse_iso(&iso(ms)), Some(ms), "{}", iso(ms));
        }
        assert_eq!(
            parse_iso("2026-12-07T23:00:00+02:00"),
            parse_iso("2026-12-07T21:00:00Z")
        );
        assert_eq!(
            parse_iso("2026-12-07T21:00:00.5Z").map(|t| t % 1000),
            Some(500)
        );
        for bad in [
            "",
            "2026-12-07",
            "2026-13-01T00:00:00Z",
            "2026-12-07T25:00:00Z",
            "2026-12-07T21:00:00",
            "2026-12-07T21:00:00.x1Z",
            "yesterday",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_formats_utc() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn ids_in_openwa_spelling() {
        assert_eq!(openwa_id("1555@s.whatsapp.net"), "1555@c.us");
        assert_eq!(openwa_id("12@g.us"), "12@g.us");
        assert_eq!(phone_of("1555:3@s.whatsapp.net").as_deref(), Some("1555"));
        assert_eq!(new_id().len(), 36);
        assert_eq!(account_id("1555:3@s.whatsapp.net"), "1555@c.us");
        assert_eq!(account_id("1000:3@lid"), "1000@lid");
    }
}
