//! Newsletters against real protocol clients: the `w:mex` queries (create, metadata by JID and
//! by invite, follow, mute, update, subscribers, delete) with their GraphQL errors, posts from the
//! owner delivered in the clear to followers with a server id, reactions, history and live
//! updates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::dev::{Dev, error_code, is_result};
use common::session::{online, pair};
use common::start;
use openwa_protocol::stanza::IqSpec;
use openwa_protocol::stanza::newsletter::{
    FetchPosts, LiveUpdates, MexQuery, OutgoingPost, Post, PostBody, mex,
};
use openwa_protocol::{Jid, Node};
use serde_json::{Value, json};

const OWNER: &str = "15550000011";
const FAN: &str = "15550000012";
const OTHER: &str = "15550000013";

async fn device(sim: &openwa_simulator::SimulatorHandle, phone: &str) -> Dev {
    sim.create_account(phone, phone).unwrap();
    let paired = pair(sim, phone).await;
    let (client, queued) = online(sim, &paired).await;
    Dev::new(client, queued)
}

/// Runs one GraphQL query; returns the parsed `<result>` JSON.
async fn query(dev: &mut Dev, query_id: &str, variables: Value) -> Value {
    let request = MexQuery {
        query_id: query_id.into(),
        body: json!({ "variables": variables }).to_string().into_bytes(),
    };
    let answer = dev.ask(&request).await;
    is_result(&answer);
    serde_json::from_slice(&MexQuery::parse_response(&answer).unwrap()).unwrap()
}

fn error_of(answer: &Value) -> u64 {
    assert!(answer["data"].is_null(), "{answer}");
    answer["errors"][0]["extensions"]["error_code"]
        .as_u64()
        .unwrap()
}

async fn post(dev: &mut Dev, to: &Jid, id: &str, body: PostBody) -> Node {
    let stanza = OutgoingPost {
        to: to.clone(),
        id: id.into(),
        body,
    };
    dev.client.send(&stanza.to_node()).await.unwrap();
    dev.next(|n| n.tag == "ack" && n.attr_str("id").as_deref() == Some(id))
        .await
}

fn text(plaintext: &[u8]) -> PostBody {
    PostBody::Message {
        kind: "text".into(),
        plaintext: plaintext.to_vec(),
    }
}

