-- Core schema: per-source poll state, authors, mentions and the brands each mention matched.
-- Timestamps are TIMESTAMPTZ, written in UTC.

CREATE TABLE source_state (
    name                TEXT PRIMARY KEY,
    kind                TEXT NOT NULL,
    etag                TEXT,
    last_modified       TEXT,
    cursor              TEXT,
    next_poll_at        TIMESTAMPTZ,
    last_poll_at        TIMESTAMPTZ,
    last_success_at     TIMESTAMPTZ,
    failing_since       TIMESTAMPTZ,
    consecutive_errors  BIGINT NOT NULL DEFAULT 0,
    last_error          TEXT,
    items_fetched       BIGINT NOT NULL DEFAULT 0,
    mentions_stored     BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE authors (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform      TEXT NOT NULL,
    handle        TEXT NOT NULL,
    display_name  TEXT,
    profile_url   TEXT,
    followers     BIGINT,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (platform, handle)
);

CREATE TABLE mentions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    platform      TEXT NOT NULL,
    url           TEXT,
    title         TEXT,
    text          TEXT NOT NULL,
    author_id     BIGINT REFERENCES authors (id),
    published_at  TIMESTAMPTZ,
    fetched_at    TIMESTAMPTZ NOT NULL,
    likes         BIGINT,
    reposts       BIGINT,
    replies       BIGINT,
    points        BIGINT,
    rating        BIGINT,
    lang_hint     TEXT,
    UNIQUE (source, external_id)
);

CREATE INDEX mentions_published ON mentions (published_at);
CREATE INDEX mentions_author ON mentions (author_id);

CREATE TABLE mention_brands (
    mention_id    BIGINT NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
    brand         TEXT NOT NULL,
    matched_text  TEXT NOT NULL,
    PRIMARY KEY (mention_id, brand)
);

CREATE INDEX mention_brands_brand ON mention_brands (brand);
