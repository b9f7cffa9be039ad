//! App state served by the simulator, seen by raw protocol clients: changes made on the phone
//! (admin API) reach companions as `server_sync` and as snapshot/patches that verify with the
//! phone's key; a companion's patch is checked, stored and announced to the other companion;
//! stale and tampered writes are refused; the fault switch corrupts the next patch once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use common::dev::Dev;
use common::session::{iq, online, pair};
use common::{http, start};
use openwa_protocol::Node;
use openwa_protocol::appstate::patch::Mac32;
use openwa_protocol::appstate::{
    AppStateError, Collection, CollectionState, Index, MutationInput, MutationKeys, Operation,
    decode_patch, decode_snapshot, encode_patch,
};
use openwa_protocol::media::{self, ExpectedDigests, MediaType};
use openwa_protocol::proto::syncd::{
    ExternalBlobReference, PinAction, SyncActionValue, SyncdPatch, SyncdSnapshot,
};
use openwa_simulator::SimulatorHandle;
use prost::Message as _;
use rand_core::OsRng;
use serde_json::{Value, json};

const A: &str = "15550000001";
const B: &str = "15550000002";

async fn change(sim: &SimulatorHandle, body: Value) -> Value {
    let response = http(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{A}/app-state"),
        Some(body),
    )
    .await;
    let value = response.json();
    assert_eq!(response.status, 201, "{value}");
    value
}

async fn fault(sim: &SimulatorHandle, fault: &str) {
    let response = http(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{A}/app-state/fault"),
        Some(json!({"fault": fault})),
    )
    .await;
    assert_eq!(response.status, 200);
}

fn keys(sim: &SimulatorHandle) -> (Vec<u8>, MutationKeys) {
    let key = sim
        .sim()
        .read(|s| s.account(A).unwrap().signal.app_state_key.clone())
        .unwrap();
    (key.key_id.0.clone(), MutationKeys::expand(&key.key_data.0))
}

fn sync_iq(id: &str, collection: Node) -> Node {
    iq(
        id,
        "w:sync:app:state",
        "set",
        vec![Node::new("sync").child(collection)],
    )
}

fn fetch(id: &str, collection: Collection, version: u64) -> Node {
    sync_iq(
        id,
        Node::new("collection")
            .attr("name", collection.name())
            .attr("version", version.to_string())
            .attr("return_snapshot", "false"),
    )
}

fn answer(reply: &Node) -> &Node {
    reply
        .get_path(&["sync", "collection"])
        .expect("a collection")
}

