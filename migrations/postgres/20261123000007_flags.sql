-- Flags: what a person should look at. One row per cause (cause_key), so a flag raised in one
-- cycle is not raised again in the next.
CREATE TABLE flags (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    brand           TEXT NOT NULL,
    author_id       BIGINT REFERENCES authors (id) ON DELETE SET NULL,
    mention_id      BIGINT REFERENCES mentions (id) ON DELETE SET NULL,
    cause_key       TEXT NOT NULL UNIQUE,
    created_at      TIMESTAMPTZ NOT NULL,
    acknowledged_at TIMESTAMPTZ
);
CREATE INDEX flags_open ON flags (acknowledged_at, created_at);

-- Detection progress: mentions up to this id have been looked at.
CREATE TABLE flag_progress (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    last_mention_id  BIGINT NOT NULL
);