#[tokio::test]
async fn owner_creates_fans_follow_and_receive_posts_in_the_clear() {
    let sim = start().await;
    let mut owner = device(&sim, OWNER).await;
    let mut fan = device(&sim, FAN).await;
    let mut other = device(&sim, OTHER).await;

    let created = query(
        &mut owner,
        mex::CREATE,
        json!({"input": {"name": "Daily news", "description": "what happened"}}),
    )
    .await;
    let created = &created["data"]["xwa2_newsletter_create"];
    let jid: Jid = created["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(jid.server, "newsletter");
    assert_eq!(created["thread_metadata"]["name"]["text"], "Daily news");
    assert_eq!(
        created["thread_metadata"]["description"]["text"],
        "what happened"
    );
    assert_eq!(created["thread_metadata"]["subscribers_count"], "0");
    assert_eq!(created["viewer_metadata"]["role"], "OWNER");
    let invite = created["thread_metadata"]["invite"].as_str().unwrap();

    // The fan finds it by invite code, follows, and is counted.
    let found = query(
        &mut fan,
        mex::METADATA,
        json!({"input": {"key": invite, "type": "INVITE"}, "fetch_viewer_metadata": true}),
    )
    .await;
    assert_eq!(found["data"]["xwa2_newsletter"]["id"], jid.to_string());
    assert_eq!(
        found["data"]["xwa2_newsletter"]["viewer_metadata"]["role"],
        "GUEST"
    );
    let followed = query(
        &mut fan,
        mex::FOLLOW,
        json!({"newsletter_id": jid.to_string()}),
    )
    .await;
    let followed = &followed["data"]["xwa2_newsletter_join_v2"];
    assert_eq!(followed["viewer_metadata"]["role"], "SUBSCRIBER");
    assert_eq!(followed["thread_metadata"]["subscribers_count"], "1");
    let muted = query(
        &mut fan,
        mex::MUTE,
        json!({"newsletter_id": jid.to_string()}),
    )
    .await;
    assert_eq!(
        muted["data"]["xwa2_newsletter_mute_v2"]["viewer_metadata"]["mute"],
        "ON"
    );
    let count = query(
        &mut owner,
        mex::SUBSCRIBERS,
        json!({"newsletter_id": jid.to_string()}),
    )
    .await;
    assert_eq!(
        count["data"]["xwa2_newsletter_subscribers"]["subscribers_count"],
        "1"
    );

    // The owner posts: acked with server id 1, delivered in the clear to the fan only.
    let ack = post(&mut owner, &jid, "POST1", text(b"\x0a\x05hello")).await;
    assert_eq!(ack.attr_str("error"), None, "{ack}");
    assert_eq!(ack.attr_str("server_id").as_deref(), Some("1"), "{ack}");
    let delivered = fan
        .next(|n| n.tag == "message" && n.attr_jid("from").as_ref() == Some(&jid))
        .await;
    let (from, received) = Post::from_node(&delivered).unwrap();
    assert_eq!(from, jid);
    assert_eq!(
        (
            received.id.as_str(),
            received.server_id,
            received.kind.as_str()
        ),
        ("POST1", 1, "text")
    );
    assert_eq!(received.plaintext, b"\x0a\x05hello");
    let not_following = other.drain().await;
    assert!(
        !not_following.iter().any(|n| n.tag == "message"),
        "{not_following:?}"
    );

    // Only the owner posts; followers react to existing posts.
    let refused = post(&mut fan, &jid, "FANPOST", text(b"\x0a\x01x")).await;
    assert_eq!(
        refused.attr_str("error").as_deref(),
        Some("403"),
        "{refused}"
    );
    let reaction = PostBody::Reaction {
        server_id: 1,
        code: Some("\u{1f44d}".into()),
    };
    let reacted = post(&mut fan, &jid, "R1", reaction).await;
    assert_eq!(reacted.attr_str("error"), None, "{reacted}");
    let missing = PostBody::Reaction {
        server_id: 9,
        code: Some("x".into()),
    };
    let missing = post(&mut fan, &jid, "R2", missing).await;
    assert_eq!(
        missing.attr_str("error").as_deref(),
        Some("404"),
        "{missing}"
    );
    let stored = sim
        .sim()
        .read(|s| s.newsletters[&jid.user.to_string()].posts[0].clone());
    assert_eq!(
        stored.reactions.get(FAN).map(String::as_str),
        Some("\u{1f44d}")
    );

    // History and live updates.
    let second = post(&mut owner, &jid, "POST2", text(b"\x0a\x01b")).await;
    assert_eq!(second.attr_str("server_id").as_deref(), Some("2"));
    let history = other
        .ask(&FetchPosts {
            newsletter: jid.clone(),
            count: 10,
            since: None,
            after: Some(1),
        })
        .await;
    let posts = FetchPosts::parse_response(&history).unwrap();
    assert_eq!(
        posts.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["POST2"]
    );
    let live = other
        .ask(&LiveUpdates {
            newsletter: jid.clone(),
        })
        .await;
    assert_eq!(LiveUpdates::parse_response(&live).unwrap(), Some(300));

    // Edits and deletion belong to the owner.
    let id = json!(jid.to_string());
    let denied = query(
        &mut fan,
        mex::UPDATE_METADATA,
        json!({"newsletter_id": id, "updates": {"name": "mine"}}),
    )
    .await;
    assert_eq!(error_of(&denied), 403);
    let renamed = query(
        &mut owner,
        mex::UPDATE_METADATA,
        json!({"newsletter_id": id, "updates": {"name": "Weekly news", "settings": null}}),
    )
    .await;
    assert_eq!(
        renamed["data"]["xwa2_newsletter_update"]["thread_metadata"]["name"]["text"],
        "Weekly news"
    );
    let deleted = query(&mut owner, mex::DELETE, json!({"newsletter_id": id})).await;
    assert_eq!(
        deleted["data"]["xwa2_newsletter_delete_v2"]["state"]["type"],
        "DELETED"
    );
    let gone = query(
        &mut fan,
        mex::METADATA,
        json!({"input": {"key": id, "type": "JID"}}),
    )
    .await;
    assert_eq!(error_of(&gone), 404);
    let after_delete = post(&mut owner, &jid, "POST3", text(b"\x0a\x01c")).await;
    assert_eq!(after_delete.attr_str("error").as_deref(), Some("404"));
}

#[tokio::test]
async fn bad_queries_get_graphql_errors_and_bad_iqs_get_iq_errors() {
    let sim = start().await;
    let mut dev = device(&sim, OWNER).await;
    let unknown = query(&mut dev, "1", json!({})).await;
    assert_eq!(error_of(&unknown), 400);
    let nameless = query(&mut dev, mex::CREATE, json!({"input": {"name": " "}})).await;
    assert_eq!(error_of(&nameless), 400);
    let nowhere = query(
        &mut dev,
        mex::FOLLOW,
        json!({"newsletter_id": "1203639999@newsletter"}),
    )
    .await;
    assert_eq!(error_of(&nowhere), 404);
    // Not JSON at all.
    let garbage = dev
        .ask(&MexQuery {
            query_id: mex::CREATE.into(),
            body: b"{not json".to_vec(),
        })
        .await;
    let garbage: Value =
        serde_json::from_slice(&MexQuery::parse_response(&garbage).unwrap()).unwrap();
    assert_eq!(error_of(&garbage), 400);
    // A newsletter IQ for a newsletter that does not exist, and one without a known child.
    let missing: Jid = "1203639999@newsletter".parse().unwrap();
    let live = dev
        .ask(&LiveUpdates {
            newsletter: missing.clone(),
        })
        .await;
    assert_eq!(error_code(&live).as_deref(), Some("404"));
    let odd = Node::new("iq")
        .attr("id", "odd")
        .attr("to", missing)
        .attr("type", "get")
        .attr("xmlns", "newsletter")
        .child(Node::new("something"));
    let odd = dev.ask_node(odd).await;
    assert_eq!(error_code(&odd).as_deref(), Some("400"));
    // A post that is not a valid stanza.
    let broken = Node::new("message")
        .attr("to", "1203639999@newsletter".parse::<Jid>().unwrap())
        .attr("id", "B1")
        .attr("type", "text");
    dev.client.send(&broken).await.unwrap();
    let ack = dev
        .next(|n| n.tag == "ack" && n.attr_str("id").as_deref() == Some("B1"))
        .await;
    assert_eq!(ack.attr_str("error").as_deref(), Some("479"));
}

#[tokio::test]
async fn newsletters_survive_a_restart_with_state() {
    let dir = std::env::temp_dir().join(format!("openwa-sim-nl-{}", rand::random::<u64>()));
    let config = || openwa_simulator::SimulatorConfig {
        state_dir: Some(dir.clone()),
        ..openwa_simulator::SimulatorConfig::default()
    };
    let sim = openwa_simulator::Simulator::start(config()).await.unwrap();
    let id = sim
        .sim()
        .write(|s| openwa_simulator::newsletters::mex::create(s, OWNER, "kept", ""));
    sim.shutdown().await.unwrap();
    let sim = openwa_simulator::Simulator::start(config()).await.unwrap();
    let name = sim
        .sim()
        .read(|s| s.newsletters.get(&id).map(|n| n.name.clone()));
    assert_eq!(name.as_deref(), Some("kept"));
    sim.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
