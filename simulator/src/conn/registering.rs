//! A connection that registered (unpaired companion): `pair-device` with 6 refs, then pairing by
//! QR (admin `link`) or code (admin `link-code`), `pair-success`, `pair-device-sign`, 515.

use std::sync::Arc;

use base64::Engine;
use openwa_protocol::pairing::adv::{self, IssuedDeviceIdentity};
use openwa_protocol::payload::Registration;
use openwa_protocol::proto::adv::{AdvDeviceIdentity, AdvEncryptionType};
use openwa_protocol::stanza::{
    IqError, IqHeader, IqSpec, LinkCodeCompanionFinish, LinkCodeCompanionHello, PairDevice,
    PairSuccess, StreamError,
};
use openwa_protocol::{Jid, Node};
use rand_core::{OsRng, RngCore};
use tokio::io::{AsyncRead, AsyncWrite};

use super::registry::{Command, PairRequest, PairedDevice};
use super::wire::ConnError;
use super::{Conn, apply_common_command};
use crate::pairing::{CodePairing, PairOutcome, Registering};
use crate::sim::Sim;
use crate::state::{Device, SignedPreKey};
use crate::util::now_secs;

/// How many QR refs a registering connection gets (docs/PROTOCOL.md, Pairing: ≥ 6).
pub const REF_COUNT: usize = 6;

/// A pair-success that was sent and awaits the companion's signature.
struct AwaitingSign {
    iq_id: String,
    phone: String,
    device: Device,
    issued: IssuedDeviceIdentity,
    done: Option<tokio::sync::oneshot::Sender<PairOutcome>>,
}

fn new_ref() -> String {
    let mut bytes = [0u8; 18];
    OsRng.fill_bytes(&mut bytes);
    format!(
        "2@{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Runs the registering connection until it is paired (515) or closes.
pub async fn run<S>(
    sim: &Arc<Sim>,
    mut conn: Conn<S>,
    registration: Registration,
) -> Result<(), ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let refs: Vec<String> = (0..REF_COUNT).map(|_| new_ref()).collect();
    sim.add_registering(Registering {
        conn: conn.handle.clone(),
        refs: refs.clone(),
        noise_key: conn.client_static,
        identity: registration.identity_key,
    });
    let pair_device = PairDevice {
        refs: refs.iter().map(|r| r.clone().into_bytes()).collect(),
    };
    let id = sim.next_stanza_id();
    conn.wire
        .send_node(&pair_device.request_with_id(&id))
        .await?;
    tracing::info!(conn = conn.handle.id, peer = %conn.peer, "companion registering; sent pair-device");

    let mut awaiting: Option<AwaitingSign> = None;
    loop {
        tokio::select! {
            command = conn.commands.recv() => {
                let Some(command) = command else { return Ok(()) };
                match command {
                    Command::Pair(request) => {
                        let PairRequest { phone, adv_secret, done } = request;
                        match issue(sim, &phone, &registration, conn.client_static, &adv_secret) {
                            Ok((device, issued, pair_success)) => {
                                let iq_id = sim.next_stanza_id();
                                conn.wire.send_node(&pair_success.request_with_id(&iq_id)).await?;
                                awaiting = Some(AwaitingSign { iq_id, phone, device, issued, done: Some(done) });
                            }
                            Err(e) => {
                                let _ = done.send(Err(e));
                            }
                        }
                    }
                    other => {
                        if apply_common_command(sim, &mut conn.wire, other).await? {
                            return Ok(());
                        }
                    }
                }
            }
            frame = conn.wire.next_frame() => {
                let Some(frame) = frame? else { return Ok(()) };
                let node = conn.wire.open(&frame)?;
                match handle_node(sim, &mut conn, &registration, &node, &mut awaiting).await? {
                    Flow::Continue => {}
                    Flow::Close => return Ok(()),
                }
            }
        }
    }
}

enum Flow {
    Continue,
    Close,
}

async fn handle_node<S>(
    sim: &Arc<Sim>,
    conn: &mut Conn<S>,
    registration: &Registration,
    node: &Node,
    awaiting: &mut Option<AwaitingSign>,
) -> Result<Flow, ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if node.tag != "iq" {
        tracing::debug!(conn = conn.handle.id, tag = %node.tag, "ignoring stanza while registering");
        return Ok(Flow::Continue);
    }
    let kind = node.attr_str("type").unwrap_or_default();
    let id = node.attr_str("id").unwrap_or_default();
    if matches!(kind.as_str(), "result" | "error") {
        let Some(wait) = awaiting.take_if(|w| w.iq_id == id) else {
            return Ok(Flow::Continue); // e.g. the ack of pair-device
        };
        return finish_pairing(sim, conn, registration, node, wait).await;
    }
    let Ok(header) = IqHeader::of(node) else {
        return Err(ConnError::Protocol(format!("iq without id: {node}")));
    };
    let xmlns = node.attr_str("xmlns").unwrap_or_default();
    let reply = match (xmlns.as_str(), node.first_child().map(|c| c.tag.as_str())) {
        ("w:p", _) => header.result(Vec::new()),
        ("md", Some("link_code_companion_reg")) => {
            link_code_stage(sim, conn, registration, node, &header, awaiting).await?
        }
        _ => header.error(&IqError::not_implemented()),
    };
    conn.wire.send_node(&reply).await?;
    Ok(Flow::Continue)
}

