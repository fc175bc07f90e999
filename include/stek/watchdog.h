/* The systemd watchdog pinger (service/stekd/jobs/watchdog.c): pings only while healthy. */
#ifndef STEK_WATCHDOG_H
#define STEK_WATCHDOG_H

#include "stek/config.h"
#include "stek/server.h"

/* Starts pinging when the manager asked for it (WATCHDOG_USEC); otherwise does nothing. */
void watchdog_start(const struct stek_config *cfg, struct server *srv);

/* Stops the pinger (before server_stop). */
void watchdog_stop(void);

#endif
