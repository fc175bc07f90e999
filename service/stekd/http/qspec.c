#include "stek/qspec.h"
#include "stek/cursor.h"
#include "stek/date.h"
#include "stek/ids.h"
#include "stek/jspec.h"
#include "stek/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Echo only a short, printable form of a name the client made up. */
static void
printable_name(char *out, size_t len, const char *key)
{
    size_t j = 0;
    for (const char *k = key; *k && j + 1 < len; k++)
        out[j++] = isprint((unsigned char)*k) ? *k : '?';
    out[j] = '\0';
}

static bool
parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    if (*s == '\0' || strlen(s) > 24)
        return false;
    *out = strtod(s, &end);
    return *end == '\0' && *out >= lo && *out <= hi && *out == *out;
}

static const char *
parse_near(const char *v, struct qnear *n)
{
    char buf[64], *comma;
    double la, lo;

    snprintf(buf, sizeof(buf), "%s", v);
    comma = strchr(buf, ',');
    if (strlen(v) >= sizeof(buf) || comma == NULL)
        return "must be lat,lon such as 51.3731,4.4625";
    *comma = '\0';
    if (!parse_double(buf, -90, 90, &la) || !parse_double(comma + 1, -180, 180, &lo))
        return "must be lat,lon with lat -90..90 and lon -180..180";
    if (n != NULL) {
        snprintf(n->lat, sizeof(n->lat), "%.7f", la);
        snprintf(n->lon, sizeof(n->lon), "%.7f", lo);
    }
    return NULL;
}

/* Checks one present parameter; NULL when valid (out written), else the message. */
static const char *
check_text(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    size_t chars = utf8_chars(v); /* characters: the query is UTF-8, checked when read */
    if (chars < (size_t)q->min || chars > (size_t)q->max) {
        snprintf(msg, msglen, "must be %lld to %lld characters", q->min, q->max);
        return msg;
    }
    if (q->out)
        *(const char **)q->out = v;
    return NULL;
}

static const char *
check_uuid(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    if (!is_uuid(v)) {
        snprintf(msg, msglen, "must be %s (UUID)", q->what);
        return msg;
    }
    if (q->out)
        *(const char **)q->out = v;
    return NULL;
}

static const char *
check_date(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    (void)msg;
    (void)msglen;
    int32_t day;
    if (!date_parse(v, &day))
        return "must be a date YYYY-MM-DD";
    if (q->out)
        *(int32_t *)q->out = day;
    return NULL;
}

static const char *
check_month(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    (void)msg;
    (void)msglen;
    char tmp[16];
    int32_t day;
    snprintf(tmp, sizeof(tmp), "%.7s-01", v);
    if (strlen(v) != 7 || !date_parse(tmp, &day))
        return "must be a month YYYY-MM";
    if (q->out)
        *(int32_t *)q->out = day;
    return NULL;
}

static const char *
check_bool(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    (void)msg;
    (void)msglen;
    const char *b = strcmp(v, "true") == 0 ? "t" : strcmp(v, "false") == 0 ? "f" : NULL;
    if (b == NULL)
        return "must be true or false";
    if (q->out)
        *(const char **)q->out = b;
    return NULL;
}

static const char *
check_choice(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    for (const char *const *c = q->choices; *c != NULL; c++) {
        if (strcmp(*c, v) == 0) {
            if (q->out)
                *(const char **)q->out = *c;
            return NULL;
        }
    }
    choices_message(msg, msglen, q->choices);
    return msg;
}

static const char *
check_int(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!isdigit((unsigned char)*v) || *end != '\0' || n < q->min || n > q->max || strlen(v) > 18) {
        snprintf(msg, msglen, "must be an integer from %lld to %lld", q->min, q->max);
        return msg;
    }
    if (q->out)
        *(int *)q->out = (int)n;
    return NULL;
}

static const char *
check_cursor(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    struct qcursor c = {.present = true};
    bool feed = q->what != NULL && strcmp(q->what, "feed") == 0;
    if (*v == '\0' || strlen(v) > 200 || !cursor_decode(v, c.a, c.b) || (feed && !is_uuid(c.b))) {
        snprintf(msg, msglen, "is not a cursor returned by this %s", q->what);
        return msg;
    }
    if (q->out)
        *(struct qcursor *)q->out = c;
    return NULL;
}

static const char *
check_near(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    (void)msg;
    (void)msglen;
    return parse_near(v, q->out);
}

