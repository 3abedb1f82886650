-- Core schema: per-source poll state, authors, mentions and the brands each mention matched.
-- Timestamps are UTC, stored by sqlx as RFC 3339 text.

CREATE TABLE source_state (
    name                TEXT PRIMARY KEY NOT NULL,
    kind                TEXT NOT NULL,
    etag                TEXT,
    last_modified       TEXT,
    cursor              TEXT,
    next_poll_at        TEXT,
    last_poll_at        TEXT,
    last_success_at     TEXT,
    failing_since       TEXT,
    consecutive_errors  INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    items_fetched       INTEGER NOT NULL DEFAULT 0,
    mentions_stored     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE authors (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    platform      TEXT NOT NULL,
    handle        TEXT NOT NULL,
    display_name  TEXT,
    profile_url   TEXT,
    followers     INTEGER,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    UNIQUE (platform, handle)
);

CREATE TABLE mentions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    platform      TEXT NOT NULL,
    url           TEXT,
    title         TEXT,
    text          TEXT NOT NULL,
    author_id     INTEGER REFERENCES authors (id),
    published_at  TEXT,
    fetched_at    TEXT NOT NULL,
    likes         INTEGER,
    reposts       INTEGER,
    replies       INTEGER,
    points        INTEGER,
    rating        INTEGER,
    lang_hint     TEXT,
    UNIQUE (source, external_id)
);

CREATE INDEX mentions_published ON mentions (published_at);
CREATE INDEX mentions_author ON mentions (author_id);

CREATE TABLE mention_brands (
    mention_id    INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
    brand         TEXT NOT NULL,
    matched_text  TEXT NOT NULL,
    PRIMARY KEY (mention_id, brand)
);

CREATE INDEX mention_brands_brand ON mention_brands (brand);
