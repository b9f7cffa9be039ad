//! The QR string a companion shows and a phone scans (docs/PROTOCOL.md, Pairing):
//! `https://wa.me/settings/linked_devices#ref,noise,identity,adv,platform`.

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use thiserror::Error;

/// The URL prefix of current QR strings.
pub const QR_URL_PREFIX: &str = "https://wa.me/settings/linked_devices#";

/// Standard alphabet, padding optional on decode.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a QR string could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QrError {
    /// Not 4 (legacy) or 5 comma-separated fields.
    #[error("QR string has {0} fields, expected 4 or 5")]
    FieldCount(usize),
    /// The ref is empty or contains a comma.
    #[error("QR ref is empty or contains a comma")]
    InvalidRef,
    /// The platform id is empty or contains a comma.
    #[error("QR platform id is empty or contains a comma")]
    InvalidPlatform,
    /// A key field is not base64.
    #[error("QR field {field} is not base64")]
    Base64 {
        /// The field name.
        field: &'static str,
    },
    /// A key field does not decode to 32 bytes.
    #[error("QR field {field} is {actual} bytes, expected 32")]
    KeyLength {
        /// The field name.
        field: &'static str,
        /// The decoded length.
        actual: usize,
    },
}

/// The content of a pairing QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    reference: String,
    noise_public: [u8; 32],
    identity_public: [u8; 32],
    adv_secret: [u8; 32],
    platform: Option<String>,
}

fn check_field(value: &str) -> bool {
    !value.is_empty() && !value.contains(',')
}

impl QrCode {
    /// A QR code for `reference` (one of the `<ref>`s of `<pair-device>`). `platform` is the
    /// platform id ("1" Chrome, …, "c" macOS); `None` produces the legacy 4-field form.
    pub fn new(
        reference: impl Into<String>,
        noise_public: [u8; 32],
        identity_public: [u8; 32],
        adv_secret: [u8; 32],
        platform: Option<String>,
    ) -> Result<Self, QrError> {
        let reference = reference.into();
        if !check_field(&reference) {
            return Err(QrError::InvalidRef);
        }
        if platform.as_deref().is_some_and(|p| !check_field(p)) {
            return Err(QrError::InvalidPlatform);
        }
        Ok(QrCode {
            reference,
            noise_public,
            identity_public,
            adv_secret,
            platform,
        })
    }

    /// Parses a QR string: the URL form with 5 fields, or the legacy form of 4 fields without
    /// the URL prefix. Keys are standard base64, padding optional.
    pub fn parse(input: &str) -> Result<Self, QrError> {
        let body = input.trim();
        let body = body.strip_prefix(QR_URL_PREFIX).unwrap_or(body);
        let fields: Vec<&str> = body.split(',').collect();
        let (reference, noise, identity, adv, platform) = match fields.as_slice() {
            [r, n, i, a] => (*r, *n, *i, *a, None),
            [r, n, i, a, p] => (*r, *n, *i, *a, Some((*p).to_owned())),
            other => return Err(QrError::FieldCount(other.len())),
        };
        QrCode::new(
            reference,
            decode_key(noise, "noise")?,
            decode_key(identity, "identity")?,
            decode_key(adv, "adv")?,
            platform,
        )
    }

    /// The QR string: URL form when a platform is set, else the legacy 4-field form.
    pub fn encode(&self) -> String {
        let fields = [
            self.reference.clone(),
            STANDARD.encode(self.noise_public),
            STANDARD.encode(self.identity_public),
            STANDARD.encode(self.adv_secret),
        ]
        .join(",");
        match &self.platform {
            Some(platform) => format!("{QR_URL_PREFIX}{fields},{platform}"),
            None => fields,
        }
    }

    /// The server's pairing ref.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The companion's Noise static public key.
    pub fn noise_public(&self) -> &[u8; 32] {
        &self.noise_public
    }

    /// The companion's Signal identity public key.
    pub fn identity_public(&self) -> &[u8; 32] {
        &self.identity_public
    }

    /// The adv secret the phone HMACs the device identity with.
    pub fn adv_secret(&self) -> &[u8; 32] {
        &self.adv_secret
    }

    /// The platform id, absent in the legacy form.
    pub fn platform(&self) -> Option<&str> {
        self.platform.as_deref()
    }
}

impl std::fmt::Display for QrCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode())
    }
}

impl std::str::FromStr for QrCode {
    type Err = QrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        QrCode::parse(s)
    }
}

