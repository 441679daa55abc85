-- Outage events from the correlator, the outbox of notices about them, the correlator's
-- checkpoint, and maintenance windows. Payloads (`*_json`) are opaque text; times are Unix
-- milliseconds in 0..=2^63-1. No foreign keys: a pending notice outlives its event's pruning.

-- Saved by id (given by the correlator), every column replaced.
CREATE TABLE outage_event (
    id          INTEGER PRIMARY KEY CHECK (id >= 0),
    kind        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    root        TEXT    NOT NULL,
    started_ms  INTEGER NOT NULL CHECK (started_ms >= 0),
    updated_ms  INTEGER NOT NULL CHECK (updated_ms >= 0),
    resolved_ms INTEGER CHECK (resolved_ms >= 0),
    body_json   TEXT    NOT NULL
);
-- The active events, and listings filtered by status, newest first (the primary key serves
-- unfiltered listings and the `before_id` cursor).
CREATE INDEX outage_event_status ON outage_event (status, id);
-- Retention by resolution time.
CREATE INDEX outage_event_resolved ON outage_event (resolved_ms) WHERE status = 'resolved';

-- The outbox. AUTOINCREMENT: an id is never reused, so a channel's order (by id) is the order
-- notices were inserted in, even after pruning.
CREATE TABLE event_notice (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        INTEGER NOT NULL CHECK (event_id >= 0),
    channel         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    created_ms      INTEGER NOT NULL CHECK (created_ms >= 0),
    next_attempt_ms INTEGER NOT NULL CHECK (next_attempt_ms >= 0),
    attempts        INTEGER NOT NULL CHECK (attempts BETWEEN 0 AND 4294967295),
    state           TEXT    NOT NULL,
    last_error      TEXT,
    sent_ms         INTEGER CHECK (sent_ms >= 0),
    payload_json    TEXT    NOT NULL
);
-- Each channel's pending notices in order (what is due, and what holds a channel back).
CREATE INDEX event_notice_pending ON event_notice (channel, id) WHERE state = 'pending';
-- When the next pending notice is due.
CREATE INDEX event_notice_next ON event_notice (next_attempt_ms) WHERE state = 'pending';
-- An event's notices (delivery status, coalescing of updates, retention).
CREATE INDEX event_notice_event ON event_notice (event_id, channel, id);

-- The correlator's checkpoint: at most one row.
CREATE TABLE correlator_checkpoint (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT    NOT NULL
);

-- AUTOINCREMENT: a deleted window's id is never given to another.
CREATE TABLE maintenance_window (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    entities_json TEXT    NOT NULL,
    starts_ms     INTEGER NOT NULL CHECK (starts_ms >= 0),
    ends_ms       INTEGER NOT NULL CHECK (ends_ms > starts_ms),
    reason        TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL CHECK (created_ms >= 0)
);
CREATE INDEX maintenance_window_starts ON maintenance_window (starts_ms, id);
