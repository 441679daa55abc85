-- Result batches as the agents sent them, one row per (agent, epoch, sequence): the primary key is
-- the wire contract's idempotency key, so a resent batch is ignored (INSERT OR IGNORE).
-- Unsigned protocol integers are stored as SQLite's signed 64-bit INTEGER: `epoch` bit for bit
-- (compared for equality only), `seq` in 1..=2^63-1 (the store refuses larger ones).
CREATE TABLE result_batch (
    agent_id       TEXT    NOT NULL,
    epoch          INTEGER NOT NULL,
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    live           INTEGER NOT NULL CHECK (live IN (0, 1)),
    payload        BLOB    NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (agent_id, epoch, seq)
);

-- The contiguous watermark per stream: every seq in 1..=up_to of (agent_id, epoch) is stored.
-- Advanced in the same transaction as the inserts, so it is never ahead of the data.
CREATE TABLE stream_watermark (
    agent_id TEXT    NOT NULL,
    epoch    INTEGER NOT NULL,
    up_to    INTEGER NOT NULL CHECK (up_to >= 0),
    PRIMARY KEY (agent_id, epoch)
) WITHOUT ROWID;
