/*
 * The systemd notify protocol (service/stekd/notify.c): a few lines over the
 * Unix datagram socket named by NOTIFY_SOCKET, written here so that stekd has
 * no libsystemd dependency and does nothing when not run under systemd.
 */
#ifndef STEK_NOTIFY_H
#define STEK_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Sends "READY=1", "STOPPING=1", "STATUS=...", "WATCHDOG=1" (lines joined by \n). False when
 * NOTIFY_SOCKET is unset or the message could not be sent. */
bool notify_send(const char *message);

/* The watchdog interval the manager asked for (WATCHDOG_USEC, microseconds), or 0. */
uint64_t notify_watchdog_usec(void);

#endif
