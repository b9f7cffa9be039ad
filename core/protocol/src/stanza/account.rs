//! Account queries a client sends right after login (docs/PROTOCOL.md, Login; Simulator checklist item 5):
//! A/B props (`abt`), privacy settings (`privacy`) and the block list (`blocklist`). A simulator
//! can answer them with defaults; Baileys waits for the answers before it reports "open".

use super::error::StanzaError;
use super::iq::{IqSpec, IqType};
use super::read::NodeRead;
use crate::jid::Jid;
use crate::node::Node;

/// One A/B experiment value: `<prop config_code config_value/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbProp {
    /// Experiment code.
    pub code: String,
    /// Its value.
    pub value: String,
}

/// The `<props protocol hash>` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbProps {
    /// Props hash (sent back in later queries).
    pub hash: Option<String>,
    /// Experiment values.
    pub props: Vec<AbProp>,
}

/// C→S `<iq xmlns="abt" type="get"><props protocol="1" [hash]/></iq>` → [`AbProps`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetAbProps {
    /// The hash of the props the client already has.
    pub hash: Option<String>,
}

impl IqSpec for GetAbProps {
    type Response = AbProps;
    const XMLNS: &'static str = "abt";
    const TYPE: IqType = IqType::Get;

    fn request_children(&self) -> Vec<Node> {
        vec![
            Node::new("props")
                .attr("protocol", "1")
                .attr_opt("hash", self.hash.as_deref()),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        Ok(GetAbProps {
            hash: iq.req_child("props")?.attr_str("hash"),
        })
    }

    fn response_children(props: &AbProps) -> Vec<Node> {
        let children = props
            .props
            .iter()
            .map(|p| {
                Node::new("prop")
                    .attr("config_code", p.code.as_str())
                    .attr("config_value", p.value.as_str())
            })
            .collect();
        vec![
            Node::new("props")
                .attr("protocol", "1")
                .attr_opt("hash", props.hash.as_deref())
                .children(children),
        ]
    }

    fn decode_response(iq: &Node) -> Result<AbProps, StanzaError> {
        let props = iq.req_child("props")?;
        Ok(AbProps {
            hash: props.attr_str("hash"),
            props: props
                .children_by_tag("prop")
                .map(|p| {
                    Ok(AbProp {
                        code: p.text_attr("config_code")?,
                        value: p.attr_str("config_value").unwrap_or_default(),
                    })
                })
                .collect::<Result<_, StanzaError>>()?,
        })
    }
}

/// One privacy setting: `<category name value/>`, e.g. `readreceipts` = `all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacySetting {
    /// Category (`readreceipts`, `last`, `online`, `profile`, `status`, `groupadd`…).
    pub name: String,
    /// Value (`all`, `contacts`, `none`…).
    pub value: String,
}

/// C→S `<iq xmlns="privacy" type="get"><privacy/></iq>` → the settings. Baileys sends `read`
/// receipts only when `readreceipts` is `all` (else `read-self`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetPrivacySettings;

impl IqSpec for GetPrivacySettings {
    type Response = Vec<PrivacySetting>;
    const XMLNS: &'static str = "privacy";
    const TYPE: IqType = IqType::Get;

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new("privacy")]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        iq.req_child("privacy").map(|_| GetPrivacySettings)
    }

    fn response_children(settings: &Vec<PrivacySetting>) -> Vec<Node> {
        let categories = settings
            .iter()
            .map(|s| {
                Node::new("category")
                    .attr("name", s.name.as_str())
                    .attr("value", s.value.as_str())
            })
            .collect();
        vec![Node::new("privacy").children(categories)]
    }

    fn decode_response(iq: &Node) -> Result<Vec<PrivacySetting>, StanzaError> {
        iq.req_child("privacy")?
            .children_by_tag("category")
            .map(|c| {
                Ok(PrivacySetting {
                    name: c.text_attr("name")?,
                    value: c.text_attr("value")?,
                })
            })
            .collect()
    }
}

/// C→S `<iq xmlns="blocklist" type="get"/>` → `<list><item jid/>…</list>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetBlocklist;

impl IqSpec for GetBlocklist {
    /// The blocked users.
    type Response = Vec<Jid>;
    const XMLNS: &'static str = "blocklist";
    const TYPE: IqType = IqType::Get;

    fn request_children(&self) -> Vec<Node> {
        Vec::new()
    }

    fn decode_request(_: &Node) -> Result<Self, StanzaError> {
        Ok(GetBlocklist)
    }

    fn response_children(blocked: &Vec<Jid>) -> Vec<Node> {
        let items = blocked
            .iter()
            .map(|jid| Node::new("item").attr("jid", jid))
            .collect();
        vec![Node::new("list").children(items)]
    }

    fn decode_response(iq: &Node) -> Result<Vec<Jid>, StanzaError> {
        match iq.get_child("list") {
            Some(list) => list
                .children_by_tag("item")
                .map(|item| item.jid_attr("jid"))
                .collect(),
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stanza::testing::assert_iq_round_trip;

    #[test]
    fn post_login_queries_round_trip() {
        assert_iq_round_trip(
            &GetAbProps { hash: None },
            &AbProps {
                hash: Some("H".into()),
                props: vec![AbProp {
                    code: "1".into(),
                    value: "true".into(),
                }],
            },
        );
        assert_iq_round_trip(
            &GetAbProps {
                hash: Some("H".into()),
            },
            &AbProps {
                hash: None,
                props: Vec::new(),
            },
        );
        assert_iq_round_trip(
            &GetPrivacySettings,
            &vec![PrivacySetting {
                name: "readreceipts".into(),
                value: "all".into(),
            }],
        );
        assert_iq_round_trip(&GetBlocklist, &vec![Jid::pn("15550000003")]);
        assert_iq_round_trip(&GetBlocklist, &Vec::new());
        assert!(GetBlocklist.request().child_nodes().is_empty());
        let bad = Node::new("iq")
            .attr("type", "result")
            .child(Node::new("privacy").child(Node::new("category").attr("name", "last")));
        assert!(matches!(
            GetPrivacySettings::parse_response(&bad),
            Err(StanzaError::MissingAttr { attr: "value", .. })
        ));
    }
}
