//! Media upload credentials, `xmlns="w:m"` (docs/PROTOCOL.md, Media): `<media_conn/>` → auth token and
//! hosts for the HTTPS upload/download endpoints.

use super::error::StanzaError;
use super::iq::{IqSpec, IqType};
use super::read::NodeRead;
use crate::node::Node;

/// A media host: `<host hostname [maxContentLengthBytes]/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaHost {
    /// `HOST[:PORT]`.
    pub hostname: String,
    /// Upload size limit, when given.
    pub max_content_length: Option<u64>,
}

/// The `<media_conn>` answer. whatsmeow requires `auth`, `ttl`, `auth_ttl`, `max_buckets` and at
/// least one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConn {
    /// Upload auth token.
    pub auth: String,
    /// Seconds the host list stays valid.
    pub ttl: u64,
    /// Seconds the auth token stays valid.
    pub auth_ttl: u64,
    /// Bucket count.
    pub max_buckets: u64,
    /// Hosts, in preference order.
    pub hosts: Vec<MediaHost>,
}

/// C→S `<iq to="s.whatsapp.net" type="set" xmlns="w:m"><media_conn/></iq>`, sent before an
/// upload when the cached credentials expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MediaConnRequest;

impl IqSpec for MediaConnRequest {
    type Response = MediaConn;
    const XMLNS: &'static str = "w:m";
    const TYPE: IqType = IqType::Set;

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new("media_conn")]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        iq.req_child("media_conn").map(|_| MediaConnRequest)
    }

    fn response_children(conn: &MediaConn) -> Vec<Node> {
        let hosts = conn
            .hosts
            .iter()
            .map(|h| {
                Node::new("host")
                    .attr("hostname", h.hostname.as_str())
                    .attr_opt(
                        "maxContentLengthBytes",
                        h.max_content_length.map(|m| m.to_string()),
                    )
            })
            .collect();
        vec![
            Node::new("media_conn")
                .attr("auth", conn.auth.as_str())
                .attr("ttl", conn.ttl.to_string())
                .attr("auth_ttl", conn.auth_ttl.to_string())
                .attr("max_buckets", conn.max_buckets.to_string())
                .children(hosts),
        ]
    }

    fn decode_response(iq: &Node) -> Result<MediaConn, StanzaError> {
        let conn = iq.req_child("media_conn")?;
        let hosts: Vec<MediaHost> = conn
            .children_by_tag("host")
            .map(|h| {
                Ok(MediaHost {
                    hostname: h.text_attr("hostname")?,
                    max_content_length: h.opt_num_attr("maxContentLengthBytes")?,
                })
            })
            .collect::<Result<_, StanzaError>>()?;
        if hosts.is_empty() {
            return Err(StanzaError::MissingChild {
                tag: conn.tag.to_string(),
                child: "host",
            });
        }
        Ok(MediaConn {
            auth: conn.text_attr("auth")?,
            ttl: conn.num_attr("ttl")?,
            auth_ttl: conn.opt_num_attr("auth_ttl")?.unwrap_or_default(),
            max_buckets: conn.opt_num_attr("max_buckets")?.unwrap_or_default(),
            hosts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stanza::testing::assert_iq_round_trip;

    #[test]
    fn media_conn_round_trip_and_errors() {
        let conn = MediaConn {
            auth: "AUTH".into(),
            ttl: 300,
            auth_ttl: 21_600,
            max_buckets: 12,
            hosts: vec![
                MediaHost {
                    hostname: "127.0.0.1:8443".into(),
                    max_content_length: Some(100_000_000),
                },
                MediaHost {
                    hostname: "mmg.example".into(),
                    max_content_length: None,
                },
            ],
        };
        assert_iq_round_trip(&MediaConnRequest, &conn);
        let no_host = Node::new("iq")
            .attr("id", "1")
            .attr("type", "result")
            .child(Node::new("media_conn").attr("auth", "a").attr("ttl", "1"));
        assert!(matches!(
            MediaConnRequest::parse_response(&no_host),
            Err(StanzaError::MissingChild { child: "host", .. })
        ));
        let no_auth = Node::new("iq")
            .attr("id", "1")
            .attr("type", "result")
            .child(Node::new("media_conn").child(Node::new("host").attr("hostname", "h")));
        assert!(matches!(
            MediaConnRequest::parse_response(&no_auth),
            Err(StanzaError::MissingAttr { attr: "auth", .. })
        ));
    }
}
