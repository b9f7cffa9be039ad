//! WhatsApp ids (docs/PROTOCOL.md, JIDs): `user[.agent][:device]@server`.

use std::fmt;
use std::str::FromStr;

use compact_str::CompactString;

/// The server of the phone-number (PN) namespace, also the server JID itself.
pub const DEFAULT_USER_SERVER: &str = "s.whatsapp.net";
/// The linked-identity (LID) namespace.
pub const HIDDEN_USER_SERVER: &str = "lid";
/// Groups.
pub const GROUP_SERVER: &str = "g.us";
/// Status and broadcast lists.
pub const BROADCAST_SERVER: &str = "broadcast";
/// Channels.
pub const NEWSLETTER_SERVER: &str = "newsletter";
/// Legacy user server (contact lookups).
pub const LEGACY_USER_SERVER: &str = "c.us";
/// Cloud-API hosted devices (PN namespace).
pub const HOSTED_SERVER: &str = "hosted";
/// Cloud-API hosted devices (LID namespace).
pub const HOSTED_LID_SERVER: &str = "hosted.lid";
/// Messenger users.
pub const MESSENGER_SERVER: &str = "msgr";
/// Interop users.
pub const INTEROP_SERVER: &str = "interop";
/// Meta AI bots.
pub const BOT_SERVER: &str = "bot";

/// Why a string is not a JID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JidError {
    /// The input was empty.
    #[error("empty id")]
    Empty,
    /// The device part after `:` is not a number in range.
    #[error("bad device number in {0:?}")]
    BadDevice(String),
    /// The agent part after `.` is not a number in range.
    #[error("bad agent number in {0:?}")]
    BadAgent(String),
    /// A phone number contained something other than digits.
    #[error("not a phone number: {0:?}")]
    BadPhone(String),
    /// A user part contained characters that never appear in WhatsApp ids.
    #[error("bad characters in {0:?}")]
    BadCharacters(String),
}

/// A WhatsApp id. `device` 0 and `agent` 0 mean "absent" (device 0 is the primary phone).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Jid {
    /// The user part (phone number, LID number, group id…); empty for server JIDs.
    pub user: CompactString,
    /// Legacy agent byte (AD_JID domain values other than the known servers).
    pub agent: u8,
    /// Device id; 0 is the primary device.
    pub device: u16,
    /// Integrator id (interop JIDs only).
    pub integrator: u16,
    /// The server, e.g. `s.whatsapp.net`, `lid`, `g.us`.
    pub server: CompactString,
}

impl Jid {
    /// A user-level JID (no device).
    pub fn new(user: impl Into<CompactString>, server: impl Into<CompactString>) -> Self {
        Jid {
            user: user.into(),
            server: server.into(),
            ..Default::default()
        }
    }

    /// A device JID.
    pub fn with_device(
        user: impl Into<CompactString>,
        server: impl Into<CompactString>,
        device: u16,
    ) -> Self {
        Jid {
            device,
            ..Jid::new(user, server)
        }
    }

    /// A JID with no user part, e.g. `s.whatsapp.net` or `g.us`.
    pub fn server_jid(server: impl Into<CompactString>) -> Self {
        Jid::new("", server)
    }

    /// `s.whatsapp.net`, the `to` of most IQs.
    pub fn server() -> Self {
        Jid::server_jid(DEFAULT_USER_SERVER)
    }

    /// A phone-number user, `15551234567@s.whatsapp.net`.
    pub fn pn(user: impl Into<CompactString>) -> Self {
        Jid::new(user, DEFAULT_USER_SERVER)
    }

    /// A LID user, `987654321@lid`.
    pub fn lid(user: impl Into<CompactString>) -> Self {
        Jid::new(user, HIDDEN_USER_SERVER)
    }

    /// The same JID without its device and agent parts.
    pub fn to_non_ad(&self) -> Jid {
        Jid::new(self.user.clone(), self.server.clone())
    }

    /// The same user with another device.
    pub fn to_device(&self, device: u16) -> Jid {
        Jid {
            device,
            agent: 0,
            integrator: 0,
            ..self.clone()
        }
    }

