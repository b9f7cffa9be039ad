//! What the phone's collections say, decrypted with its key (`GET /admin/accounts/{phone}/app-state`).

use openwa_protocol::appstate::patch::open_record;
use openwa_protocol::appstate::{Collection, Operation};
use openwa_protocol::proto::syncd::SyncActionValue;
use serde_json::{Value, json};

use super::lookup;
use crate::state::Account;

/// Every collection's version and live entries (`index` parts and the action as JSON).
pub fn view(account: &Account) -> Value {
    let key = account.signal.app_state_key.clone();
    let mut out = serde_json::Map::new();
    for collection in Collection::ALL {
        let Some(stored) = account.app_state.collections.get(collection.name()) else {
            out.insert(
                collection.name().to_owned(),
                json!({"version": 0, "entries": []}),
            );
            continue;
        };
        let entries: Vec<Value> = stored
            .records()
            .iter()
            .filter_map(|record| {
                let key = key.as_ref()?;
                let m = open_record(record, Operation::Set, &|id| lookup(key, id)).ok()?;
                Some(json!({"index": m.index.parts(), "value": action(&m.value)}))
            })
            .collect();
        out.insert(
            collection.name().to_owned(),
            json!({"version": stored.version, "entries": entries}),
        );
    }
    Value::Object(out)
}

/// The actions OpenWA knows, as JSON.
pub fn action(value: &SyncActionValue) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("timestamp".into(), json!(value.timestamp));
    if let Some(a) = &value.contact_action {
        out.insert(
            "contact".into(),
            json!({"full_name": a.full_name, "first_name": a.first_name}),
        );
    }
    if let Some(a) = &value.archive_chat_action {
        out.insert("archived".into(), json!(a.archived));
    }
    if let Some(a) = &value.pin_action {
        out.insert("pinned".into(), json!(a.pinned));
    }
    if let Some(a) = &value.mute_action {
        out.insert(
            "mute".into(),
            json!({"muted": a.muted, "until": a.mute_end_timestamp}),
        );
    }
    if let Some(a) = &value.mark_chat_as_read_action {
        out.insert("read".into(), json!(a.read));
    }
    if let Some(a) = &value.star_action {
        out.insert("starred".into(), json!(a.starred));
    }
    if let Some(a) = &value.label_edit_action {
        out.insert(
            "label".into(),
            json!({"name": a.name, "color": a.color, "deleted": a.deleted}),
        );
    }
    if let Some(a) = &value.label_association_action {
        out.insert("labeled".into(), json!(a.labeled));
    }
    if let Some(a) = &value.push_name_setting {
        out.insert("push_name".into(), json!(a.name));
    }
    if value.clear_chat_action.is_some() {
        out.insert("clear_chat".into(), json!(true));
    }
    if value.delete_chat_action.is_some() {
        out.insert("delete_chat".into(), json!(true));
    }
    Value::Object(out)
}
