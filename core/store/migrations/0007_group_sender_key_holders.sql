-- The devices that hold our current sender key of a group: each got our sender-key distribution
-- message (pairwise encrypted) in a send that committed. A group send distributes only to member
-- devices not listed here; when a member leaves or is removed the group's rows are deleted, and
-- a send that finds none starts a fresh sender key (so a removed member cannot read on).
-- Not secret: device ids and group ids.
CREATE TABLE group_sender_key_holders (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL,
    device TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, group_id, device)
);
