//! Interop: an unmodified Baileys 7 links to a simulated phone with app state (a contact name,
//! a label on a chat, archived, pinned and muted chats, a starred message) and reports it after
//! its initial `resyncAppState` — it downloads and decrypts the snapshots, checks every MAC and
//! the LT-hashes with its own code; then a change on the phone arrives through `server_sync` and
//! a patch, and Baileys' own `chatModify` patch passes the simulator's checks. The proof that the
//! app-state bytes are WhatsApp's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::Ordering;

use openwa_testkit::baileys::{
    self, BAILEYS7, reports_app_state as reports, require_node_modules, temp_auth_dir,
};
use serde_json::{Value, json};

const ALICE: &str = "15550009201";
const BOB: &str = "15550009202";
const CAROL: &str = "15550009203";

fn jid(phone: &str) -> String {
    format!("{phone}@s.whatsapp.net")
}

async fn change(admin: &str, body: Value) {
    let made = openwa_testkit::http(
        admin,
        "POST",
        &format!("/admin/accounts/{ALICE}/app-state"),
        Some(body),
    )
    .await;
    assert_eq!(made.status, 201, "{:?}", made.json());
}

/// Waits for an event matching `pred`, or finds it among those seen already (Baileys reports
/// app state in its own order).
async fn saw(client: &mut baileys::Baileys, what: &str, pred: impl Fn(&Value) -> bool) {
    if client.seen().iter().any(&pred) {
        return;
    }
    client.wait_for(what, pred).await;
}

#[tokio::test]
async fn baileys7_reports_a_phone_app_state_and_writes_to_it() {
    require_node_modules();
    let sim = openwa_testkit::simulator().await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    sim.create_account(CAROL, "Carol").unwrap();
    // Baileys applies chat settings to chats it knows: these two come with history sync.
    openwa_testkit::phone_sends(&sim, BOB, ALICE, "from bob").await;
    openwa_testkit::phone_sends(&sim, CAROL, ALICE, "from carol").await;
    let admin = sim.info.admin_url.clone();
    for body in [
        json!({"action": "contact", "jid": BOB, "full_name": "Bob Builder", "first_name": "Bob"}),
        json!({"action": "label", "id": "7", "name": "Clients", "color": 4}),
        json!({"action": "label_chat", "label": "7", "chat": BOB, "labeled": true}),
        json!({"action": "archive", "chat": BOB, "archived": true}),
        json!({"action": "mute", "chat": CAROL, "until": 4_102_444_800_000_i64}),
        json!({"action": "pin", "chat": CAROL, "pinned": true}),
        json!({"action": "star", "chat": BOB, "id": "STAR1", "starred": true}),
    ] {
        change(&admin, body).await;
    }

    let media_host = sim.info.media_url.trim_start_matches("https://").to_owned();
    let env = [
        ("NODE_EXTRA_CA_CERTS", sim.info.tls_cert_path.as_str()),
        ("BAILEYS_HISTORY", "1"),
        ("BAILEYS_APP_STATE", "1"),
        ("BAILEYS_MEDIA_HOST", media_host.as_str()),
    ];
    let auth = temp_auth_dir("app-state");
    let (mut client, _) =
        baileys::pair_by_qr_with_env(&sim.info.ws_url, &admin, BAILEYS7, ALICE, &auth, &env).await;
    let bob = jid(BOB);
    let carol = jid(CAROL);
    saw(&mut client, "the contact name", |e| {
        reports(e, "contacts.upsert", |c| {
            c["id"] == bob.as_str() && c["name"] == "Bob Builder"
        })
    })
    .await;
    saw(&mut client, "the label", |e| {
        reports(e, "labels.edit", |l| {
            l["id"] == "7" && l["name"] == "Clients"
        })
    })
    .await;
    saw(&mut client, "the label on Bob's chat", |e| {
        reports(e, "labels.association", |a| {
            a["association"]["chatId"] == bob.as_str() && a["association"]["labelId"] == "7"
        })
    })
    .await;
    saw(&mut client, "the archived chat", |e| {
        reports(e, "chats.update", |c| {
            c["id"] == bob.as_str() && c["archived"] == true
        })
    })
    .await;
    saw(&mut client, "the pinned chat", |e| {
        reports(e, "chats.update", |c| {
            c["id"] == carol.as_str() && c["pinned"].as_u64().is_some_and(|p| p > 0)
        })
    })
    .await;
    saw(&mut client, "the muted chat", |e| {
        reports(e, "chats.update", |c| {
            c["id"] == carol.as_str() && c.get("muteEndTime").is_some_and(|m| !m.is_null())
        })
    })
    .await;
    saw(&mut client, "the starred message", |e| {
        reports(e, "star", |s| s["id"] == "STAR1" && s["starred"] == true)
    })
    .await;

    // A change on the phone: `server_sync`, then a patch Baileys verifies.
    change(
        &admin,
        json!({"action": "archive", "chat": BOB, "archived": false}),
    )
    .await;
    saw(&mut client, "the unarchived chat", |e| {
        reports(e, "chats.update", |c| {
            c["id"] == bob.as_str() && c["archived"] == false
        })
    })
    .await;

    // Baileys writes a patch; the simulator checks its MACs and LT-hash and stores it.
    client
        .send(json!({"cmd": "chat_modify", "chat": bob, "mod": {"pin": true}}))
        .await;
    client.wait_event("modified").await;
    let view = openwa_testkit::http(
        &admin,
        "GET",
        &format!("/admin/accounts/{ALICE}/app-state"),
        None,
    )
    .await
    .json();
    let pinned = view["regular_low"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["index"] == json!(["pin_v1", bob]) && e["value"]["pinned"] == true);
    assert!(pinned, "{view}");
    client.quit().await;
}
