//! Groups (docs/PROTOCOL.md, Groups), in LID addressing mode unless created PN-addressed: the
//! `w:g2` IQs ([`iq`]), the
//! `w:gp2` change notifications pushed to members ([`notify`]), the `<group>` metadata view
//! ([`view`]) and message fan-out with sender keys ([`fanout`]).

pub mod fanout;
pub mod iq;
pub mod notify;
pub mod view;

pub use fanout::route_group_message;

use openwa_protocol::stanza::{GroupChange, GroupInfo, MembershipChange};
use rand_core::OsRng;

use crate::hub::Hub;
use crate::state::{Group, Role, State, StateError};
use crate::util::now_secs;

/// Every device (phone and companions) of every current member of `group`: the fan-out and
/// notification targets. Removed members are not in it.
pub fn member_devices(state: &State, group: &Group) -> Vec<(String, u16)> {
    group
        .participants
        .iter()
        .filter_map(|p| state.accounts.get(&p.phone))
        .flat_map(|account| {
            account
                .devices
                .keys()
                .map(|device| (account.phone.clone(), *device))
        })
        .collect()
}

/// Settings a group can be created with (besides subject and members).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateOptions {
    /// The creator's create key, echoed in the `create` notification.
    pub key: Option<String>,
    /// Disappearing-message timer (0 = off).
    pub ephemeral: u32,
    /// Non-admins may add members.
    pub all_members_add: bool,
    /// Only admins edit group info.
    pub locked: bool,
    /// Only admins send.
    pub announce: bool,
    /// Joining by link needs approval.
    pub approval_required: bool,
    /// Members are named by phone number (`addressing_mode="pn"`).
    pub pn_addressing: bool,
}

/// Creates a group with `creator` as super admin and `members` (phones; the creator and
/// duplicates are skipped), then sends the `create` notification to every member device.
/// Returns the new group's metadata.
pub fn create_group(
    hub: &Hub,
    creator: &notify::Actor,
    subject: &str,
    members: &[String],
    options: CreateOptions,
) -> Result<GroupInfo, StateError> {
    let now = now_secs();
    let info = hub.write(|s| {
        let id = s
            .create_group(&creator.phone, subject, members, now, &mut OsRng)?
            .id
            .clone();
        let group = s.group_mut(&id)?;
        group.create_key = options.key;
        group.ephemeral = options.ephemeral;
        group.all_members_add = options.all_members_add;
        group.locked = options.locked;
        group.announce = options.announce;
        group.approval_required = options.approval_required;
        group.pn_addressing = options.pn_addressing;
        let group = s.group(&id)?;
        Ok::<_, StateError>(view::group_info(s, group))
    })?;
    let key = hub.read(|s| {
        s.group(&info.jid.user)
            .ok()
            .and_then(|g| g.create_key.clone())
    });
    notify::notify(
        hub,
        &info.jid.user,
        creator,
        GroupChange::Create {
            info: Box::new(info.clone()),
            key,
            reason: None,
        },
        &[],
    );
    Ok(info)
}

/// A membership change naming `phones` in `group`'s namespace.
pub fn membership(
    hub: &Hub,
    group: &str,
    change: MembershipChange,
    reason: Option<String>,
    phones: &[String],
) -> GroupChange {
    let participants = hub.read(|s| {
        let pn_mode = s.group(group).is_ok_and(|g| g.pn_addressing);
        phones
            .iter()
            .filter_map(|p| view::participant(s, p, Role::Member, pn_mode))
            .collect()
    });
    GroupChange::Membership {
        change,
        reason,
        participants,
    }
}
