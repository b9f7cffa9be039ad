//! Join requests of a group whose joining by link needs an admin's approval
//! (docs/PROTOCOL.md, Groups): list the pending requests, approve or reject some.

use super::iq::{ParticipantResult, target_group};
use crate::jid::Jid;
use crate::node::Node;
use crate::stanza::error::StanzaError;
use crate::stanza::iq::{IqSpec, IqType};
use crate::stanza::read::NodeRead;

/// One pending request: `<membership_approval_request jid [request_time] [request_method]
/// [phone_number]/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// Who asks to join (a LID in LID-addressed groups).
    pub jid: Jid,
    /// Their PN, when `jid` is a LID.
    pub phone_number: Option<Jid>,
    /// When they asked (Unix seconds).
    pub request_time: Option<u64>,
    /// How (`invite_link`, …).
    pub request_method: Option<String>,
}

impl JoinRequest {
    fn to_node(&self) -> Node {
        Node::new("membership_approval_request")
            .attr("jid", &self.jid)
            .attr_opt("phone_number", self.phone_number.as_ref())
            .attr_opt("request_time", self.request_time.map(|t| t.to_string()))
            .attr_opt("request_method", self.request_method.as_deref())
    }

    fn from_node(node: &Node) -> Result<Self, StanzaError> {
        Ok(JoinRequest {
            jid: node.jid_attr("jid")?,
            phone_number: node.opt_jid_attr("phone_number")?,
            request_time: node.opt_num_attr("request_time")?,
            request_method: node.attr_str("request_method"),
        })
    }
}

/// `<iq to=GROUP type="get"><membership_approval_requests/></iq>` →
/// `<membership_approval_requests><membership_approval_request …/>…</…>` (admins only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetJoinRequests {
    /// The group.
    pub group: Jid,
}

impl IqSpec for GetJoinRequests {
    type Response = Vec<JoinRequest>;
    const XMLNS: &'static str = "w:g2";
    const TYPE: IqType = IqType::Get;

    fn peer(&self) -> Jid {
        self.group.clone()
    }

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new("membership_approval_requests")]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        iq.req_child("membership_approval_requests")?;
        Ok(GetJoinRequests {
            group: target_group(iq)?,
        })
    }

    fn response_children(requests: &Vec<JoinRequest>) -> Vec<Node> {
        vec![
            Node::new("membership_approval_requests")
                .children(requests.iter().map(JoinRequest::to_node).collect()),
        ]
    }

    fn decode_response(iq: &Node) -> Result<Vec<JoinRequest>, StanzaError> {
        iq.req_child("membership_approval_requests")?
            .children_by_tag("membership_approval_request")
            .map(JoinRequest::from_node)
            .collect()
    }
}

/// `<iq to=GROUP type="set"><membership_requests_action><approve|reject><participant jid/>…`
/// → the same nesting with one [`ParticipantResult`] per request (`error` when it failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerJoinRequests {
    /// The group.
    pub group: Jid,
    /// Approve (true) or reject (false).
    pub approve: bool,
    /// Whose requests.
    pub participants: Vec<Jid>,
}

impl AnswerJoinRequests {
    fn action(approve: bool) -> &'static str {
        if approve { "approve" } else { "reject" }
    }
}

impl IqSpec for AnswerJoinRequests {
    type Response = Vec<ParticipantResult>;
    const XMLNS: &'static str = "w:g2";
    const TYPE: IqType = IqType::Set;

    fn peer(&self) -> Jid {
        self.group.clone()
    }

    fn request_children(&self) -> Vec<Node> {
        let participants = self
            .participants
            .iter()
            .map(|jid| Node::new("participant").attr("jid", jid))
            .collect();
        vec![
            Node::new("membership_requests_action")
                .child(Node::new(Self::action(self.approve)).children(participants)),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let action = iq.req_child("membership_requests_action")?;
        let (approve, list) = match (action.get_child("approve"), action.get_child("reject")) {
            (Some(list), _) => (true, list),
            (None, Some(list)) => (false, list),
            (None, None) => {
                return Err(StanzaError::MissingChild {
                    tag: action.tag.to_string(),
                    child: "approve",
                });
            }
        };
        Ok(AnswerJoinRequests {
            group: target_group(iq)?,
            approve,
            participants: list
                .children_by_tag("participant")
                .map(|p| p.jid_attr("jid"))
                .collect::<Result<_, _>>()?,
        })
    }

    fn response_children(results: &Vec<ParticipantResult>) -> Vec<Node> {
        // The action tag is the request's; `approve` when the results alone cannot tell.
        answer_node(true, results)
    }

    fn decode_response(iq: &Node) -> Result<Vec<ParticipantResult>, StanzaError> {
        let action = iq.req_child("membership_requests_action")?;
        let list = action.first_child().ok_or(StanzaError::MissingChild {
            tag: action.tag.to_string(),
            child: "approve",
        })?;
        list.children_by_tag("participant")
            .map(ParticipantResult::from_node)
            .collect()
    }
}

fn answer_node(approve: bool, results: &[ParticipantResult]) -> Vec<Node> {
    vec![
        Node::new("membership_requests_action").child(
            Node::new(AnswerJoinRequests::action(approve))
                .children(results.iter().map(ParticipantResult::to_node).collect()),
        ),
    ]
}

impl AnswerJoinRequests {
    /// The server's response with the request's own action tag.
    pub fn response_for(
        &self,
        header: &crate::stanza::IqHeader,
        results: &[ParticipantResult],
    ) -> Node {
        header.result(answer_node(self.approve, results))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> Jid {
        "120363000000000001@g.us".parse().unwrap()
    }

    #[test]
    fn join_requests_round_trip() {
        let spec = GetJoinRequests { group: group() };
        let iq = spec.request_with_id("1");
        let (header, parsed) = GetJoinRequests::parse_request(&iq).unwrap();
        assert_eq!(parsed, spec);
        let requests = vec![JoinRequest {
            jid: Jid::lid("200000000000002"),
            phone_number: Some(Jid::pn("15550000002")),
            request_time: Some(1_700_000_000),
            request_method: Some("invite_link".into()),
        }];
        let answer = GetJoinRequests::response(&header, &requests);
        assert_eq!(GetJoinRequests::parse_response(&answer).unwrap(), requests);
    }

    #[test]
    fn answers_keep_their_action() {
        for approve in [true, false] {
            let spec = AnswerJoinRequests {
                group: group(),
                approve,
                participants: vec![Jid::lid("200000000000002")],
            };
            let iq = spec.request_with_id("2");
            let (header, parsed) = AnswerJoinRequests::parse_request(&iq).unwrap();
            assert_eq!(parsed, spec);
            let results = vec![ParticipantResult {
                error: Some(404),
                ..ParticipantResult::ok(Jid::lid("200000000000002"))
            }];
            let answer = spec.response_for(&header, &results);
            let tag = AnswerJoinRequests::action(approve);
            assert!(
                answer
                    .get_path(&["membership_requests_action", tag])
                    .is_some()
            );
            assert_eq!(
                AnswerJoinRequests::parse_response(&answer).unwrap(),
                results
            );
        }
    }
}
