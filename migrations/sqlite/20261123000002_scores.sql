-- Scores of each mention: language, sentiment and intents. NULL sentiment with lang 'und'
-- means the text is in a language not watched; NULL lang means not scored yet.
ALTER TABLE mentions ADD COLUMN lang TEXT;
ALTER TABLE mentions ADD COLUMN label TEXT;
ALTER TABLE mentions ADD COLUMN compound REAL;
ALTER TABLE mentions ADD COLUMN pos REAL;
ALTER TABLE mentions ADD COLUMN neu REAL;
ALTER TABLE mentions ADD COLUMN neg REAL;
ALTER TABLE mentions ADD COLUMN scored_at TEXT;

CREATE TABLE mention_intents (
    mention_id  INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    cue         TEXT NOT NULL,
    PRIMARY KEY (mention_id, kind)
);

CREATE INDEX mention_intents_kind ON mention_intents (kind);
CREATE INDEX mentions_label ON mentions (label);