static const char *
check_radius(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    double km;
    if (!parse_double(v, 0.1, (double)q->max, &km)) {
        snprintf(msg, msglen, "must be a number from 0.1 to %lld", q->max);
        return msg;
    }
    if (q->out)
        snprintf(((struct qnear *)q->out)->radius_km, 32, "%.3f", km);
    return NULL;
}

static const char *
check_custom(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    (void)msg;
    (void)msglen;
    return q->parse(v, q->out);
}

typedef const char *(*check_fn)(const struct qspec *q, const char *v, char *msg, size_t msglen);

/* Each kind's check: NULL when v is good (written to q->out), else why (in msg, or static). */
static const check_fn checks[] = {
    [QS_TEXT] = check_text,     [QS_UUID] = check_uuid,     [QS_DATE] = check_date,
    [QS_MONTH] = check_month,   [QS_BOOL] = check_bool,     [QS_CHOICE] = check_choice,
    [QS_INT] = check_int,       [QS_CURSOR] = check_cursor, [QS_NEAR] = check_near,
    [QS_RADIUS] = check_radius, [QS_CUSTOM] = check_custom,
};

static const char *
check_one(const struct qspec *q, const char *v, char *msg, size_t msglen)
{
    if ((size_t)q->kind >= sizeof(checks) / sizeof(checks[0]) || checks[q->kind] == NULL)
        return "is not understood";
    return checks[q->kind](q, v, msg, msglen);
}

json_t *
qspec_check(struct request *r, const struct qspec *spec)
{
    json_t *errs = json_array();
    char name[64], msg[200];

    if (r->query_problem != NULL) {
        printable_name(name, sizeof(name), r->query_problem);
        field_error(errs, name,
                    r->query_problem_msg ? r->query_problem_msg : "is given more than once");
    }
    for (int i = 0; i < r->nquery; i++) {
        const struct qspec *q = spec;
        while (q->name != NULL && strcmp(q->name, r->query[i].key) != 0)
            q++;
        if (q->name == NULL) {
            printable_name(name, sizeof(name), r->query[i].key);
            field_error(errs, name, "is not a known parameter");
        }
    }
    for (const struct qspec *q = spec; q->name != NULL; q++) {
        const char *v = req_query(r, q->name), *problem;
        if (v == NULL)
            continue;
        if ((problem = check_one(q, v, msg, sizeof(msg))) != NULL) {
            field_error(errs, q->name, problem);
            continue;
        }
        /* QS_FN_MULTI: every further value too (the first one was req_query's) */
        bool first = true;
        for (int i = 0; q->kind == QS_CUSTOM && q->min == 1 && i < r->nquery; i++) {
            if (strcmp(r->query[i].key, q->name) != 0)
                continue;
            if (first) {
                first = false;
                continue;
            }
            const char *more = r->query[i].value ? r->query[i].value : "";
            if ((problem = check_one(q, more, msg, sizeof(msg))) != NULL) {
                field_error(errs, q->name, problem);
                break;
            }
        }
    }
    /* A radius belongs to a position: without near it is refused, with near it defaults to 10. */
    for (const struct qspec *q = spec; q->name != NULL; q++) {
        if (q->kind != QS_RADIUS)
            continue;
        struct qnear *n = q->out;
        if (req_query(r, "near") == NULL && req_query(r, q->name) != NULL)
            field_error(errs, q->name, "needs near=lat,lon");
        if (n != NULL && n->lat[0] != '\0' && n->radius_km[0] == '\0')
            snprintf(n->radius_km, sizeof(n->radius_km), "%.3f", 10.0);
    }
    return errs;
}

bool
qspec_reply(struct request *r, json_t *errs)
{
    size_t n = json_array_size(errs), i, used = 0;
    char detail[512];
    json_t *e;

    if (n == 0) {
        json_decref(errs);
        return true;
    }
    detail[0] = '\0';
    json_array_foreach(errs, i, e)
    {
        if (used >= sizeof(detail))
            break; /* the detail is a summary; errors has every one */
        used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s%s %s", i ? "; " : "",
                                 json_string_value(json_object_get(e, "field")),
                                 json_string_value(json_object_get(e, "message")));
    }
    reply_problem(r, ERR_BAD_QUERY, errs, "%s", detail);
    return false;
}

bool
qspec_parse(struct request *r, const struct qspec *spec)
{
    return qspec_reply(r, qspec_check(r, spec));
}
