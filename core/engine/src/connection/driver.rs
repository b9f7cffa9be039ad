//! The connection driver: one task per live connection that owns the channel and multiplexes
//! incoming nodes, outgoing commands, IQ timeouts, keepalive pings and QR rotation.
//!
//! It returns the [`Disconnect`] that ended the connection; the session's runner decides what
//! happens next (see `policy`).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use openwa_protocol::message::RequestIdGenerator;
use openwa_protocol::pairing::code::CompanionCodePairing;
use openwa_protocol::pairing::{QrCode, adv};
use openwa_protocol::stanza::ack::Ack;
use openwa_protocol::stanza::{
    Failure, IqError, IqHeader, IqSpec, LinkCodeCompanionFinish, LinkCodeCompanionHello,
    LinkCodePrimaryHello, PairDevice, PairDeviceSign, PairSuccess, Ping, SetPassive, StreamError,
    Success,
};
use openwa_protocol::{Jid, Node};
use prost::Message as _;
use rand::Rng;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::channel::NodeChannel;
use super::command::Command;
use super::command::RunSignal;
use super::policy::Disconnect;
use super::router::{Handled, Replies, Router};
use crate::context::SessionContext;
use crate::credentials::PairedDevice;
use crate::error::{Error, ErrorCode};
use crate::event::{ConnectionState, EventKind, StateReason};
use crate::transport::TransportError;

/// How long a closing driver waits for the answers of messages still being committed.
const REPLY_FLUSH: Duration = Duration::from_secs(5);

/// Timings of one connection (shortened in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DriverTimings {
    /// Shortest interval between keepalive pings.
    pub keepalive_min: Duration,
    /// Longest interval between keepalive pings.
    pub keepalive_max: Duration,
    /// How long a ping may go unanswered.
    pub keepalive_timeout: Duration,
    /// Consecutive unanswered pings before the connection is considered dead.
    pub keepalive_max_failures: u32,
    /// Validity of the first QR code.
    pub qr_first: Duration,
    /// Validity of each later QR code.
    pub qr_next: Duration,
}

impl Default for DriverTimings {
    fn default() -> Self {
        DriverTimings {
            keepalive_min: Duration::from_secs(20),
            keepalive_max: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
            keepalive_max_failures: 3,
            qr_first: Duration::from_secs(60),
            qr_next: Duration::from_secs(20),
        }
    }
}

/// Who waits for an IQ answer.
#[derive(Debug)]
enum Waiter {
    Caller(oneshot::Sender<Result<Node, Error>>),
    Keepalive,
    PairCodeHello {
        reply: oneshot::Sender<Result<String, Error>>,
        code: String,
    },
    Ignore,
}

#[derive(Debug)]
struct Pending {
    deadline: Instant,
    waiter: Waiter,
}

#[derive(Debug)]
struct QrRotation {
    refs: VecDeque<String>,
    next_at: Instant,
}

/// One connection's state machine.
pub(crate) struct Driver {
    shared: Arc<SessionContext>,
    router: Arc<Router>,
    timings: DriverTimings,
    ids: RequestIdGenerator,
    pending: HashMap<String, Pending>,
    /// Answers queued by the last step, to be sent once durable.
    replies: Vec<Replies>,
    qr: Option<QrRotation>,
    code_pairing: Option<(CompanionCodePairing, Jid)>,
    keepalive_at: Instant,
    keepalive_failures: u32,
    logged_in: bool,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("session", &self.shared.id)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

type Step = Result<(), Disconnect>;

impl Driver {
    /// A driver for a freshly opened channel of `shared`'s session.
    pub(crate) fn new(
        shared: Arc<SessionContext>,
        router: Arc<Router>,
        timings: DriverTimings,
    ) -> Self {
        let keepalive_at = Instant::now() + jittered(&timings);
        Driver {
            shared,
            router,
            timings,
            ids: RequestIdGenerator::new(&mut rand::rngs::OsRng),
            pending: HashMap::new(),
            replies: Vec::new(),
            qr: None,
            code_pairing: None,
            keepalive_at,
            keepalive_failures: 0,
            logged_in: false,
        }
    }