async fn link_code_stage<S>(
    sim: &Arc<Sim>,
    conn: &mut Conn<S>,
    registration: &Registration,
    node: &Node,
    header: &IqHeader,
    awaiting: &mut Option<AwaitingSign>,
) -> Result<Node, ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let stage = node
        .first_child()
        .and_then(|c| c.attr_str("stage"))
        .unwrap_or_default();
    match stage.as_str() {
        "companion_hello" => {
            let Ok((_, hello)) = LinkCodeCompanionHello::parse_request(node) else {
                return Ok(header.error(&IqError::bad_request()));
            };
            if hello.companion_server_auth_key_pub != conn.client_static {
                return Ok(header.error(&IqError::new(400, "noise-key-mismatch")));
            }
            let phone = hello.phone.user.to_string();
            if sim.read(|s| s.account(&phone).is_err()) {
                return Ok(header.error(&IqError::not_found()));
            }
            let pairing_ref = new_ref().into_bytes();
            sim.add_code_pairing(
                phone,
                CodePairing {
                    conn: conn.handle.clone(),
                    pairing_ref: pairing_ref.clone(),
                    wrapped_companion_ephemeral: hello.wrapped_companion_ephemeral_pub,
                    primary: None,
                },
            );
            Ok(LinkCodeCompanionHello::response(header, &pairing_ref))
        }
        "companion_finish" => {
            let Ok((_, finish)) = LinkCodeCompanionFinish::parse_request(node) else {
                return Ok(header.error(&IqError::bad_request()));
            };
            let Some((phone, primary, done)) = sim.take_confirmed_code(conn.handle.id) else {
                return Ok(header.error(&IqError::new(409, "code-not-confirmed")));
            };
            let companion_identity: Option<[u8; 32]> =
                finish.companion_identity_public.as_slice().try_into().ok();
            let Some(companion_identity) =
                companion_identity.filter(|k| *k == registration.identity_key)
            else {
                let _ = done.send(Err(
                    "companion identity does not match its registration".into()
                ));
                return Ok(header.error(&IqError::bad_request()));
            };
            let phone_identity = sim.read(|s| {
                s.account(&phone)
                    .map(|a| a.phone_keys.identity.to_key_pair())
            });
            let Ok(phone_identity) = phone_identity else {
                let _ = done.send(Err("account vanished".into()));
                return Ok(header.error(&IqError::not_found()));
            };
            let adv_secret = match primary.finish(
                &finish.wrapped_key_bundle,
                &companion_identity,
                &phone_identity,
            ) {
                Ok(secret) => secret,
                Err(e) => {
                    let _ = done.send(Err(format!("code pairing failed: {e}")));
                    return Ok(header.error(&IqError::new(400, "bad-key-bundle")));
                }
            };
            // Acknowledge the finish, then continue exactly as for a scanned QR code.
            conn.wire.send_node(&header.result(Vec::new())).await?;
            match issue(sim, &phone, registration, conn.client_static, &adv_secret) {
                Ok((device, issued, pair_success)) => {
                    let iq_id = sim.next_stanza_id();
                    let request = pair_success.request_with_id(&iq_id);
                    *awaiting = Some(AwaitingSign {
                        iq_id,
                        phone,
                        device,
                        issued,
                        done: Some(done),
                    });
                    Ok(request)
                }
                Err(e) => {
                    let _ = done.send(Err(e));
                    Ok(StreamError::Other {
                        code: Some(500),
                        conflict: None,
                    }
                    .to_node())
                }
            }
        }
        _ => Ok(header.error(&IqError::bad_request())),
    }
}

