//! The login / registration `ClientPayload` (docs/PROTOCOL.md, Client payload), the plaintext of the ClientFinish
//! payload: builders for the client and a classifier for the server.

use md5::{Digest, Md5};
use prost::Message;

use crate::crypto::keys::with_type;
use crate::crypto::xeddsa;
use crate::proto::wa6::client_payload::user_agent::{AppVersion, Platform, ReleaseChannel};
use crate::proto::wa6::client_payload::web_info::WebSubPlatform;
use crate::proto::wa6::client_payload::{
    ConnectReason, ConnectType, DevicePairingRegistrationData, UserAgent, WebInfo,
};
use crate::proto::wa6::device_props::{self, HistorySyncConfig, PlatformType};
use crate::proto::wa6::{ClientPayload, DeviceProps};

/// Signal key type byte sent as `eKeytype`.
pub const KEY_TYPE_DJB: u8 = 0x05;

/// How the client presents itself. [`Default`] mirrors Baileys 7's defaults (Chrome on macOS,
/// version 2.3000.1035194821, country US).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// WhatsApp Web version `primary.secondary.tertiary`.
    pub app_version: [u32; 3],
    /// `UserAgent.platform` (WEB for a companion).
    pub platform: Platform,
    /// `UserAgent.osVersion`.
    pub os_version: String,
    /// `UserAgent.device`.
    pub device: String,
    /// `UserAgent.osBuildNumber`.
    pub os_build_number: String,
    /// `UserAgent.mcc`.
    pub mcc: String,
    /// `UserAgent.mnc`.
    pub mnc: String,
    /// `UserAgent.localeLanguageIso6391`.
    pub locale_language: String,
    /// `UserAgent.localeCountryIso31661Alpha2`.
    pub locale_country: String,
    /// `WebInfo.webSubPlatform`; `None` omits `webInfo` (Android-style clients).
    pub web_sub_platform: Option<WebSubPlatform>,
    /// `pushName`, if any.
    pub push_name: Option<String>,
    /// `DeviceProps.os`: the name shown in the phone's linked-devices list.
    pub browser_os: String,
    /// `DeviceProps.platformType` (the browser).
    pub browser: PlatformType,
    /// `DeviceProps.version`.
    pub device_props_version: [u32; 3],
    /// `DeviceProps.requireFullSync`.
    pub require_full_sync: bool,
    /// `lidDbMigrated` of the login payload.
    pub lid_db_migrated: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            app_version: [2, 3000, 1_035_194_821],
            platform: Platform::Web,
            os_version: "0.1".into(),
            device: "Desktop".into(),
            os_build_number: "0.1".into(),
            mcc: "000".into(),
            mnc: "000".into(),
            locale_language: "en".into(),
            locale_country: "US".into(),
            web_sub_platform: Some(WebSubPlatform::WebBrowser),
            push_name: None,
            browser_os: "Mac OS".into(),
            browser: PlatformType::Chrome,
            device_props_version: [10, 15, 7],
            require_full_sync: true,
            lid_db_migrated: false,
        }
    }
}

impl ClientConfig {
    /// The version string `a.b.c` whose MD5 is the registration `buildHash`.
    pub fn version_string(&self) -> String {
        let [a, b, c] = self.app_version;
        format!("{a}.{b}.{c}")
    }

    fn common(&self) -> ClientPayload {
        let [primary, secondary, tertiary] = self.app_version;
        ClientPayload {
            user_agent: Some(UserAgent {
                platform: Some(self.platform as i32),
                app_version: Some(AppVersion {
                    primary: Some(primary),
                    secondary: Some(secondary),
                    tertiary: Some(tertiary),
                    ..Default::default()
                }),
                mcc: Some(self.mcc.clone()),
                mnc: Some(self.mnc.clone()),
                os_version: Some(self.os_version.clone()),
                device: Some(self.device.clone()),
                os_build_number: Some(self.os_build_number.clone()),
                release_channel: Some(ReleaseChannel::Release as i32),
                locale_language_iso_639_1: Some(self.locale_language.clone()),
                locale_country_iso_3166_1_alpha_2: Some(self.locale_country.clone()),
                ..Default::default()
            }),
            web_info: self.web_sub_platform.map(|sub| WebInfo {
                web_sub_platform: Some(sub as i32),
                ..Default::default()
            }),
            push_name: self.push_name.clone(),
            connect_type: Some(ConnectType::WifiUnknown as i32),
            connect_reason: Some(ConnectReason::UserActivated as i32),
            ..Default::default()
        }
    }

