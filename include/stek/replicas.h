/*
 * Read replicas (service/stekd/db/replicas.c): PostgreSQL streaming replicas that public reads
 * may use (STEK_READ_URLS), watched by one monitor thread. Every 250 ms it asks the primary for
 * its WAL position (pg_current_wal_lsn, remembered for a minute) and each replica for the
 * position it has replayed; a replica's lag is how long ago the primary was at the first
 * position the replica has not replayed. A replica that cannot be reached or lags more than
 * STEK_MAX_REPLICA_LAG is out of rotation until it catches up.
 *
 * A read may use a replica only once it has replayed what the read must see: the reader's own
 * last write (the Stek-LSN a write answers with, sent back as Stek-Read-After), and for the
 * feed and what is built from it, every change the feed's generation stands for.
 */
#ifndef STEK_REPLICAS_H
#define STEK_REPLICAS_H

#include "stek/config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Starts the monitor when STEK_READ_URLS names replicas (else nothing). */
void replicas_start(const struct stek_config *cfg);
void replicas_stop(void);

/* How many replicas are configured (0: every read goes to the primary). */
unsigned replicas_count(void);

/* Replica i's connection string (0 <= i < replicas_count()). */
const char *replica_url(unsigned i);

/* True when replica i is in rotation and has replayed at least need. */
bool replica_usable(unsigned i, uint64_t need);

/* True when replica i answered the monitor lately and no read found it dead since (it may lag). */
bool replica_reachable(unsigned i);

/* Marks replica i out of rotation until the monitor sees it again (a read could not use it). */
void replica_failed(unsigned i);

/* False once the monitor could not reach a primary (only known with replicas configured). */
bool primary_available(void);

/* {"primary": "up"|"down", "replicas": [{"replica": N, "state": ..., "lag_ms": ...}]}. */
json_t *replicas_status(void);

/*
 * Read-your-writes per key, within one daemon: the daemon that took a key's write remembers
 * its position for KEY_POSITION_S seconds, and that key's reads here wait for a replica that
 * has replayed it (else the primary answers), without a Stek-Read-After header. A key is
 * known by a tag of its token (auth_token_tag), never the token. Across daemons the header
 * stays the rule.
 */
#define KEY_POSITION_S 60
void replicas_note_write(const char *tag, uint64_t lsn);
/* The position a key's reads must see here (0: none remembered, or forgotten). */
uint64_t replicas_key_position(const char *tag);

/* A WAL position as PostgreSQL writes it ("16/B374D848"); 0 when s is not one. */
uint64_t lsn_parse(const char *s);
void lsn_format(uint64_t lsn, char out[32]);

#endif
