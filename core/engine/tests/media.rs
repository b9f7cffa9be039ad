//! Media against the in-process simulator and its HTTPS media host, on SQLite and PostgreSQL:
//! the simulated phone sends every media kind and the engine downloads the same bytes (to
//! memory and to a file), with typed content; the engine sends every kind and the phone
//! decrypts the same bytes; an expired blob is uploaded again by our phone on request; a
//! tampered blob, a blob gone for good, a file over the limit and bad input get typed errors,
//! and nothing is sent or written.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openwa::{
    ErrorCode, EventKind, EventStream, MediaKind, MediaSource, Message, MessageContent,
    MessageStatus, MessageType, OutgoingMedia, SendOptions, Session, SessionManager,
};
use openwa_simulator::SimulatorHandle;
use openwa_testkit::{TestStore, link_by_qr, next_matching, sim_options, simulator};
use openwa_testkit::{phone_media, phone_sends_json};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

const ENGINE: &str = "15550009001";
const PHONE: &str = "15550009002";

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

async fn received(events: &EventStream, id: &str) -> Message {
    let event = next_matching(
        events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == id),
    )
    .await;
    let EventKind::MessageReceived { message } = event else {
        unreachable!()
    };
    message
}

/// A linked engine session (`ENGINE`, media limit `max_media_bytes`) and a phone (`PHONE`) on a
/// fresh simulator.
async fn setup(
    store: &TestStore,
    max_media_bytes: Option<u64>,
) -> (SimulatorHandle, Arc<SessionManager>, Arc<Session>) {
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PHONE, "Phone").unwrap();
    let mut options = sim_options(&sim);
    if let Some(max) = max_media_bytes {
        options.max_media_bytes = max;
    }
    let manager = store.open_manager(options).await;
    let session = manager.create_session("media", None).await.unwrap();
    link_by_qr(&sim, &session, ENGINE).await;
    (sim, manager, session)
}