    /// True for phone-number users (`s.whatsapp.net`, including hosted PN devices).
    pub fn is_pn(&self) -> bool {
        (self.server == DEFAULT_USER_SERVER || self.server == HOSTED_SERVER)
            && !self.user.is_empty()
    }

    /// True for LID users (`lid`, including hosted LID devices).
    pub fn is_lid(&self) -> bool {
        self.server == HIDDEN_USER_SERVER || self.server == HOSTED_LID_SERVER
    }

    /// True for groups.
    pub fn is_group(&self) -> bool {
        self.server == GROUP_SERVER
    }

    /// True for `status@broadcast` and broadcast lists.
    pub fn is_broadcast(&self) -> bool {
        self.server == BROADCAST_SERVER
    }

    /// True for `status@broadcast`.
    pub fn is_status_broadcast(&self) -> bool {
        self.server == BROADCAST_SERVER && self.user == "status"
    }

    /// True for channels.
    pub fn is_newsletter(&self) -> bool {
        self.server == NEWSLETTER_SERVER
    }

    /// True for hosted (Cloud API) devices.
    pub fn is_hosted(&self) -> bool {
        self.server == HOSTED_SERVER || self.server == HOSTED_LID_SERVER
    }

    /// True for a JID with an empty user part (a server address).
    pub fn is_server(&self) -> bool {
        self.user.is_empty()
    }

    /// The AD_JID domain byte for this server (docs/PROTOCOL.md, Binary nodes), if it has one.
    pub fn domain_type(&self) -> Option<u8> {
        match self.server.as_str() {
            DEFAULT_USER_SERVER => Some(0),
            HIDDEN_USER_SERVER => Some(1),
            HOSTED_SERVER => Some(128),
            HOSTED_LID_SERVER => Some(129),
            _ => None,
        }
    }

    /// The Signal protocol address name for this JID (docs/PROTOCOL.md, JIDs): the user for PN, else
    /// `user_<domain>` (LID → `user_1`).
    pub fn signal_address_user(&self) -> String {
        match self.domain_type() {
            Some(0) | None => self.user.to_string(),
            Some(domain) => format!("{}_{}", self.user, domain),
        }
    }

    /// The Signal protocol address `name.device` used to key sessions.
    pub fn signal_address(&self) -> String {
        format!("{}.{}", self.signal_address_user(), self.device)
    }

    /// Parses a user-supplied id: a full JID, or a bare phone number (`+1 555-123 4567` forms
    /// allowed), which becomes a PN user JID.
    pub fn parse_user_input(input: &str) -> Result<Jid, JidError> {
        let trimmed = input.trim();
        if trimmed.contains('@') {
            return trimmed.parse();
        }
        let digits: String = trimmed
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '+'))
            .collect();
        if digits.is_empty() {
            return Err(JidError::Empty);
        }
        if digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(JidError::BadPhone(input.to_owned()));
        }
        Ok(Jid::pn(digits))
    }
}

impl FromStr for Jid {
    type Err = JidError;

    /// Parses `user[.agent][:device]@server`; a string without `@` is a server JID.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(JidError::Empty);
        }
        let Some((user_part, server)) = s.split_once('@') else {
            return Ok(Jid::server_jid(s));
        };
        if server.is_empty() || server.contains('@') || server.contains(char::is_whitespace) {
            return Err(JidError::BadCharacters(s.to_owned()));
        }
        if user_part.contains(char::is_whitespace) {
            return Err(JidError::BadCharacters(s.to_owned()));
        }
        let mut jid = Jid::new("", server);
        let (user_agent, device) = match user_part.split_once(':') {
            Some((ua, dev)) => {
                let device = dev
                    .parse::<u16>()
                    .map_err(|_| JidError::BadDevice(s.to_owned()))?;
                (ua, device)
            }
            None => (user_part, 0),
        };
        jid.device = device;
        // The agent form `user.agent` only exists for PN users; other servers may contain dots.
        match user_agent.split_once('.') {
            Some((user, agent)) if server == DEFAULT_USER_SERVER => {
                jid.agent = agent
                    .parse::<u8>()
                    .map_err(|_| JidError::BadAgent(s.to_owned()))?;
                jid.user = user.into();
            }
            _ => jid.user = user_agent.into(),
        }
        Ok(jid)
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.borrowed().fmt(f)
    }
}

