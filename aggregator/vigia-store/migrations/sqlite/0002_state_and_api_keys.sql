-- What the live state persists (entities, topology edges, state-change history), REST API keys,
-- and the index retention needs to delete old result batches. Times are Unix milliseconds in
-- 0..=2^63-1; the store refuses larger ones. No foreign keys: an edge or a change may name an
-- entity before an observation describes it (e.g. an operator override).

-- Result batches by arrival, for `prune`.
CREATE INDEX result_batch_received ON result_batch (received_at_ms);

-- Upserted by id: first_seen_ms keeps the smallest value, last_seen_ms the largest.
CREATE TABLE entity (
    id              TEXT    NOT NULL PRIMARY KEY,
    kind            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    site            TEXT,
    attributes_json TEXT    NOT NULL,
    first_seen_ms   INTEGER NOT NULL CHECK (first_seen_ms >= 0),
    last_seen_ms    INTEGER NOT NULL CHECK (last_seen_ms >= 0)
) WITHOUT ROWID;

-- `child` depends on `parent`, as `source` says; upserted by (parent, child, source).
CREATE TABLE topology_edge (
    parent   TEXT    NOT NULL,
    child    TEXT    NOT NULL,
    relation TEXT    NOT NULL,
    source   TEXT    NOT NULL,
    seen_ms  INTEGER NOT NULL CHECK (seen_ms >= 0),
    PRIMARY KEY (parent, child, source)
) WITHOUT ROWID;

-- History is changes. `id` is the append order: it breaks ties between changes of one entity at
-- the same millisecond (the later appended is the later change). The unique key makes appending
-- idempotent and serves history queries by (entity_id, at_ms).
CREATE TABLE state_change (
    id        INTEGER PRIMARY KEY,
    entity_id TEXT    NOT NULL,
    at_ms     INTEGER NOT NULL CHECK (at_ms >= 0),
    state     TEXT    NOT NULL,
    reason    TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    UNIQUE (entity_id, at_ms, state)
);
-- Each entity's latest change (current state), and "is there a later one" for `prune`.
CREATE INDEX state_change_latest ON state_change (entity_id, at_ms, id);

-- Only a SHA-256 of each secret is stored; looked up by that hash.
CREATE TABLE api_key (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    hash          BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    scopes_json   TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL CHECK (created_at_ms >= 0),
    expires_at_ms INTEGER CHECK (expires_at_ms >= 0),
    revoked_at_ms INTEGER CHECK (revoked_at_ms >= 0)
) WITHOUT ROWID;
CREATE INDEX api_key_created ON api_key (created_at_ms, id);