/// The blob id (last path segment) of a media file.
fn blob_id(message: &Message) -> String {
    let path = media_of(message).direct_path.clone().unwrap();
    path.split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

fn media_of(message: &Message) -> &openwa::MediaFile {
    match &message.content {
        MessageContent::Image { media, .. }
        | MessageContent::Video { media, .. }
        | MessageContent::Audio { media, .. }
        | MessageContent::Document { media, .. }
        | MessageContent::Sticker { media, .. } => media,
        other => panic!("no media in {other:?}"),
    }
}

async fn phone_media_downloads_byte_for_byte(store: Arc<TestStore>) {
    let (sim, _manager, session) = setup(&store, None).await;
    let events = session.events();
    let chat = format!("{PHONE}@s.whatsapp.net");
    let dir = openwa_testkit::temp_auth_dir("media-dl");
    let kinds = [
        (
            "image",
            json!({"mimetype": "image/png", "caption": "a picture", "width": 3, "height": 2}),
            1000,
        ),
        ("video", json!({"caption": "a clip", "seconds": 7}), 70_000),
        ("gif", json!({"seconds": 2}), 5000),
        (
            "audio",
            json!({"mimetype": "audio/mp4", "seconds": 61}),
            4096,
        ),
        (
            "voice",
            json!({"seconds": 3, "waveform": STANDARD.encode([0u8, 50, 100])}),
            3000,
        ),
        (
            "document",
            json!({"mimetype": "application/pdf", "file_name": "report.pdf", "caption": "the report"}),
            1_500_000,
        ),
        (
            "sticker",
            json!({"animated": true, "width": 512, "height": 512}),
            900,
        ),
    ];
    for (kind, extra, len) in kinds {
        let data = random_bytes(len);
        let mut media = extra.clone();
        media["data"] = json!(STANDARD.encode(&data));
        let id = phone_sends_json(&sim, PHONE, json!({"to": ENGINE, kind: media})).await;
        let message = received(&events, &id).await;
        assert_eq!(message.chat, chat);
        let file = media_of(&message);
        assert_eq!(file.file_length, Some(len as u64), "{kind}");
        assert_eq!(
            file.file_sha256.as_deref(),
            Some(Sha256::digest(&data).as_slice()),
            "{kind}"
        );
        assert_eq!(file.media_key.as_ref().map(Vec::len), Some(32), "{kind}");
        match (kind, &message.content) {
            (
                "image",
                MessageContent::Image {
                    caption,
                    width,
                    height,
                    media,
                    ..
                },
            ) => {
                assert_eq!(caption.as_deref(), Some("a picture"));
                assert_eq!((*width, *height), (Some(3), Some(2)));
                assert_eq!(media.mimetype.as_deref(), Some("image/png"));
                assert_eq!(message.message_type, MessageType::Image);
                assert_eq!(message.text.as_deref(), Some("a picture"));
            }
            (
                "video",
                MessageContent::Video {
                    caption,
                    seconds,
                    gif_playback,
                    ..
                },
            ) => {
                assert_eq!(
                    (caption.as_deref(), *seconds, *gif_playback),
                    (Some("a clip"), Some(7), false)
                );
            }
            (
                "gif",
                MessageContent::Video {
                    gif_playback,
                    media,
                    ..
                },
            ) => {
                assert!(*gif_playback);
                assert_eq!(media.mimetype.as_deref(), Some("video/mp4"));
            }
            ("audio", MessageContent::Audio { ptt, seconds, .. }) => {
                assert_eq!((*ptt, *seconds), (false, Some(61)));
            }
            (
                "voice",
                MessageContent::Audio {
                    ptt,
                    waveform,
                    media,
                    ..
                },
            ) => {
                assert!(*ptt);
                assert_eq!(waveform.as_deref(), Some(&[0u8, 50, 100][..]));
                assert_eq!(media.mimetype.as_deref(), Some("audio/ogg; codecs=opus"));
            }
            (
                "document",
                MessageContent::Document {
                    file_name, caption, ..
                },
            ) => {
                assert_eq!(file_name.as_deref(), Some("report.pdf"));
                assert_eq!(caption.as_deref(), Some("the report"));
            }
            (
                "sticker",
                MessageContent::Sticker {
                    animated, width, ..
                },
            ) => {
                assert!(*animated);
                assert_eq!(*width, Some(512));
            }
            (kind, other) => panic!("{kind}: {other:?}"),
        }
        // To memory, by PN chat.
        let bytes = session.download_media(&chat, &id).await.unwrap();
        assert!(bytes == data, "{kind}: downloaded bytes differ");
        // To a file, by phone number.
        let path = dir.join(format!("{kind}.bin"));
        let written = session
            .download_media_to_file(PHONE, &id, path.clone())
            .await
            .unwrap();
        assert_eq!(written, len as u64);
        assert!(
            std::fs::read(&path).unwrap() == data,
            "{kind}: file differs"
        );
        assert!(!dir.join(format!("{kind}.bin.part")).exists());
        // History has the same typed content.
        let stored = session.message(&chat, &id).await.unwrap();
        assert_eq!(stored.content, message.content, "{kind}");
    }
}

async fn bad_downloads_get_typed_errors(store: Arc<TestStore>) {
    let (sim, _manager, session) = setup(&store, None).await;
    let events = session.events();
    let chat = format!("{PHONE}@s.whatsapp.net");
    let dir = openwa_testkit::temp_auth_dir("media-bad");
    let send = |data: Vec<u8>| {
        let sim = &sim;
        async move {
            let body = json!({"to": ENGINE, "document": {"data": STANDARD.encode(data)}});
            phone_sends_json(sim, PHONE, body).await
        }
    };

    // A tampered blob: the blob hash (or MAC) fails, nothing is written.
    let id = send(random_bytes(5000)).await;
    let message = received(&events, &id).await;
    let media = &sim.sim().hub().media;
    let blob_id = blob_id(&message);
    let mut blob = media.get(&blob_id).unwrap().to_vec();
    blob[100] ^= 1;
    assert!(media.put(&blob_id, blob.into()));
    let err = session.download_media(&chat, &id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MediaInvalid, "{err}");
    let path = dir.join("tampered.bin");
    let err = session
        .download_media_to_file(&chat, &id, path.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::MediaInvalid, "{err}");
    assert!(!path.exists() && !dir.join("tampered.bin.part").exists());

    // An expired blob: our phone uploads it again on request, to memory and to a file.
    let data = random_bytes(3000);
    let id = send(data.clone()).await;
    let message = received(&events, &id).await;
    assert!(media.remove(&blob_id_of(&message)));
    assert!(session.download_media(&chat, &id).await.unwrap() == data);
    assert!(media.remove(&blob_id_of(&message)));
    let path = dir.join("reuploaded.bin");
    session
        .download_media_to_file(&chat, &id, path.clone())
        .await
        .unwrap();
    assert!(std::fs::read(&path).unwrap() == data);

    // Expired for good (the phone has no copy either).
    let id = send(random_bytes(100)).await;
    let message = received(&events, &id).await;
    assert!(media.purge(&blob_id_of(&message)));
    let err = session.download_media(&chat, &id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MediaExpired, "{err}");
    let path = dir.join("expired.bin");
    let err = session
        .download_media_to_file(&chat, &id, path.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::MediaExpired, "{err}");
    assert!(!path.exists() && !dir.join("expired.bin.part").exists());

    // Unknown message, text message.
    let err = session.download_media(&chat, "NOPE").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let text = openwa_testkit::phone_sends(&sim, PHONE, ENGINE, "just text").await;
    received(&events, &text).await;
    let err = session.download_media(&chat, &text).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = session.download_media("not a chat", &id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
}

fn blob_id_of(message: &Message) -> String {
    blob_id(message)
}

/// A session whose limit is 1,000 bytes refuses to download more, in memory and to a file.
async fn downloads_over_the_limit_are_refused(store: Arc<TestStore>) {
    let (sim, manager, session) = setup(&store, Some(1000)).await;
    let events = session.events();
    let body = json!({"to": ENGINE, "image": {"data": STANDARD.encode(random_bytes(1001))}});
    let id = phone_sends_json(&sim, PHONE, body).await;
    received(&events, &id).await;
    let err = session.download_media(PHONE, &id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    assert_eq!(err.details.as_deref(), Some("too_large"));
    let dir = openwa_testkit::temp_auth_dir("media-limit");
    let path = dir.join("big.bin");
    let err = session
        .download_media_to_file(PHONE, &id, path.clone())
        .await
        .unwrap_err();
    assert_eq!(err.details.as_deref(), Some("too_large"));
    assert!(!path.exists() && !dir.join("big.bin.part").exists());
    let body = json!({"to": ENGINE, "image": {"data": STANDARD.encode(random_bytes(1000))}});
    let id = phone_sends_json(&sim, PHONE, body).await;
    received(&events, &id).await;
    assert_eq!(
        session.download_media(PHONE, &id).await.unwrap().len(),
        1000
    );
    manager.close().await.unwrap();
}

/// The phone's timeline entry for message `id`, once it arrived.
async fn on_phone(sim: &SimulatorHandle, id: &str) -> serde_json::Value {
    let path = format!("/admin/accounts/{PHONE}/messages");
    let deadline = tokio::time::Instant::now() + openwa_testkit::WAIT;
    loop {
        let timeline = openwa_testkit::http(&sim.info.admin_url, "GET", &path, None)
            .await
            .json();
        if let Some(entry) = timeline.as_array().unwrap().iter().find(|e| e["id"] == id) {
            return entry.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{id} never reached the phone"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn phone_timeline_len(sim: &SimulatorHandle) -> usize {
    let path = format!("/admin/accounts/{PHONE}/messages");
    let timeline = openwa_testkit::http(&sim.info.admin_url, "GET", &path, None)
        .await
        .json();
    timeline.as_array().unwrap().len()
}

async fn engine_sends_every_kind(store: Arc<TestStore>) {
    let (sim, _manager, session) = setup(&store, None).await;
    let dir = openwa_testkit::temp_auth_dir("media-send");
    let big = random_bytes(9 * 1024 * 1024 + 5);
    let big_path = dir.join("big.bin");
    std::fs::write(&big_path, &big).unwrap();
    let bytes = |len| MediaSource::Bytes {
        data: random_bytes(len),
    };
    let mut image = OutgoingMedia::new(MediaKind::Image, bytes(2000));
    image.caption = Some("look".into());
    image.width = Some(640);
    image.height = Some(480);
    image.thumbnail = Some(vec![0xFF, 0xD8, 0xFF, 0xD9]);
    let mut video = OutgoingMedia::new(MediaKind::Video, bytes(40_000));
    video.seconds = Some(12);
    let mut gif = OutgoingMedia::new(MediaKind::Gif, bytes(3000));
    gif.caption = Some("loop".into());
    let mut audio = OutgoingMedia::new(MediaKind::Audio, bytes(5000));
    audio.mimetype = Some("audio/mp4".into());
    let mut voice = OutgoingMedia::new(MediaKind::Voice, bytes(1500));
    voice.seconds = Some(2);
    voice.waveform = Some((0..64).map(|i| (i * 3 % 101) as u8).collect());
    let mut document = OutgoingMedia::new(
        MediaKind::Document,
        MediaSource::File {
            path: big_path.clone(),
        },
    );
    document.mimetype = Some("application/zip".into());
    document.file_name = Some("big.zip".into());
    document.caption = Some("the archive".into());
    let mut sticker = OutgoingMedia::new(MediaKind::Sticker, bytes(700));
    sticker.animated = true;
    let cases = [
        ("image", image),
        ("video", video),
        ("gif", gif),
        ("audio", audio),
        ("ptt", voice),
        ("document", document),
        ("sticker", sticker),
    ];
    for (phone_kind, media) in cases {
        let data = match &media.source {
            MediaSource::Bytes { data } => data.clone(),
            MediaSource::File { path } => std::fs::read(path).unwrap(),
        };
        let kind = media.kind;
        let mimetype = media
            .mimetype
            .clone()
            .unwrap_or_else(|| kind.default_mimetype().to_owned());
        let sent = session
            .send_media(PHONE, media.clone(), SendOptions::default())
            .await
            .unwrap();
        assert_eq!(sent.status, MessageStatus::Sent, "{kind:?}");
        assert!(sent.from_me);
        let file = media_of(&sent);
        assert_eq!(file.file_length, Some(data.len() as u64));
        assert_eq!(file.mimetype.as_deref(), Some(mimetype.as_str()));
        match (kind, &sent.content) {
            (
                MediaKind::Image,
                MessageContent::Image {
                    caption,
                    width,
                    thumbnail,
                    ..
                },
            ) => {
                assert_eq!(caption.as_deref(), Some("look"));
                assert_eq!(*width, Some(640));
                assert_eq!(thumbnail.as_deref(), Some(&[0xFF, 0xD8, 0xFF, 0xD9][..]));
                assert_eq!(sent.text.as_deref(), Some("look"));
            }
            (
                MediaKind::Video,
                MessageContent::Video {
                    seconds,
                    gif_playback,
                    ..
                },
            ) => {
                assert_eq!((*seconds, *gif_playback), (Some(12), false));
            }
            (
                MediaKind::Gif,
                MessageContent::Video {
                    gif_playback,
                    caption,
                    ..
                },
            ) => {
                assert!(*gif_playback);
                assert_eq!(caption.as_deref(), Some("loop"));
            }
            (MediaKind::Audio, MessageContent::Audio { ptt, .. }) => assert!(!*ptt),
            (
                MediaKind::Voice,
                MessageContent::Audio {
                    ptt,
                    waveform,
                    seconds,
                    ..
                },
            ) => {
                assert!(*ptt);
                assert_eq!(waveform.as_ref().map(Vec::len), Some(64));
                assert_eq!(*seconds, Some(2));
            }
            (
                MediaKind::Document,
                MessageContent::Document {
                    file_name, caption, ..
                },
            ) => {
                assert_eq!(file_name.as_deref(), Some("big.zip"));
                assert_eq!(caption.as_deref(), Some("the archive"));
            }
            (MediaKind::Sticker, MessageContent::Sticker { animated, .. }) => assert!(*animated),
            (kind, other) => panic!("{kind:?}: {other:?}"),
        }
        // The phone decrypts the same bytes, of the right kind.
        let entry = on_phone(&sim, &sent.id).await;
        assert_eq!(entry["media"]["media_type"], phone_kind, "{entry}");
        assert_eq!(entry["media"]["mimetype"], mimetype.as_str(), "{entry}");
        assert!(
            phone_media(&sim, PHONE, &sent.id).await == data,
            "{kind:?}: phone's bytes differ"
        );
        // Our own sent media downloads too, and history types it the same.
        assert!(session.download_media(PHONE, &sent.id).await.unwrap() == data);
        let stored = session.message(PHONE, &sent.id).await.unwrap();
        assert_eq!(stored.content, sent.content, "{kind:?}");
    }

    // View once, both ways: our image arrives marked on the phone, the phone's video here.
    let mut once = OutgoingMedia::new(MediaKind::Image, bytes(900));
    once.view_once = true;
    let sent = session
        .send_media(PHONE, once, SendOptions::default())
        .await
        .unwrap();
    assert!(matches!(
        &sent.content,
        MessageContent::Image {
            view_once: true,
            ..
        }
    ));
    let entry = on_phone(&sim, &sent.id).await;
    assert_eq!(entry["media"]["view_once"], true, "{entry}");
    let mut sticker_once = OutgoingMedia::new(MediaKind::Sticker, bytes(100));
    sticker_once.view_once = true;
    let refused = session
        .send_media(PHONE, sticker_once, SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code, openwa::ErrorCode::InvalidArgument);
    let events = session.events();
    let data = STANDARD.encode(random_bytes(700));
    let id = phone_sends_json(
        &sim,
        PHONE,
        json!({"to": ENGINE, "video": {"data": data, "view_once": true}}),
    )
    .await;
    let got = received(&events, &id).await;
    assert!(
        matches!(
            &got.content,
            MessageContent::Video {
                view_once: true,
                ..
            }
        ),
        "{:?}",
        got.content
    );
}

async fn bad_media_sends_nothing(store: Arc<TestStore>) {
    let (sim, _manager, session) = setup(&store, Some(1000)).await;
    let blobs = || sim.sim().hub().media.len();
    let before = (blobs(), phone_timeline_len(&sim).await);
    let ok = |len| {
        OutgoingMedia::new(
            MediaKind::Image,
            MediaSource::Bytes {
                data: random_bytes(len),
            },
        )
    };
    let mut cases: Vec<(&str, OutgoingMedia, ErrorCode)> = vec![
        ("empty", ok(0), ErrorCode::InvalidArgument),
        ("oversized", ok(1001), ErrorCode::InvalidArgument),
    ];
    let mut wrong_type = ok(10);
    wrong_type.mimetype = Some("application/pdf".into());
    cases.push(("wrong mimetype", wrong_type, ErrorCode::InvalidArgument));
    let mut not_mime = ok(10);
    not_mime.mimetype = Some("jpeg".into());
    cases.push(("not a mimetype", not_mime, ErrorCode::InvalidArgument));
    let mut voice_caption = OutgoingMedia::new(
        MediaKind::Voice,
        MediaSource::Bytes {
            data: random_bytes(10),
        },
    );
    voice_caption.caption = Some("no".into());
    cases.push(("voice caption", voice_caption, ErrorCode::InvalidArgument));
    let gif_file = OutgoingMedia {
        mimetype: Some("image/gif".into()),
        ..OutgoingMedia::new(
            MediaKind::Gif,
            MediaSource::Bytes {
                data: random_bytes(10),
            },
        )
    };
    cases.push(("gif as image/gif", gif_file, ErrorCode::InvalidArgument));
    let missing = OutgoingMedia::new(
        MediaKind::Document,
        MediaSource::File {
            path: "/nonexistent/openwa.bin".into(),
        },
    );
    cases.push(("missing file", missing, ErrorCode::InvalidArgument));
    for (what, media, code) in cases {
        let err = session
            .send_media(PHONE, media, SendOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.code, code, "{what}: {err}");
    }
    // Bad chats.
    let err = session
        .send_media("not a number", ok(10), SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    let err = session
        .send_media("120363000000000001@g.us", ok(10), SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "an unknown group: {err}");
    // Nothing was uploaded, sent or stored.
    assert_eq!((blobs(), phone_timeline_len(&sim).await), before);
    let page = session.messages(PHONE, None, 10).await.unwrap();
    assert!(page.messages.is_empty(), "{page:?}");

    // An idempotent media send uploads once and sends once.
    let keyed = SendOptions {
        idempotency_key: Some("media-1".into()),
        ..SendOptions::default()
    };
    let first = session
        .send_media(PHONE, ok(500), keyed.clone())
        .await
        .unwrap();
    let again = session.send_media(PHONE, ok(500), keyed).await.unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(first.content, again.content);
    assert_eq!(blobs(), before.0 + 1);
    on_phone(&sim, &first.id).await;
    assert_eq!(phone_timeline_len(&sim).await, before.1 + 1);

    // Disconnected: fails at once, nothing uploaded.
    session.disconnect().await.unwrap();
    let err = session
        .send_media(PHONE, ok(10), SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotConnected, "{err}");
    assert_eq!(blobs(), before.0 + 1);
}

openwa_store::on_every_backend!(persistent: [
    phone_media_downloads_byte_for_byte,
    bad_downloads_get_typed_errors,
    downloads_over_the_limit_are_refused,
    engine_sends_every_kind,
    bad_media_sends_nothing,
]);

/// An unmodified Baileys 7 receives the engine's image and voice note and downloads the same
/// bytes (verifying hashes and MAC its own way), and sends an image and a document that the
/// engine downloads byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_both_ways_with_baileys7() {
    openwa_testkit::with_store(openwa_testkit::Backend::Sqlite, |store| async move {
        openwa_testkit::require_node_modules();
        let sim = simulator().await;
        sim.create_account(ENGINE, "Engine").unwrap();
        sim.create_account(PHONE, "Bailey").unwrap();
        let manager = store.open_manager(sim_options(&sim)).await;
        let session = manager.create_session("media", None).await.unwrap();
        let events = session.events();
        link_by_qr(&sim, &session, ENGINE).await;
        let auth = openwa_testkit::temp_auth_dir("media-baileys");
        let cert = sim.info.tls_cert_path.clone();
        let (mut bailey, _) = openwa_testkit::pair_by_qr_with_env(
            &sim.info.ws_url,
            &sim.info.admin_url,
            openwa_testkit::BAILEYS7,
            PHONE,
            &auth,
            &[("NODE_EXTRA_CA_CERTS", cert.as_str())],
        )
        .await;

        // Engine → Baileys.
        let picture = random_bytes(30_000);
        let mut image = OutgoingMedia::new(
            MediaKind::Image,
            MediaSource::Bytes {
                data: picture.clone(),
            },
        );
        image.caption = Some("from the engine".into());
        let sent = session
            .send_media(PHONE, image, SendOptions::default())
            .await
            .unwrap();
        let got = bailey.wait_message(&sent.id).await;
        assert_eq!(got["kind"], "imageMessage", "{got}");
        assert_eq!(got["text"], "from the engine", "{got}");
        assert_eq!(got["mimetype"], "image/jpeg", "{got}");
        bailey.send(json!({"cmd": "download", "id": sent.id})).await;
        let downloaded = bailey.wait_event("download").await;
        assert_eq!(downloaded["sha256"], hex::encode(Sha256::digest(&picture)), "{downloaded}");
        let note = random_bytes(4000);
        let mut voice = OutgoingMedia::new(MediaKind::Voice, MediaSource::Bytes { data: note.clone() });
        voice.seconds = Some(1);
        let sent = session
            .send_media(PHONE, voice, SendOptions::default())
            .await
            .unwrap();
        let got = bailey.wait_message(&sent.id).await;
        assert_eq!(got["kind"], "audioMessage", "{got}");
        bailey.send(json!({"cmd": "download", "id": sent.id})).await;
        let downloaded = bailey.wait_event("download").await;
        assert_eq!(downloaded["sha256"], hex::encode(Sha256::digest(&note)), "{downloaded}");

        // Baileys → engine.
        let engine_jid = format!("{ENGINE}@s.whatsapp.net");
        let photo = random_bytes(20_000);
        bailey
            .send(json!({"cmd": "send_image", "to": engine_jid, "data": STANDARD.encode(&photo), "mimetype": "image/jpeg", "caption": "from baileys"}))
            .await;
        let id = bailey.wait_event("sent").await["id"].as_str().unwrap().to_owned();
        let message = received(&events, &id).await;
        assert!(
            matches!(&message.content, MessageContent::Image { caption: Some(c), .. } if c == "from baileys"),
            "{message:?}"
        );
        assert!(session.download_media(PHONE, &id).await.unwrap() == photo);
        let doc = random_bytes(100_000);
        bailey
            .send(json!({"cmd": "send_media", "to": engine_jid, "kind": "document", "data": STANDARD.encode(&doc), "mimetype": "application/pdf", "fileName": "b.pdf"}))
            .await;
        let id = bailey.wait_event("sent").await["id"].as_str().unwrap().to_owned();
        let message = received(&events, &id).await;
        assert!(
            matches!(&message.content, MessageContent::Document { file_name: Some(n), .. } if n == "b.pdf"),
            "{message:?}"
        );
        let path = auth.join("b.pdf");
        session
            .download_media_to_file(PHONE, &id, path.clone())
            .await
            .unwrap();
        assert!(std::fs::read(&path).unwrap() == doc);
        bailey.quit().await;
        manager.close().await.unwrap();
    })
    .await;
}
