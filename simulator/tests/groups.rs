//! Groups against real protocol clients: every `w:g2` IQ with its errors, the `w:gp2`
//! notifications each change sends to every member device (live and queued offline), and
//! group fan-out to current members only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::dev::{Dev, error_code, is_result};
use common::session::{online, pair};
use common::start;
use openwa_protocol::stanza::group::{
    CreateGroup, GetGroupInfo, GetInviteCode, GetInviteInfo, GetParticipatingGroups, GroupSetting,
    JoinGroupWithCode, LeaveGroups, ParticipantAction, ParticipantRole, RevokeInviteCode,
    SetDescription, SetEphemeral, SetGroupSetting, SetMemberAddMode, SetMembershipApproval,
    SetSubject, UpdateParticipants,
};
use openwa_protocol::stanza::{
    AddressingMode, GroupChange, GroupInfo, IqSpec, MembershipChange, participant_hash,
};
use openwa_protocol::{Jid, Node};

const A: &str = "15550000001";
const B: &str = "15550000002";
const C: &str = "15550000003";

fn lid(n: u64) -> Jid {
    Jid::lid((100_000_000_000_000 + n).to_string())
}

fn membership(change: &GroupChange) -> (MembershipChange, Vec<Jid>, Option<String>) {
    match change {
        GroupChange::Membership {
            change,
            participants,
            reason,
        } => (
            change.clone(),
            participants.iter().map(|p| p.jid.clone()).collect(),
            reason.clone(),
        ),
        other => panic!("not a membership change: {other:?}"),
    }
}

