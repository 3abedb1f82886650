-- Social connectors: source health states and the reach numbers social platforms show.
-- state: pending (never polled) | ok | failing | misconfigured (401/403, missing
-- credentials: needs a person) | down (failing longer than poll.down_after_secs).
ALTER TABLE source_state ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE source_state ADD COLUMN state_since TIMESTAMPTZ;

ALTER TABLE mentions ADD COLUMN views BIGINT;
ALTER TABLE mentions ADD COLUMN audience BIGINT;
ALTER TABLE mentions ADD COLUMN community TEXT;
ALTER TABLE mentions ADD COLUMN app_version TEXT;

CREATE INDEX source_state_state ON source_state (state);
