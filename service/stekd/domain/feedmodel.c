/*
 * Feed queries answered from the in-memory model (feedmodel.h): the same rows,
 * in the same order, as the feed statement (db/statements.def, feed_rows).
 * Each filter below names the SQL it stands for.
 */
#include "stek/feedmodel.h"
#include "stek/crypto.h"
#include "stek/date.h"
#include "stek/feed.h"
#include "stek/i18n.h"
#include "stek/search.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { K_SITE, K_PARTNER, K_OFFER, K_LIST };

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size);
    if (p == NULL)
        abort();
    return p;
}

/* ---- records ---- */

void
fm_site_free(struct fm_site *s)
{
    if (s == NULL)
        return;
    for (int l = 0; l < FM_LANGS; l++) {
        json_decref(atomic_load(&s->shown[l]));
        free(atomic_load(&s->shown_text[l]));
    }
    for (uint32_t i = 0; i < s->nclosures; i++)
        json_decref(s->closures[i].translations);
    free(s); /* its strings and closures live in the same allocation */
}

void
fm_partner_free(struct fm_partner *p)
{
    free(p);
}

void
fm_offer_free(struct fm_offer *o)
{
    if (o == NULL)
        return;
    json_decref(o->functions);
    json_decref(o->categories);
    json_decref(o->translations);
    free(o->terms);
    for (uint32_t i = 0; i < o->nexceptions; i++)
        json_decref(o->exceptions[i].translations);
    free(o); /* its strings, schedules and exceptions live in the same allocation */
}

static void
free_item(void *p, int kind)
{
    switch (kind) {
    case K_SITE:
        fm_site_free(p);
        break;
    case K_PARTNER:
        fm_partner_free(p);
        break;
    case K_OFFER:
        fm_offer_free(p);
        break;
    default:
        free(p);
    }
}

/* ---- versions ---- */

struct feed_model *
feed_model_new(int32_t first_day, int32_t last_day)
{
    struct feed_model *m = xcalloc(1, sizeof(*m));

    atomic_init(&m->refs, 1);
    m->first_day = first_day;
    m->last_day = last_day;
    m->empty = json_array();
    return m;
}

static void *
copy_array(const void *p, size_t n, size_t cap, size_t size)
{
    void *c = xcalloc(cap, size);
    if (n > 0)
        memcpy(c, p, n * size);
    return c;
}

struct feed_model *
feed_model_derive(const struct feed_model *old)
{
    struct feed_model *m = feed_model_new(old->first_day, old->last_day);

    m->generation = old->generation;
    m->change_seq = old->change_seq;
    m->nsites = old->nsites;
    m->npartners = old->npartners;
    m->noffers = old->noffers;
    m->cap_sites = old->nsites + 8;
    m->cap_partners = old->npartners + 8;
    m->cap_offers = old->noffers + 64;
    m->sites = copy_array(old->sites, old->nsites, m->cap_sites, sizeof(*m->sites));
    m->by_site = copy_array(old->by_site, old->nsites, m->cap_sites, sizeof(*m->by_site));
    m->partners = copy_array(old->partners, old->npartners, m->cap_partners, sizeof(*m->partners));
    m->offers = copy_array(old->offers, old->noffers, m->cap_offers, sizeof(*m->offers));
    m->moved = old->moved;
    m->by_fold = old->by_fold;
    m->ordered_offers = old->ordered_offers;
    m->indexed = old->indexed;
    m->active_offers = old->active_offers;
    m->active_schedules = old->active_schedules;
    return m;
}

static void
retire(struct feed_model *m, void *item, int kind)
{
    struct fm_retired *r = &m->retired;

    if (item == NULL)
        return;
    if (r->n == r->cap) {
        r->cap = r->cap * 2 + 16;
        r->items = realloc(r->items, r->cap * sizeof(*r->items));
        r->kinds = realloc(r->kinds, r->cap);
        if (r->items == NULL || r->kinds == NULL)
            abort();
    }
    r->items[r->n] = item;
    r->kinds[r->n++] = (unsigned char)kind;
}

