//! The one error type of stanza parsing: it names the node and the attribute or child at fault.

use super::iq::IqError;

/// Why a node is not the stanza a parser expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StanzaError {
    /// The node has another tag.
    #[error("expected <{expected}>, found <{found}>")]
    UnexpectedTag {
        /// The tag the parser wanted.
        expected: &'static str,
        /// The tag it got.
        found: String,
    },
    /// A required attribute is absent.
    #[error("<{tag}> lacks attribute {attr:?}")]
    MissingAttr {
        /// The node's tag.
        tag: String,
        /// The attribute.
        attr: &'static str,
    },
    /// An attribute is present but its value is not acceptable.
    #[error("<{tag}> has an invalid {attr:?}: {value:?}")]
    BadAttr {
        /// The node's tag.
        tag: String,
        /// The attribute.
        attr: &'static str,
        /// The value found, as text.
        value: String,
    },
    /// A required child node is absent.
    #[error("<{tag}> lacks child <{child}>")]
    MissingChild {
        /// The parent's tag.
        tag: String,
        /// The missing child's tag.
        child: &'static str,
    },
    /// The content is absent or of the wrong kind or size.
    #[error("<{tag}> has invalid content: {reason}")]
    BadContent {
        /// The node's tag.
        tag: String,
        /// What is wrong.
        reason: String,
    },
    /// The peer answered an IQ with `type="error"`.
    #[error("iq error: {0}")]
    Iq(IqError),
}
