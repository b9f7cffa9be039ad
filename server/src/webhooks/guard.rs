//! The SSRF guard of webhook URLs: http(s) only, and no loopback, private, link-local or
//! unspecified address literal (nor `localhost`) unless the configuration allows them.
//! Host names are not resolved here.

use std::net::IpAddr;

/// Why a URL is refused, or `Ok`.
pub fn check(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("url {url:?}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("url must be http or https".into());
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| "url has no host".to_owned())?;
    if allow_private {
        return Ok(());
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let private = match host.parse::<IpAddr>() {
        Ok(ip) => is_private(ip),
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    };
    if private {
        return Err(format!(
            "url {url:?} points at a private or loopback address (set WEBHOOK_ALLOW_PRIVATE=true to allow it)"
        ));
    }
    Ok(())
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn refuses_private_targets() {
        assert!(check("https://example.com/hook", false).is_ok());
        assert!(check("http://127.0.0.1:9/x", false).is_err());
        assert!(check("http://10.1.2.3/x", false).is_err());
        assert!(check("http://[::1]/x", false).is_err());
        assert!(check("http://localhost/x", false).is_err());
        assert!(check("http://127.0.0.1:9/x", true).is_ok());
        assert!(check("ftp://example.com/x", true).is_err());
        assert!(check("not a url", true).is_err());
    }
}
