//! Sending to a group with sender keys: members from the (cached) metadata, their devices
//! (usync), our sender key for the group (a fresh one when nobody holds the current one), its
//! distribution message pairwise-encrypted (`pkmsg`/`msg`) for every member device that does
//! not hold it yet, then the content once as `skmsg`. The message, the Signal changes and the
//! new holders are committed in one unit before the stanza leaves.

use std::collections::HashSet;

use openwa_protocol::Jid;
use openwa_protocol::message::pad;
use openwa_protocol::proto::e2e;
use openwa_protocol::signal::{self, ProtocolAddress, SenderKeyName, SenderKeyStore as _};
use openwa_protocol::stanza::{AddressingMode as WireMode, Enc, EncKind, GroupInfo};
use prost::Message as _;

use super::devices::{Target, device_lists};
use super::encrypt::{Encrypted, encrypt_all, fetch_bundles, without_session};
use super::own::Own;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::groups::cache::metadata;
use crate::signal_store::SignalBatch;

/// How we appear in a group: our user and sending device in the group's namespace.
#[derive(Debug, Clone)]
pub(crate) struct GroupSelf {
    /// Our device-less user as the group names members.
    pub user: Jid,
    /// Our sending device in that namespace (the sender of our sender key).
    pub device: Jid,
    /// The group's addressing mode.
    pub mode: WireMode,
}

impl GroupSelf {
    /// Our sender key's name in `group`.
    pub(crate) fn key_name(&self, group: &Jid) -> SenderKeyName {
        SenderKeyName::new(group.to_string(), ProtocolAddress::from_jid(&self.device))
    }
}

/// Whether `own` is a member of `info`, and as what.
fn own_participant<'a>(
    info: &'a GroupInfo,
    own: &Own,
) -> Option<&'a openwa_protocol::stanza::GroupParticipant> {
    let pn = own.device.user.as_str();
    let lid = own.lid.as_ref().map(|l| l.user.as_str());
    info.participants.iter().find(|p| {
        (p.jid.is_pn() && p.jid.user.as_str() == pn)
            || (p.jid.is_lid() && Some(p.jid.user.as_str()) == lid)
            || p.phone_number
                .as_ref()
                .is_some_and(|n| n.user.as_str() == pn)
    })
}

/// Our identity in `info`'s namespace; `permission_denied` when we are not a member (or may
/// not send: announcement groups let admins only).
pub(crate) fn group_self(info: &GroupInfo, own: &Own, sending: bool) -> Result<GroupSelf, Error> {
    let me = own_participant(info, own).ok_or_else(|| {
        Error::new(
            ErrorCode::PermissionDenied,
            format!("not a member of {}", info.jid),
        )
    })?;
    if sending && info.announcement && me.role.is_none() {
        return Err(Error::new(
            ErrorCode::PermissionDenied,
            format!("only admins may send to {}", info.jid),
        ));
    }
    let lid_mode = info.addressing_mode == Some(WireMode::Lid);
    let user = match (&own.lid, lid_mode) {
        (Some(lid), true) => lid.to_non_ad(),
        _ => own.device.to_non_ad(),
    };
    Ok(GroupSelf {
        device: user.to_device(own.device.device),
        mode: if user.is_lid() {
            WireMode::Lid
        } else {
            WireMode::Pn
        },
        user,
    })
}

/// The SKDM message for `group`.
pub(crate) fn distribution_message(group: &Jid, skdm: &[u8]) -> e2e::Message {
    e2e::Message {
        sender_key_distribution_message: Some(e2e::SenderKeyDistributionMessage {
            group_id: Some(group.to_string()),
            axolotl_sender_key_distribution_message: Some(skdm.to_vec()),
        }),
        ..Default::default()
    }
}

/// What an encrypted group message consists of, before it is committed.
pub(crate) struct GroupPayload {
    /// The Signal batch holding the changes (commit it with the message).
    pub batch: SignalBatch,
    /// The SKDMs for the devices that lacked our key.
    pub distributed: Encrypted,
    /// The `skmsg`.
    pub skmsg: Enc,
    /// Our key was replaced: every earlier holder is forgotten.
    pub fresh_key: bool,
    /// How we appear in the group.
    pub me: GroupSelf,
}

