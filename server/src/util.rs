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
