//! The server's Noise certificate chain (docs/PROTOCOL.md, Certificate chain): building one (simulator) and checking
//! one against a configurable trust root (engine), with every check whatsmeow makes.

use prost::Message;
use rand_core::CryptoRngCore;

use crate::crypto::{KeyPair, xeddsa};
use crate::proto::cert::{CertChain, NoiseCertificate, noise_certificate::Details};

/// WhatsApp's root ("WhatsAppLongTerm1") public key.
pub const WA_ROOT_PUBLIC_KEY: [u8; 32] = [
    0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71, 0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37,
    0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c, 0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8, 0xee, 0x6b,
];

/// Serial of the root certificate; the intermediate's `issuerSerial` must equal it.
pub const ROOT_SERIAL: u32 = 0;

/// Serial our chains give the intermediate certificate (the leaf's `issuerSerial`).
pub const INTERMEDIATE_SERIAL: u32 = 1;

/// Serial our chains give the leaf certificate.
pub const LEAF_SERIAL: u32 = 2;

/// The key that must have signed the intermediate certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustRoot {
    /// Montgomery-form public key of the root.
    pub public_key: [u8; 32],
}

impl TrustRoot {
    /// A trust root for any key (e.g. the simulator's).
    pub const fn new(public_key: [u8; 32]) -> Self {
        TrustRoot { public_key }
    }

    /// WhatsApp's production root.
    pub const fn whatsapp() -> Self {
        TrustRoot::new(WA_ROOT_PUBLIC_KEY)
    }
}

impl Default for TrustRoot {
    fn default() -> Self {
        TrustRoot::whatsapp()
    }
}

/// Which certificate of the chain an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// The leaf (signed by the intermediate, carries the server static key).
    Leaf,
    /// The intermediate (signed by the root).
    Intermediate,
}

impl std::fmt::Display for CertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CertKind::Leaf => "leaf",
            CertKind::Intermediate => "intermediate",
        })
    }
}

/// Why a certificate chain was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// The chain or a details blob is not a valid protobuf.
    #[error("{what} is not a valid protobuf: {reason}")]
    Protobuf {
        /// Which structure failed to decode.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// A certificate is absent from the chain.
    #[error("{0} certificate missing")]
    MissingCertificate(CertKind),
    /// A certificate has no `details`.
    #[error("{0} certificate has no details")]
    MissingDetails(CertKind),
    /// A certificate has no `signature`.
    #[error("{0} certificate has no signature")]
    MissingSignature(CertKind),
    /// A signature is not 64 bytes long.
    #[error("{kind} signature is {len} bytes, expected 64")]
    SignatureLength {
        /// Which certificate.
        kind: CertKind,
        /// Actual length.
        len: usize,
    },
    /// A signature does not verify against its issuer's key.
    #[error("{0} certificate signature is invalid")]
    BadSignature(CertKind),
    /// The intermediate's `issuerSerial` is absent or not the root's serial.
    #[error("intermediate issuer serial is {found:?}, expected {ROOT_SERIAL}")]
    IntermediateIssuer {
        /// The value found (`None` when the field is absent).
        found: Option<u32>,
    },
    /// A certificate's key is not 32 bytes.
    #[error("{kind} key is {len} bytes, expected 32")]
    KeyLength {
        /// Which certificate.
        kind: CertKind,
        /// Actual length.
        len: usize,
    },
    /// The leaf's `issuerSerial` differs from the intermediate's `serial`.
    #[error("leaf issuer serial {found:?} does not match intermediate serial {expected:?}")]
    LeafIssuer {
        /// The intermediate's serial.
        expected: Option<u32>,
        /// The leaf's issuer serial.
        found: Option<u32>,
    },
    /// The leaf key is not the server static key from the handshake.
    #[error("leaf key does not match the server static key")]
    LeafKeyMismatch,
    /// `now` is outside `[notBefore, notAfter]`.
    #[error("{kind} certificate not valid at {now} (valid {not_before}..={not_after})")]
    OutsideValidity {
        /// Which certificate.
        kind: CertKind,
        /// The time checked (Unix seconds).
        now: u64,
        /// Start of validity (0 when absent).
        not_before: u64,
        /// End of validity (0 when absent).
        not_after: u64,
    },
}

/// Validity window of the certificates we build, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertValidity {
    /// First valid second.
    pub not_before: u64,
    /// Last valid second.
    pub not_after: u64,
}

