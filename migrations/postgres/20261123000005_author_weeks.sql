-- Author profiles per brand, kept as one row per author, brand and ISO week (Monday's date,
-- UTC) and refreshed in the transaction that stores the author's mentions. Profiles and
-- advocate scores are sums over these rows, so a rolling window is a range of weeks.
ALTER TABLE mentions ADD COLUMN week TEXT;
UPDATE mentions
SET week = to_char(date_trunc('week', COALESCE(published_at, fetched_at) AT TIME ZONE 'UTC'), 'YYYY-MM-DD');
CREATE INDEX mentions_author_week ON mentions (author_id, week);

CREATE TABLE author_weeks (
    author_id       BIGINT NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    brand           TEXT NOT NULL,
    week            TEXT NOT NULL,
    mentions        BIGINT NOT NULL,
    positive        BIGINT NOT NULL,
    negative        BIGINT NOT NULL,
    praise          BIGINT NOT NULL,
    recommendations BIGINT NOT NULL,
    complaints      BIGINT NOT NULL,
    sum_compound    DOUBLE PRECISION NOT NULL,
    scored          BIGINT NOT NULL,
    best_reach      DOUBLE PRECISION,
    last_seen       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (author_id, brand, week)
);
CREATE INDEX author_weeks_brand_week ON author_weeks (brand, week);
