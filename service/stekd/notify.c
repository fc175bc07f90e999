#include "stek/notify.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

bool
notify_send(const char *message)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t n;
    int fd;
    bool ok;

    if (path == NULL || (path[0] != '/' && path[0] != '@') ||
        (n = strlen(path)) >= sizeof(addr.sun_path))
        return false;
    memcpy(addr.sun_path, path, n);
    if (path[0] == '@')
        addr.sun_path[0] = '\0'; /* the abstract namespace */
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return false;
    ok = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&addr,
                (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) >= 0;
    close(fd);
    return ok;
}

uint64_t
notify_watchdog_usec(void)
{
    const char *v = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    char *end;
    unsigned long long usec;

    if (v == NULL)
        return 0;
    /* WATCHDOG_PID, when set, names the process the manager watches. */
    if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
        return 0;
    usec = strtoull(v, &end, 10);
    return *end == '\0' ? (uint64_t)usec : 0;
}
