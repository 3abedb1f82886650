-- Outbox: every email fanwatch will send, written in the transaction that raises its flag
-- (or schedules its report), so a crash never yields a flag without its alert. `key` is the
-- idempotency key (one alert per flag and recipient, one weekly list per brand, ISO week and
-- recipient) and `message_id` derives from it, so a resend after a crash is the same email.
-- kind: alert (immediate) | digest_item (waits for the next digest) | digest | weekly.
-- status: pending | sending (claimed until claimed_until) | sent | dead; a digest item is
-- batched into digest `digest_id` and included once that digest is sent.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    language        TEXT NOT NULL,
    brand           TEXT,
    flag_id         BIGINT REFERENCES flags (id) ON DELETE CASCADE,
    week            TEXT,
    digest_id       BIGINT REFERENCES outbox (id),
    message_id      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        BIGINT NOT NULL DEFAULT 0,
    due_at          TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    subject         TEXT,
    body_text       TEXT,
    body_html       TEXT,
    attachment_name TEXT,
    attachment      TEXT,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (status, due_at);
CREATE INDEX outbox_recipient_sent ON outbox (recipient, sent_at);
CREATE INDEX outbox_digest ON outbox (digest_id);
