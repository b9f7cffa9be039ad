//! Device lists for sending: usync (`devices` + `lid`) for the users whose list is not cached,
//! the cache (in memory, backed by the store; both dropped by `devices` notifications), PN→LID
//! mappings learned from the answers, and the fan-out decision.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use openwa_protocol::stanza::{DeviceList, IqSpec, UsyncQuery};
use openwa_protocol::{Jid, Node};

use crate::context::SessionContext;
use crate::error::Error;

/// One device a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The device JID, in the namespace of the user it belongs to as queried.
    pub jid: Jid,
    /// One of our own other devices (gets the device-sent wrapper).
    pub own: bool,
}

/// The devices of a usync list a message may be encrypted for: the phone (device 0) and
/// companions with an ADV key index; hosted (Cloud API) devices are left out.
pub(crate) fn usable_devices(list: &DeviceList) -> Vec<u16> {
    let mut ids: Vec<u16> = list
        .devices
        .iter()
        .filter(|d| !d.is_hosted && (d.id == 0 || d.key_index.is_some()))
        .map(|d| d.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Who gets a message to `recipient` (a device-less user): each of its devices, plus each of
/// our own devices except the sending one (`own_device` of `own_user`), marked `own`. A note
/// to ourselves (`recipient` is our own user) goes to our other devices only.
pub(crate) fn fan_out(
    recipient: &Jid,
    recipient_devices: &[u16],
    own_user: &Jid,
    own_devices: &[u16],
    own_device: u16,
) -> Vec<Target> {
    let to_self = recipient.user == own_user.user && recipient.server == own_user.server;
    let mut targets = Vec::new();
    if !to_self {
        targets.extend(recipient_devices.iter().map(|d| Target {
            jid: recipient.to_device(*d),
            own: false,
        }));
    }
    targets.extend(
        own_devices
            .iter()
            .filter(|d| **d != own_device)
            .map(|d| Target {
                jid: own_user.to_device(*d),
                own: true,
            }),
    );
    targets.dedup_by(|a, b| a.jid == b.jid);
    targets
}

/// Device lists in memory, in front of the store's `device_lists` (a feature state).
#[derive(Debug, Default)]
pub(crate) struct DeviceCache {
    lists: Mutex<HashMap<String, Vec<u16>>>,
}

impl DeviceCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<u16>>> {
        match self.lists.lock() {
            Ok(lists) => lists,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn get(&self, user: &str) -> Option<Vec<u16>> {
        self.lock().get(user).cloned()
    }

    fn put(&self, user: &str, devices: Vec<u16>) {
        self.lock().insert(user.to_owned(), devices);
    }

    fn forget(&self, user: &str) {
        self.lock().remove(user);
    }
}

/// The cache key of a user's device list (the device-less JID).
fn cache_key(user: &Jid) -> String {
    user.to_non_ad().to_string()
}

/// The usable device ids of each of `users` (device-less JIDs), from the store's cache or
/// one usync query for the others. Mappings from the answer's `lid` are persisted.
pub(crate) async fn device_lists(
    shared: &SessionContext,
    users: &[Jid],
) -> Result<HashMap<String, Vec<u16>>, Error> {
    let cache = shared.feature::<DeviceCache>();
    let mut lists = HashMap::new();
    let mut missing = Vec::new();
    for user in users {
        let key = cache_key(user);
        // Memory first (filled from the store or usync), then the store.
        let cached = match cache.get(&key) {
            Some(ids) => Some(ids),
            None => {
                let stored: Option<Vec<u16>> =
                    shared.store().get_device_list(&key).await?.map(|list| {
                        list.devices
                            .iter()
                            .filter_map(|d| u16::try_from(*d).ok())
                            .collect()
                    });
                if let Some(ids) = &stored {
                    cache.put(&key, ids.clone());
                }
                stored
            }
        };
        match cached {
            Some(ids) => {
                lists.insert(key, ids);
            }
            None if !missing.contains(&user.to_non_ad()) => missing.push(user.to_non_ad()),
            None => {}
        }
    }
    if missing.is_empty() {
        return Ok(lists);
    }
    let sid = crate::messaging::now_secs().to_string();
    let answer = shared
        .iq(UsyncQuery::devices(sid, missing.clone()).request())
        .await?;
    let results = UsyncQuery::parse_response(&answer)
        .map_err(|e| Error::new(crate::error::ErrorCode::Protocol, e.to_string()))?;
    let signal = shared.signal_store();
    for result in results {
        let key = cache_key(&result.jid);
        if let Some(lid) = &result.lid
            && result.jid.is_pn()
            && let Err(err) = signal.learn_mapping(&result.jid.user, &lid.user).await
        {
            tracing::warn!(session = %shared.id, %err, "PN/LID mapping not stored");
        }
        let ids = result
            .devices
            .as_ref()
            .map(usable_devices)
            .unwrap_or_default();
        let list = openwa_store::DeviceList {
            devices: ids.iter().map(|d| u32::from(*d)).collect(),
            hash: None,
            updated_at: i64::try_from(crate::messaging::now_secs())
                .unwrap_or(i64::MAX)
                .saturating_mul(1000),
        };
        shared.store().put_device_list(&key, &list).await?;
        cache.put(&key, ids.clone());
        lists.insert(key, ids);
    }
    for user in &missing {
        lists.entry(cache_key(user)).or_default();
    }
    Ok(lists)
}

/// Drops the cached device list of one user (its PN and LID forms).
pub(crate) async fn forget(shared: &SessionContext, users: &[Jid]) {
    let cache = shared.feature::<DeviceCache>();
    for user in users {
        let key = cache_key(user);
        cache.forget(&key);
        if let Err(err) = shared.store().delete_device_list(&key).await {
            tracing::warn!(session = %shared.id, %err, "device list not invalidated");
        }
    }
}

/// A `devices` notification (already acked): the user's device list changed, so its cached
/// list is dropped (the next send queries it again); a `lid` attribute teaches the mapping.
pub(crate) async fn on_devices_notification(shared: &SessionContext, node: &Node) {
    let Some(from) = node.attr_jid("from") else {
        return;
    };
    let lid = node.attr_jid("lid");
    let mut users = vec![from.to_non_ad()];
    users.extend(lid.iter().map(Jid::to_non_ad));
    forget(shared, &users).await;
    if let Some(lid) = lid
        && from.is_pn()
        && let Err(err) = shared
            .signal_store()
            .learn_mapping(&from.user, &lid.user)
            .await
    {
        tracing::warn!(session = %shared.id, %err, "PN/LID mapping not stored");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::stanza::DeviceEntry;

    fn pn(user: &str) -> Jid {
        Jid::pn(user)
    }

    #[test]
    fn only_the_phone_and_companions_with_a_key_index_are_usable() {
        let mut hosted = DeviceEntry::companion(99, 4);
        hosted.is_hosted = true;
        let list = DeviceList {
            devices: vec![
                DeviceEntry::companion(5, 2),
                DeviceEntry::primary(),
                DeviceEntry {
                    id: 7,
                    key_index: None,
                    is_hosted: false,
                },
                hosted,
                DeviceEntry::companion(5, 2),
            ],
            key_index: None,
        };
        assert_eq!(usable_devices(&list), vec![0, 5]);
    }

    #[test]
    fn fan_out_covers_the_recipient_and_our_other_devices() {
        let targets = fan_out(&pn("222"), &[0, 3], &pn("111"), &[0, 2, 5], 2);
        let got: Vec<(String, bool)> = targets.iter().map(|t| (t.jid.to_string(), t.own)).collect();
        assert_eq!(
            got,
            vec![
                ("222@s.whatsapp.net".to_owned(), false),
                ("222:3@s.whatsapp.net".to_owned(), false),
                ("111@s.whatsapp.net".to_owned(), true),
                ("111:5@s.whatsapp.net".to_owned(), true),
            ]
        );
    }

    #[test]
    fn a_note_to_self_goes_to_our_other_devices_only() {
        let targets = fan_out(&pn("111"), &[0, 2], &pn("111"), &[0, 2], 2);
        assert_eq!(targets.len(), 1);
        assert!(targets[0].own);
        assert_eq!(targets[0].jid.to_string(), "111@s.whatsapp.net");
    }

    #[test]
    fn lid_recipients_keep_their_namespace() {
        let recipient = Jid::lid("987");
        let targets = fan_out(&recipient, &[0], &Jid::lid("654"), &[1], 1);
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].jid.to_string(), "987@lid");
    }
}