/* Replaces what a version holds at *at (was) by now: was is freed at once when this version
 * made it, else retired (the version it came from still shows it). */
static void
replace(struct feed_model *m, void *was, bool shared, int kind)
{
    if (was == NULL)
        return;
    if (shared)
        retire(m, was, kind);
    else
        free_item(was, kind);
}

/* Room for slot in an array of n entries with room for cap. */
static void *
room(void *p, size_t *n, size_t *cap, uint32_t slot, size_t size)
{
    if (slot < *n)
        return p;
    if (slot >= *cap) {
        size_t was = *cap;
        *cap = (slot + 1) * 2;
        p = realloc(p, *cap * size);
        if (p == NULL)
            abort();
        memset((char *)p + was * size, 0, (*cap - was) * size);
    }
    *n = slot + 1;
    return p;
}

/* ---- the lists of slots ---- */

/* A copy of the sorted list l (NULL: empty) with slot added, or without it. */
static struct fm_list *
list_with(const struct fm_list *l, uint32_t slot, bool add)
{
    uint32_t n = l != NULL ? l->n : 0, k = 0, i = 0;
    struct fm_list *c = malloc(sizeof(*c) + (n + 1) * sizeof(uint32_t));

    if (c == NULL)
        abort();
    for (; i < n && l->slot[i] < slot; i++)
        c->slot[k++] = l->slot[i];
    if (add)
        c->slot[k++] = slot;
    if (i < n && l->slot[i] == slot)
        i++;
    for (; i < n; i++)
        c->slot[k++] = l->slot[i];
    c->n = k;
    return c;
}

/* Adds or removes an offer slot in a list of m (by_site's of a site, or moved). */
static void
list_change(struct feed_model *m, struct fm_list **at, struct fm_list *const *at_from,
            uint32_t slot, bool add)
{
    struct fm_list *was = *at;
    struct fm_list *now = list_with(was, slot, add);

    if (now->n == 0) {
        free(now);
        now = NULL;
    }
    replace(m, was, at_from != NULL && *at_from == was, K_LIST);
    *at = now;
}

/* Whether one of the first n schedules is at site. */
static bool
at_site(const struct fm_schedule *sc, uint32_t n, uint32_t site)
{
    for (uint32_t i = 0; i < n; i++)
        if (sc[i].site == site)
            return true;
    return false;
}

static bool
offer_at_site(const struct fm_offer *o, uint32_t site)
{
    return o != NULL && at_site(o->schedules, o->nschedules, site);
}

/* The by_site entry of site slot s in from, or NULL when from has none. */
static struct fm_list *const *
from_site_list(const struct feed_model *from, uint32_t s)
{
    return from != NULL && s < from->nsites ? &from->by_site[s] : NULL;
}

/* The sites where offer a has a schedule and b has none: slot leaves (add false) or joins
 * (add true) their lists. */
static void
sites_only_in(struct feed_model *m, const struct feed_model *from, uint32_t slot,
              const struct fm_offer *a, const struct fm_offer *b, bool add)
{
    for (uint32_t i = 0; a != NULL && i < a->nschedules; i++) {
        uint32_t s = a->schedules[i].site;
        if (!at_site(a->schedules, i, s) && !offer_at_site(b, s)) /* each site once */
            list_change(m, &m->by_site[s], from_site_list(from, s), slot, add);
    }
}

void
feed_model_put_offer(struct feed_model *m, struct feed_model *from, uint32_t slot,
                     struct fm_offer *o)
{
    m->offers = room(m->offers, &m->noffers, &m->cap_offers, slot, sizeof(*m->offers));
    struct fm_offer *was = m->offers[slot];
    bool shared = from != NULL && slot < from->noffers && from->offers[slot] == was;