#[tokio::test]
async fn group_iqs_answer_like_whatsapp_and_notify_every_member_device() {
    let sim = start().await;
    for (phone, name) in [(A, "Alice"), (B, "Bob"), (C, "Carol")] {
        sim.create_account(phone, name).unwrap();
    }
    let alice = pair(&sim, A).await;
    let bob = pair(&sim, B).await;
    let bob2 = pair(&sim, B).await; // stays offline: gets everything queued
    let carol = pair(&sim, C).await;
    let (a, q) = online(&sim, &alice).await;
    let mut a = Dev::new(a, q);
    let (b, q) = online(&sim, &bob).await;
    let mut b = Dev::new(b, q);
    let (c, q) = online(&sim, &carol).await;
    let mut c = Dev::new(c, q);

    // Create: the creator is super admin, members are listed by LID with their PN, unknown
    // numbers get a per-participant 404.
    let create = CreateGroup {
        subject: "Team".into(),
        participants: vec![Jid::pn(B), Jid::pn("15559999999")],
        key: Some("K1".into()),
        ephemeral: None,
        member_add_mode: None,
    };
    let reply = a.ask(&create).await;
    let raw = reply.get_child("group").unwrap();
    assert!(raw.children_by_tag("participant").any(|p| {
        p.attr_jid("jid") == Some(Jid::pn("15559999999"))
            && p.attr_str("error").as_deref() == Some("404")
    }));
    let info = CreateGroup::parse_response(&reply).unwrap();
    let group = info.jid.clone();
    assert_eq!(info.subject, "Team");
    assert_eq!(info.addressing_mode, Some(AddressingMode::Lid));
    assert_eq!(info.creator, Some(lid(1)));
    assert_eq!(info.creator_pn, Some(Jid::pn(A)));
    assert_eq!(info.size, Some(2));
    assert_eq!(info.participants[0].jid, lid(1));
    assert_eq!(info.participants[0].role, Some(ParticipantRole::SuperAdmin));
    assert_eq!(info.participants[0].phone_number, Some(Jid::pn(A)));
    assert_eq!(info.participants[1].jid, lid(2));
    assert_eq!(info.participants[1].role, None);
    for dev in [&mut a, &mut b] {
        let (from, n) = dev.gp2().await;
        assert_eq!(from, group);
        assert_eq!(n.participant, Some(lid(1)));
        assert_eq!(n.participant_pn, Some(Jid::pn(A)));
        assert_eq!(n.addressing_mode, Some(AddressingMode::Lid));
        match n.change {
            GroupChange::Create { info, key, .. } => {
                assert_eq!(info.jid, group);
                assert_eq!(info.participants.len(), 2);
                assert_eq!(key.as_deref(), Some("K1"));
            }
            other => panic!("expected create, got {other:?}"),
        }
    }

    // Metadata and the participating list; outsiders get 403, unknown groups 404.
    let metadata = GetGroupInfo {
        group: group.clone(),
    };
    let got = GetGroupInfo::parse_response(&b.ask(&metadata).await).unwrap();
    assert_eq!(got.participants.len(), 2);
    assert_eq!(got.member_add_mode.as_deref(), Some("admin_add"));
    assert_eq!(error_code(&c.ask(&metadata).await).as_deref(), Some("403"));
    let nowhere = GetGroupInfo {
        group: "120363999999999999@g.us".parse().unwrap(),
    };
    assert_eq!(error_code(&a.ask(&nowhere).await).as_deref(), Some("404"));
    let listed = GetParticipatingGroups::parse_response(&b.ask(&GetParticipatingGroups).await);
    assert_eq!(listed.unwrap().len(), 1);
    let listed = GetParticipatingGroups::parse_response(&c.ask(&GetParticipatingGroups).await);
    assert!(listed.unwrap().is_empty());

    // Add: members may not (403); the admin gets per-participant results.
    let update = |action: ParticipantAction, who: Vec<Jid>| UpdateParticipants {
        group: group.clone(),
        action,
        participants: who,
    };
    let reply = b
        .ask(&update(ParticipantAction::Add, vec![Jid::pn(C)]))
        .await;
    assert_eq!(error_code(&reply).as_deref(), Some("403"));
    let add = update(
        ParticipantAction::Add,
        vec![lid(3), Jid::pn(B), Jid::pn("15559999999")],
    );
    let reply = a.ask(&add).await;
    assert_eq!(reply.first_child().unwrap().tag, "add");
    let results = UpdateParticipants::parse_response(&reply).unwrap();
    let codes: Vec<Option<u16>> = results.iter().map(|r| r.error).collect();
    assert_eq!(codes, vec![None, Some(409), Some(404)]);
    assert_eq!(results[0].phone_number, Some(Jid::pn(C)));
    for dev in [&mut a, &mut b, &mut c] {
        let (_, n) = dev.gp2().await;
        assert_eq!(
            membership(&n.change),
            (MembershipChange::Add, vec![lid(3)], None)
        );
    }

    // Promote Bob; nobody demotes the super admin.
    let reply = a
        .ask(&update(ParticipantAction::Promote, vec![lid(2)]))
        .await;
    assert_eq!(
        UpdateParticipants::parse_response(&reply).unwrap()[0].error,
        None
    );
    for dev in [&mut a, &mut b, &mut c] {
        let (_, n) = dev.gp2().await;
        assert_eq!(membership(&n.change).0, MembershipChange::Promote);
    }
    let reply = b
        .ask(&update(ParticipantAction::Demote, vec![lid(1)]))
        .await;
    assert_eq!(
        UpdateParticipants::parse_response(&reply).unwrap()[0].error,
        Some(403)
    );
    let got = GetGroupInfo::parse_response(&c.ask(&metadata).await).unwrap();
    assert_eq!(got.participants[1].role, Some(ParticipantRole::Admin));

    // Subject by the new admin.
    let reply = b
        .ask(&SetSubject {
            group: group.clone(),
            subject: "Renamed".into(),
        })
        .await;
    is_result(&reply);
    for dev in [&mut a, &mut b, &mut c] {
        let (_, n) = dev.gp2().await;
        match n.change {
            GroupChange::Subject {
                subject,
                subject_time,
                subject_owner,
                subject_owner_pn,
            } => {
                assert_eq!(subject, "Renamed");
                assert!(subject_time.is_some());
                assert_eq!(subject_owner, Some(lid(2)));
                assert_eq!(subject_owner_pn, Some(Jid::pn(B)));
            }
            other => panic!("expected subject, got {other:?}"),
        }
    }

    // Locked: only admins edit info; settings are admin-only.
    let setting = |setting| SetGroupSetting {
        group: group.clone(),
        setting,
    };
    assert_eq!(
        error_code(&c.ask(&setting(GroupSetting::Locked)).await).as_deref(),
        Some("403")
    );
    is_result(&a.ask(&setting(GroupSetting::Locked)).await);
    for dev in [&mut a, &mut b, &mut c] {
        assert_eq!(dev.gp2().await.1.change, GroupChange::Locked(true));
    }
    let describe = |id: Option<&str>, prev: Option<&str>, body: Option<&str>| SetDescription {
        group: group.clone(),
        id: id.map(Into::into),
        prev: prev.map(Into::into),
        body: body.map(Into::into),
    };
    let reply = c.ask(&describe(Some("D1"), None, Some("hello"))).await;
    assert_eq!(error_code(&reply).as_deref(), Some("403"));
    is_result(&a.ask(&setting(GroupSetting::Unlocked)).await);
    for dev in [&mut a, &mut b, &mut c] {
        assert_eq!(dev.gp2().await.1.change, GroupChange::Locked(false));
    }

    // Description with id/prev: a stale prev is 409; delete works without an id (Baileys).
    is_result(&c.ask(&describe(Some("D1"), None, Some("hello"))).await);
    for dev in [&mut a, &mut b, &mut c] {
        let (_, n) = dev.gp2().await;
        assert_eq!(
            n.change,
            GroupChange::Description {
                id: "D1".into(),
                body: Some("hello".into())
            }
        );
    }
    let got = GetGroupInfo::parse_response(&a.ask(&metadata).await).unwrap();
    let description = got.description.unwrap();
    assert_eq!(
        (description.id.as_str(), description.body.as_str()),
        ("D1", "hello")
    );
    assert_eq!(description.participant, Some(lid(3)));
    let reply = b.ask(&describe(Some("D2"), Some("D0"), Some("x"))).await;
    assert_eq!(error_code(&reply).as_deref(), Some("409"));
    is_result(&b.ask(&describe(None, Some("D1"), None)).await);
    for dev in [&mut a, &mut b, &mut c] {
        match dev.gp2().await.1.change {
            GroupChange::Description { body: None, id } => assert!(!id.is_empty()),
            other => panic!("expected description delete, got {other:?}"),
        }
    }
    let got = GetGroupInfo::parse_response(&a.ask(&metadata).await).unwrap();
    assert_eq!(got.description, None);

    // Announcement carries v_id (whatsmeow requires it).
    assert_eq!(
        error_code(&c.ask(&setting(GroupSetting::Announcement)).await).as_deref(),
        Some("403")
    );
    is_result(&a.ask(&setting(GroupSetting::Announcement)).await);
    for dev in [&mut a, &mut b, &mut c] {
        match dev.gp2().await.1.change {
            GroupChange::Announcement { on, version_id } => {
                assert!(on);
                assert!(version_id.is_some());
            }
            other => panic!("expected announcement, got {other:?}"),
        }
    }
    assert!(
        GetGroupInfo::parse_response(&a.ask(&metadata).await)
            .unwrap()
            .announcement
    );

    // Disappearing messages: only WhatsApp's timers.
    let ephemeral = |expiration| SetEphemeral {
        group: group.clone(),
        expiration,
    };
    assert_eq!(
        error_code(&a.ask(&ephemeral(Some(5))).await).as_deref(),
        Some("400")
    );
    is_result(&a.ask(&ephemeral(Some(604_800))).await);
    for dev in [&mut a, &mut b, &mut c] {
        assert_eq!(
            dev.gp2().await.1.change,
            GroupChange::Ephemeral(Some(604_800))
        );
    }

    // Member add mode and membership approval.
    let add_mode = SetMemberAddMode {
        group: group.clone(),
        mode: "all_member_add".into(),
    };
    assert_eq!(error_code(&c.ask(&add_mode).await).as_deref(), Some("403"));
    is_result(&a.ask(&add_mode).await);
    for dev in [&mut a, &mut b, &mut c] {
        assert_eq!(
            dev.gp2().await.1.change,
            GroupChange::MemberAddMode("all_member_add".into())
        );
    }
    let approval = |on| SetMembershipApproval {
        group: group.clone(),
        on,
    };
    is_result(&a.ask(&approval(true)).await);
    for dev in [&mut a, &mut b, &mut c] {
        assert_eq!(
            dev.gp2().await.1.change,
            GroupChange::MembershipApproval(true)
        );
    }
    let got = GetGroupInfo::parse_response(&a.ask(&metadata).await).unwrap();
    assert!(
        got.extra
            .iter()
            .any(|n| n.tag == "membership_approval_mode")
    );
    assert_eq!(got.ephemeral, Some(604_800));
    assert_eq!(got.member_add_mode.as_deref(), Some("all_member_add"));

    // Invite link: members who are not admins get 401; a reset revokes the old code.
    let get_code = GetInviteCode {
        group: group.clone(),
    };
    assert_eq!(error_code(&c.ask(&get_code).await).as_deref(), Some("401"));
    let old_code = GetInviteCode::parse_response(&a.ask(&get_code).await).unwrap();
    assert_eq!(old_code.len(), 22);
    let revoke = RevokeInviteCode {
        group: group.clone(),
    };
    let code = RevokeInviteCode::parse_response(&b.ask(&revoke).await).unwrap();
    assert_ne!(code, old_code);
    for dev in [&mut a, &mut b, &mut c] {
        assert_eq!(
            dev.gp2().await.1.change,
            GroupChange::Invite { code: code.clone() }
        );
    }

    // Remove Carol: she is told too, then is an outsider.
    let reply = a
        .ask(&update(ParticipantAction::Remove, vec![lid(3)]))
        .await;
    assert_eq!(
        UpdateParticipants::parse_response(&reply).unwrap()[0].error,
        None
    );
    for dev in [&mut a, &mut b, &mut c] {
        let (_, n) = dev.gp2().await;
        assert_eq!(membership(&n.change).0, MembershipChange::Remove);
    }
    assert_eq!(error_code(&c.ask(&metadata).await).as_deref(), Some("403"));
    let reply = a
        .ask(&update(ParticipantAction::Remove, vec![lid(3)]))
        .await;
    assert_eq!(
        UpdateParticipants::parse_response(&reply).unwrap()[0].error,
        Some(404)
    );

    // Join by link: revoked 410, unknown 406, preview, approval required, then joined.
    let preview = |code: &str| GetInviteInfo { code: code.into() };
    assert_eq!(
        error_code(&c.ask(&preview(&old_code)).await).as_deref(),
        Some("410")
    );
    assert_eq!(
        error_code(&c.ask(&preview("nope")).await).as_deref(),
        Some("406")
    );
    let shown: GroupInfo = GetInviteInfo::parse_response(&c.ask(&preview(&code)).await).unwrap();
    assert_eq!(shown.subject, "Renamed");
    let join = JoinGroupWithCode { code: code.clone() };
    let reply = c.ask(&join).await;
    assert_eq!(
        reply
            .get_child("membership_approval_request")
            .and_then(|r| r.attr_jid("jid")),
        Some(group.clone())
    );
    is_result(&a.ask(&approval(false)).await);
    for dev in [&mut a, &mut b] {
        assert_eq!(
            dev.gp2().await.1.change,
            GroupChange::MembershipApproval(false)
        );
    }
    let joined = JoinGroupWithCode::parse_response(&c.ask(&join).await).unwrap();
    assert_eq!(joined, group);
    for dev in [&mut a, &mut b, &mut c] {
        let (_, n) = dev.gp2().await;
        assert_eq!(n.participant, Some(lid(3)));
        assert_eq!(
            membership(&n.change),
            (MembershipChange::Add, vec![lid(3)], Some("invite".into()))
        );
    }

    // Leave: a `remove` of herself by herself, to everyone including her.
    is_result(
        &c.ask(&LeaveGroups {
            groups: vec![group.clone()],
        })
        .await,
    );
    for dev in [&mut a, &mut b, &mut c] {
        let (_, n) = dev.gp2().await;
        assert_eq!(n.participant, Some(lid(3)));
        assert_eq!(membership(&n.change).0, MembershipChange::Remove);
    }
    let unknown_leave = LeaveGroups {
        groups: vec!["120363999999999999@g.us".parse().unwrap()],
    };
    assert_eq!(
        error_code(&c.ask(&unknown_leave).await).as_deref(),
        Some("404")
    );

    // Unknown w:g2 IQs are answered 501, malformed ones 400.
    let odd = Node::new("iq")
        .attr("id", "odd")
        .attr("to", group.clone())
        .attr("type", "get")
        .attr("xmlns", "w:g2")
        .child(Node::new("sub_groups"));
    assert_eq!(error_code(&a.ask_node(odd).await).as_deref(), Some("501"));
    let bad = Node::new("iq")
        .attr("id", "bad")
        .attr("to", Jid::server_jid("g.us"))
        .attr("type", "set")
        .attr("xmlns", "w:g2")
        .child(Node::new("create"));
    assert_eq!(error_code(&a.ask_node(bad).await).as_deref(), Some("400"));

    // Bob's second companion was offline all along: everything is queued, in order.
    let (_b2, queued) = online(&sim, &bob2).await;
    let kinds: Vec<String> = queued
        .iter()
        .filter(|n| n.attr_str("type").as_deref() == Some("w:gp2"))
        .map(|n| n.first_child().unwrap().tag.to_string())
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("create"));
    assert_eq!(kinds.last().map(String::as_str), Some("remove"));
    assert_eq!(kinds.len(), 17, "{kinds:?}");
    sim.shutdown().await.unwrap();
}

