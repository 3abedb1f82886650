-- Reach of each mention, 0-100 on a log scale (src/scoring/reach.rs). NULL for mentions
-- stored before reach was computed.
ALTER TABLE mentions ADD COLUMN reach_score REAL;