    if (m->indexed) {
        /* The sites it left and joined, and whether it moves an occurrence elsewhere. */
        sites_only_in(m, from, slot, was, o, false);
        sites_only_in(m, from, slot, o, was, true);
        bool moved_was = was != NULL && was->moves, moved_now = o != NULL && o->moves;
        if (moved_was != moved_now)
            list_change(m, &m->moved, from != NULL ? &from->moved : NULL, slot, moved_now);
    }
    if (was != NULL) {
        m->active_offers--;
        m->active_schedules -= was->nschedules;
    }
    if (o != NULL) {
        m->active_offers++;
        m->active_schedules += o->nschedules;
    }
    replace(m, was, shared, K_OFFER);
    m->offers[slot] = o;
}

void
feed_model_put_site(struct feed_model *m, struct feed_model *from, uint32_t slot, struct fm_site *s)
{
    size_t n = m->nsites, cap = m->cap_sites; /* the two arrays grow alike */
    m->sites = room(m->sites, &n, &cap, slot, sizeof(*m->sites));
    m->by_site = room(m->by_site, &m->nsites, &m->cap_sites, slot, sizeof(*m->by_site));
    struct fm_site *was = m->sites[slot];
    replace(m, was, from != NULL && slot < from->nsites && from->sites[slot] == was, K_SITE);
    m->sites[slot] = s;
}

void
feed_model_put_partner(struct feed_model *m, struct feed_model *from, uint32_t slot,
                       struct fm_partner *p)
{
    m->partners = room(m->partners, &m->npartners, &m->cap_partners, slot, sizeof(*m->partners));
    struct fm_partner *was = m->partners[slot];
    replace(m, was, from != NULL && slot < from->npartners && from->partners[slot] == was,
            K_PARTNER);
    m->partners[slot] = p;
}

static const struct feed_model *fold_model; /* qsort has no context: set under fold_lock */
static pthread_mutex_t fold_lock = PTHREAD_MUTEX_INITIALIZER;

static int
by_fold(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c = strcmp(fold_model->sites[x]->fold, fold_model->sites[y]->fold);
    return c != 0 ? c : (x > y) - (x < y);
}

/* The site slots in order of their folded municipality. */
static struct fm_list *
make_by_fold(const struct feed_model *m)
{
    struct fm_list *l = malloc(sizeof(*l) + (m->nsites + 1) * sizeof(uint32_t));

    if (l == NULL)
        abort();
    l->n = 0;
    for (size_t i = 0; i < m->nsites; i++)
        if (m->sites[i] != NULL)
            l->slot[l->n++] = (uint32_t)i;
    pthread_mutex_lock(&fold_lock);
    fold_model = m;
    qsort(l->slot, l->n, sizeof(uint32_t), by_fold);
    fold_model = NULL;
    pthread_mutex_unlock(&fold_lock);
    return l;
}

static int
by_id(const void *a, const void *b)
{
    return strcmp((*(struct fm_offer *const *)a)->id, (*(struct fm_offer *const *)b)->id);
}

void
feed_model_sort_offers(struct feed_model *m)
{
    if (m->noffers > 1)
        qsort(m->offers, m->noffers, sizeof(*m->offers), by_id);
    m->ordered_offers = (uint32_t)m->noffers;
}

void
feed_model_sites_changed(struct feed_model *m, struct feed_model *from)
{
    struct fm_list *was = m->by_fold;

    m->by_fold = make_by_fold(m);
    replace(m, was, from != NULL && from->by_fold == was, K_LIST);
}

