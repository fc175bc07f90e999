-- Issue 18: per-client limits hold across daemons. Each daemon counts in memory and, once a
-- second, writes its counts of the current minute here and reads the others' (no round trip
-- per request). Unlogged: counts of a minute need no crash safety nor replication.
CREATE UNLOGGED TABLE rate_counts (
    kind    smallint NOT NULL CHECK (kind >= 0),
    key     text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 64),
    minute  bigint NOT NULL,
    daemon  uuid NOT NULL,
    count   integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (minute, kind, key, daemon)
);
