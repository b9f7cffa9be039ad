// `swift-echo-bot`: links a WhatsApp device (QR code in the terminal, or a pairing code) and
// answers every incoming text with the same text — examples/echo-bot (Rust) on the Swift
// package. Point it at `openwa-sim` with `--server`, `--trust-root` and `--tls-cert`.
//
// Echoes survive a crash at any point: the durable consumer's position moves past a message
// only once its echo was accepted, so after a restart the bot reads again every message it had
// not finished; and each echo is sent with the incoming message's id as idempotency key, so a
// message echoed before the crash but not yet acknowledged gets the original echo back instead
// of a second one.

import Foundation
import OpenWA

/// First wait before retrying a failed echo, in milliseconds; doubled after each failure up to
/// `maxBackoffMs`.
let firstBackoffMs: UInt64 = 200
/// Longest wait between two tries of the same echo.
let maxBackoffMs: UInt64 = 10_000

/// What ended the bot.
enum BotError: Error, CustomStringConvertible {
    /// The session can no longer run by itself (logged out, handshake refused, QR expired…).
    case stopped(String)

    var description: String {
        switch self {
        case let .stopped(why): return "stopped: \(why)"
        }
    }
}

@main
struct EchoBot {
    static func main() async {
        // Line-buffered even into a pipe: the lines are the bot's interface to scripts.
        setvbuf(stdout, nil, _IOLBF, 0)
        let args: Args
        do {
            args = try Args.parse(Array(CommandLine.arguments.dropFirst()))
        } catch ArgsError.help {
            print(usage)
            exit(0)
        } catch ArgsError.usage(let why) {
            warn("\(why)\n\n\(usage)")
            exit(2)
        } catch {
            warn("\(error)")
            exit(2)
        }
        do {
            try await run(args)
            exit(0)
        } catch {
            warn("\(describe(error))")
            exit(1)
        }
    }
}

/// Runs until Ctrl-C or until the session stops for good.
func run(_ args: Args) async throws {
    var config = defaultManagerConfig()
    config.store = args.store
    config.defaultSessionOptions = args.options
    let manager = try await SessionManager.open(config: config)
    // Ctrl-C closes the manager: its streams end, and with them the loops below.
    signal(SIGINT, SIG_IGN)
    let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    interrupt.setEventHandler { Task { try? await manager.close() } }
    interrupt.resume()
    defer { interrupt.cancel() }

    let session = try await openSession(manager, args)
    let events = session.events()
    // The consumer is named after the session: a consumer name is bound to one session, and
    // one database may hold several bots (`--session`).
    let messages = try await manager.consumer(name: args.session, session: args.session)
    try await session.connect()
    // Whichever loop ends first ends the bot: closing the manager ends the other one.
    let ended: Result<Void, Error> = await withTaskGroup(of: Result<Void, Error>.self) { group in
        group.addTask { await outcome { try await followConnection(session, events, args) } }
        group.addTask { await outcome { try await echoAll(session, messages) } }
        let first = await group.next() ?? .success(())
        try? await manager.close()
        for await _ in group {}
        return first
    }
    try ended.get()
}

/// What an async throwing body ended with.
func outcome(_ body: () async throws -> Void) async -> Result<Void, Error> {
    do {
        try await body()
        return .success(())
    } catch {
        return .failure(error)
    }
}

/// The session of the bot: the stored one if it is paired, otherwise a fresh one with the
/// options of the command line.
func openSession(_ manager: SessionManager, _ args: Args) async throws -> Session {
    if let stored = try? await manager.get(id: args.session) {
        if stored.isPaired() {
            return stored
        }
        try await manager.delete(id: args.session)
    }
    return try await manager.createSession(id: args.session)
}

