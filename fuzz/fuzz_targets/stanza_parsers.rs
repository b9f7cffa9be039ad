//! Every stanza parser on whatever the binary decoder makes of arbitrary bytes: parsers must
//! return a value or a typed error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openwa_protocol::Node;
use openwa_protocol::binary::decode;
use openwa_protocol::stanza::group::*;
use openwa_protocol::stanza::*;

macro_rules! parse_all {
    ($node:expr; nodes: $($ty:ty),*; iqs: $($spec:ty),* $(,)?) => {
        $( let _ = <$ty>::from_node($node); )*
        $( let _ = <$spec>::parse_request($node); let _ = <$spec>::parse_response($node); )*
    };
}

fn parse(node: &Node) {
    parse_all!(node;
        nodes: Success, Failure, StreamError, StreamEnd, Ib, PairDeviceSign, LinkCodePrimaryHello,
            PreKey, SignedPreKey, UserPreKeys, UsyncUserResult, Enc, DeviceEnc, OutgoingMessage,
            IncomingMessage, Receipt, Ack, GroupInfo, GroupParticipant, GroupDescription,
            Notification, Presence, ChatState, IqError;
        iqs: SetPassive, PairDevice, PairSuccess, LinkCodeCompanionHello, LinkCodeCompanionFinish,
            RemoveCompanionDevice, Ping, UploadPreKeys, PreKeyCount, FetchPreKeys, GetKeyDigest,
            RotateSignedPreKey, UsyncQuery, GetGroupInfo, GetParticipatingGroups, CreateGroup,
            UpdateParticipants, SetSubject, SetDescription, SetGroupSetting, SetEphemeral,
            GetInviteCode, RevokeInviteCode, JoinGroupWithCode, GetInviteInfo, LeaveGroups,
            MediaConnRequest, GetAbProps, GetPrivacySettings, GetBlocklist, SyncAppState,
    );
    let _ = IqHeader::of(node);
    let _ = Ack::for_stanza(node);
}

fuzz_target!(|data: &[u8]| {
    let Ok(root) = decode(data) else {
        return;
    };
    // Every node of the tree, without recursion (the parser list makes a large stack frame).
    let mut pending = vec![&root];
    while let Some(node) = pending.pop() {
        parse(node);
        pending.extend(node.child_nodes());
    }
});
