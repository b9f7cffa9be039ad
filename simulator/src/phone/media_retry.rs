//! The phone answers media re-upload requests from its companions: the message must be on its
//! timeline (it received every message its companions did), its blob is put back on the media
//! host, and the sealed answer names the direct path; `<error code="2"/>` when the phone has
//! nothing to re-upload.

use openwa_protocol::Jid;
use openwa_protocol::media_retry::{
    MediaRetryResult, RESULT_SUCCESS, ServerErrorReceipt, open, seal,
};
use openwa_protocol::stanza::media_retry::{
    MediaRetryNotice, MediaRetryRequest, RetryOutcome, Sealed,
};
use prost::Message as _;
use rand_core::{OsRng, RngCore};

use crate::device::DeviceRef;
use crate::hub::Hub;
use crate::util::now_secs;

/// Answers a companion's `<receipt type="server-error">` with a `mediaretry` notification.
pub fn answer(hub: &Hub, me: &DeviceRef, node: &openwa_protocol::Node) {
    let request = match MediaRetryRequest::from_node(node) {
        Ok(request) => request,
        Err(e) => {
            tracing::debug!(error = %e, "invalid media retry request ignored");
            return;
        }
    };
    let outcome = reupload(hub, &me.phone, &request).unwrap_or(RetryOutcome::Error(2));
    let notice = MediaRetryNotice {
        id: request.id.clone(),
        from: Jid::pn(me.phone.clone()),
        t: Some(now_secs()),
        target: request.target,
        outcome,
    };
    hub.deliver(&me.phone, me.device, notice.to_node());
}

/// Re-uploads the media of the message the request names; `None` when the phone cannot.
fn reupload(hub: &Hub, phone: &str, request: &MediaRetryRequest) -> Option<RetryOutcome> {
    let media = hub
        .read(|s| {
            s.account(phone)
                .map(|a| a.timeline.find(&request.id, |_| true).cloned())
        })
        .ok()
        .flatten()?
        .media?;
    let key: [u8; 32] = hex::decode(media.media_key.as_deref()?)
        .ok()?
        .try_into()
        .ok()?;
    let opened = open(
        &key,
        &request.id,
        &request.sealed.iv,
        &request.sealed.ciphertext,
    )
    .ok()?;
    let asked = ServerErrorReceipt::decode(opened.as_slice()).ok()?;
    if asked.stanza_id.as_deref() != Some(request.id.as_str()) {
        return None;
    }
    let direct_path = media.direct_path?;
    let blob_id = direct_path
        .split('?')
        .next()?
        .rsplit('/')
        .next()?
        .to_owned();
    if hub.media.get(&blob_id).is_none() && !hub.media.restore(&blob_id) {
        return None;
    }
    let result = MediaRetryResult {
        stanza_id: Some(request.id.clone()),
        direct_path: Some(direct_path),
        result: Some(RESULT_SUCCESS),
    };
    let mut iv = [0u8; 12];
    OsRng.fill_bytes(&mut iv);
    let ciphertext = seal(&key, &request.id, &iv, &result.encode_to_vec());
    Some(RetryOutcome::Sealed(Sealed {
        ciphertext,
        iv: iv.to_vec(),
    }))
}
