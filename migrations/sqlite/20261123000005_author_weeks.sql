-- Author profiles per brand, kept as one row per author, brand and ISO week (Monday's date,
-- UTC) and refreshed in the transaction that stores the author's mentions. Profiles and
-- advocate scores are sums over these rows, so a rolling window is a range of weeks.
ALTER TABLE mentions ADD COLUMN week TEXT;
UPDATE mentions SET week = date(COALESCE(published_at, fetched_at), 'weekday 0', '-6 days');
CREATE INDEX mentions_author_week ON mentions (author_id, week);

CREATE TABLE author_weeks (
    author_id       INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    brand           TEXT NOT NULL,
    week            TEXT NOT NULL,
    mentions        INTEGER NOT NULL,
    positive        INTEGER NOT NULL,
    negative        INTEGER NOT NULL,
    -- mentions with a praise or recommendation intent
    praise          INTEGER NOT NULL,
    recommendations INTEGER NOT NULL,
    complaints      INTEGER NOT NULL,
    sum_compound    REAL NOT NULL,
    scored          INTEGER NOT NULL,
    best_reach      REAL,
    last_seen       TEXT NOT NULL,
    PRIMARY KEY (author_id, brand, week)
);
CREATE INDEX author_weeks_brand_week ON author_weeks (brand, week);
