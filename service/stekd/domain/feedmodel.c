/*
 * Feed queries answered from the in-memory model (feedmodel.h): the same rows,
 * in the same order, as the feed statement (db/statements.def, feed_rows).
 * Each filter below names the SQL it stands for.
 */
#include "stek/feedmodel.h"
#include "stek/date.h"
#include "stek/feed.h"
#include "stek/i18n.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct feed_model *
feed_model_new(void)
{
    struct feed_model *m = calloc(1, sizeof(*m));

    if (m == NULL)
        abort();
    atomic_init(&m->refs, 1);
    m->owned = json_array();
    m->empty = json_array();
    m->empty_object = json_object();
    return m;
}

static void
model_free(struct feed_model *m)
{
    for (size_t i = 0; i < m->nsites; i++)
        for (int l = 0; l < FM_LANGS; l++) {
            json_decref(atomic_load(&m->sites[i].shown[l]));
            free(atomic_load(&m->sites[i].shown_text[l]));
        }
    free(m->sites);
    free(m->partners);
    free(m->offers);
    free(m->schedules);
    free(m->exceptions);
    free(m->closures);
    free(m->by_site);
    free(m->by_fold);
    free(m->moved);
    json_decref(m->owned);
    json_decref(m->empty);
    json_decref(m->empty_object);
    if (m->free_storage != NULL)
        m->free_storage(m->storage);
    free(m);
}

void
feed_model_release(struct feed_model *m)
{
    if (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1)
        model_free(m);
}

static int
by_fold(const void *a, const void *b)
{
    const struct fm_site *x = *(struct fm_site *const *)a, *y = *(struct fm_site *const *)b;
    int c = strcmp(x->fold, y->fold);
    return c != 0 ? c : (x > y) - (x < y);
}

bool
feed_model_index(struct feed_model *m)
{
    uint32_t *count = calloc(m->nsites + 1, sizeof(*count));

    m->by_site = malloc((m->nschedules + 1) * sizeof(*m->by_site));
    m->moved = malloc((m->nexceptions + 1) * sizeof(*m->moved));
    if (count == NULL || m->by_site == NULL || m->moved == NULL)
        abort();
    /* Schedules grouped by site (a counting sort keeps their order within a site). */
    for (size_t i = 0; i < m->nschedules; i++) {
        if (m->schedules[i].site >= m->nsites || m->schedules[i].offer >= m->noffers) {
            free(count);
            return false;
        }
        count[m->schedules[i].site]++;
    }
    uint32_t at = 0;
    for (size_t s = 0; s < m->nsites; s++) {
        m->sites[s].first_schedule = at;
        m->sites[s].schedules = 0;
        at += count[s];
    }
    for (size_t i = 0; i < m->nschedules; i++) {
        struct fm_site *s = &m->sites[m->schedules[i].site];
        m->by_site[s->first_schedule + s->schedules++] = (uint32_t)i;
    }
    free(count);
    /* Exceptions and closures arrive sorted by offer and by site: each record's run. */
    for (size_t i = 0; i < m->nexceptions; i++) {
        struct fm_exception *e = &m->exceptions[i];
        if (e->offer >= m->noffers || (e->site >= 0 && (size_t)e->site >= m->nsites))
            return false;
        struct fm_offer *o = &m->offers[e->offer];
        if (o->exceptions == 0)
            o->first_exception = (uint32_t)i;
        else if (o->first_exception + o->exceptions != i)
            return false;
        o->exceptions++;
        if (e->site >= 0)
            m->moved[m->nmoved++] = (uint32_t)i;
    }
    for (size_t i = 0; i < m->nclosures; i++) {
        struct fm_closure *c = &m->closures[i];
        if (c->site >= m->nsites)
            return false;
        struct fm_site *s = &m->sites[c->site];
        if (s->closures == 0)
            s->first_closure = (uint32_t)i;
        else if (s->first_closure + s->closures != i)
            return false;
        s->closures++;
    }
    for (size_t i = 0; i < m->noffers; i++)
        if (m->offers[i].site >= m->nsites || m->offers[i].partner >= m->npartners)
            return false;
    m->by_fold = malloc((m->nsites + 1) * sizeof(*m->by_fold));
    if (m->by_fold == NULL)
        abort();
    for (size_t i = 0; i < m->nsites; i++)
        m->by_fold[i] = &m->sites[i];
    qsort(m->by_fold, m->nsites, sizeof(*m->by_fold), by_fold);
    return true;
}

