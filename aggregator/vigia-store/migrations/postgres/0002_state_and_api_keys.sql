-- What the live state persists (entities, topology edges, state-change history), REST API keys,
-- and the index retention needs to delete old result batches. The same tables as SQLite's
-- migration 0002; see there for the semantics.

CREATE INDEX result_batch_received ON result_batch (received_at_ms);

CREATE TABLE entity (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    kind            TEXT   NOT NULL,
    name            TEXT   NOT NULL,
    site            TEXT,
    attributes_json TEXT   NOT NULL,
    first_seen_ms   BIGINT NOT NULL CHECK (first_seen_ms >= 0),
    last_seen_ms    BIGINT NOT NULL CHECK (last_seen_ms >= 0)
);

CREATE TABLE topology_edge (
    parent   TEXT COLLATE "C" NOT NULL,
    child    TEXT COLLATE "C" NOT NULL,
    relation TEXT   NOT NULL,
    source   TEXT COLLATE "C" NOT NULL,
    seen_ms  BIGINT NOT NULL CHECK (seen_ms >= 0),
    PRIMARY KEY (parent, child, source)
);

CREATE TABLE state_change (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_id TEXT COLLATE "C" NOT NULL,
    at_ms     BIGINT NOT NULL CHECK (at_ms >= 0),
    state     TEXT   NOT NULL,
    reason    TEXT   NOT NULL,
    source    TEXT   NOT NULL,
    UNIQUE (entity_id, at_ms, state)
);
CREATE INDEX state_change_latest ON state_change (entity_id, at_ms, id);

CREATE TABLE api_key (
    id            TEXT COLLATE "C" NOT NULL,
    name          TEXT   NOT NULL,
    hash          BYTEA  NOT NULL CHECK (length(hash) = 32),
    scopes        TEXT[] NOT NULL,
    created_at_ms BIGINT NOT NULL CHECK (created_at_ms >= 0),
    expires_at_ms BIGINT CHECK (expires_at_ms >= 0),
    revoked_at_ms BIGINT CHECK (revoked_at_ms >= 0),
    CONSTRAINT api_key_pkey PRIMARY KEY (id),
    CONSTRAINT api_key_hash_key UNIQUE (hash)
);
CREATE INDEX api_key_created ON api_key (created_at_ms, id);
