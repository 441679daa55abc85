-- Result batches as the agents sent them, one row per (agent, epoch, sequence): the primary key is
-- the wire contract's idempotency key, so a resent batch is ignored (ON CONFLICT DO NOTHING).
-- Unsigned protocol integers are stored as BIGINT: `epoch` bit for bit (compared for equality
-- only), `seq` in 1..=2^63-1 (the store refuses larger ones). Text is COLLATE "C" everywhere so
-- that ordering is bytewise, as in SQLite, whatever the database's locale.
CREATE TABLE result_batch (
    agent_id       TEXT COLLATE "C" NOT NULL,
    epoch          BIGINT  NOT NULL,
    seq            BIGINT  NOT NULL CHECK (seq >= 1),
    live           BOOLEAN NOT NULL,
    payload        BYTEA   NOT NULL,
    received_at_ms BIGINT  NOT NULL,
    PRIMARY KEY (agent_id, epoch, seq)
);

-- The contiguous watermark per stream: every seq in 1..=up_to of (agent_id, epoch) is stored.
-- Advanced in the same transaction as the inserts, so it is never ahead of the data.
CREATE TABLE stream_watermark (
    agent_id TEXT COLLATE "C" NOT NULL,
    epoch    BIGINT NOT NULL,
    up_to    BIGINT NOT NULL CHECK (up_to >= 0),
    PRIMARY KEY (agent_id, epoch)
);