bool
feed_model_index(struct feed_model *m)
{
    uint32_t *count = xcalloc(m->nsites + 1, sizeof(*count));
    size_t nmoved = 0;

    /* Every slot a record points to must hold a record. */
    for (size_t i = 0; i < m->noffers; i++) {
        const struct fm_offer *o = m->offers[i];
        if (o == NULL)
            continue;
        bool bad = o->site >= m->nsites || m->sites[o->site] == NULL ||
                   o->partner >= m->npartners || m->partners[o->partner] == NULL;
        for (uint32_t k = 0; k < o->nschedules && !bad; k++) {
            uint32_t s = o->schedules[k].site;
            bad = s >= m->nsites || m->sites[s] == NULL;
            if (!bad && !at_site(o->schedules, k, s)) /* each site once */
                count[s]++;
        }
        for (uint32_t k = 0; k < o->nexceptions && !bad; k++) {
            uint32_t s = o->exceptions[k].site;
            bad = s != FM_NONE && (s >= m->nsites || m->sites[s] == NULL);
        }
        if (bad) {
            free(count);
            return false;
        }
        nmoved += o->moves;
    }
    /* The offers of each site in slot order (a counting sort). */
    for (size_t s = 0; s < m->nsites; s++) {
        if (count[s] == 0)
            continue;
        m->by_site[s] = malloc(sizeof(struct fm_list) + count[s] * sizeof(uint32_t));
        if (m->by_site[s] == NULL)
            abort();
        m->by_site[s]->n = 0;
    }
    m->moved = malloc(sizeof(struct fm_list) + (nmoved + 1) * sizeof(uint32_t));
    if (m->moved == NULL)
        abort();
    m->moved->n = 0;
    for (size_t i = 0; i < m->noffers; i++) {
        const struct fm_offer *o = m->offers[i];
        if (o == NULL)
            continue;
        for (uint32_t k = 0; k < o->nschedules; k++) {
            uint32_t s = o->schedules[k].site;
            struct fm_list *l = m->by_site[s];
            if (l->n == 0 || l->slot[l->n - 1] != (uint32_t)i)
                l->slot[l->n++] = (uint32_t)i;
        }
        if (o->moves)
            m->moved->slot[m->moved->n++] = (uint32_t)i;
    }
    free(count);
    m->by_fold = make_by_fold(m);
    m->indexed = true;
    return true;
}

void
feed_model_link(struct feed_model *old, struct feed_model *m)
{
    atomic_fetch_add(&m->refs, 1);
    old->next = m;
    old->retired = m->retired;
    m->retired = (struct fm_retired){0};
}

/* Frees what the last version of a chain holds: every record and list. */
static void
free_contents(struct feed_model *m)
{
    for (size_t i = 0; i < m->nsites; i++) {
        fm_site_free(m->sites[i]);
        free(m->by_site[i]);
    }
    for (size_t i = 0; i < m->npartners; i++)
        fm_partner_free(m->partners[i]);
    for (size_t i = 0; i < m->noffers; i++)
        fm_offer_free(m->offers[i]);
    free(m->moved);
    free(m->by_fold);
}

static void
free_arrays(struct feed_model *m)
{
    free(m->sites);
    free(m->by_site);
    free(m->partners);
    free(m->offers);
    free(m->retired.items);
    free(m->retired.kinds);
    json_decref(m->empty);
    free(m);
}

void
feed_model_discard(struct feed_model *m, const struct feed_model *from)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nsites; i++) {
        if (i >= from->nsites || from->sites[i] != m->sites[i])
            fm_site_free(m->sites[i]);
        if (i >= from->nsites || from->by_site[i] != m->by_site[i])
            free(m->by_site[i]);
    }
    for (size_t i = 0; i < m->npartners; i++)
        if (i >= from->npartners || from->partners[i] != m->partners[i])
            fm_partner_free(m->partners[i]);
    for (size_t i = 0; i < m->noffers; i++)
        if (i >= from->noffers || from->offers[i] != m->offers[i])
            fm_offer_free(m->offers[i]);
    if (m->moved != from->moved)
        free(m->moved);
    if (m->by_fold != from->by_fold)
        free(m->by_fold);
    free_arrays(m); /* what it retired stays with from */
}

void
feed_model_release(struct feed_model *m)
{
    /* A loop, not recursion: a reader that held an old version for long keeps a long chain. */
    while (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1) {
        struct feed_model *next = m->next;
        if (next != NULL) {
            for (size_t i = 0; i < m->retired.n; i++)
                free_item(m->retired.items[i], m->retired.kinds[i]);
        } else {
            free_contents(m);
        }
        free_arrays(m);
        m = next;
    }
}

/* ---- ids to slots ---- */

static size_t
id_hash(const char *id)
{
    return stek_fnv1a(STEK_FNV_BASIS, id);
}

