-- The public half of each one-time prekey, in clear (the server hands it to anyone who asks), so
-- the server's key digest can be recomputed without decrypting the records. NULL until the
-- engine records it: at upload, or derived once from the record for rows older than this column.
ALTER TABLE signal_prekeys ADD COLUMN public_key {blob};
