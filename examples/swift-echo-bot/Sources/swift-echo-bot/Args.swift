// Command-line flags of the echo bot (the same as examples/echo-bot's).

import Foundation
import OpenWA

let usage = """
usage: swift-echo-bot [--server URL] [--trust-root HEX] [--tls-cert PEM] [--db PATH|URL]
                      [--key PATH] [--session ID] [--pair-code PHONE]

  --server URL       chat WebSocket URL (default: WhatsApp, wss://web.whatsapp.com/ws/chat)
  --trust-root HEX   Noise root public key, 64 hex digits (default: WhatsApp's)
  --tls-cert PEM     extra certificate to trust for wss:// (e.g. openwa-sim's tls_cert_path)
  --db PATH|URL      database of the bot: a SQLite file (default: echo-bot.db) or a
                     PostgreSQL URL, postgres://user:pass@host:port/db
  --key PATH         at-rest key file, created if missing (default: PATH.key next to the
                     SQLite file, echo-bot.key for PostgreSQL)
  --session ID       session id inside the database (default: echo-bot)
  --pair-code PHONE  link by pairing code for this phone number instead of a QR code
"""

/// Why the flags are not usable.
enum ArgsError: Error {
    /// `--help` was given.
    case help
    /// A flag is unknown, lacks its value or has a bad one.
    case usage(String)
}

/// The parsed flags.
struct Args {
    /// Options of the session the bot creates.
    var options = defaultSessionOptions()
    /// A SQLite file or a PostgreSQL URL.
    var db = "echo-bot.db"
    /// The at-rest key file given with `--key`, if any (see `keyPath`).
    var key: String?
    /// Session id.
    var session = "echo-bot"
    /// Phone number to link by code, if not by QR.
    var pairCode: String?

    /// Whether `db` is a PostgreSQL URL.
    var isPostgres: Bool {
        db.hasPrefix("postgres://") || db.hasPrefix("postgresql://")
    }

    /// The at-rest key file: `--key`, else next to the SQLite file, else `echo-bot.key`.
    var keyPath: String {
        key ?? (isPostgres ? "echo-bot.key" : db + ".key")
    }

    /// The store of the manager.
    var store: StoreConfig {
        StoreConfig(
            backend: isPostgres ? .postgres(url: db) : .sqlite(path: db),
            atRestKey: .file(path: keyPath)
        )
    }

    /// Parses the flags (without the program name).
    static func parse(_ arguments: [String]) throws -> Args {
        var parsed = Args()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "--help" || flag == "-h" {
                throw ArgsError.help
            }
            guard let value = rest.popFirst() else {
                throw ArgsError.usage("\(flag) needs a value")
            }
            switch flag {
            case "--server":
                parsed.options.serverUrl = value
            case "--trust-root":
                guard let key = hexBytes(value), key.count == 32 else {
                    throw ArgsError.usage("--trust-root needs 64 hex digits")
                }
                parsed.options.trustRoot = key
            case "--tls-cert":
                do {
                    parsed.options.tlsExtraRootsPem = try String(contentsOfFile: value, encoding: .utf8)
                } catch {
                    throw ArgsError.usage("--tls-cert \(value): \(error.localizedDescription)")
                }
            case "--db":
                parsed.db = value
            case "--key":
                parsed.key = value
            case "--session":
                parsed.session = value
            case "--pair-code":
                parsed.pairCode = value
            default:
                throw ArgsError.usage("unknown flag \(flag)")
            }
        }
        return parsed
    }
}

/// The bytes of a hex string, or nil if it is not hex.
func hexBytes(_ text: String) -> Data? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var bytes = Data(capacity: digits.count / 2)
    var index = 0
    while index < digits.count {
        guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else {
            return nil
        }
        bytes.append(high << 4 | low)
        index += 2
    }
    return bytes
}

private func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
    default: return nil
    }
}