impl CertValidity {
    /// A window of `margin` seconds either side of `now`.
    pub fn around(now: u64, margin: u64) -> Self {
        CertValidity {
            not_before: now.saturating_sub(margin),
            not_after: now.saturating_add(margin),
        }
    }
}

/// Builds a serialized `CertChain`: intermediate (serial 1, `issuerSerial` 0 written explicitly,
/// key = `intermediate.public`) signed by `root`, and leaf (serial 2, `issuerSerial` 1, key =
/// `server_static`) signed by `intermediate`.
pub fn build_cert_chain(
    root: &KeyPair,
    intermediate: &KeyPair,
    server_static: &[u8; 32],
    validity: CertValidity,
    rng: &mut impl CryptoRngCore,
) -> Vec<u8> {
    let intermediate_cert = certificate(
        root,
        INTERMEDIATE_SERIAL,
        ROOT_SERIAL,
        &intermediate.public,
        validity,
        rng,
    );
    let leaf_cert = certificate(
        intermediate,
        LEAF_SERIAL,
        INTERMEDIATE_SERIAL,
        server_static,
        validity,
        rng,
    );
    CertChain {
        leaf: Some(leaf_cert),
        intermediate: Some(intermediate_cert),
    }
    .encode_to_vec()
}

fn certificate(
    signer: &KeyPair,
    serial: u32,
    issuer_serial: u32,
    key: &[u8; 32],
    validity: CertValidity,
    rng: &mut impl CryptoRngCore,
) -> NoiseCertificate {
    let details = Details {
        serial: Some(serial),
        issuer_serial: Some(issuer_serial),
        key: Some(key.to_vec()),
        not_before: Some(validity.not_before),
        not_after: Some(validity.not_after),
    }
    .encode_to_vec();
    let signature = signer.sign(&details, rng);
    NoiseCertificate {
        details: Some(details),
        signature: Some(signature.to_vec()),
    }
}

/// Verifies a serialized `CertChain` received in the ServerHello against `root`, the decrypted
/// server static key and the current time (Unix seconds).
pub fn verify_cert_chain(
    chain: &[u8],
    server_static: &[u8; 32],
    root: &TrustRoot,
    now: u64,
) -> Result<(), CertError> {
    let chain = CertChain::decode(chain).map_err(|e| CertError::Protobuf {
        what: "CertChain",
        reason: e.to_string(),
    })?;
    let (inter_details_raw, inter_sig) =
        parts(chain.intermediate.as_ref(), CertKind::Intermediate)?;
    let (leaf_details_raw, leaf_sig) = parts(chain.leaf.as_ref(), CertKind::Leaf)?;

    if !xeddsa::verify(&root.public_key, inter_details_raw, inter_sig) {
        return Err(CertError::BadSignature(CertKind::Intermediate));
    }
    let inter = decode_details(inter_details_raw, CertKind::Intermediate)?;
    if inter.issuer_serial != Some(ROOT_SERIAL) {
        return Err(CertError::IntermediateIssuer {
            found: inter.issuer_serial,
        });
    }
    let inter_key = key32(&inter, CertKind::Intermediate)?;
    check_validity(&inter, CertKind::Intermediate, now)?;

    if !xeddsa::verify(&inter_key, leaf_details_raw, leaf_sig) {
        return Err(CertError::BadSignature(CertKind::Leaf));
    }
    let leaf = decode_details(leaf_details_raw, CertKind::Leaf)?;
    if leaf.issuer_serial != inter.serial {
        return Err(CertError::LeafIssuer {
            expected: inter.serial,
            found: leaf.issuer_serial,
        });
    }
    let leaf_key = key32(&leaf, CertKind::Leaf)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        &leaf_key[..],
        &server_static[..],
    )) {
        return Err(CertError::LeafKeyMismatch);
    }
    check_validity(&leaf, CertKind::Leaf, now)?;
    Ok(())
}

fn parts(cert: Option<&NoiseCertificate>, kind: CertKind) -> Result<(&[u8], &[u8; 64]), CertError> {
    let cert = cert.ok_or(CertError::MissingCertificate(kind))?;
    let details = cert
        .details
        .as_deref()
        .ok_or(CertError::MissingDetails(kind))?;
    let signature = cert
        .signature
        .as_deref()
        .ok_or(CertError::MissingSignature(kind))?;
    let signature = <&[u8; 64]>::try_from(signature).map_err(|_| CertError::SignatureLength {
        kind,
        len: signature.len(),
    })?;
    Ok((details, signature))
}