    /// Runs until the connection ends; returns why.
    pub(crate) async fn run<C: NodeChannel>(
        mut self,
        mut channel: C,
        commands: &mut mpsc::Receiver<Command>,
        stop: &mut watch::Receiver<RunSignal>,
    ) -> Disconnect {
        let mut in_flight = FuturesUnordered::new();
        let outcome = self
            .run_loop(&mut channel, commands, stop, &mut in_flight)
            .await;
        self.flush_replies(&mut channel, in_flight).await;
        channel.close().await;
        for (_, pending) in self.pending.drain() {
            fail_waiter(
                pending.waiter,
                Error::new(ErrorCode::NotConnected, "the connection closed"),
            );
        }
        outcome
    }

    /// Sends the answers of messages still committing when the loop ended (a clean close acks
    /// what is stored), for at most [`REPLY_FLUSH`]; anything left is redelivered by the server.
    async fn flush_replies<C: NodeChannel>(
        &mut self,
        channel: &mut C,
        mut in_flight: FuturesUnordered<Replies>,
    ) {
        in_flight.extend(self.replies.drain(..));
        let flush = async {
            while let Some(replies) = in_flight.next().await {
                for reply in &replies {
                    if channel.send(reply).await.is_err() {
                        return;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(REPLY_FLUSH, flush).await;
    }

    async fn run_loop<C: NodeChannel>(
        &mut self,
        channel: &mut C,
        commands: &mut mpsc::Receiver<Command>,
        stop: &mut watch::Receiver<RunSignal>,
        in_flight: &mut FuturesUnordered<Replies>,
    ) -> Disconnect {
        loop {
            if *stop.borrow() != RunSignal::Run {
                return Disconnect::Requested;
            }
            in_flight.extend(self.replies.drain(..));
            let deadline = self.next_deadline();
            let step = tokio::select! {
                Some(replies) = in_flight.next(), if !in_flight.is_empty() => {
                    Self::send_all(channel, &replies).await
                },
                changed = stop.changed() => match changed {
                    Ok(()) => Ok(()),
                    Err(_) => Err(Disconnect::Requested),
                },
                node = channel.recv() => match node {
                    Ok(node) => self.on_node(channel, node).await,
                    Err(err) => Err(Disconnect::Transport(err)),
                },
                command = commands.recv() => match command {
                    Some(command) => self.on_command(channel, command).await,
                    None => Err(Disconnect::Requested),
                },
                () = tokio::time::sleep_until(deadline) => self.on_timer(channel).await,
            };
            if let Err(disconnect) = step {
                return disconnect;
            }
        }
    }

    fn next_deadline(&self) -> Instant {
        let mut deadline = self.keepalive_at;
        if let Some(qr) = &self.qr {
            deadline = deadline.min(qr.next_at);
        }
        for pending in self.pending.values() {
            deadline = deadline.min(pending.deadline);
        }
        deadline
    }

    async fn send<C: NodeChannel>(channel: &mut C, node: &Node) -> Step {
        channel.send(node).await.map_err(Disconnect::Transport)
    }

    async fn send_all<C: NodeChannel>(channel: &mut C, nodes: &[Node]) -> Step {
        for node in nodes {
            Self::send(channel, node).await?;
        }
        Ok(())
    }

    async fn send_iq<C: NodeChannel>(
        &mut self,
        channel: &mut C,
        mut node: Node,
        timeout: Duration,
        waiter: Waiter,
    ) -> Step {
        let id = self.ids.next_id();
        node.attrs.retain(|(key, _)| key.as_str() != "id");
        node.attrs.insert(
            0,
            ("id".into(), openwa_protocol::AttrValue::from(id.as_str())),
        );
        self.pending.insert(
            id,
            Pending {
                deadline: Instant::now() + timeout,
                waiter,
            },
        );
        Self::send(channel, &node).await
    }

    async fn on_timer<C: NodeChannel>(&mut self, channel: &mut C) -> Step {
        let now = Instant::now();
        for id in due(&self.pending, now, |p| p.deadline) {
            if let Some(pending) = self.pending.remove(&id) {
                if matches!(pending.waiter, Waiter::Keepalive) {
                    self.keepalive_failures += 1;
                    if self.keepalive_failures >= self.timings.keepalive_max_failures {
                        return Err(Disconnect::KeepaliveTimeout);
                    }
                } else {
                    fail_waiter(
                        pending.waiter,
                        Error::new(ErrorCode::Timeout, format!("no answer to iq {id}")),
                    );
                }
            }
        }
        if self.keepalive_at <= now {
            self.keepalive_at = now + jittered(&self.timings);
            let timeout = self.timings.keepalive_timeout;
            self.send_iq(channel, Ping.request(), timeout, Waiter::Keepalive)
                .await?;
        }
        if self.qr.as_ref().is_some_and(|qr| qr.next_at <= now) {
            self.show_next_qr(self.timings.qr_next).await?;
        }
        Ok(())
    }

    async fn on_command<C: NodeChannel>(&mut self, channel: &mut C, command: Command) -> Step {
        match command {
            Command::Iq {
                node,
                timeout,
                reply,
            } => {
                self.send_iq(channel, node, timeout, Waiter::Caller(reply))
                    .await
            }
            Command::SendNode(node) => Self::send(channel, &node).await,
            Command::PairCode { phone, reply } => {
                self.start_code_pairing(channel, phone, reply).await
            }
        }
    }

    async fn on_node<C: NodeChannel>(&mut self, channel: &mut C, node: Node) -> Step {
        match node.tag.as_str() {
            "iq" => self.on_iq(channel, node).await,
            "success" => self.on_success(channel, &node).await,
            "failure" => Err(Disconnect::Failure(
                Failure::from_node(&node).unwrap_or_else(|_| Failure::new(0)),
            )),
            "stream:error" => Err(Disconnect::Stream(StreamError::from_node(&node).unwrap_or(
                StreamError::Other {
                    code: None,
                    conflict: None,
                },
            ))),
            "xmlstreamend" => Err(Disconnect::StreamEnd),
            "notification" => self.on_notification(channel, &node).await,
            "receipt" | "call" => {
                self.ack(channel, &node).await?;
                self.route(&node).await
            }
            // Messages, acks and anything else a feature registered for. Persist, then ack:
            // a handler queues its writes in arrival order and answers once they are durable,
            // without holding up the next stanza.
            _ => self.route(&node).await,
        }
    }

    /// Hands `node` to the feature registered for it (stanzas nobody handles need no answer).
    async fn route(&mut self, node: &Node) -> Step {
        let Some(feature) = self.router.find(node).cloned() else {
            return Ok(());
        };
        match feature.handle(&self.shared, node).await {
            Handled::Done => Ok(()),
            Handled::Deferred(replies) => {
                self.replies.push(replies);
                Ok(())
            }
        }
    }

    async fn ack<C: NodeChannel>(&mut self, channel: &mut C, node: &Node) -> Step {
        match Ack::for_stanza(node) {
            Ok(ack) => Self::send(channel, &ack.to_node()).await,
            Err(err) => {
                tracing::debug!(session = %self.shared.id, %err, "cannot ack stanza");
                Ok(())
            }
        }
    }

    async fn on_iq<C: NodeChannel>(&mut self, channel: &mut C, node: Node) -> Step {
        let kind = node.attr_str("type").unwrap_or_default();
        if kind == "result" || kind == "error" {
            let Some(pending) = node.attr_str("id").and_then(|id| self.pending.remove(&id)) else {
                return Ok(());
            };
            return self.on_response(channel, pending.waiter, node).await;
        }
        if node.get_child("pair-device").is_some() {
            return self.on_pair_device(channel, &node).await;
        }
        if node.get_child("pair-success").is_some() {
            return self.on_pair_success(channel, &node).await;
        }
        // Other server requests: answer pings, refuse the rest so the server does not wait.
        let Ok(header) = IqHeader::of(&node) else {
            return Ok(());
        };
        let reply = match node.attr_str("xmlns").as_deref() {
            Some("urn:xmpp:ping") | Some("w:p") => header.result(Vec::new()),
            _ => header.error(&IqError::not_implemented()),
        };
        Self::send(channel, &reply).await
    }

    async fn on_response<C: NodeChannel>(
        &mut self,
        channel: &mut C,
        waiter: Waiter,
        node: Node,
    ) -> Step {
        let result = iq_result(node);
        match waiter {
            Waiter::Caller(reply) => {
                let _ = reply.send(result);
            }
            Waiter::Keepalive => self.keepalive_failures = 0,
            Waiter::Ignore => {
                if let Err(err) = result {
                    tracing::debug!(session = %self.shared.id, %err, "iq failed");
                }
            }
            Waiter::PairCodeHello { reply, code } => match result {
                Ok(_) => {
                    self.shared
                        .emit(EventKind::PairingCode { code: code.clone() })
                        .await;
                    let _ = reply.send(Ok(code));
                }
                Err(err) => {
                    self.code_pairing = None;
                    let _ = reply.send(Err(err));
                }
            },
        }
        let _ = channel;
        Ok(())
    }

    async fn on_success<C: NodeChannel>(&mut self, channel: &mut C, node: &Node) -> Step {
        let success = Success::from_node(node).ok();
        if let Some(lid) = success.and_then(|s| s.lid) {
            self.shared.update_credentials(|creds| {
                if let Some(paired) = &mut creds.paired
                    && paired.lid.is_none()
                {
                    let device = paired.jid.device;
                    paired.lid = Some(lid.to_device(device));
                }
            });
            self.shared.persist_credentials().await;
        }
        self.logged_in = true;
        self.shared
            .set_state(ConnectionState::Connected, StateReason::LoggedIn, None)
            .await;
        for feature in self.router.features() {
            feature.on_connected(&self.shared);
        }
        let active = SetPassive { passive: false }.request();
        let timeout = self.shared.options.request_timeout();
        self.send_iq(channel, active, timeout, Waiter::Ignore).await
    }

    async fn on_pair_device<C: NodeChannel>(&mut self, channel: &mut C, node: &Node) -> Step {
        let (header, pair_device) = match PairDevice::parse_request(node) {
            Ok(parsed) => parsed,
            Err(err) => {
                tracing::warn!(session = %self.shared.id, %err, "bad pair-device");
                return Ok(());
            }
        };
        Self::send(channel, &PairDevice::response(&header, &())).await?;
        let refs = pair_device
            .refs
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        self.qr = Some(QrRotation {
            refs,
            next_at: Instant::now(),
        });
        self.shared
            .set_state(ConnectionState::WaitingForQr, StateReason::QrRequired, None)
            .await;
        self.show_next_qr(self.timings.qr_first).await
    }

    /// Emits the next QR code, or ends the connection when the refs are used up.
    async fn show_next_qr(&mut self, validity: Duration) -> Step {
        let Some(qr) = &mut self.qr else {
            return Ok(());
        };
        if self.code_pairing.is_some() {
            // Pairing by code: the QR codes are not shown, and the refs do not time out.
            qr.next_at = Instant::now() + Duration::from_secs(24 * 3600);
            return Ok(());
        }
        let Some(reference) = qr.refs.pop_front() else {
            return Err(Disconnect::QrTimeout);
        };
        qr.next_at = Instant::now() + validity;
        let (noise, identity, adv_secret) = self
            .shared
            .with_credentials(|c| (c.noise_key.public, c.identity_key.public, c.adv_secret));
        let platform = self.shared.options.browser.platform_id().to_owned();
        match QrCode::new(reference, noise, identity, adv_secret, Some(platform)) {
            Ok(code) => {
                self.shared
                    .emit(EventKind::Qr {
                        code: code.encode(),
                        timeout_secs: u32::try_from(validity.as_secs()).unwrap_or(u32::MAX),
                    })
                    .await;
            }
            Err(err) => tracing::warn!(session = %self.shared.id, %err, "unusable QR ref"),
        }
        Ok(())
    }

    async fn on_pair_success<C: NodeChannel>(&mut self, channel: &mut C, node: &Node) -> Step {
        let (header, success) = PairSuccess::parse_request(node)
            .map_err(|e| Disconnect::PairingFailed(format!("bad pair-success: {e}")))?;
        self.qr = None;
        self.shared
            .set_state(ConnectionState::Pairing, StateReason::PairingStarted, None)
            .await;
        let (adv_secret, identity) = self
            .shared
            .with_credentials(|c| (c.adv_secret, c.identity_key.clone()));
        let accepted = match adv::accept_pair_success(
            &success.device_identity,
            &adv_secret,
            &identity,
            None,
            &mut rand::rngs::OsRng,
        ) {
            Ok(accepted) => accepted,
            Err(err) => {
                let (code, text) = err.iq_error();
                Self::send(channel, &header.error(&IqError::new(code, text))).await?;
                return Err(Disconnect::PairingFailed(err.to_string()));
            }
        };
        let paired = PairedDevice {
            jid: success.device.clone(),
            lid: success.lid.clone(),
            account: accepted.account.encode_to_vec(),
            account_signature_key: accepted.account_signature_key,
            platform: success.platform.clone(),
            business_name: success.business_name.clone(),
        };
        // Persist, then answer: the phone must never believe in a device we could lose.
        self.shared.update_credentials(|c| c.paired = Some(paired));
        self.shared.persist_credentials().await;
        let reply = PairSuccess::response(
            &header,
            &PairDeviceSign {
                key_index: accepted.key_index,
                device_identity: accepted.reply.clone(),
            },
        );
        Self::send(channel, &reply).await?;
        self.shared
            .emit(EventKind::Paired {
                jid: success.device.to_string(),
                lid: success.lid.as_ref().map(Jid::to_string),
                platform: success.platform,
                business_name: success.business_name,
            })
            .await;
        self.shared
            .set_state(
                ConnectionState::Pairing,
                StateReason::PairingSucceeded,
                None,
            )
            .await;
        Ok(())
    }

    async fn start_code_pairing<C: NodeChannel>(
        &mut self,
        channel: &mut C,
        phone: String,
        reply: oneshot::Sender<Result<String, Error>>,
    ) -> Step {
        if self.logged_in || self.shared.with_credentials(|c| c.paired.is_some()) {
            let _ = reply.send(Err(Error::new(
                ErrorCode::InvalidArgument,
                "this session is already paired",
            )));
            return Ok(());
        }
        let (pairing, wrapped) = CompanionCodePairing::start(&mut rand::rngs::OsRng);
        let code = pairing.code().formatted();
        let phone_jid = Jid::pn(phone);
        let noise = self.shared.with_credentials(|c| c.noise_key.public);
        let browser = &self.shared.options.browser;
        let hello = LinkCodeCompanionHello {
            phone: phone_jid.clone(),
            show_push_notification: true,
            wrapped_companion_ephemeral_pub: wrapped.to_vec(),
            companion_server_auth_key_pub: noise.to_vec(),
            companion_platform_id: browser.platform_id().to_owned(),
            companion_platform_display: browser.display(),
            nonce: vec![0],
        };
        self.code_pairing = Some((pairing, phone_jid));
        if let Some(qr) = &mut self.qr {
            qr.next_at = Instant::now() + Duration::from_secs(24 * 3600);
        }
        let timeout = self.shared.options.request_timeout();
        self.send_iq(
            channel,
            hello.request(),
            timeout,
            Waiter::PairCodeHello { reply, code },
        )
        .await
    }

    async fn on_notification<C: NodeChannel>(&mut self, channel: &mut C, node: &Node) -> Step {
        self.ack(channel, node).await?;
        if node.attr_str("type").as_deref() != Some("link_code_companion_reg") {
            return self.route(node).await;
        }
        let Some(inner) = node.get_child("link_code_companion_reg") else {
            return Ok(());
        };
        let Ok(hello) = LinkCodePrimaryHello::from_node(inner) else {
            tracing::warn!(session = %self.shared.id, "bad link_code_companion_reg notification");
            return Ok(());
        };
        let Some((pairing, phone)) = self.code_pairing.take() else {
            return Ok(());
        };
        let Ok(primary_identity) = <[u8; 32]>::try_from(hello.primary_identity_pub.as_slice())
        else {
            return Err(Disconnect::PairingFailed("bad primary identity key".into()));
        };
        let identity = self.shared.with_credentials(|c| c.identity_key.clone());
        let finish = pairing
            .finish(
                &hello.wrapped_primary_ephemeral_pub,
                &primary_identity,
                &identity,
                &mut rand::rngs::OsRng,
            )
            .map_err(|e| Disconnect::PairingFailed(e.to_string()))?;
        self.shared
            .update_credentials(|c| c.adv_secret = finish.adv_secret);
        self.shared.persist_credentials().await;
        self.shared
            .set_state(ConnectionState::Pairing, StateReason::PairingStarted, None)
            .await;
        let request = LinkCodeCompanionFinish {
            phone,
            wrapped_key_bundle: finish.wrapped_key_bundle,
            companion_identity_public: identity.public.to_vec(),
            pairing_ref: hello.pairing_ref,
        }
        .request();
        let timeout = self.shared.options.request_timeout();
        self.send_iq(channel, request, timeout, Waiter::Ignore)
            .await
    }
}

/// Turns an IQ answer into the node or a typed error.
fn iq_result(node: Node) -> Result<Node, Error> {
    if node.attr_str("type").as_deref() != Some("error") {
        return Ok(node);
    }
    let error = node
        .get_child("error")
        .and_then(|e| IqError::from_node(e).ok());
    let (code, text) = error.map_or((0, String::new()), |e| (e.code, e.text));
    let api_code = match code {
        401 | 403 => ErrorCode::NotPaired,
        404 => ErrorCode::NotFound,
        400 | 406 => ErrorCode::InvalidArgument,
        429 => ErrorCode::RateLimited,
        408 | 504 => ErrorCode::Timeout,
        _ => ErrorCode::ServerError,
    };
    Err(
        Error::new(api_code, format!("server answered error {code} {text}"))
            .with_details(code.to_string()),
    )
}

/// The keys of `waiting` whose deadline has passed.
fn due<T>(
    waiting: &HashMap<String, T>,
    now: Instant,
    deadline: impl Fn(&T) -> Instant,
) -> Vec<String> {
    waiting
        .iter()
        .filter(|(_, w)| deadline(w) <= now)
        .map(|(id, _)| id.clone())
        .collect()
}

fn fail_waiter(waiter: Waiter, error: Error) {
    match waiter {
        Waiter::Caller(reply) => {
            let _ = reply.send(Err(error));
        }
        Waiter::PairCodeHello { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Waiter::Keepalive | Waiter::Ignore => {}
    }
}

fn jittered(timings: &DriverTimings) -> Duration {
    let min = timings.keepalive_min.as_millis();
    let max = timings.keepalive_max.as_millis().max(min);
    let ms = rand::rngs::OsRng.gen_range(min..=max);
    Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}

impl From<TransportError> for Disconnect {
    fn from(err: TransportError) -> Self {
        Disconnect::Transport(err)
    }
}
