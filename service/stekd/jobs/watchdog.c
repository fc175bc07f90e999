/*
 * The systemd watchdog (WatchdogSec= in stekd.service). A ping (WATCHDOG=1)
 * is sent every half interval only while the daemon is healthy:
 *
 *  - its HTTP I/O loop answers: a GET /healthz over loopback within 1 s;
 *  - its database worker pool makes progress: not every worker has been busy
 *    with one request for longer than STEK_WATCHDOG_STALL seconds (default 3,
 *    below the statement timeout, so that a pool stuck behind locks shows
 *    before its statements are cancelled).
 *
 * When either fails the pings stop (and a STATUS= line says why); systemd
 * restarts the daemon once WatchdogSec passes without one. Pings resume as
 * soon as the daemon is healthy again, so a short stall is survived.
 */
#include "stek/watchdog.h"

#include "stek/job.h"
#include "stek/log.h"
#include "stek/notify.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void watchdog_run(struct job *j);

static struct {
    struct job job;
    const struct stek_config *cfg;
    struct server *srv;
    uint64_t interval_us;
} W = {.job = JOB_INIT("watchdog", watchdog_run, NULL)};

/* GET /healthz on our own listener; true on a 200 within a second. */
static bool
io_loop_answers(const struct stek_config *cfg)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Stek-Watchdog: 1\r\n"
                              "Connection: close\r\n\r\n";
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    struct timeval tv = {1, 0};
    socklen_t alen;
    char buf[64];
    bool ok = false;
    int fd;

    /* The listener's address; a wildcard one is reached over loopback. */
    if (strchr(cfg->bind, ':') != NULL) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)cfg->port);
        if (strcmp(cfg->bind, "::") == 0 || inet_pton(AF_INET6, cfg->bind, &a6->sin6_addr) != 1)
            a6->sin6_addr = in6addr_loopback;
        alen = sizeof(*a6);
    } else {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)cfg->port);
        if (strcmp(cfg->bind, "0.0.0.0") == 0 || inet_pton(AF_INET, cfg->bind, &a4->sin_addr) != 1)
            a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        alen = sizeof(*a4);
    }
    if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return false;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&ss, alen) == 0 &&
        send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof(req) - 1)) {
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n > 12) {
            buf[n] = '\0';
            ok = strncmp(buf, "HTTP/1.1 200", 12) == 0;
        }
    }
    close(fd);
    return ok;
}

static void
watchdog_run(struct job *j)
{
    const char *last = NULL;

    while (!job_stopping(j)) {
        const char *why = NULL;
        if (!io_loop_answers(W.cfg))
            why = "the HTTP loop does not answer /healthz";
        else if (server_pool_stalled(W.srv, (int64_t)W.cfg->watchdog_stall_s * 1000))
            why = "every database worker is stuck on one request";
        if (why == NULL) {
            notify_send(last != NULL ? "WATCHDOG=1\nSTATUS=serving" : "WATCHDOG=1");
        } else if (why != last) {
            char status[160];
            snprintf(status, sizeof(status), "STATUS=unhealthy: %s", why);
            notify_send(status);
            log_event("warn", "watchdog: not pinging", "reason", why, NULL);
        }
        last = why;
        job_sleep(j, (int)(W.interval_us / 2000)); /* half the interval */
    }
}

void
watchdog_start(const struct stek_config *cfg, struct server *srv)
{
    W.interval_us = notify_watchdog_usec();
    if (W.interval_us == 0)
        return;
    W.cfg = cfg;
    W.srv = srv;
    job_start(&W.job);
}

void
watchdog_stop(void)
{
    job_stop(&W.job);
}
