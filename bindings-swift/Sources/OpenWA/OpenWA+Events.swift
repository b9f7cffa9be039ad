// Hand-written conveniences over the generated API (openwa.swift, openwa_swift.swift):
// `for await event in stream`, an `AsyncThrowingStream` of events, `on(...)` handlers, and the
// engine's code, message, details and retryability of an `OpenWaError`.

import Foundation

// MARK: - Events as async sequences

extension EventStream: AsyncSequence {
    public typealias Element = Event

    /// Iterates the stream: `for await event in session.events() { … }`. The loop ends when
    /// the manager is closed.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: EventStream

        public mutating func next() async -> Event? {
            await stream.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: self)
    }

    /// The events as an `AsyncThrowingStream`. It finishes when the manager is closed; with
    /// `ackAfterYield` (a durable consumer, `SessionManager.consumer(name:session:)`), each
    /// event is acknowledged once the next one is requested, and a failed acknowledgement
    /// finishes the stream with that error. Cancelling the consuming task stops reading.
    public func asyncStream(ackAfterYield: Bool = false) -> AsyncThrowingStream<Event, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var pending: UInt64?
                do {
                    while !Task.isCancelled {
                        if let seq = pending {
                            try await self.ack(seq: seq)
                            pending = nil
                        }
                        guard let event = await self.next() else { break }
                        continuation.yield(event)
                        if ackAfterYield { pending = event.seq }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

// MARK: - on(...) handlers

/// What hands out event streams: a `SessionManager` (every session) or a `Session` (its own).
public protocol EventSource {
    func events() -> EventStream
}

extension SessionManager: EventSource {}
extension Session: EventSource {}

extension EventSource {
    /// Calls `handler` for every live event named `name` (the engine's names:
    /// `"message_received"`, `"qr"`, `"connection_state"`, … — see `eventName(kind:)`), in
    /// order, until the returned task is cancelled or the manager is closed.
    @discardableResult
    public func on(
        _ name: String,
        _ handler: @escaping @Sendable (Event) async -> Void
    ) -> Task<Void, Never> {
        let stream = events()
        return Task {
            for await event in stream {
                if Task.isCancelled { break }
                if eventName(kind: event.kind) == name {
                    await handler(event)
                }
            }
        }
    }

    /// Calls `handler` for every incoming message (not our own), in order, until the returned
    /// task is cancelled or the manager is closed.
    @discardableResult
    public func onMessage(
        _ handler: @escaping @Sendable (Message) async -> Void
    ) -> Task<Void, Never> {
        on("message_received") { event in
            if case let .messageReceived(message) = event.kind, !message.fromMe {
                await handler(message)
            }
        }
    }
}

// MARK: - Errors

extension OpenWaError {
    /// The engine's error code (`"invalid_argument"`, `"not_connected"`, …), the same string
    /// as Node's `err.code` and the REST API's problem type.
    public var code: String { parts.code }
    /// What went wrong, for people.
    public var message: String { parts.message }
    /// More context (a server code, the offending value), if any.
    public var details: String? { parts.details }
    /// Whether the same call may succeed if simply retried later.
    public var retryable: Bool { parts.retryable }

    private var parts: (code: String, message: String, details: String?, retryable: Bool) {
        switch self {
        case let .InvalidArgument(message, details, retryable):
            return ("invalid_argument", message, details, retryable)
        case let .NotFound(message, details, retryable):
            return ("not_found", message, details, retryable)
        case let .AlreadyExists(message, details, retryable):
            return ("already_exists", message, details, retryable)
        case let .NotConnected(message, details, retryable):
            return ("not_connected", message, details, retryable)
        case let .NotPaired(message, details, retryable):
            return ("not_paired", message, details, retryable)
        case let .LoggedOut(message, details, retryable):
            return ("logged_out", message, details, retryable)
        case let .Timeout(message, details, retryable):
            return ("timeout", message, details, retryable)
        case let .Network(message, details, retryable):
            return ("network", message, details, retryable)
        case let .ProtocolError(message, details, retryable):
            return ("protocol", message, details, retryable)
        case let .Crypto(message, details, retryable):
            return ("crypto", message, details, retryable)
        case let .Store(message, details, retryable):
            return ("store", message, details, retryable)
        case let .RateLimited(message, details, retryable):
            return ("rate_limited", message, details, retryable)
        case let .ServerError(message, details, retryable):
            return ("server_error", message, details, retryable)
        case let .Banned(message, details, retryable):
            return ("banned", message, details, retryable)
        case let .Cancelled(message, details, retryable):
            return ("cancelled", message, details, retryable)
        case let .Unsupported(message, details, retryable):
            return ("unsupported", message, details, retryable)
        case let .Internal(message, details, retryable):
            return ("internal", message, details, retryable)
        case let .PermissionDenied(message, details, retryable):
            return ("permission_denied", message, details, retryable)
        case let .MediaInvalid(message, details, retryable):
            return ("media_invalid", message, details, retryable)
        case let .MediaExpired(message, details, retryable):
            return ("media_expired", message, details, retryable)
        }
    }
}