/* ---- stek_fold ---- */

/* The letters stek_fold translates, and what to (migration 0002), as code points. */
static const char FOLD_FROM[] = "ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖòóôõöÙÚÛÜùúûüÇçÑñŸÿ";
static const char FOLD_TO[] = "AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOoooooUUUUuuuuCcNnYy";

bool
feed_fold(const char *s, char *out, size_t outsz)
{
    size_t n = 0;

    while (*s != '\0') {
        unsigned char c = (unsigned char)*s;
        char ascii;
        if (c < 0x80) {
            ascii = *s++;
        } else {
            /* A two-byte letter of the table, or a letter this code leaves to PostgreSQL. */
            const char *hit = NULL;
            size_t k = 0;
            for (const char *p = FOLD_FROM; *p != '\0'; p += 2, k++)
                if (p[0] == s[0] && p[1] == s[1]) {
                    hit = p;
                    break;
                }
            if (hit == NULL)
                return false;
            ascii = FOLD_TO[k];
            s += 2;
        }
        if (ascii >= 'A' && ascii <= 'Z')
            ascii = (char)(ascii - 'A' + 'a');
        if (n + 1 >= outsz)
            return false;
        out[n++] = ascii;
    }
    out[n] = '\0';
    return true;
}

/* ---- a query ---- */

/* The site filters of a query, parsed once (stek_site_matches, migration 0003). */
struct model_site_filter {
    const char *municipality, *postal_code, *site;
    bool near;
    double lat, lon, radius_km;
    char fold[408];
};

/* stek_distance_km, with PostgreSQL's radians() and ^ */
static double
distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rpd = 0.0174532925199432957692;
    double a = pow(sin((lat2 - lat1) * rpd / 2), 2) +
               cos(lat1 * rpd) * cos(lat2 * rpd) * pow(sin((lon2 - lon1) * rpd / 2), 2);
    return 2 * 6371.0088 * asin(fmin(1, sqrt(a)));
}

static bool
site_matches(const struct fm_site *s, const struct model_site_filter *sf)
{
    return s->active && (sf->municipality == NULL || strcmp(s->fold, sf->fold) == 0) &&
           (sf->postal_code == NULL || strcmp(s->postal_code, sf->postal_code) == 0) &&
           (sf->site == NULL || strcasecmp(s->id, sf->site) == 0) &&
           (!sf->near ||
            (s->has_location && distance_km(sf->lat, sf->lon, s->lat, s->lon) <= sf->radius_km));
}

static bool
has_name(const json_t *names, const char *name)
{
    size_t i;
    const json_t *v;

    json_array_foreach(names, i, v) if (strcmp(json_string_value(v), name) == 0) return true;
    return false;
}

/* The offer filters of feed_rows' WHERE clause ($9-$13). */
static bool
offer_matches(const struct fm_offer *o, const struct feed_model *m, const struct feed_filter *f,
              const char *qfold)
{
    return (f->partner == NULL || strcasecmp(m->partners[o->partner].id, f->partner) == 0) &&
           (f->function == NULL || has_name(o->functions, f->function)) &&
           (f->category == NULL || has_name(o->categories, f->category)) &&
           (f->free == NULL || o->free == (f->free[0] == 't')) &&
           (qfold == NULL || strstr(o->fold, qfold) != NULL);
}

/* The slot of a reader's language among a site's shown forms: 0 for each record's own (and
 * "all"), then i18n_languages in order; -1 for none of them. */
static int
lang_slot(const char *lang)
{
    if (lang == NULL || strcmp(lang, "all") == 0)
        return 0;
    for (int i = 0; i + 1 < FM_LANGS && i18n_languages[i] != NULL; i++)
        if (strcmp(lang, i18n_languages[i]) == 0)
            return i + 1;
    return -1;
}

/* A site's feed object, parsed (a new value). */
static json_t *
site_doc(const struct fm_site *s)
{
    json_t *v = json_loads(s->doc, 0, NULL);
    return v != NULL ? v : json_null(); /* cannot happen: PostgreSQL wrote the text */
}