/// The phone's side of pairing: allocates the companion's device id and key index and issues
/// its signed identity (docs/PROTOCOL.md, Pairing).
fn issue(
    sim: &Sim,
    phone: &str,
    registration: &Registration,
    noise_key: [u8; 32],
    adv_secret: &[u8; 32],
) -> Result<(Device, IssuedDeviceIdentity, PairSuccess), String> {
    let now = now_secs();
    let platform = registration
        .device_props
        .os
        .clone()
        .unwrap_or_else(|| "unknown".into());
    let signed_prekey = SignedPreKey {
        id: registration.signed_prekey_id,
        public: registration.signed_prekey,
        signature: registration.signed_prekey_signature,
    };
    let template = Device::companion(
        noise_key,
        registration.identity_key,
        registration.registration_id,
        signed_prekey,
        platform,
    );
    let (device, account_key, lid) = sim
        .write(|s| {
            let device = s.add_companion(phone, template, now)?;
            let account = s.account(phone)?;
            Ok::<_, crate::state::StateError>((
                device,
                account.phone_keys.identity.to_key_pair(),
                account.lid.clone(),
            ))
        })
        .map_err(|e| e.to_string())?;
    let details = AdvDeviceIdentity {
        raw_id: Some(OsRng.next_u32()),
        timestamp: Some(now),
        key_index: Some(device.key_index),
        account_type: Some(AdvEncryptionType::E2ee as i32),
        device_type: Some(AdvEncryptionType::E2ee as i32),
    };
    let issued = adv::issue_device_identity(
        &details,
        &account_key,
        &registration.identity_key,
        adv_secret,
        &mut OsRng,
    );
    let pair_success = PairSuccess {
        t: Some(now),
        device_identity: issued.container.clone(),
        device: Jid::with_device(phone, openwa_protocol::jid::DEFAULT_USER_SERVER, device.id),
        lid: Some(Jid::with_device(
            lid,
            openwa_protocol::jid::HIDDEN_USER_SERVER,
            device.id,
        )),
        platform: Some("android".into()),
        business_name: None,
        client_props: None,
    };
    Ok((device, issued, pair_success))
}

/// Checks the companion's answer to `pair-success`; on success the device stays linked and the
/// connection is told to restart (515).
async fn finish_pairing<S>(
    sim: &Arc<Sim>,
    conn: &mut Conn<S>,
    registration: &Registration,
    node: &Node,
    mut wait: AwaitingSign,
) -> Result<Flow, ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let outcome = PairSuccess::parse_response(node)
        .map_err(|e| format!("companion refused pair-success: {e}"))
        .and_then(|sign| {
            if sign.key_index != wait.device.key_index {
                return Err(format!(
                    "key-index {} in pair-device-sign, issued {}",
                    sign.key_index, wait.device.key_index
                ));
            }
            adv::verify_companion_reply(
                &sign.device_identity,
                &wait.issued.signed,
                &registration.identity_key,
            )
            .map_err(|e| format!("pair-device-sign rejected: {e}"))
        });
    let done = wait.done.take();
    match outcome {
        Ok(_) => {
            let (lid, jid) = sim.read(|s| {
                let lid = s
                    .account(&wait.phone)
                    .map(|a| a.lid.clone())
                    .unwrap_or_default();
                (
                    lid,
                    Jid::with_device(
                        &wait.phone,
                        openwa_protocol::jid::DEFAULT_USER_SERVER,
                        wait.device.id,
                    ),
                )
            });
            let paired = PairedDevice {
                device: wait.device.id,
                jid: jid.to_string(),
                lid: Jid::with_device(
                    lid,
                    openwa_protocol::jid::HIDDEN_USER_SERVER,
                    wait.device.id,
                )
                .to_string(),
            };
            tracing::info!(conn = conn.handle.id, device = %paired.jid, "companion paired; sending 515");
            sim.forget_pairing(conn.handle.id);
            sim.device_list_changed(&wait.phone);
            let share_key = sim
                .share_app_state_key
                .load(std::sync::atomic::Ordering::Relaxed);
            if let Err(e) =
                crate::phone::welcome::welcome(sim, &wait.phone, wait.device.id, share_key)
            {
                tracing::warn!(device = %paired.jid, error = %e, "the phone could not welcome its companion");
            }
            conn.wire
                .send_node(&StreamError::RestartRequired.to_node())
                .await?;
            if let Some(done) = done {
                let _ = done.send(Ok(paired));
            }
            conn.wire.linger(super::STREAM_END_GRACE).await;
            Ok(Flow::Close)
        }
        Err(reason) => {
            tracing::info!(conn = conn.handle.id, %reason, "pairing failed");
            let _ = sim.write(|s| s.remove_device(&wait.phone, wait.device.id));
            if let Some(done) = done {
                let _ = done.send(Err(reason));
            }
            Ok(Flow::Continue)
        }
    }
}
