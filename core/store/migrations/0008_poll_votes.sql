-- The latest vote of each voter on each poll, decrypted: the names of the chosen options as a
-- JSON array of strings (empty: the voter withdrew). `voted_at` is the voter's own clock in
-- milliseconds; a vote older than the stored one does not replace it (redeliveries, reordering).
CREATE TABLE poll_votes (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    chat TEXT NOT NULL,
    poll_id TEXT NOT NULL,
    voter TEXT NOT NULL,
    selected TEXT NOT NULL,
    voted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat, poll_id, voter)
);