    /// The `DeviceProps` sent at registration (history-sync capabilities as Baileys sends them).
    pub fn device_props(&self) -> DeviceProps {
        let [primary, secondary, tertiary] = self.device_props_version;
        DeviceProps {
            os: Some(self.browser_os.clone()),
            version: Some(device_props::AppVersion {
                primary: Some(primary),
                secondary: Some(secondary),
                tertiary: Some(tertiary),
                ..Default::default()
            }),
            platform_type: Some(self.browser as i32),
            require_full_sync: Some(self.require_full_sync),
            history_sync_config: Some(HistorySyncConfig {
                storage_quota_mb: Some(10_240),
                inline_initial_payload_in_e2ee_msg: Some(true),
                support_call_log_history: Some(false),
                support_bot_user_agent_chat_history: Some(true),
                support_cag_reactions_and_polls: Some(true),
                support_biz_hosted_msg: Some(true),
                support_recent_sync_chunk_message_count_tuning: Some(true),
                support_hosted_group_msg: Some(true),
                support_fbid_bot_chat_history: Some(true),
                support_message_association: Some(true),
                support_group_history: Some(false),
                ..Default::default()
            }),
        }
    }
}

/// The Signal keys a new device announces at registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationKeys {
    /// Signal registration id.
    pub registration_id: u32,
    /// Identity public key (raw 32 bytes).
    pub identity_key: [u8; 32],
    /// Signed prekey id (sent as 3 bytes; must be < 2^24).
    pub signed_prekey_id: u32,
    /// Signed prekey public key (raw 32 bytes).
    pub signed_prekey: [u8; 32],
    /// Identity-key signature of `0x05 ‖ signed_prekey`.
    pub signed_prekey_signature: [u8; 64],
}

/// The payload of a device with no stored identity that wants to pair (docs/PROTOCOL.md, Client payload).
pub fn registration_payload(config: &ClientConfig, keys: &RegistrationKeys) -> ClientPayload {
    let [_, id_hi, id_mid, id_lo] = keys.signed_prekey_id.to_be_bytes();
    let build_hash: [u8; 16] = Md5::digest(config.version_string().as_bytes()).into();
    ClientPayload {
        passive: Some(false),
        pull: Some(false),
        device_pairing_data: Some(DevicePairingRegistrationData {
            e_regid: Some(keys.registration_id.to_be_bytes().to_vec()),
            e_keytype: Some(vec![KEY_TYPE_DJB]),
            e_ident: Some(keys.identity_key.to_vec()),
            e_skey_id: Some(vec![id_hi, id_mid, id_lo]),
            e_skey_val: Some(keys.signed_prekey.to_vec()),
            e_skey_sig: Some(keys.signed_prekey_signature.to_vec()),
            build_hash: Some(build_hash.to_vec()),
            device_props: Some(config.device_props().encode_to_vec()),
        }),
        ..config.common()
    }
}

/// The payload of a paired device logging in as `username:device` (docs/PROTOCOL.md, Client payload).
pub fn login_payload(config: &ClientConfig, username: u64, device: u32) -> ClientPayload {
    ClientPayload {
        username: Some(username),
        device: Some(device),
        passive: Some(true),
        pull: Some(true),
        lid_db_migrated: Some(config.lid_db_migrated),
        ..config.common()
    }
}

/// A validated registration request.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    /// Signal registration id.
    pub registration_id: u32,
    /// Identity public key.
    pub identity_key: [u8; 32],
    /// Signed prekey id (24 bits).
    pub signed_prekey_id: u32,
    /// Signed prekey public key.
    pub signed_prekey: [u8; 32],
    /// Its signature by the identity key (verified).
    pub signed_prekey_signature: [u8; 64],
    /// MD5 of the client's version string.
    pub build_hash: [u8; 16],
    /// The companion's description (name, browser, history-sync wishes).
    pub device_props: DeviceProps,
    /// Push name, if sent.
    pub push_name: Option<String>,
}

/// A validated login request of a paired device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// Phone-number user part.
    pub username: u64,
    /// Device id (0 when absent).
    pub device: u32,
    /// `passive` flag.
    pub passive: bool,
    /// `pull` flag.
    pub pull: bool,
    /// Push name, if sent.
    pub push_name: Option<String>,
}

/// What a connecting client wants.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientKind {
    /// An unpaired device asking to pair.
    Registration(Box<Registration>),
    /// A paired device logging in.
    Login(Login),
}

