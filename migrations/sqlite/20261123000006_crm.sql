-- CRM link: customers imported from a CSV export (`fanwatch crm import`) and the social
-- handles that belong to them. `customer_handles.handle` is lowercased, so authors are linked
-- with `customer_handles.platform = authors.platform AND customer_handles.handle = LOWER(authors.handle)`.
-- Timestamps are UTC, stored by sqlx as RFC 3339 text.

CREATE TABLE customers (
    customer_id     TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    email           TEXT,
    segment         TEXT NOT NULL,
    lifecycle_stage TEXT,
    imported_at     TEXT NOT NULL
);

CREATE TABLE customer_handles (
    platform    TEXT NOT NULL,
    handle      TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    PRIMARY KEY (platform, handle)
);

CREATE INDEX customer_handles_customer ON customer_handles (customer_id);
