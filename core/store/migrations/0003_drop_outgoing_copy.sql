-- The kept plaintext of a sent message was a second, sealed copy of `messages.payload`, which
-- holds the same bytes in clear; a retry receipt is now answered from `messages.payload`.
DROP TABLE outgoing_messages;
