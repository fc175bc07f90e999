/*
 * Synchronising a partner's calendar (service/stekd/handlers/calsync.c): fetch its address
 * (conditional GET, a size and time limit, the webhooks' address rules with
 * STEK_CALENDAR_ALLOW), read it (icsimport.h), and write what changed in one transaction: an
 * offer per event (made, updated, or left alone when its fingerprint is the same), the offers
 * of events gone archived. A calendar that did not change writes nothing but its report.
 */
#ifndef STEK_CALENDARS_H
#define STEK_CALENDARS_H

#include "stek/db.h"

/*
 * Runs one sync of calendar id now, on db (outside a transaction), and stores its report,
 * which it puts into run. key_id: the key that asked (NULL: the schedule), for the audit
 * trail. 1 when it ran (its report says whether it succeeded), DB_NO_ROWS for an unknown
 * calendar, below 0 when the database failed.
 */
enum db_qs calendar_sync(struct db_conn *db, const char *id, const char *key_id,
                         struct db_doc *run);

#endif