fn decode_key(field: &str, name: &'static str) -> Result<[u8; 32], QrError> {
    // 32 bytes are 44 base64 characters; refuse anything far longer before decoding.
    if field.len() > 64 {
        return Err(QrError::KeyLength {
            field: name,
            actual: field.len() / 4 * 3,
        });
    }
    let bytes = LENIENT
        .decode(field)
        .map_err(|_| QrError::Base64 { field: name })?;
    let actual = bytes.len();
    bytes.try_into().map_err(|_| QrError::KeyLength {
        field: name,
        actual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(platform: Option<&str>) -> QrCode {
        QrCode::new(
            "2@abc/def+==",
            [1; 32],
            [2; 32],
            [3; 32],
            platform.map(str::to_owned),
        )
        .unwrap()
    }

    #[test]
    fn url_form() {
        let qr = sample(Some("1"));
        let text = qr.encode();
        assert_eq!(
            text,
            "https://wa.me/settings/linked_devices#2@abc/def+==,\
             AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,\
             AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=,\
             AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=,1"
        );
        assert_eq!(QrCode::parse(&text), Ok(qr.clone()));
        assert_eq!(text.parse::<QrCode>(), Ok(qr.clone()));
        assert_eq!(qr.to_string(), text);
        assert_eq!(qr.platform(), Some("1"));
        assert_eq!(qr.reference(), "2@abc/def+==");
        assert_eq!(qr.noise_public(), &[1; 32]);
        assert_eq!(qr.identity_public(), &[2; 32]);
        assert_eq!(qr.adv_secret(), &[3; 32]);
    }

    #[test]
    fn legacy_form() {
        let text = "ref,AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,\
                    AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=,\
                    AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=";
        let qr = QrCode::parse(text).unwrap();
        assert_eq!(qr.platform(), None);
        assert_eq!(qr.reference(), "ref");
        assert_eq!(qr.encode(), text);
        // Unpadded base64 and the URL prefix with four fields are accepted too.
        let unpadded = format!("{QR_URL_PREFIX}{}", text.replace('=', ""));
        assert_eq!(QrCode::parse(&unpadded), Ok(qr));
    }

    #[test]
    fn bad_strings() {
        let k = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
        assert_eq!(QrCode::parse(""), Err(QrError::FieldCount(1)));
        assert_eq!(
            QrCode::parse(&format!("r,{k},{k}")),
            Err(QrError::FieldCount(3))
        );
        assert_eq!(
            QrCode::parse(&format!("r,{k},{k},{k},1,x")),
            Err(QrError::FieldCount(6))
        );
        assert_eq!(
            QrCode::parse(&format!(",{k},{k},{k}")),
            Err(QrError::InvalidRef)
        );
        assert_eq!(
            QrCode::parse(&format!("r,{k},{k},{k},")),
            Err(QrError::InvalidPlatform)
        );
        assert_eq!(
            QrCode::parse(&format!("r,{k},*bad*,{k}")),
            Err(QrError::Base64 { field: "identity" })
        );
        assert_eq!(
            QrCode::parse(&format!("r,AQID,{k},{k}")),
            Err(QrError::KeyLength {
                field: "noise",
                actual: 3
            })
        );
        assert!(matches!(
            QrCode::parse(&format!("r,{k},{k},{}", "A".repeat(1000))),
            Err(QrError::KeyLength { field: "adv", .. })
        ));
        assert_eq!(
            QrCode::new("a,b", [0; 32], [0; 32], [0; 32], None),
            Err(QrError::InvalidRef)
        );
        assert_eq!(
            QrCode::new("a", [0; 32], [0; 32], [0; 32], Some("1,2".into())),
            Err(QrError::InvalidPlatform)
        );
    }

    proptest! {
        #[test]
        fn round_trip(
            reference in "[A-Za-z0-9@/+=._-]{1,40}",
            noise in any::<[u8; 32]>(),
            identity in any::<[u8; 32]>(),
            adv in any::<[u8; 32]>(),
            platform in proptest::option::of("[0-9a-f]"),
        ) {
            let qr = QrCode::new(reference, noise, identity, adv, platform).unwrap();
            prop_assert_eq!(QrCode::parse(&qr.encode()), Ok(qr));
        }

        #[test]
        fn parse_never_panics(input in ".{0,200}") {
            let _ = QrCode::parse(&input);
        }
    }
}