/// Why a `ClientPayload` was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not a valid protobuf.
    #[error("{what} is not a valid protobuf: {reason}")]
    Protobuf {
        /// Which message.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// Both `username` and `devicePairingData` are present.
    #[error("payload has both username and devicePairingData")]
    Ambiguous,
    /// Neither `username` nor `devicePairingData` is present.
    #[error("payload has neither username nor devicePairingData")]
    Empty,
    /// A required registration field is absent.
    #[error("devicePairingData.{0} is missing")]
    MissingField(&'static str),
    /// A registration field has the wrong length.
    #[error("devicePairingData.{field} is {len} bytes, expected {expected}")]
    FieldLength {
        /// Which field.
        field: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        len: usize,
    },
    /// `eKeytype` is not `05`.
    #[error("devicePairingData.eKeytype is {0:02x?}, expected [05]")]
    KeyType(Vec<u8>),
    /// The signed prekey signature does not verify against the identity key.
    #[error("signed prekey signature is invalid")]
    BadSignedPreKeySignature,
}

/// Decodes and classifies a serialized `ClientPayload`.
pub fn parse_client_payload(bytes: &[u8]) -> Result<ClientKind, PayloadError> {
    let payload = ClientPayload::decode(bytes).map_err(|e| PayloadError::Protobuf {
        what: "ClientPayload",
        reason: e.to_string(),
    })?;
    classify(&payload)
}

/// Classifies a decoded `ClientPayload` as a registration or a login, validating every field.
pub fn classify(payload: &ClientPayload) -> Result<ClientKind, PayloadError> {
    match (payload.username, &payload.device_pairing_data) {
        (Some(_), Some(_)) => Err(PayloadError::Ambiguous),
        (None, None) => Err(PayloadError::Empty),
        (Some(username), None) => Ok(ClientKind::Login(Login {
            username,
            device: payload.device.unwrap_or(0),
            passive: payload.passive.unwrap_or(false),
            pull: payload.pull.unwrap_or(false),
            push_name: payload.push_name.clone(),
        })),
        (None, Some(data)) => Ok(ClientKind::Registration(Box::new(registration(
            data,
            payload.push_name.clone(),
        )?))),
    }
}

fn field<'a>(value: &'a Option<Vec<u8>>, name: &'static str) -> Result<&'a [u8], PayloadError> {
    value.as_deref().ok_or(PayloadError::MissingField(name))
}

fn fixed<const N: usize>(
    value: &Option<Vec<u8>>,
    name: &'static str,
) -> Result<[u8; N], PayloadError> {
    let bytes = field(value, name)?;
    <[u8; N]>::try_from(bytes).map_err(|_| PayloadError::FieldLength {
        field: name,
        expected: N,
        len: bytes.len(),
    })
}

fn registration(
    data: &DevicePairingRegistrationData,
    push_name: Option<String>,
) -> Result<Registration, PayloadError> {
    let registration_id = u32::from_be_bytes(fixed::<4>(&data.e_regid, "eRegid")?);
    let key_type = field(&data.e_keytype, "eKeytype")?;
    if key_type != [KEY_TYPE_DJB] {
        return Err(PayloadError::KeyType(key_type.to_vec()));
    }
    let identity_key = fixed::<32>(&data.e_ident, "eIdent")?;
    let [hi, mid, lo] = fixed::<3>(&data.e_skey_id, "eSkeyID")?;
    let signed_prekey_id = u32::from_be_bytes([0, hi, mid, lo]);
    let signed_prekey = fixed::<32>(&data.e_skey_val, "eSkeyVal")?;
    let signed_prekey_signature = fixed::<64>(&data.e_skey_sig, "eSkeySig")?;
    if !xeddsa::verify(
        &identity_key,
        &with_type(&signed_prekey),
        &signed_prekey_signature,
    ) {
        return Err(PayloadError::BadSignedPreKeySignature);
    }
    let build_hash = fixed::<16>(&data.build_hash, "buildHash")?;
    let device_props =
        DeviceProps::decode(field(&data.device_props, "deviceProps")?).map_err(|e| {
            PayloadError::Protobuf {
                what: "DeviceProps",
                reason: e.to_string(),
            }
        })?;
    Ok(Registration {
        registration_id,
        identity_key,
        signed_prekey_id,
        signed_prekey,
        signed_prekey_signature,
        build_hash,
        device_props,
        push_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyPair;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    /// docs/PROTOCOL.md, Client payload: Baileys' `generateLoginNode` for `15551234567:3@s.whatsapp.net`.
    #[test]
    fn login_vector_byte_for_byte() {
        let bytes = login_payload(&ClientConfig::default(), 15_551_234_567, 3).encode_to_vec();
        assert_eq!(
            hex::encode(&bytes),
            "088784b4f73918012a36080e120b080210b81718c5a3cfed031a0330303022033030302a03302e313a074465736b746f704203302e3150005a02656e620255533202200060016801900103880201c80200"
        );
        assert_eq!(
            parse_client_payload(&bytes),
            Ok(ClientKind::Login(Login {
                username: 15_551_234_567,
                device: 3,
                passive: true,
                pull: true,
                push_name: None
            }))
        );
    }

    fn keys(rng: &mut StdRng) -> RegistrationKeys {
        let identity = KeyPair::generate(rng);
        let spk = KeyPair::generate(rng);
        RegistrationKeys {
            registration_id: 0x0102_0304,
            identity_key: identity.public,
            signed_prekey_id: 0x00AB_CDEF,
            signed_prekey: spk.public,
            signed_prekey_signature: identity.sign(&spk.public_with_type(), rng),
        }
    }

    #[test]
    fn registration_round_trip_and_fields() {
        let mut rng = StdRng::seed_from_u64(1);
        let keys = keys(&mut rng);
        let config = ClientConfig {
            push_name: Some("Ann".into()),
            ..ClientConfig::default()
        };
        let payload = registration_payload(&config, &keys);
        let data = payload.device_pairing_data.as_ref().unwrap();
        assert_eq!(data.e_regid.as_deref(), Some(&[1, 2, 3, 4][..]));
        assert_eq!(data.e_keytype.as_deref(), Some(&[5][..]));
        assert_eq!(data.e_skey_id.as_deref(), Some(&[0xAB, 0xCD, 0xEF][..]));
        // MD5("2.3000.1035194821"), computed with Python's hashlib.
        assert_eq!(
            hex::encode(data.build_hash.as_deref().unwrap()),
            "a2c9471eff910a9e1ae659890a28872d"
        );
        assert_eq!(payload.passive, Some(false));
        assert_eq!(payload.pull, Some(false));
        assert_eq!(payload.username, None);

        let Ok(ClientKind::Registration(reg)) = parse_client_payload(&payload.encode_to_vec())
        else {
            panic!("not a registration");
        };
        assert_eq!(reg.registration_id, 0x0102_0304);
        assert_eq!(reg.signed_prekey_id, 0x00AB_CDEF);
        assert_eq!(reg.identity_key, keys.identity_key);
        assert_eq!(reg.signed_prekey, keys.signed_prekey);
        assert_eq!(reg.push_name.as_deref(), Some("Ann"));
        assert_eq!(reg.device_props.os.as_deref(), Some("Mac OS"));
        assert_eq!(
            reg.device_props.platform_type,
            Some(PlatformType::Chrome as i32)
        );
    }

    #[test]
    fn md5_known_answer() {
        // RFC 1321 test suite.
        assert_eq!(
            hex::encode(Md5::digest(b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
    }

    #[test]
    fn classification_errors() {
        let mut rng = StdRng::seed_from_u64(2);
        let config = ClientConfig::default();
        let good = registration_payload(&config, &keys(&mut rng));

        assert!(matches!(
            parse_client_payload(&[0x08]),
            Err(PayloadError::Protobuf { .. })
        ));
        assert_eq!(
            classify(&ClientPayload::default()),
            Err(PayloadError::Empty)
        );
        let mut p = good.clone();
        p.username = Some(1);
        assert_eq!(classify(&p), Err(PayloadError::Ambiguous));

        let edit = |f: &dyn Fn(&mut DevicePairingRegistrationData)| {
            let mut p = good.clone();
            f(p.device_pairing_data.as_mut().unwrap());
            classify(&p)
        };
        assert_eq!(
            edit(&|d| d.e_regid = None),
            Err(PayloadError::MissingField("eRegid"))
        );
        assert_eq!(
            edit(&|d| d.e_skey_id = Some(vec![0; 4])),
            Err(PayloadError::FieldLength {
                field: "eSkeyID",
                expected: 3,
                len: 4
            })
        );
        assert_eq!(
            edit(&|d| d.e_ident = Some(vec![5; 33])),
            Err(PayloadError::FieldLength {
                field: "eIdent",
                expected: 32,
                len: 33
            })
        );
        assert_eq!(
            edit(&|d| d.e_keytype = Some(vec![6])),
            Err(PayloadError::KeyType(vec![6]))
        );
        assert_eq!(
            edit(&|d| d.e_skey_sig.as_mut().unwrap()[0] ^= 1),
            Err(PayloadError::BadSignedPreKeySignature)
        );
        assert_eq!(
            edit(&|d| d.build_hash = Some(vec![0; 15])),
            Err(PayloadError::FieldLength {
                field: "buildHash",
                expected: 16,
                len: 15
            })
        );
        assert!(matches!(
            edit(&|d| d.device_props = Some(vec![0x0a, 0x09])),
            Err(PayloadError::Protobuf {
                what: "DeviceProps",
                ..
            })
        ));

        let mut login = login_payload(&config, 42, 0);
        login.device = None;
        assert!(matches!(
            classify(&login),
            Ok(ClientKind::Login(Login {
                username: 42,
                device: 0,
                ..
            }))
        ));
    }
}