uint32_t
fm_ids_get(const struct fm_ids *ids, const char *id)
{
    if (ids->size == 0)
        return FM_NONE;
    for (size_t i = id_hash(id) & (ids->size - 1);; i = (i + 1) & (ids->size - 1)) {
        if (ids->table[i].id == NULL)
            return FM_NONE;
        if (strcasecmp(ids->table[i].id, id) == 0)
            return ids->table[i].slot;
    }
}

static void
ids_insert(struct fm_ids *ids, const char *id, uint32_t slot)
{
    size_t i = id_hash(id) & (ids->size - 1);
    while (ids->table[i].id != NULL && strcasecmp(ids->table[i].id, id) != 0)
        i = (i + 1) & (ids->size - 1);
    if (ids->table[i].id == NULL)
        ids->n++;
    ids->table[i] = (struct fm_id_entry){id, slot};
}

void
fm_ids_put(struct fm_ids *ids, const char *id, uint32_t slot)
{
    if ((ids->n + 1) * 2 > ids->size) { /* at most half full: short probes */
        struct fm_id_entry *old = ids->table;
        size_t n = ids->size;
        ids->size = n == 0 ? 1024 : n * 2;
        ids->table = xcalloc(ids->size, sizeof(*ids->table));
        ids->n = 0;
        for (size_t i = 0; i < n; i++)
            if (old[i].id != NULL)
                ids_insert(ids, old[i].id, old[i].slot);
        free(old);
    }
    ids_insert(ids, id, slot);
}

