//! Binary node codec ("WABinary", protocol.md §4): token tables, encoder, decoder.
