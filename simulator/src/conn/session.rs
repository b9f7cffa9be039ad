//! A logged-in companion connection: `<success>` or `<failure>`, then stanzas both ways until
//! the connection closes.

use std::sync::Arc;

use openwa_protocol::payload::Login;
use openwa_protocol::stanza::{
    Ack, Failure, Ib, IqError, IqHeader, IqSpec, SetPassive, StreamError, Success,
};
use openwa_protocol::{Jid, Node};
use tokio::io::{AsyncRead, AsyncWrite};

use super::registry::Command;
use super::wire::ConnError;
use super::{Conn, apply_common_command};
use crate::device::DeviceRef;
use crate::presence::Online;
use crate::sim::Sim;
use crate::util::now_secs;

/// Runs a login: refuses it (fault, unknown device, wrong key) or serves the session.
pub async fn run<S>(sim: &Arc<Sim>, mut conn: Conn<S>, login: Login) -> Result<(), ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let phone = login.username.to_string();
    let device = u16::try_from(login.device).unwrap_or(u16::MAX);
    if let Some(reason) = sim.faults.take_login_refusal() {
        tracing::info!(conn = conn.handle.id, %phone, device, reason, "login refused by fault");
        conn.wire.send_node(&Failure::new(reason).to_node()).await?;
        return Ok(());
    }
    let lid = sim.read(|s| {
        s.companion_with_key(&phone, device, &conn.client_static)
            .then(|| s.accounts.get(&phone).map(|a| a.lid.clone()))
            .flatten()
    });
    let Some(lid) = lid else {
        tracing::info!(conn = conn.handle.id, %phone, device, "login refused: unknown device or noise key");
        conn.wire
            .send_node(&Failure::new(Failure::LOGGED_OUT).to_node())
            .await?;
        return Ok(());
    };
    if let Some(old) = sim.registry.bind(conn.handle.id, &phone, device) {
        tracing::info!(conn = old.id, %phone, device, "connection replaced by a new login");
        old.send(Command::SendAndClose(StreamError::Replaced.to_node()));
    }
    let me = DeviceRef {
        phone: phone.clone(),
        device,
        lid: lid.clone(),
        push_name: login.push_name.clone(),
    };
    let success = Success {
        t: now_secs(),
        lid: Some(Jid::lid(lid)),
    };
    conn.wire.send_node(&success.to_node()).await?;
    tracing::info!(conn = conn.handle.id, %phone, device, "logged in");
    // However the connection ends, the device is unavailable afterwards.
    let _online = Online::new(sim.hub(), &sim.presence, &me);

    loop {
        tokio::select! {
            command = conn.commands.recv() => {
                let Some(command) = command else { return Ok(()) };
                if apply_common_command(sim, &mut conn.wire, command).await? {
                    return Ok(());
                }
            }
            frame = conn.wire.next_frame() => {
                let Some(frame) = frame? else { return Ok(()) };
                let node = conn.wire.open(&frame)?;
                if handle_stanza(sim, &mut conn, &me, node).await? {
                    return Ok(());
                }
            }
        }
    }
}

/// Queues a reply (it goes out when the connection next waits for the client), after the
/// `delay_ms` fault if one is set.
async fn send_reply<S>(sim: &Sim, conn: &mut Conn<S>, node: &Node) -> Result<(), ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if let Some(delay) = sim.faults.delay() {
        tokio::time::sleep(delay).await;
    }
    conn.wire.queue_node(node).await
}

/// Handles one stanza from the client; `true` means "close now".
async fn handle_stanza<S>(
    sim: &Arc<Sim>,
    conn: &mut Conn<S>,
    me: &DeviceRef,
    node: Node,
) -> Result<bool, ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match node.tag.as_str() {
        "iq" => return handle_iq(sim, conn, me, &node).await,
        "ack" => match Ack::from_node(&node) {
            Ok(ack) => sim.client_ack(me, &ack.id, Some(ack.class.as_str())),
            Err(e) => tracing::debug!(conn = conn.handle.id, error = %e, "unparsable ack ignored"),
        },
        "ib" => {}
        // message, receipt, chatstate, presence, …: whichever feature registered the tag.
        _ => {
            if let Some(reply) = sim.dispatch(me, &node) {
                send_reply(sim, conn, &reply).await?;
            }
        }
    }
    Ok(false)
}

async fn handle_iq<S>(
    sim: &Arc<Sim>,
    conn: &mut Conn<S>,
    me: &DeviceRef,
    node: &Node,
) -> Result<bool, ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let kind = node.attr_str("type").unwrap_or_default();
    if matches!(kind.as_str(), "result" | "error") {
        return Ok(false); // answers to server pushes; nothing waits for them
    }
    let Ok(header) = IqHeader::of(node) else {
        return Err(ConnError::Protocol(format!("iq without id: {node}")));
    };
    let xmlns = node.attr_str("xmlns").unwrap_or_default();
    if xmlns == "passive" {
        let Ok((_, set)) = SetPassive::parse_request(node) else {
            send_reply(sim, conn, &header.error(&IqError::bad_request())).await?;
            return Ok(false);
        };
        send_reply(sim, conn, &header.result(Vec::new())).await?;
        if set.passive {
            sim.registry.set_active(conn.handle.id, false);
        } else {
            let queued = sim.activate(conn.handle.id, me);
            let count = queued.len();
            for mut stanza in queued {
                stanza.set_attr("offline", "1");
                send_reply(sim, conn, &stanza).await?;
            }
            send_reply(
                sim,
                conn,
                &Ib::Offline {
                    count: count as u64,
                }
                .to_node(),
            )
            .await?;
        }
        return Ok(false);
    }
    let outcome = sim.handle_iq(me, node, &header);
    send_reply(sim, conn, &outcome.reply).await?;
    if let Some(node) = outcome.then_close {
        conn.wire.send_node(&node).await?;
        return Ok(true);
    }
    Ok(false)
}