fn group_message(id: &str, group: &Jid, skdm_for: &[Jid], phash: Option<&str>) -> Node {
    let participants = skdm_for
        .iter()
        .map(|t| {
            Node::new("to").attr("jid", t.clone()).child(
                Node::new("enc")
                    .attr("v", "2")
                    .attr("type", "pkmsg")
                    .bytes(format!("skdm for {t}").into_bytes()),
            )
        })
        .collect();
    Node::new("message")
        .attr("id", id)
        .attr("to", group.clone())
        .attr("type", "text")
        .attr_opt("phash", phash)
        .children(vec![
            Node::new("participants").children(participants),
            Node::new("enc")
                .attr("v", "2")
                .attr("type", "skmsg")
                .bytes(b"group ciphertext".to_vec()),
        ])
}

#[tokio::test]
async fn fan_out_follows_membership_and_answers_phash() {
    let sim = start().await;
    for (phone, name) in [(A, "Alice"), (B, "Bob"), (C, "Carol")] {
        sim.create_account(phone, name).unwrap();
    }
    let alice = pair(&sim, A).await;
    let bob = pair(&sim, B).await;
    let carol = pair(&sim, C).await;
    let (a, q) = online(&sim, &alice).await;
    let mut a = Dev::new(a, q);
    let (b, q) = online(&sim, &bob).await;
    let mut b = Dev::new(b, q);
    let (c, q) = online(&sim, &carol).await;
    let mut c = Dev::new(c, q);
    let info = CreateGroup::parse_response(
        &a.ask(&CreateGroup {
            subject: "Trio".into(),
            participants: vec![Jid::pn(B), Jid::pn(C)],
            key: None,
            ephemeral: None,
            member_add_mode: None,
        })
        .await,
    )
    .unwrap();
    let group = info.jid.clone();
    // Every member device by LID: the phones (device 0) and the three companions.
    let devices: Vec<Jid> = [1, 2, 3]
        .into_iter()
        .flat_map(|n| [lid(n).to_device(0), lid(n).to_device(1)])
        .collect();
    let expected_phash = participant_hash(&devices);

    let targets = [bob.lid.clone().unwrap(), carol.lid.clone().unwrap()];
    a.client
        .send(&group_message("3EB0G1", &group, &targets, Some("2:stale")))
        .await
        .unwrap();
    let ack = a.next(|n| n.tag == "ack").await;
    assert_eq!(ack.attr_jid("from"), Some(group.clone()));
    assert_eq!(ack.attr_str("phash"), Some(expected_phash.clone()));
    for (dev, me) in [(&mut b, &bob), (&mut c, &carol)] {
        let got = dev.next(|n| n.tag == "message").await;
        assert_eq!(got.attr_jid("from"), Some(group.clone()));
        assert_eq!(got.attr_jid("participant"), alice.lid.clone());
        assert_eq!(got.attr_jid("participant_pn"), Some(alice.jid.clone()));
        assert_eq!(got.attr_str("addressing_mode").as_deref(), Some("lid"));
        let encs: Vec<_> = got.children_by_tag("enc").collect();
        assert_eq!(encs.len(), 2);
        assert_eq!(encs[0].attr_str("type").as_deref(), Some("pkmsg"));
        assert_eq!(
            encs[0].content_bytes(),
            Some(format!("skdm for {}", me.lid.clone().unwrap()).as_bytes())
        );
        assert_eq!(encs[1].attr_str("type").as_deref(), Some("skmsg"));
    }

    // Carol is removed: the next message reaches Bob only; her own messages are dropped.
    let remove = UpdateParticipants {
        group: group.clone(),
        action: ParticipantAction::Remove,
        participants: vec![lid(3)],
    };
    a.ask(&remove).await;
    c.client
        .send(&group_message("3EB0G2", &group, &[], None))
        .await
        .unwrap();
    let ack = c.next(|n| n.tag == "ack").await;
    assert_eq!(ack.attr_str("phash"), None);
    a.client
        .send(&group_message("3EB0G3", &group, &[], None))
        .await
        .unwrap();
    let ack = a.next(|n| n.tag == "ack").await;
    assert_eq!(ack.attr_str("id").as_deref(), Some("3EB0G3"));
    assert_eq!(ack.attr_str("phash"), None);
    let got = b.next(|n| n.tag == "message").await;
    assert_eq!(got.attr_str("id").as_deref(), Some("3EB0G3"));
    let seen_by_carol = c.drain().await;
    assert!(
        !seen_by_carol
            .iter()
            .any(|n| n.tag == "message" && n.attr_str("id").as_deref() == Some("3EB0G3")),
        "a removed member still receives: {seen_by_carol:?}"
    );
    let seen_by_bob = b.drain().await;
    assert!(
        !seen_by_bob
            .iter()
            .any(|n| n.attr_str("id").as_deref() == Some("3EB0G2")),
        "a non-member's message was routed"
    );
    sim.shutdown().await.unwrap();
}

