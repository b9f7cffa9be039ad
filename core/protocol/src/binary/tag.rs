//! Tag bytes of the binary node format (docs/PROTOCOL.md, Binary nodes).

/// Empty list, null, or empty string.
pub(crate) const LIST_EMPTY: u8 = 0;
/// First double-byte dictionary; `DICTIONARY_0 + n` selects dictionary `n` (0..=3).
pub(crate) const DICTIONARY_0: u8 = 236;
/// Last double-byte dictionary.
pub(crate) const DICTIONARY_3: u8 = 239;
/// Interop JID: user, u16 device, u16 integrator, server.
pub(crate) const INTEROP_JID: u8 = 245;
/// Messenger JID: user, u16 device, server.
pub(crate) const FB_JID: u8 = 246;
/// Device JID: u8 domain/agent, u8 device, user.
pub(crate) const AD_JID: u8 = 247;
/// List with a u8 size.
pub(crate) const LIST_8: u8 = 248;
/// List with a u16 big-endian size.
pub(crate) const LIST_16: u8 = 249;
/// User (or LIST_EMPTY) and server.
pub(crate) const JID_PAIR: u8 = 250;
/// Hex-packed string.
pub(crate) const HEX_8: u8 = 251;
/// Bytes with a u8 length.
pub(crate) const BINARY_8: u8 = 252;
/// Bytes with a 20-bit length in three bytes.
pub(crate) const BINARY_20: u8 = 253;
/// Bytes with a u32 big-endian length.
pub(crate) const BINARY_32: u8 = 254;
/// Nibble-packed string.
pub(crate) const NIBBLE_8: u8 = 255;

/// Longest string (in characters) that may be nibble- or hex-packed.
pub(crate) const PACKED_MAX: usize = 127;

/// AD_JID domain byte of `s.whatsapp.net`.
pub(crate) const DOMAIN_WHATSAPP: u8 = 0;
/// AD_JID domain byte of `lid`.
pub(crate) const DOMAIN_LID: u8 = 1;
/// AD_JID domain byte of `hosted`.
pub(crate) const DOMAIN_HOSTED: u8 = 128;
/// AD_JID domain byte of `hosted.lid`.
pub(crate) const DOMAIN_HOSTED_LID: u8 = 129;
