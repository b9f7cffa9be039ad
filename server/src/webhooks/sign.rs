//! `X-OpenWA-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature header value of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this never fails.
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).map(|mut mac| {
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    });
    format!("sha256={}", mac.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc4231_case_2() {
        let sig = super::signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