void
fm_ids_remove(struct fm_ids *ids, const char *id)
{
    size_t mask = ids->size - 1, i;

    if (ids->size == 0)
        return;
    for (i = id_hash(id) & mask; ids->table[i].id != NULL; i = (i + 1) & mask)
        if (strcasecmp(ids->table[i].id, id) == 0)
            break;
    if (ids->table[i].id == NULL)
        return;
    uint32_t slot = ids->table[i].slot;
    /* Backward-shift deletion: later entries of the probe run move up into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; ids->table[j].id != NULL; j = (j + 1) & mask) {
        size_t home = id_hash(ids->table[j].id) & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            ids->table[hole] = ids->table[j];
            hole = j;
        }
    }
    ids->table[hole] = (struct fm_id_entry){0};
    ids->n--;
    if (slot >= ids->ordered && ids->nfree == ids->free_cap) {
        ids->free_cap = ids->free_cap * 2 + 16;
        ids->free_slots = realloc(ids->free_slots, ids->free_cap * sizeof(uint32_t));
        if (ids->free_slots == NULL)
            abort();
    }
    if (slot >= ids->ordered)
        ids->free_slots[ids->nfree++] = slot;
}

uint32_t
fm_ids_new_slot(struct fm_ids *ids)
{
    return ids->nfree > 0 ? ids->free_slots[--ids->nfree] : ids->next_slot++;
}

void
fm_ids_clear(struct fm_ids *ids)
{
    free(ids->table);
    free(ids->free_slots);
    *ids = (struct fm_ids){0};
}

/* ---- stek_fold ---- */

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
            for (const char *p = stek_fold_from; *p != '\0'; p += 2, k++)
                if (p[0] == s[0] && p[1] == s[1]) {
                    hit = p;
                    break;
                }
            if (hit == NULL)
                return false;
            ascii = stek_fold_to[k];
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

/* The offer filters of feed_rows' WHERE clause ($9-$15). */
static bool
offer_matches(const struct fm_offer *o, const struct feed_model *m, const struct feed_filter *f)
{
    return (f->confirmed_since == NULL || o->confirmed >= strtoll(f->confirmed_since, NULL, 10)) &&
           (f->partner == NULL || strcasecmp(m->partners[o->partner]->id, f->partner) == 0) &&
           (f->function == NULL || has_name(o->functions, f->function)) &&
           (f->category == NULL || has_name(o->categories, f->category)) &&
           (f->free == NULL || o->free == offer_fact_of(f->free)) &&
           (f->search == NULL || search_mask(f->search, o->terms, o->nterms) != 0) &&
           (f->kind == NULL || strcmp(o->kind, f->kind) == 0);
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

    for (uint32_t k = 0; k < o->nexceptions; k++) {
        const struct fm_exception *e = &o->exceptions[k];
        if (e->day < from || e->day > to)
            continue;
        const struct fm_site *es = e->site != FM_NONE ? m->sites[e->site] : NULL;
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
closures_json(const struct fm_site *s, int32_t from, int32_t to)
{
    json_t *a = json_array();

    for (uint32_t k = 0; k < s->nclosures; k++) {
        const struct fm_closure *c = &s->closures[k];
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

/* A candidate offer: its slot, and whether every schedule of it is a candidate (an occurrence
 * moved to a matching site), not only those at a matching site. ordered: its slot is below
 * ordered_offers, where slot order is id order. */
struct cand {
    const char *id;
    uint32_t slot;
    bool all, ordered;
};

static int
by_offer_id(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    int c =
        x->ordered && y->ordered ? (x->slot > y->slot) - (x->slot < y->slot) : strcmp(x->id, y->id);
    return c != 0 ? c : (y->all > x->all) - (x->all > y->all); /* "all" first */
}

static const char *
first_of(const char *a, const char *b, const char *c)
{
    return a != NULL ? a : b != NULL ? b : c;
}

static void
add_cand(struct cand **c, size_t *n, size_t *cap, const struct feed_model *m, uint32_t slot,
         bool all)
{
    if (*n == *cap) {
        *cap = *cap * 2 + 64;
        *c = realloc(*c, *cap * sizeof(**c));
        if (*c == NULL)
            abort();
    }
    (*c)[(*n)++] = (struct cand){m->offers[slot]->id, slot, all, slot < m->ordered_offers};
}

/* One row of the answer: a schedule of an offer, as db/feed.c decodes the statement's. */
static void
fill_row(struct feed_model *m, struct feed_row *row, const struct fm_offer *o,
         const struct fm_schedule *sc, int slot, const char *lang, bool site_ok)
{
    struct fm_site *s = m->sites[sc->site];
    const struct fm_partner *p = m->partners[o->partner];
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
        .site_ok = site_ok,
        .exceptions = m->empty,
        .closures = m->empty,
        .registration = o->registration,
        .kind = o->kind,
        .audience = o->audience,
        .contact_email = first_of(o->email, p->email, s->email),
        .contact_phone = first_of(o->phone, p->phone, s->phone),
        .main_language = o->main_language,
        .translations = o->translations,
        .confirmed = o->confirmed,
    };
    row->language = row->main_language;
}

/* The run of by_fold whose sites are in the municipality (folded), as [*lo, *hi). */
static void
municipality_run(const struct feed_model *m, const char *fold, size_t *lo, size_t *hi)
{
    const struct fm_list *sites = m->by_fold;

    while (*lo < *hi) {
        size_t mid = (*lo + *hi) / 2;
        if (strcmp(m->sites[sites->slot[mid]]->fold, fold) < 0)
            *lo = mid + 1;
        else
            *hi = mid;
    }
    for (*hi = *lo; *hi < sites->n && strcmp(m->sites[sites->slot[*hi]]->fold, fold) == 0; (*hi)++)
        ;
}

/*
 * The candidates, sorted by offer id (ORDER BY o.id, sc.position): offers with a schedule at a
 * matching site, and offers with an occurrence moved to a matching site in the window (all
 * their schedules: the statement's cand). ok[site] says which sites match.
 */
static struct cand *
candidates(const struct feed_model *m, const struct feed_filter *f,
           const struct model_site_filter *sf, int32_t from, int32_t to, bool *ok, size_t *n)
{
    const struct fm_list *sites = m->by_fold;
    size_t lo = 0, hi = sites->n, cap = 0;
    struct cand *cand = NULL;

    *n = 0;
    if (f->municipality != NULL) /* only the municipality's sites: their run in by_fold */
        municipality_run(m, sf->fold, &lo, &hi);
    for (size_t k = lo; k < hi; k++) {
        uint32_t s = sites->slot[k];
        ok[s] = site_matches(m->sites[s], sf);
        const struct fm_list *l = m->by_site[s];
        for (uint32_t i = 0; ok[s] && l != NULL && i < l->n; i++)
            if (offer_matches(m->offers[l->slot[i]], m, f))
                add_cand(&cand, n, &cap, m, l->slot[i], false);
    }
    for (uint32_t k = 0; m->moved != NULL && k < m->moved->n; k++) {
        const struct fm_offer *o = m->offers[m->moved->slot[k]];
        for (uint32_t i = 0; i < o->nexceptions; i++) {
            const struct fm_exception *e = &o->exceptions[i];
            if (e->site != FM_NONE && e->day >= from && e->day <= to && ok[e->site]) {
                if (offer_matches(o, m, f))
                    add_cand(&cand, n, &cap, m, m->moved->slot[k], true);
                break;
            }
        }
    }
    if (*n > 1)
        qsort(cand, *n, sizeof(*cand), by_offer_id);
    return cand;
}

/* The rows of the candidates' schedules in the window, as the feed statement returns them. */
static void
candidate_rows(struct feed_model *m, const struct cand *cand, size_t n, const bool *ok,
               const struct model_site_filter *sf, int32_t from, int32_t to, int slot,
               const char *lang, const struct search_query *search, struct db_feed *out)
{
    size_t rows = 0;

    memset(out, 0, sizeof(*out));
    out->json = json_array();
    for (size_t i = 0; i < n; i++)
        rows += m->offers[cand[i].slot]->nschedules;
    out->rows = calloc(rows + 1, sizeof(*out->rows));
    if (out->rows == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && cand[i].slot == cand[i - 1].slot)
            continue; /* UNION (the first of a run has "all" when any has) */
        const struct fm_offer *o = m->offers[cand[i].slot]; /* its filters: when added */
        for (uint32_t k = 0; k < o->nschedules; k++) {
            const struct fm_schedule *sc = &o->schedules[k];
            if ((!cand[i].all && !ok[sc->site]) || sc->dtstart > to ||
                (sc->until != DAY_NONE && sc->until < from))
                continue;
            struct feed_row *row = &out->rows[out->n++];
            fill_row(m, row, o, sc, slot, lang, ok[sc->site]);
            if (search != NULL)
                row->search_mask = search_mask(search, o->terms, o->nterms);
            if (o->nexceptions > 0) {
                row->exceptions = exceptions_json(m, o, from, to, sf);
                json_array_append_new(out->json, row->exceptions);
            }
            const struct fm_site *s = m->sites[sc->site];
            if (s->nclosures > 0) {
                row->closures = closures_json(s, from, to);
                json_array_append_new(out->json, row->closures);
            }
        }
    }
    out->model = m;
}

bool
feed_model_query(struct feed_model *m, const struct feed_filter *f, int32_t from, int32_t to,
                 const char *lang, struct db_feed *out)
{
    struct model_site_filter sf = {
        .municipality = f->municipality, .postal_code = f->postal_code, .site = f->site};
    int slot = lang_slot(lang);
    size_t n;

    if (from < m->first_day || to > m->last_day || slot < 0)
        return false;
    if (f->municipality != NULL && !feed_fold(f->municipality, sf.fold, sizeof(sf.fold)))
        return false;
    if (f->lat != NULL) {
        sf.near = true;
        sf.lat = strtod(f->lat, NULL);
        sf.lon = strtod(f->lon, NULL);
        sf.radius_km = strtod(f->radius_km, NULL);
    }
    bool *ok = calloc(m->nsites + 1, 1);
    if (ok == NULL)
        abort();
    struct cand *cand = candidates(m, f, &sf, from, to, ok, &n);
    candidate_rows(m, cand, n, ok, &sf, from, to, slot, lang, f->search, out);
    free(cand);
    free(ok);
    return true;
}

size_t
feed_model_confirmed_before(const struct feed_model *m, int64_t before)
{
    size_t n = 0;
    for (size_t i = 0; m != NULL && i < m->noffers; i++)
        n += m->offers[i] != NULL && m->offers[i]->confirmed < before;
    return n;
}
