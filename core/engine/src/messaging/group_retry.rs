//! Retry receipts for our group messages (`<receipt from=GROUP participant=DEVICE
//! type="retry">`): the stored message goes again to the asking device alone, pairwise
//! encrypted and carrying our current sender key distribution, as a group message whose only
//! payload is that device's `<to>`. The device is then recorded as holding our key.

use openwa_protocol::Jid;
use openwa_protocol::message::pad;
use openwa_protocol::proto::e2e;
use openwa_protocol::signal::{self, encrypt};
use openwa_protocol::stanza::{
    DeviceEnc, Enc, MessageType, OutgoingMessage, Receipt, RetryRequest,
};
use prost::Message as _;

use super::encrypt::{enc_kind, retry_batch};
use super::group_send::{distribution_message, group_self};
use super::own::Own;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::groups::cache::metadata;

/// Answers one group retry receipt (`retry`, its request, already checked against the retry
/// limit by the `receipts` module).
pub(crate) async fn answer(
    shared: &SessionContext,
    receipt: &Receipt,
    retry: &RetryRequest,
    group: &Jid,
) -> Result<(), Error> {
    let Some(device) = receipt.participant.clone() else {
        return Ok(());
    };
    let stored = shared
        .store()
        .get_message(&group.to_string(), &receipt.id)
        .await?
        .filter(|m| m.from_me)
        .and_then(|m| m.payload);
    let Some(plaintext) = stored else {
        tracing::info!(session = %shared.id, id = %receipt.id, "group retry for an unknown message");
        return Ok(());
    };
    let own = Own::of(shared)?;
    let info = metadata(shared, group).await?;
    let me = group_self(&info, &own, false)?;
    let mut message = e2e::Message::decode(plaintext.as_slice())
        .map_err(|e| Error::new(ErrorCode::Store, format!("stored message: {e}")))?;

    let (batch, address) = retry_batch(shared, retry, &device, false).await?;
    let rng = &mut rand::rngs::OsRng;
    let distribution = signal::group::create_distribution(&batch, &me.key_name(group), rng)
        .await
        .map_err(|e| Error::new(ErrorCode::Crypto, format!("sender key: {e}")))?;
    message.sender_key_distribution_message =
        distribution_message(group, distribution.serialized()).sender_key_distribution_message;
    let (kind, ciphertext) = encrypt(&batch, &address, &pad(&message.encode_to_vec(), rng)).await?;
    let (group_id, holder) = (group.to_string(), device.to_string());
    batch
        .commit_with(None, move |mut tx| {
            let (group_id, holder) = (group_id.clone(), holder.clone());
            Box::pin(async move {
                tx.add_sender_key_holders(&group_id, &[holder]).await?;
                Ok(((), None))
            })
        })
        .await?;

    let mut enc = Enc::new(enc_kind(kind), ciphertext);
    enc.count = Some(retry.count);
    let mut stanza = OutgoingMessage::new(retry.id.clone(), group.clone(), MessageType::Text);
    stanza.participants = vec![DeviceEnc { jid: device, enc }];
    stanza.addressing_mode = Some(me.mode);
    stanza.t = retry.t;
    if kind == signal::MessageType::PreKey {
        stanza.device_identity = Some(own.account);
    }
    shared.send_node(stanza.to_node()).await
}
