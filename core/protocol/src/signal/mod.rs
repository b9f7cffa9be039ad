//! The Signal protocol as WhatsApp uses it (protocol.md §11).