/// Joining by link while approval is on files a join request: admins list it, members may not,
/// rejecting drops it, approving adds the member (with an `add` notification); unknown
/// requests get a per-user 404.
#[tokio::test]
async fn join_requests_are_listed_approved_and_rejected() {
    use openwa_protocol::stanza::group::{AnswerJoinRequests, GetJoinRequests};
    let sim = start().await;
    for (phone, name) in [(A, "Alice"), (B, "Bob"), (C, "Carol")] {
        sim.create_account(phone, name).unwrap();
    }
    let (alice, bob, carol) = (
        pair(&sim, A).await,
        pair(&sim, B).await,
        pair(&sim, C).await,
    );
    let (a, q) = online(&sim, &alice).await;
    let mut a = Dev::new(a, q);
    let (b, q) = online(&sim, &bob).await;
    let mut b = Dev::new(b, q);
    let (c, q) = online(&sim, &carol).await;
    let mut c = Dev::new(c, q);
    let create = CreateGroup {
        subject: "Gated".into(),
        participants: vec![],
        key: None,
        ephemeral: None,
        member_add_mode: None,
    };
    let group = CreateGroup::parse_response(&a.ask(&create).await)
        .unwrap()
        .jid;
    a.gp2().await;
    is_result(
        &a.ask(&SetMembershipApproval {
            group: group.clone(),
            on: true,
        })
        .await,
    );
    a.gp2().await;
    let code = GetInviteCode::parse_response(
        &a.ask(&GetInviteCode {
            group: group.clone(),
        })
        .await,
    )
    .unwrap();
    for dev in [&mut b, &mut c] {
        let reply = dev.ask(&JoinGroupWithCode { code: code.clone() }).await;
        assert!(reply.get_child("membership_approval_request").is_some());
    }
    let list = GetJoinRequests {
        group: group.clone(),
    };
    let pending = GetJoinRequests::parse_response(&a.ask(&list).await).unwrap();
    assert_eq!(
        pending.iter().map(|r| r.jid.clone()).collect::<Vec<_>>(),
        vec![lid(2), lid(3)]
    );
    assert_eq!(pending[0].phone_number, Some(Jid::pn(B)));
    assert!(pending[0].request_time.is_some());
    assert_eq!(error_code(&b.ask(&list).await).as_deref(), Some("403"));

    let answer = |approve, who: Vec<Jid>| AnswerJoinRequests {
        group: group.clone(),
        approve,
        participants: who,
    };
    let rejected =
        AnswerJoinRequests::parse_response(&a.ask(&answer(false, vec![Jid::pn(C)])).await).unwrap();
    assert_eq!(rejected[0].error, None);
    let reply = a.ask(&answer(true, vec![lid(2), lid(3)])).await;
    assert!(
        reply
            .get_path(&["membership_requests_action", "approve"])
            .is_some()
    );
    let approved = AnswerJoinRequests::parse_response(&reply).unwrap();
    assert_eq!(
        approved.iter().map(|r| r.error).collect::<Vec<_>>(),
        vec![None, Some(404)]
    );
    for dev in [&mut a, &mut b] {
        let (_, n) = dev.gp2().await;
        let (change, who, _) = membership(&n.change);
        assert_eq!((change, who), (MembershipChange::Add, vec![lid(2)]));
    }
    assert!(
        GetJoinRequests::parse_response(&a.ask(&list).await)
            .unwrap()
            .is_empty()
    );
    let info = GetGroupInfo::parse_response(&b.ask(&GetGroupInfo { group }).await).unwrap();
    assert_eq!(info.participants.len(), 2);
}

