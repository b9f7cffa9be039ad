//! A fuzzing client: random bytes, random frames, a valid handshake followed by garbage, bad
//! ciphertext, text messages and oversized frames. Each bad connection is closed; the server
//! stays up and a well-behaved client keeps working throughout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use openwa_protocol::binary::Dictionary;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::payload::{ClientConfig, login_payload};
use openwa_protocol::{Jid, Node};
use openwa_simulator::client::{self, Client, CompanionKeys};
use prost::Message as _;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

/// Waits until the server closes `ws` (EOF, close frame or error); panics if it stays open.
async fn expect_closed<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "server kept a bad connection open");
}

async fn still_works(good: &mut Client<tokio::net::TcpStream>, round: usize) {
    let id = format!("ping-{round}");
    let ping = Node::new("iq")
        .attr("id", id.as_str())
        .attr("to", Jid::server())
        .attr("type", "get")
        .attr("xmlns", "w:p");
    good.send(&ping).await.unwrap();
    let pong = tokio::time::timeout(
        WAIT,
        good.recv_until(|n| n.attr_str("id").as_deref() == Some(id.as_str())),
    )
    .await
    .expect("good client got no answer")
    .unwrap()
    .expect("good client was disconnected");
    assert_eq!(pong.attr_str("type").as_deref(), Some("result"));
}

#[tokio::test]
async fn bad_clients_are_closed_and_good_ones_unaffected() {
    let sim = common::start().await;
    let root = sim.root_public_key();
    sim.create_account("15550000001", "Good").unwrap();
    let keys = CompanionKeys::generate();
    let config = ClientConfig::default();
    let (mut reg, refs) = client::register(&sim.info.ws_url, root, &keys, &config)
        .await
        .unwrap();
    let qr = keys.qr(&refs[0]).unwrap();
    let sim_core = sim.sim().clone();
    let link = tokio::spawn(async move { sim_core.link_qr("15550000001", &qr).await });
    let paired = client::complete_pairing(&mut reg, &keys, &keys.adv_secret)
        .await
        .unwrap();
    link.await.unwrap().unwrap();
    let (mut good, first) = client::login(&sim.info.ws_url, root, &paired, &config)
        .await
        .unwrap();
    assert_eq!(first.tag, "success");

    let mut rng = StdRng::seed_from_u64(0x5EED);
    let mut round = 0;
    for _ in 0..8 {
        // 1. Random bytes instead of the intro header.
        let mut ws = client::connect_ws(&sim.info.ws_url).await.unwrap();
        let mut junk = vec![0u8; rng.gen_range(1..512)];
        rng.fill_bytes(&mut junk);
        junk[0] = junk[0].wrapping_add(1) | 0x80; // never a valid 'W' or 'E'
        ws.send(Message::Binary(junk.into())).await.unwrap();
        expect_closed(&mut ws).await;
        round += 1;
        still_works(&mut good, round).await;

        // 2. A valid intro followed by random frames (not a ClientHello).
        let mut ws = client::connect_ws(&sim.info.ws_url).await.unwrap();
        let mut bytes = vec![0x57, 0x41, 0x06, 0x03];
        let len: usize = rng.gen_range(1..300);
        bytes.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        let mut body = vec![0u8; len];
        rng.fill_bytes(&mut body);
        bytes.extend_from_slice(&body);
        ws.send(Message::Binary(bytes.into())).await.unwrap();
        expect_closed(&mut ws).await;
        round += 1;
        still_works(&mut good, round).await;

        // 3. A valid handshake (login of an unknown device), then garbage plaintext nodes.
        let ws = client::connect_ws(&sim.info.ws_url).await.unwrap();
        let noise = KeyPair::generate(&mut rand_core::OsRng);
        let payload = login_payload(&config, 15550000001, 1).encode_to_vec();
        let mut bad = Client::handshake(ws, root, &noise, &payload, Dictionary::V3)
            .await
            .unwrap();
        // Unknown key: the server answers <failure> and closes.
        let answer = tokio::time::timeout(WAIT, bad.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(answer.map(|n| n.tag).as_deref(), Some("failure"));
        round += 1;
        still_works(&mut good, round).await;

        // 4. The good device's own key on a second socket is a replacement; instead use a
        //    registering connection and feed it garbage nodes after the handshake.
        let other = CompanionKeys::generate();
        let (mut garbage, _) = client::register(&sim.info.ws_url, root, &other, &config)
            .await
            .unwrap();
        let mut plaintext = vec![0u8; rng.gen_range(3..200)];
        rng.fill_bytes(&mut plaintext);
        plaintext[0] = 0; // flags byte: uncompressed, then random "node" bytes
        plaintext[1] = 0xF8;
        plaintext[2] = 0xFF; // a list claiming 255 items that are not there
        garbage.send_plaintext(&plaintext).await.unwrap();
        let end = tokio::time::timeout(WAIT, async {
            loop {
                match garbage.recv().await {
                    Ok(Some(_)) => {}
                    _ => return,
                }
            }
        })
        .await;
        assert!(end.is_ok(), "server kept a garbage-sending connection open");
        round += 1;
        still_works(&mut good, round).await;

        // 5. Valid handshake, then a frame that does not decrypt.
        let (mut tampered, _) =
            client::register(&sim.info.ws_url, root, &CompanionKeys::generate(), &config)
                .await
                .unwrap();
        let mut frame = vec![0, 0, 40];
        let mut noise_bytes = [0u8; 40];
        rng.fill_bytes(&mut noise_bytes);
        frame.extend_from_slice(&noise_bytes);
        tampered.send_raw(frame).await.unwrap();
        let end = tokio::time::timeout(WAIT, async {
            loop {
                match tampered.recv().await {
                    Ok(Some(_)) => {}
                    _ => return,
                }
            }
        })
        .await;
        assert!(
            end.is_ok(),
            "server kept a connection with bad ciphertext open"
        );
        round += 1;
        still_works(&mut good, round).await;
    }

    // 6. A text WebSocket message and a frame declaring 16 MiB that never comes.
    let mut ws = client::connect_ws(&sim.info.ws_url).await.unwrap();
    ws.send(Message::Text("hello".into())).await.unwrap();
    expect_closed(&mut ws).await;
    let mut ws = client::connect_ws(&sim.info.ws_url).await.unwrap();
    ws.send(Message::Binary(
        vec![0x57, 0x41, 0x06, 0x03, 0xFF, 0xFF, 0xFF, 1, 2, 3].into(),
    ))
    .await
    .unwrap();
    ws.close(None).await.unwrap();
    expect_closed(&mut ws).await;
    // 7. A dictionary version this server does not speak (it speaks 2 and 3).
    let mut ws = client::connect_ws(&sim.info.ws_url).await.unwrap();
    ws.send(Message::Binary(
        vec![0x57, 0x41, 0x06, 0x04, 0, 0, 1, 0].into(),
    ))
    .await
    .unwrap();
    expect_closed(&mut ws).await;
    still_works(&mut good, round + 1).await;

    // Every bad connection is gone; the good one remains.
    let mut connections = usize::MAX;
    for _ in 0..200 {
        connections = sim.sim().health().connections;
        if connections == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(connections, 1);
    sim.shutdown().await.unwrap();
}
