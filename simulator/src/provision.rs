//! Linking a companion without pairing: the caller brings the device's keys and the device is
//! linked at once, exactly as a paired one (device id, key index, `devices` notifications), but
//! with no ADV identity issued. For load tests and fixtures that need thousands of logged-in
//! devices quickly; real clients pair by QR or code.

use openwa_protocol::Jid;
use openwa_protocol::crypto::keys::with_type;
use openwa_protocol::crypto::xeddsa;
use openwa_protocol::jid::{DEFAULT_USER_SERVER, HIDDEN_USER_SERVER};
use serde::{Deserialize, Serialize};

use crate::conn::registry::PairedDevice;
use crate::hub::Hub;
use crate::state::{Device, SignedPreKey, StateError};
use crate::util::now_secs;

/// The keys of a companion to link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionRequest {
    /// Noise static public key: the device logs in with it.
    #[serde(with = "crate::util::hex_array")]
    pub noise_key: [u8; 32],
    /// Signal identity public key.
    #[serde(with = "crate::util::hex_array")]
    pub identity_key: [u8; 32],
    /// Signal registration id.
    pub registration_id: u32,
    /// Signed prekey, signed by the identity key.
    pub signed_prekey: SignedPreKey,
    /// Platform shown in device lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// Why a companion could not be linked.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The signed prekey's signature does not verify with the identity key.
    #[error("the signed prekey signature does not verify with the identity key")]
    BadSignature,
    /// The account does not exist or has no free device id.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Links a companion with the given keys to `phone`'s account.
pub fn provision(
    hub: &Hub,
    phone: &str,
    request: ProvisionRequest,
) -> Result<PairedDevice, ProvisionError> {
    let signed = &request.signed_prekey;
    if !xeddsa::verify(
        &request.identity_key,
        &with_type(&signed.public),
        &signed.signature,
    ) {
        return Err(ProvisionError::BadSignature);
    }
    let now = now_secs();
    let template = Device::companion(
        request.noise_key,
        request.identity_key,
        request.registration_id,
        request.signed_prekey,
        request.platform.unwrap_or_else(|| "openwa-sim-load".into()),
    );
    let (device, lid) = hub.write(|s| {
        let device = s.add_companion(phone, template, now)?;
        Ok::<_, StateError>((device, s.account(phone)?.lid.clone()))
    })?;
    hub.device_list_changed(phone);
    Ok(PairedDevice {
        device: device.id,
        jid: Jid::with_device(phone, DEFAULT_USER_SERVER, device.id).to_string(),
        lid: Jid::with_device(lid, HIDDEN_USER_SERVER, device.id).to_string(),
    })
}