fn patches(reply: &Node) -> Vec<SyncdPatch> {
    answer(reply)
        .get_child("patches")
        .map(|p| {
            p.children_by_tag("patch")
                .map(|n| SyncdPatch::decode(n.content_bytes().unwrap()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

async fn server_sync(dev: &mut Dev) -> (String, u64) {
    let node = dev
        .next(|n| n.tag == "notification" && n.attr_str("type").as_deref() == Some("server_sync"))
        .await;
    let c = node.get_child("collection").unwrap();
    (c.attr_str("name").unwrap(), c.attr_u64("version").unwrap())
}

/// A companion's view of one collection.
#[derive(Default)]
struct Replica {
    state: CollectionState,
    macs: HashMap<Mac32, Mac32>,
}

impl Replica {
    fn apply(
        &mut self,
        collection: Collection,
        patch: &SyncdPatch,
        keys: &MutationKeys,
        key_id: &[u8],
    ) -> Result<Vec<openwa_protocol::appstate::Mutation>, AppStateError> {
        let macs = self.macs.clone();
        let lookup = |id: &[u8]| (id == key_id).then(|| keys.clone());
        let (state, mutations) = decode_patch(collection, &self.state, patch, &lookup, &mut |i| {
            macs.get(i).copied()
        })?;
        self.state = state;
        for m in &mutations {
            match m.operation {
                Operation::Set => self.macs.insert(m.index_mac, m.value_mac),
                Operation::Remove => self.macs.remove(&m.index_mac),
            };
        }
        Ok(mutations)
    }
}

#[tokio::test]
async fn phone_changes_reach_companions_and_companion_patches_reach_the_phone() {
    let sim = start().await;
    sim.create_account(A, "Alice").unwrap();
    sim.create_account(B, "Bob").unwrap();
    let first = pair(&sim, A).await;
    let second = pair(&sim, A).await;
    let (client, queued) = online(&sim, &first).await;
    let mut d1 = Dev::new(client, queued);
    let (client, queued) = online(&sim, &second).await;
    let mut d2 = Dev::new(client, queued);

    // A contact saved on the phone: both companions hear of it.
    let made = change(
        &sim,
        json!({"action": "contact", "jid": B, "full_name": "Bob Builder", "first_name": "Bob"}),
    )
    .await;
    assert_eq!(
        made,
        json!({"collection": "critical_unblock_low", "version": 1})
    );
    assert_eq!(
        server_sync(&mut d1).await,
        ("critical_unblock_low".into(), 1)
    );
    assert_eq!(
        server_sync(&mut d2).await,
        ("critical_unblock_low".into(), 1)
    );
    let (key_id, keys) = keys(&sim);
    let lookup = |id: &[u8]| (id == key_id.as_slice()).then(|| keys.clone());

    // From version 0 the answer is a snapshot on the media host.
    let reply = d1
        .ask_node(fetch("s1", Collection::CriticalUnblockLow, 0))
        .await;
    let collection = answer(&reply);
    assert_eq!(collection.attr_u64("version"), Some(1));
    let reference = ExternalBlobReference::decode(
        collection
            .get_child("snapshot")
            .unwrap()
            .content_bytes()
            .unwrap(),
    )
    .unwrap();
    let id = hex::encode(reference.file_enc_sha256.as_ref().unwrap());
    let blob = sim.sim().media.get(&id).unwrap();
    let media_key: [u8; 32] = reference.media_key.as_deref().unwrap().try_into().unwrap();
    let expected = ExpectedDigests {
        file_sha256: reference
            .file_sha256
            .as_deref()
            .and_then(|d| d.try_into().ok()),
        file_enc_sha256: reference
            .file_enc_sha256
            .as_deref()
            .and_then(|d| d.try_into().ok()),
    };
    let plain = media::decrypt(&media_key, MediaType::AppState, &blob, expected, 1 << 20).unwrap();
    let snapshot = SyncdSnapshot::decode(plain.as_slice()).unwrap();
    let (state, records) =
        decode_snapshot(Collection::CriticalUnblockLow, &snapshot, &lookup).unwrap();
    assert_eq!(state.version, 1);
    assert_eq!(
        records[0].index,
        Index::Contact(format!("{B}@s.whatsapp.net"))
    );
    let contact = records[0].value.contact_action.clone().unwrap();
    assert_eq!(contact.full_name.as_deref(), Some("Bob Builder"));
    let mut contacts = Replica {
        state,
        macs: records.iter().map(|m| (m.index_mac, m.value_mac)).collect(),
    };

    // A rename arrives as a patch after version 1.
    change(
        &sim,
        json!({"action": "contact", "jid": B, "full_name": "Robert"}),
    )
    .await;
    assert_eq!(server_sync(&mut d1).await.1, 2);
    assert_eq!(server_sync(&mut d2).await.1, 2);
    let reply = d1
        .ask_node(fetch("p1", Collection::CriticalUnblockLow, 1))
        .await;
    let got = patches(&reply);
    assert_eq!(got.len(), 1);
    let mutations = contacts
        .apply(Collection::CriticalUnblockLow, &got[0], &keys, &key_id)
        .unwrap();
    assert_eq!(
        mutations[0]
            .value
            .contact_action
            .as_ref()
            .unwrap()
            .full_name
            .as_deref(),
        Some("Robert")
    );

    // A companion pins a chat: stored, announced to the other companion only, seen by the phone.
    let pin = MutationInput {
        operation: Operation::Set,
        index: Index::Pin(format!("{B}@s.whatsapp.net")),
        value: SyncActionValue {
            timestamp: Some(1),
            pin_action: Some(PinAction { pinned: Some(true) }),
            ..Default::default()
        },
    };
    let (mut patch, _, _) = encode_patch(
        Collection::RegularLow,
        &CollectionState::default(),
        &key_id,
        &keys,
        std::slice::from_ref(&pin),
        &mut |_| None,
        &mut OsRng,
    );
    patch.version = None;
    let write = |id: &str, version: u64, patch: &SyncdPatch| {
        sync_iq(
            id,
            Node::new("collection")
                .attr("name", "regular_low")
                .attr("version", version.to_string())
                .attr("return_snapshot", "false")
                .child(Node::new("patch").bytes(patch.encode_to_vec())),
        )
    };
    let reply = d1.ask_node(write("w1", 0, &patch)).await;
    assert_eq!(answer(&reply).attr_u64("version"), Some(1), "{reply}");
    assert_eq!(server_sync(&mut d2).await, ("regular_low".into(), 1));
    let view = http(
        &sim.info.admin_url,
        "GET",
        &format!("/admin/accounts/{A}/app-state"),
        None,
    )
    .await
    .json();
    assert_eq!(view["regular_low"]["version"], 1);
    assert_eq!(view["regular_low"]["entries"][0]["value"]["pinned"], true);
    assert_eq!(
        view["critical_unblock_low"]["entries"][0]["value"]["contact"]["full_name"],
        "Robert"
    );

    // The same write again is stale (409); a tampered one is refused (400).
    let reply = d1.ask_node(write("w2", 0, &patch)).await;
    let error = answer(&reply).get_child("error").unwrap();
    assert_eq!(error.attr_str("code").as_deref(), Some("409"));
    let mut tampered = patch.clone();
    tampered.patch_mac.as_mut().unwrap()[0] ^= 1;
    let reply = d1.ask_node(write("w3", 1, &tampered)).await;
    let error = answer(&reply).get_child("error").unwrap();
    assert_eq!(error.attr_str("code").as_deref(), Some("400"));

    // The fault switch corrupts the next served patch once.
    for (kind, wanted) in [
        ("bad_mac", AppStateError::BadValueMac),
        (
            "bad_lt_hash",
            AppStateError::BadSnapshotMac(Collection::CriticalUnblockLow),
        ),
    ] {
        fault(&sim, kind).await;
        let version = contacts.state.version;
        change(
            &sim,
            json!({"action": "contact", "jid": B, "full_name": kind}),
        )
        .await;
        let reply = d2
            .ask_node(fetch(
                &format!("f-{kind}"),
                Collection::CriticalUnblockLow,
                version,
            ))
            .await;
        let bad = patches(&reply);
        assert_eq!(
            contacts.apply(Collection::CriticalUnblockLow, &bad[0], &keys, &key_id),
            Err(wanted)
        );
        let reply = d2
            .ask_node(fetch(
                &format!("g-{kind}"),
                Collection::CriticalUnblockLow,
                version,
            ))
            .await;
        let good = patches(&reply);
        contacts
            .apply(Collection::CriticalUnblockLow, &good[0], &keys, &key_id)
            .unwrap();
    }
}

#[tokio::test]
async fn app_state_and_its_key_survive_a_restart_with_state() {
    use openwa_simulator::{Simulator, SimulatorConfig};
    let dir = std::env::temp_dir().join(format!(
        "openwa-sim-app-state-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let start = || {
        Simulator::start(SimulatorConfig {
            state_dir: Some(dir.clone()),
            ..SimulatorConfig::default()
        })
    };
    let sim = start().await.unwrap();
    sim.create_account(A, "Alice").unwrap();
    change(&sim, json!({"action": "pin", "chat": B, "pinned": true})).await;
    change(
        &sim,
        json!({"action": "label", "id": "1", "name": "Clients"}),
    )
    .await;
    fault(&sim, "bad_mac").await;
    let before = sim.sim().read(|s| s.account(A).unwrap().app_state.clone());
    let (key_id, _) = keys(&sim);
    sim.shutdown().await.unwrap();

    let sim = start().await.unwrap();
    let after = sim.sim().read(|s| s.account(A).unwrap().app_state.clone());
    assert_eq!(after, before);
    assert_eq!(keys(&sim).0, key_id);
    let view = http(
        &sim.info.admin_url,
        "GET",
        &format!("/admin/accounts/{A}/app-state"),
        None,
    )
    .await
    .json();
    assert_eq!(view["regular_low"]["version"], 1);
    assert_eq!(
        view["regular"]["entries"][0]["value"]["label"]["name"],
        "Clients"
    );
    // Bad requests.
    for bad in [
        json!({"action": "pin", "chat": "not a chat", "pinned": true}),
        json!({"action": "nope"}),
        json!({"action": "pin", "chat": B}),
    ] {
        let response = http(
            &sim.info.admin_url,
            "POST",
            &format!("/admin/accounts/{A}/app-state"),
            Some(bad),
        )
        .await;
        assert_eq!(response.status, 400);
    }
    let missing = http(
        &sim.info.admin_url,
        "POST",
        "/admin/accounts/1999999/app-state",
        Some(json!({"action": "pin", "chat": B, "pinned": true})),
    )
    .await;
    assert_eq!(missing.status, 404);
    sim.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
