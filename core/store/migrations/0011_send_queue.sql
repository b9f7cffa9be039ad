-- The send queue: outgoing messages stored as `pending` that the session still has to get
-- acknowledged by the server, in the order they were queued. A row is removed when the server
-- acknowledges (or refuses) its message, so a crash or a lost connection leaves it to be sent
-- again, under the same message id.
CREATE TABLE send_queue (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    chat TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (session_id, position)
);
CREATE UNIQUE INDEX send_queue_by_message ON send_queue (session_id, chat, message_id);
