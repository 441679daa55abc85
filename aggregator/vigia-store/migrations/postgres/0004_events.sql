-- Outage events from the correlator, the outbox of notices about them, the correlator's
-- checkpoint, and maintenance windows. The same tables as SQLite's migration 0004; see there for
-- the semantics. Identities never reuse an id, like SQLite's AUTOINCREMENT.

CREATE TABLE outage_event (
    id          BIGINT NOT NULL PRIMARY KEY CHECK (id >= 0),
    kind        TEXT   NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    root        TEXT   NOT NULL,
    started_ms  BIGINT NOT NULL CHECK (started_ms >= 0),
    updated_ms  BIGINT NOT NULL CHECK (updated_ms >= 0),
    resolved_ms BIGINT CHECK (resolved_ms >= 0),
    body_json   TEXT   NOT NULL
);
CREATE INDEX outage_event_status ON outage_event (status, id);
CREATE INDEX outage_event_resolved ON outage_event (resolved_ms) WHERE status = 'resolved';

CREATE TABLE event_notice (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        BIGINT NOT NULL CHECK (event_id >= 0),
    channel         TEXT COLLATE "C" NOT NULL,
    kind            TEXT   NOT NULL,
    created_ms      BIGINT NOT NULL CHECK (created_ms >= 0),
    next_attempt_ms BIGINT NOT NULL CHECK (next_attempt_ms >= 0),
    attempts        BIGINT NOT NULL CHECK (attempts BETWEEN 0 AND 4294967295),
    state           TEXT COLLATE "C" NOT NULL,
    last_error      TEXT,
    sent_ms         BIGINT CHECK (sent_ms >= 0),
    payload_json    TEXT   NOT NULL
);
CREATE INDEX event_notice_pending ON event_notice (channel, id) WHERE state = 'pending';
CREATE INDEX event_notice_next ON event_notice (next_attempt_ms) WHERE state = 'pending';
CREATE INDEX event_notice_event ON event_notice (event_id, channel, id);

CREATE TABLE correlator_checkpoint (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    body TEXT    NOT NULL
);

CREATE TABLE maintenance_window (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entities_json TEXT   NOT NULL,
    starts_ms     BIGINT NOT NULL CHECK (starts_ms >= 0),
    ends_ms       BIGINT NOT NULL CHECK (ends_ms > starts_ms),
    reason        TEXT   NOT NULL,
    created_by    TEXT   NOT NULL,
    created_ms    BIGINT NOT NULL CHECK (created_ms >= 0)
);
CREATE INDEX maintenance_window_starts ON maintenance_window (starts_ms, id);