/// A PN-addressed group (admin API): members listed by phone number with their LID, the
/// notifications and the fan-out name the sender by phone number.
#[tokio::test]
async fn pn_addressed_groups_name_members_by_phone_number() {
    let sim = start().await;
    for (phone, name) in [(A, "Alice"), (B, "Bob")] {
        sim.create_account(phone, name).unwrap();
    }
    let (alice, bob) = (pair(&sim, A).await, pair(&sim, B).await);
    let (a, q) = online(&sim, &alice).await;
    let mut a = Dev::new(a, q);
    let (b, q) = online(&sim, &bob).await;
    let mut b = Dev::new(b, q);
    let created = sim
        .sim()
        .create_group_addressed(A, "By number", &[B.to_owned()], true)
        .unwrap();
    assert_eq!(created.addressing_mode, "pn");
    let group: Jid = created.jid.parse().unwrap();
    for dev in [&mut a, &mut b] {
        let (_, n) = dev.gp2().await;
        assert_eq!(n.participant, Some(Jid::pn(A)));
        assert_eq!(n.participant_pn, None);
        assert_eq!(n.addressing_mode, Some(AddressingMode::Pn));
    }
    let info = GetGroupInfo::parse_response(
        &b.ask(&GetGroupInfo {
            group: group.clone(),
        })
        .await,
    )
    .unwrap();
    assert_eq!(info.addressing_mode, Some(AddressingMode::Pn));
    assert_eq!(info.participants[1].jid, Jid::pn(B));
    assert_eq!(info.participants[1].lid, Some(lid(2)));
    assert_eq!(info.creator, Some(Jid::pn(A)));
}