fn decode_details(raw: &[u8], kind: CertKind) -> Result<Details, CertError> {
    Details::decode(raw).map_err(|e| CertError::Protobuf {
        what: match kind {
            CertKind::Leaf => "leaf Details",
            CertKind::Intermediate => "intermediate Details",
        },
        reason: e.to_string(),
    })
}

fn key32(details: &Details, kind: CertKind) -> Result<[u8; 32], CertError> {
    let key = details.key.as_deref().unwrap_or_default();
    <[u8; 32]>::try_from(key).map_err(|_| CertError::KeyLength {
        kind,
        len: key.len(),
    })
}

fn check_validity(details: &Details, kind: CertKind, now: u64) -> Result<(), CertError> {
    let not_before = details.not_before.unwrap_or(0);
    let not_after = details.not_after.unwrap_or(0);
    if now < not_before || now > not_after {
        return Err(CertError::OutsideValidity {
            kind,
            now,
            not_before,
            not_after,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const NOW: u64 = 1_780_000_000;

    struct Fixture {
        root: KeyPair,
        inter: KeyPair,
        server: KeyPair,
        rng: StdRng,
    }

    fn fixture() -> Fixture {
        Fixture {
            root: KeyPair::from_private([1; 32]),
            inter: KeyPair::from_private([2; 32]),
            server: KeyPair::from_private([3; 32]),
            rng: StdRng::seed_from_u64(7),
        }
    }

    fn chain(f: &mut Fixture) -> Vec<u8> {
        build_cert_chain(
            &f.root,
            &f.inter,
            &f.server.public,
            CertValidity::around(NOW, 3600),
            &mut f.rng,
        )
    }

    /// Re-signs a modified chain so that only the intended check can fail.
    fn resign(
        f: &mut Fixture,
        edit_inter: impl FnOnce(&mut Details),
        edit_leaf: impl FnOnce(&mut Details),
    ) -> Vec<u8> {
        let mut chain = CertChain::decode(&chain(f)[..]).unwrap();
        let mut sign = |cert: &mut Option<NoiseCertificate>,
                        signer: &KeyPair,
                        edit: &mut dyn FnMut(&mut Details)| {
            let cert = cert.as_mut().unwrap();
            let mut d = Details::decode(cert.details.as_deref().unwrap()).unwrap();
            edit(&mut d);
            let raw = d.encode_to_vec();
            cert.signature = Some(signer.sign(&raw, &mut f.rng).to_vec());
            cert.details = Some(raw);
        };
        let mut edit_inter = Some(edit_inter);
        let mut edit_leaf = Some(edit_leaf);
        sign(&mut chain.intermediate, &f.root, &mut |d| {
            if let Some(e) = edit_inter.take() {
                e(d)
            }
        });
        sign(&mut chain.leaf, &f.inter, &mut |d| {
            if let Some(e) = edit_leaf.take() {
                e(d)
            }
        });
        chain.encode_to_vec()
    }

    #[test]
    fn built_chain_verifies_with_its_root() {
        let mut f = fixture();
        let bytes = chain(&mut f);
        let root = TrustRoot::new(f.root.public);
        assert_eq!(
            verify_cert_chain(&bytes, &f.server.public, &root, NOW),
            Ok(())
        );
        assert_eq!(
            verify_cert_chain(&bytes, &f.server.public, &root, NOW - 3600),
            Ok(())
        );
        assert_eq!(
            verify_cert_chain(&bytes, &f.server.public, &root, NOW + 3600),
            Ok(())
        );
    }

    #[test]
    fn intermediate_issuer_serial_zero_is_on_the_wire() {
        let mut f = fixture();
        let chain = CertChain::decode(&chain(&mut f)[..]).unwrap();
        let raw = chain.intermediate.unwrap().details.unwrap();
        // serial = 1 (08 01), then issuerSerial = 0 explicitly (10 00).
        assert_eq!(&raw[..4], &[0x08, 0x01, 0x10, 0x00]);
        let leaf = Details::decode(&chain.leaf.unwrap().details.unwrap()[..]).unwrap();
        assert_eq!((leaf.serial, leaf.issuer_serial), (Some(2), Some(1)));
        assert_eq!(leaf.key.as_deref(), Some(&f.server.public[..]));
    }

    #[test]
    fn default_root_is_whatsapp() {
        assert_eq!(
            TrustRoot::default().public_key.to_vec(),
            hex::decode("142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b")
                .unwrap()
        );
        let mut f = fixture();
        let bytes = chain(&mut f);
        assert_eq!(
            verify_cert_chain(&bytes, &f.server.public, &TrustRoot::default(), NOW),
            Err(CertError::BadSignature(CertKind::Intermediate))
        );
    }

    #[test]
    fn each_check_has_its_error() {
        let mut f = fixture();
        let root = TrustRoot::new(f.root.public);
        let server = f.server.public;
        let check = |bytes: &[u8], now: u64| verify_cert_chain(bytes, &server, &root, now);

        let good = chain(&mut f);
        assert!(matches!(
            check(&[0xFF], NOW),
            Err(CertError::Protobuf { .. })
        ));
        assert_eq!(
            check(&[], NOW),
            Err(CertError::MissingCertificate(CertKind::Intermediate))
        );

        let mut c = CertChain::decode(&good[..]).unwrap();
        c.leaf = None;
        assert_eq!(
            check(&c.encode_to_vec(), NOW),
            Err(CertError::MissingCertificate(CertKind::Leaf))
        );
        let mut c = CertChain::decode(&good[..]).unwrap();
        c.leaf.as_mut().unwrap().details = None;
        assert_eq!(
            check(&c.encode_to_vec(), NOW),
            Err(CertError::MissingDetails(CertKind::Leaf))
        );
        let mut c = CertChain::decode(&good[..]).unwrap();
        c.intermediate.as_mut().unwrap().signature = None;
        assert_eq!(
            check(&c.encode_to_vec(), NOW),
            Err(CertError::MissingSignature(CertKind::Intermediate))
        );
        let mut c = CertChain::decode(&good[..]).unwrap();
        c.intermediate.as_mut().unwrap().signature = Some(vec![0; 63]);
        assert_eq!(
            check(&c.encode_to_vec(), NOW),
            Err(CertError::SignatureLength {
                kind: CertKind::Intermediate,
                len: 63
            })
        );
        let mut c = CertChain::decode(&good[..]).unwrap();
        c.leaf.as_mut().unwrap().signature.as_mut().unwrap()[5] ^= 1;
        assert_eq!(
            check(&c.encode_to_vec(), NOW),
            Err(CertError::BadSignature(CertKind::Leaf))
        );

        let bytes = resign(&mut f, |d| d.issuer_serial = None, |_| {});
        assert_eq!(
            check(&bytes, NOW),
            Err(CertError::IntermediateIssuer { found: None })
        );
        let bytes = resign(&mut f, |d| d.issuer_serial = Some(5), |_| {});
        assert_eq!(
            check(&bytes, NOW),
            Err(CertError::IntermediateIssuer { found: Some(5) })
        );
        let bytes = resign(&mut f, |d| d.key = Some(vec![1; 33]), |_| {});
        assert_eq!(
            check(&bytes, NOW),
            Err(CertError::KeyLength {
                kind: CertKind::Intermediate,
                len: 33
            })
        );
        let bytes = resign(&mut f, |_| {}, |d| d.issuer_serial = Some(9));
        assert_eq!(
            check(&bytes, NOW),
            Err(CertError::LeafIssuer {
                expected: Some(1),
                found: Some(9)
            })
        );
        let bytes = resign(&mut f, |_| {}, |d| d.key = None);
        assert_eq!(
            check(&bytes, NOW),
            Err(CertError::KeyLength {
                kind: CertKind::Leaf,
                len: 0
            })
        );
        let bytes = resign(&mut f, |_| {}, |d| d.not_after = Some(NOW - 1));
        assert_eq!(
            check(&bytes, NOW),
            Err(CertError::OutsideValidity {
                kind: CertKind::Leaf,
                now: NOW,
                not_before: NOW - 3600,
                not_after: NOW - 1
            })
        );

        assert!(matches!(
            check(&good, NOW + 3601),
            Err(CertError::OutsideValidity {
                kind: CertKind::Intermediate,
                ..
            })
        ));
        assert!(matches!(
            check(&good, NOW - 3601),
            Err(CertError::OutsideValidity {
                kind: CertKind::Intermediate,
                ..
            })
        ));
        let other = KeyPair::from_private([9; 32]);
        assert_eq!(
            verify_cert_chain(&good, &other.public, &root, NOW),
            Err(CertError::LeafKeyMismatch)
        );
    }
}