/// Prints the QR codes, the pairing code and the connection, from the live events (a replay of
/// older ones would show stale codes); returns when the manager is closed, throws when the
/// session stops for good.
func followConnection(_ session: Session, _ events: EventStream, _ args: Args) async throws {
    if session.state() == .connected {
        announceConnected(session)
    }
    var codeRequested = false
    for await event in events {
        switch event.kind {
        case let .qr(code, _) where args.pairCode == nil:
            if let art = try? qrTerminal(code: code) {
                print(art)
            }
            print("Scan this QR code with WhatsApp (Linked devices), or link it by hand:")
            print("QR: \(code)")
        case .connectionState(.waitingForQr, _, _, _) where !codeRequested:
            if let phone = args.pairCode {
                codeRequested = true
                _ = try await session.pairWithCode(phone: phone)
            }
        case let .pairingCode(code):
            print("On the phone: Linked devices > Link with phone number, enter:")
            print("Pairing code: \(code)")
        case let .paired(jid, _, _, _):
            print("Linked as \(jid)")
        case .connectionState(.connected, _, _, _):
            announceConnected(session)
        case let .connectionState(state, reason, detail, false):
            throw BotError.stopped("\(state) (\(reason))" + (detail.map { ": \($0)" } ?? ""))
        default:
            break
        }
    }
}

/// Reads the session's events from the durable consumer (first those logged after its stored
/// position, then the live ones) and echoes every incoming text. An event is acknowledged only
/// once it is dealt with, so a restart resumes with the first event not dealt with.
func echoAll(_ session: Session, _ messages: EventStream) async throws {
    for await event in messages {
        if case let .messageReceived(message) = event.kind, !message.fromMe,
           let text = message.text, !text.isEmpty {
            print("Received from \(message.sender): \(text)")
            try await echo(session, message, text)
        }
        // A failed ack only means this event is read again after a restart: the idempotency
        // key keeps its echo single, so the bot goes on.
        do {
            try await messages.ack(seq: event.seq)
        } catch {
            warn("could not store the position \(event.seq): \(describe(error))")
        }
    }
}

/// Answers `message` with the same `text`, keyed by the message's id so that it is sent once
/// even if the bot echoes the message again after a crash. Returns once the echo is accepted,
/// or when the message cannot be answered at all (reported, then skipped); retries a
/// retryable failure with backoff; any other failure stops the bot, before the message is
/// acknowledged.
func echo(_ session: Session, _ message: Message, _ text: String) async throws {
    let chat = message.chat
    var backoffMs = firstBackoffMs
    while true {
        do {
            let sent = try await session.sendText(
                chat: chat, text: text, options: SendOptions(idempotencyKey: message.id))
            print("Echoed to \(chat): \(sent.id)")
            return
        } catch let error as OpenWaError where error.retryable && error.code == "not_connected" {
            // The normal case at start-up and during a reconnection: retry as soon as the
            // session is connected (a timeout here is only the backoff running out).
            try? await session.waitForState(state: .connected, timeoutMs: backoffMs)
            backoffMs = min(backoffMs * 2, maxBackoffMs)
        } catch let error as OpenWaError where error.retryable {
            warn("could not echo \(message.id) to \(chat) yet (\(describe(error))); retrying in \(backoffMs) ms")
            try await Task.sleep(nanoseconds: backoffMs * 1_000_000)
            backoffMs = min(backoffMs * 2, maxBackoffMs)
        } catch let error as OpenWaError
            where ["invalid_argument", "not_found", "unsupported"].contains(error.code) {
            // The message itself cannot be answered (a chat the bot cannot write to): retrying
            // would fail the same way, and stopping would stop again here after every restart.
            warn("\(message.id) in \(chat) cannot be echoed, skipped: \(describe(error))")
            return
        }
    }
}

func announceConnected(_ session: Session) {
    print("Connected as \(session.info().jid ?? "")")
}

/// An error as one line: the engine's code and message for engine errors.
func describe(_ error: Error) -> String {
    if let error = error as? OpenWaError {
        return "\(error.code): \(error.message)"
    }
    return "\(error)"
}

/// A line on standard error, prefixed with the program name.
func warn(_ line: String) {
    FileHandle.standardError.write(Data("swift-echo-bot: \(line)\n".utf8))
}