/// Checks membership and encrypts `plaintext` (the unpadded `Message`) for `group`.
pub(crate) async fn encrypt_for_group(
    shared: &SessionContext,
    own: &Own,
    group: &Jid,
    plaintext: &[u8],
) -> Result<GroupPayload, Error> {
    let info = metadata(shared, group).await?;
    let me = group_self(&info, own, true)?;
    let users: Vec<Jid> = info
        .participants
        .iter()
        .map(|p| p.jid.to_non_ad())
        .collect();
    let lists = device_lists(shared, &users).await?;
    let mut targets = Vec::new();
    for user in &users {
        let devices = lists.get(&user.to_string()).cloned().unwrap_or_default();
        for device in devices {
            let jid = user.to_device(device);
            if jid == me.device {
                continue;
            }
            targets.push(Target {
                own: user.user == me.user.user && user.server == me.user.server,
                jid,
            });
        }
    }
    targets.dedup_by(|a, b| a.jid == b.jid);

    let name = me.key_name(group);
    let signal = shared.signal_store();
    let holders: HashSet<String> = shared
        .store()
        .sender_key_holders(&group.to_string())
        .await?
        .into_iter()
        .collect();
    let has_key = {
        let probe = signal.begin().await;
        probe
            .load_sender_key(&name)
            .await
            .map_err(|e| Error::new(ErrorCode::Store, e.to_string()))?
            .is_some_and(|r| !r.is_empty())
    };
    // Nobody holds our current key (first send, or members left since): start a fresh one.
    let fresh_key = holders.is_empty() || !has_key;
    let needing: Vec<Target> = targets
        .into_iter()
        .filter(|t| fresh_key || !holders.contains(&t.jid.to_string()))
        .collect();
    let missing = without_session(&signal, &needing).await?;
    let bundles = fetch_bundles(shared, &missing).await?;

    let batch = signal.begin().await;
    let rng = &mut rand::rngs::OsRng;
    let distribution = if fresh_key {
        signal::group::rotate(&batch, &name, rng).await
    } else {
        signal::group::create_distribution(&batch, &name, rng).await
    }
    .map_err(|e| Error::new(ErrorCode::Crypto, format!("sender key: {e}")))?;
    let skdm = pad(
        &distribution_message(group, distribution.serialized()).encode_to_vec(),
        rng,
    );
    let distributed = encrypt_all(&batch, &needing, &bundles, &skdm, &skdm).await;
    let ciphertext = signal::group::encrypt(&batch, &name, &pad(plaintext, rng), rng)
        .await
        .map_err(|e| Error::new(ErrorCode::Crypto, format!("group encryption: {e}")))?;
    Ok(GroupPayload {
        batch,
        distributed,
        skmsg: Enc::new(EncKind::Skmsg, ciphertext),
        fresh_key,
        me,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::stanza::{GroupParticipant, ParticipantRole};

    fn own() -> Own {
        Own {
            device: "15550000001:3@s.whatsapp.net".parse().unwrap(),
            lid: Some("100000000000001:3@lid".parse().unwrap()),
            account: Vec::new(),
        }
    }

    fn group(mode: WireMode, me: GroupParticipant) -> GroupInfo {
        let mut info = GroupInfo::new("120363000000000001@g.us".parse().unwrap(), "G");
        info.addressing_mode = Some(mode);
        info.participants = vec![me, GroupParticipant::member(Jid::lid("200000000000002"))];
        info
    }

    #[test]
    fn we_send_in_the_groups_namespace() {
        let lid = group(
            WireMode::Lid,
            GroupParticipant::member(Jid::lid("100000000000001")),
        );
        let me = group_self(&lid, &own(), true).unwrap();
        assert_eq!(me.device.to_string(), "100000000000001:3@lid");
        assert_eq!(me.mode, WireMode::Lid);
        let pn = group(
            WireMode::Pn,
            GroupParticipant::member(Jid::pn("15550000001")),
        );
        let me = group_self(&pn, &own(), true).unwrap();
        assert_eq!(me.device.to_string(), "15550000001:3@s.whatsapp.net");
        assert_eq!(me.mode, WireMode::Pn);
    }

    #[test]
    fn non_members_and_members_of_announcement_groups_may_not_send() {
        let mut info = group(
            WireMode::Lid,
            GroupParticipant::member(Jid::lid("999999999999999")),
        );
        let err = group_self(&info, &own(), true).unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied);
        info.participants[0] = GroupParticipant {
            phone_number: Some(Jid::pn("15550000001")),
            ..GroupParticipant::member(Jid::lid("100000000000001"))
        };
        info.announcement = true;
        assert_eq!(
            group_self(&info, &own(), true).unwrap_err().code,
            ErrorCode::PermissionDenied
        );
        assert!(group_self(&info, &own(), false).is_ok());
        info.participants[0].role = Some(ParticipantRole::Admin);
        assert!(group_self(&info, &own(), true).is_ok());
    }
}
