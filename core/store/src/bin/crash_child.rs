//! Child process of the crash-safety test (`tests/crash.rs`): writes messages, Signal state and
//! events in transactions and prints `ack N` after each commit, until it is killed or reaches the
//! given end. Usage: `openwa-store-crash-child DATABASE_URL KEY_HEX SESSION_ID START END`.

use std::io::Write;

use openwa_store::{
    Database, KeySource, MessageRecord, MessageStatus, Store, StoreConfig, StoreError, StoreKey,
};

/// What the child writes for item `n`; the test checks the same values.
fn record_for(n: u64) -> Vec<u8> {
    let mut record = n.to_le_bytes().to_vec();
    record.extend(std::iter::repeat_n(0xA5, 200));
    record
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, key, session, start, end] = args.as_slice() else {
        return Err(
            "usage: openwa-store-crash-child DATABASE_URL KEY_HEX SESSION START END".into(),
        );
    };
    let (start, end): (u64, u64) = (start.parse()?, end.parse()?);
    let config = StoreConfig::new(
        Database::from_url(url)?,
        KeySource::Key(StoreKey::from_hex(key)?),
    );
    let store = Store::open(config).await?;
    match store.create_session(session, "connected").await {
        Ok(_) | Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    for n in start..end {
        let mut tx = store.begin().await?;
        let message = MessageRecord {
            session_id: session.clone(),
            chat: "peer@s.whatsapp.net".to_owned(),
            id: format!("m{n:08}"),
            sender: "peer@s.whatsapp.net".to_owned(),
            from_me: false,
            timestamp: i64::try_from(n)?,
            msg_type: "text".to_owned(),
            body: Some(format!("message {n}")),
            payload: None,
            status: MessageStatus::Delivered,
        };
        tx.insert_message(&message).await?;
        tx.put_signal_session(session, &format!("peer.{}", n % 5), &record_for(n))
            .await?;
        tx.put_sender_key(session, "group@g.us", "peer.0", &record_for(n))
            .await?;
        tx.put_prekeys(session, &[(u32::try_from(n % 1000)? + 1, record_for(n))])
            .await?;
        tx.append_event(session, "message", &serde_json::json!({ "n": n }))
            .await?;
        tx.commit().await?;
        writeln!(out, "ack {n}")?;
        out.flush()?;
    }
    store.close().await;
    Ok(())
}