/* The site's object in a language: made once per model and language, then shared. */
static json_t *
site_shown(struct fm_site *s, int slot, const char *lang)
{
    json_t *v = atomic_load(&s->shown[slot]);
    json_t *expected = NULL;

    if (v != NULL)
        return v;
    v = site_doc(s);
    feed_localize_site(v, slot == 0 ? NULL : lang);
    if (!atomic_compare_exchange_strong(&s->shown[slot], &expected, v)) {
        json_decref(v); /* another thread made it first */
        v = expected;
    }
    return v;
}

/* That object as the feed writes it: dumped once per model and language, not once per page. */
static const char *
site_shown_text(struct fm_site *s, int slot, const json_t *shown)
{
    char *t = atomic_load(&s->shown_text[slot]);
    char *expected = NULL;

    if (t != NULL)
        return t;
    if ((t = json_dumps(shown, FEED_DUMP_FLAGS)) == NULL)
        return NULL;
    if (!atomic_compare_exchange_strong(&s->shown_text[slot], &expected, t)) {
        free(t); /* another thread made it first */
        t = expected;
    }
    return t;
}

static json_t *
opt_string(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* The offer's exceptions in the window, as the feed statement builds them. */
static json_t *
exceptions_json(const struct feed_model *m, const struct fm_offer *o, int32_t from, int32_t to,
                const struct model_site_filter *sf)
{
    json_t *a = json_array();

    for (uint32_t k = 0; k < o->exceptions; k++) {
        const struct fm_exception *e = &m->exceptions[o->first_exception + k];
        if (e->day < from || e->day > to)
            continue;
        const struct fm_site *es = e->site >= 0 ? &m->sites[e->site] : NULL;
        json_t *x = json_pack(
            "{s:I, s:s, s:o, s:o, s:o, s:s, s:O, s:I, s:o, s:o, s:o}", "day", (json_int_t)e->day,
            "status", e->status, "start", e->has_times ? json_integer(e->start_min) : json_null(),
            "end", e->has_times ? json_integer(e->end_min) : json_null(), "note",
            opt_string(e->note), "main_language", e->main_language, "translations", e->translations,
            "changed", (json_int_t)e->changed, "site", es ? site_doc(es) : json_null(), "timezone",
            es ? json_string(es->timezone) : json_null(), "ok",
            es ? json_boolean(site_matches(es, sf)) : json_null());
        json_array_append_new(a, x);
    }
    return a;
}

/* The closures of a site that overlap the window. */
static json_t *
closures_json(const struct feed_model *m, const struct fm_site *s, int32_t from, int32_t to)
{
    json_t *a = json_array();

    for (uint32_t k = 0; k < s->closures; k++) {
        const struct fm_closure *c = &m->closures[s->first_closure + k];
        if (c->from > to || c->to < from)
            continue;
        json_array_append_new(a, json_pack("{s:I, s:I, s:o, s:s, s:O, s:I}", "from",
                                           (json_int_t)c->from, "to", (json_int_t)c->to, "note",
                                           opt_string(c->note), "main_language", c->main_language,
                                           "translations", c->translations, "changed",
                                           (json_int_t)c->changed));
    }
    return a;
}

static int
by_index(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static const char *
first_of(const char *a, const char *b, const char *c)
{
    return a != NULL ? a : b != NULL ? b : c;
}

bool
feed_model_query(struct feed_model *m, const struct feed_filter *f, int32_t from, int32_t to,
                 const char *lang, struct db_feed *out)
{
    struct model_site_filter sf = {
        .municipality = f->municipality, .postal_code = f->postal_code, .site = f->site};
    char qfold[408];
    int slot = lang_slot(lang);

    if (from < m->first_day || to > m->last_day || slot < 0)
        return false;
    if (f->municipality != NULL && !feed_fold(f->municipality, sf.fold, sizeof(sf.fold)))
        return false;
    if (f->q != NULL && !feed_fold(f->q, qfold, sizeof(qfold)))
        return false;
    if (f->lat != NULL) {
        sf.near = true;
        sf.lat = strtod(f->lat, NULL);
        sf.lon = strtod(f->lon, NULL);
        sf.radius_km = strtod(f->radius_km, NULL);
    }

    /* The candidates: schedules at a matching site, and every schedule of an offer with an
     * occurrence moved to a matching site in the window (the statement's cand). */
    bool *ok = calloc(m->nsites + 1, 1);
    uint32_t *cand = NULL;
    size_t n = 0, cap = 0, lo = 0, hi = m->nsites;
    if (ok == NULL)
        abort();
    if (f->municipality != NULL) { /* only the municipality's sites: their run in by_fold */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(m->by_fold[mid]->fold, sf.fold) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (hi = lo; hi < m->nsites && strcmp(m->by_fold[hi]->fold, sf.fold) == 0; hi++)
            ;
    }
    for (size_t k = lo; k < hi; k++) {
        size_t s = f->municipality != NULL ? (size_t)(m->by_fold[k] - m->sites) : k;
        ok[s] = site_matches(&m->sites[s], &sf);
        if (ok[s])
            cap += m->sites[s].schedules;
    }
    cand = malloc((cap + 1) * sizeof(*cand));
    if (cand == NULL)
        abort();
    for (size_t s = 0; s < m->nsites; s++)
        if (ok[s]) {
            memcpy(cand + n, m->by_site + m->sites[s].first_schedule,
                   m->sites[s].schedules * sizeof(*cand));
            n += m->sites[s].schedules;
        }
    for (size_t k = 0; k < m->nmoved; k++) {
        const struct fm_exception *e = &m->exceptions[m->moved[k]];
        if (e->day < from || e->day > to || !ok[e->site])
            continue;
        /* the offer's schedules: a binary search for its first, then its run */
        size_t first = 0, last = m->nschedules;
        while (first < last) {
            size_t mid = (first + last) / 2;
            if (m->schedules[mid].offer < e->offer)
                first = mid + 1;
            else
                last = mid;
        }
        for (; first < m->nschedules && m->schedules[first].offer == e->offer; first++) {
            if (n == cap) {
                cap = cap * 2 + 16;
                cand = realloc(cand, cap * sizeof(*cand));
                if (cand == NULL)
                    abort();
            }
            cand[n++] = (uint32_t)first;
        }
    }
    qsort(cand, n, sizeof(*cand), by_index); /* ORDER BY o.id, sc.position */

    memset(out, 0, sizeof(*out));
    out->json = json_array();
    out->rows = calloc(n + 1, sizeof(*out->rows));
    if (out->rows == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && cand[i] == cand[i - 1])
            continue; /* UNION */
        const struct fm_schedule *sc = &m->schedules[cand[i]];
        const struct fm_offer *o = &m->offers[sc->offer];
        struct fm_site *s = &m->sites[sc->site];
        const struct fm_partner *p = &m->partners[o->partner];
        if (sc->dtstart > to || (sc->until != DAY_NONE && sc->until < from))
            continue;
        if (!offer_matches(o, m, f, f->q ? qfold : NULL))
            continue;
        struct feed_row *row = &out->rows[out->n++];
        json_t *shown = site_shown(s, slot, lang);
        int64_t changed = o->updated;
        if (s->updated > changed)
            changed = s->updated;
        if (p->updated > changed)
            changed = p->updated;
        *row = (struct feed_row){
            .offer_id = o->id,
            .title = o->title,
            .description = o->description,
            .price_note = o->price_note,
            .functions = o->functions,
            .categories = o->categories,
            .free = o->free,
            .version = o->version,
            .changed = changed,
            .partner_id = p->id,
            .partner_name = p->name,
            .dtstart = sc->dtstart,
            .until = sc->until,
            .rrule = sc->rrule,
            .start_min = sc->start_min,
            .end_min = sc->end_min,
            .timezone = s->timezone,
            .site = shown,
            .site_text = site_shown_text(s, slot, shown),
            .site_shown = true,
            .site_ok = ok[sc->site],
            .exceptions = m->empty,
            .closures = m->empty,
            .registration = o->registration,
            .kind = o->kind,
            .audience = o->audience,
            .contact_email = first_of(o->email, p->email, s->email),
            .contact_phone = first_of(o->phone, p->phone, s->phone),
            .main_language = o->main_language,
            .translations = o->translations,
        };
        row->language = row->main_language;
        if (o->exceptions > 0) {
            row->exceptions = exceptions_json(m, o, from, to, &sf);
            json_array_append_new(out->json, row->exceptions);
        }
        if (s->closures > 0) {
            row->closures = closures_json(m, s, from, to);
            json_array_append_new(out->json, row->closures);
        }
    }
    free(cand);
    free(ok);
    out->model = m;
    return true;
}
