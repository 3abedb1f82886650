-- Scores of each mention: language, sentiment and intents. NULL sentiment with lang 'und'
-- means the text is in a language not watched; NULL lang means not scored yet.
ALTER TABLE mentions ADD COLUMN lang TEXT;
ALTER TABLE mentions ADD COLUMN label TEXT;
ALTER TABLE mentions ADD COLUMN compound DOUBLE PRECISION;
ALTER TABLE mentions ADD COLUMN pos DOUBLE PRECISION;
ALTER TABLE mentions ADD COLUMN neu DOUBLE PRECISION;
ALTER TABLE mentions ADD COLUMN neg DOUBLE PRECISION;
ALTER TABLE mentions ADD COLUMN scored_at TIMESTAMPTZ;

CREATE TABLE mention_intents (
    mention_id  BIGINT NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    cue         TEXT NOT NULL,
    PRIMARY KEY (mention_id, kind)
);

CREATE INDEX mention_intents_kind ON mention_intents (kind);
CREATE INDEX mentions_label ON mentions (label);