impl Jid {
    /// The JID borrowed.
    pub fn borrowed(&self) -> JidRef<'_> {
        JidRef {
            user: &self.user,
            agent: self.agent,
            device: self.device,
            integrator: self.integrator,
            server: &self.server,
        }
    }
}

/// A borrowed JID, e.g. one in a [`NodeRef`](crate::binary::NodeRef): its parts as decoded.
/// Formats like [`Jid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JidRef<'a> {
    /// The user part; empty for server JIDs.
    pub user: &'a str,
    /// Legacy agent byte.
    pub agent: u8,
    /// Device id; 0 is the primary device.
    pub device: u16,
    /// Integrator id (interop JIDs only).
    pub integrator: u16,
    /// The server.
    pub server: &'a str,
}

impl JidRef<'_> {
    /// The owned JID.
    pub fn to_jid(&self) -> Jid {
        Jid {
            agent: self.agent,
            device: self.device,
            integrator: self.integrator,
            ..Jid::new(self.user, self.server)
        }
    }
}

impl fmt::Display for JidRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.user.is_empty() {
            return f.write_str(self.server);
        }
        f.write_str(self.user)?;
        if self.agent != 0 {
            write!(f, ".{}", self.agent)?;
        }
        if self.device != 0 {
            write!(f, ":{}", self.device)?;
        }
        write!(f, "@{}", self.server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_every_form() {
        for text in [
            "15551234567@s.whatsapp.net",
            "15551234567:3@s.whatsapp.net",
            "15551234567.1:3@s.whatsapp.net",
            "987654321@lid",
            "987654321:2@lid",
            "120363001234567890@g.us",
            "15551234567-1600000000@g.us",
            "status@broadcast",
            "120363000000000001@newsletter",
            "s.whatsapp.net",
            "g.us",
            "1234:5@hosted",
            "1234:5@hosted.lid",
        ] {
            let jid: Jid = text.parse().unwrap();
            assert_eq!(jid.to_string(), text);
        }
    }

    #[test]
    fn device_zero_is_absent() {
        let jid: Jid = "15551234567:0@s.whatsapp.net".parse().unwrap();
        assert_eq!(jid.device, 0);
        assert_eq!(jid.to_string(), "15551234567@s.whatsapp.net");
    }

    #[test]
    fn bad_ids_are_typed_errors() {
        assert_eq!("".parse::<Jid>(), Err(JidError::Empty));
        assert!(matches!(
            "1:x@s.whatsapp.net".parse::<Jid>(),
            Err(JidError::BadDevice(_))
        ));
        assert!(matches!(
            "1:99999@lid".parse::<Jid>(),
            Err(JidError::BadDevice(_))
        ));
        assert!(matches!(
            "1.x@s.whatsapp.net".parse::<Jid>(),
            Err(JidError::BadAgent(_))
        ));
        assert!(matches!(
            "a@b@c".parse::<Jid>(),
            Err(JidError::BadCharacters(_))
        ));
        assert!(matches!(
            "user@".parse::<Jid>(),
            Err(JidError::BadCharacters(_))
        ));
        assert!(matches!(
            Jid::parse_user_input("12ab"),
            Err(JidError::BadPhone(_))
        ));
        assert_eq!(Jid::parse_user_input("  "), Err(JidError::Empty));
    }

    #[test]
    fn user_input_accepts_phone_numbers() {
        assert_eq!(
            Jid::parse_user_input("+1 555-123 4567").unwrap(),
            Jid::pn("15551234567")
        );
        assert_eq!(
            Jid::parse_user_input("987654321@lid").unwrap(),
            Jid::lid("987654321")
        );
    }

    #[test]
    fn signal_addresses() {
        let pn: Jid = "15551234567:3@s.whatsapp.net".parse().unwrap();
        assert_eq!(pn.signal_address(), "15551234567.3");
        let lid: Jid = "987654321:2@lid".parse().unwrap();
        assert_eq!(lid.signal_address(), "987654321_1.2");
        let hosted: Jid = "1234:5@hosted".parse().unwrap();
        assert_eq!(hosted.signal_address(), "1234_128.5");
        assert_eq!(Jid::lid("9").signal_address(), "9_1.0");
    }
}
