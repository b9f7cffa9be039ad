//! Group metadata in memory (a feature state): filled by the metadata IQ, by the answers of
//! create and the participating list, and by `create` notifications; a group's entry is
//! dropped by every other `w:gp2` notification about it (the next use asks the server again).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use openwa_protocol::Jid;
use openwa_protocol::stanza::GroupInfo;
use openwa_protocol::stanza::group::GetGroupInfo;

use super::iq::run;
use crate::context::SessionContext;
use crate::error::Error;

/// The cache (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct GroupCache {
    groups: Mutex<HashMap<String, GroupInfo>>,
}

impl GroupCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, GroupInfo>> {
        match self.groups.lock() {
            Ok(groups) => groups,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The cached metadata of `group`.
    pub(crate) fn get(&self, group: &Jid) -> Option<GroupInfo> {
        self.lock().get(&group.to_string()).cloned()
    }

    /// Caches `info`.
    pub(crate) fn put(&self, info: &GroupInfo) {
        self.lock().insert(info.jid.to_string(), info.clone());
    }

    /// Drops the entry of `group`.
    pub(crate) fn forget(&self, group: &Jid) {
        self.lock().remove(&group.to_string());
    }
}

/// The metadata of `group`: cached, or asked from the server (and cached).
pub(crate) async fn metadata(shared: &SessionContext, group: &Jid) -> Result<GroupInfo, Error> {
    let cache = shared.feature::<GroupCache>();
    if let Some(info) = cache.get(group) {
        return Ok(info);
    }
    fresh_metadata(shared, group).await
}

/// The metadata of `group` from the server, replacing the cached one.
pub(crate) async fn fresh_metadata(
    shared: &SessionContext,
    group: &Jid,
) -> Result<GroupInfo, Error> {
    let info = run(
        shared,
        &GetGroupInfo {
            group: group.clone(),
        },
    )
    .await?;
    shared.feature::<GroupCache>().put(&info);
    Ok(info)
}
