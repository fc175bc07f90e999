#ifndef STEK_VERSION_H
#define STEK_VERSION_H

#define STEK_VERSION "0.1.0"

/*
 * Key of the PostgreSQL advisory lock that serialises migration runners.
 * Shared with stekd so that the daemon never reads a half-migrated schema.
 */
#define STEK_MIGRATE_LOCK_KEY 7297015

#endif
