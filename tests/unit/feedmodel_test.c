/*
 * The feed model's versions and id table (domain/feedmodel.c), without a database: long random
 * sequences of changes against a plain recomputation. Every version of a chain is checked to
 * hold exactly the records put into it and indexes equal to ones rebuilt from scratch; old
 * versions are held by "readers" and released in random order, so AddressSanitizer sees any
 * record freed while a version could still show it, or never freed.
 */
#include "check.h"
#include "stek/feedmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDS 600
#define SITES 12

static char id_text[IDS][40];

static uint64_t rng_state = 29;

static uint32_t
rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33) % n;
}

/* ---- the id table against an array ---- */

static void
test_ids(void)
{
    struct fm_ids ids = {0};
    uint32_t want[IDS];
    bool bad = false, reused_ordered = false;

    for (int i = 0; i < IDS; i++) {
        snprintf(id_text[i], sizeof(id_text[i]), "%08x-0000-4000-8000-%012d",
                 (unsigned)i * 2654435761u, i);
        want[i] = FM_NONE;
    }
    ids.ordered = 40; /* as after a full load of 40 offers */
    ids.next_slot = 40;
    for (int i = 0; i < 40; i++) {
        fm_ids_put(&ids, id_text[i], (uint32_t)i);
        want[i] = (uint32_t)i;
    }
    for (int step = 0; step < 20000; step++) {
        int i = (int)rnd(IDS);
        if (want[i] == FM_NONE && rnd(2)) {
            want[i] = fm_ids_new_slot(&ids);
            reused_ordered |= want[i] < 40;
            fm_ids_put(&ids, id_text[i], want[i]);
        } else if (want[i] != FM_NONE && rnd(3) == 0) {
            fm_ids_remove(&ids, id_text[i]);
            want[i] = FM_NONE;
        }
        int k = (int)rnd(IDS);
        bad |= fm_ids_get(&ids, id_text[k]) != want[k];
    }
    for (int i = 0; i < IDS; i++)
        bad |= fm_ids_get(&ids, id_text[i]) != want[i];
    /* no two ids share a slot */
    for (int i = 0; i < IDS; i++)
        for (int j = i + 1; j < IDS && want[i] != FM_NONE; j++)
            bad |= want[i] == want[j];
    CHECK(!bad);
    CHECK(!reused_ordered); /* slots of the full load's order are never given to another id */
    fm_ids_clear(&ids);
}

/* ---- versions ---- */

static struct fm_site *
make_site(int k)
{
    struct fm_site *s = calloc(1, sizeof(*s));
    static const char *folds[] = {"kalmthout", "wuustwezel", "brecht"};
    s->id = id_text[k];
    s->fold = folds[k % 3];
    s->active = true;
    return s;
}

static struct fm_partner *
make_partner(int k)
{
    struct fm_partner *p = calloc(1, sizeof(*p));
    p->id = id_text[100 + k];
    return p;
}

/* An offer of id number k with 0-3 schedules at random sites and maybe an occurrence moved. */
static struct fm_offer *
make_offer(int k, uint32_t nsites)
{
    uint32_t ns = rnd(4), ne = rnd(3);
    struct fm_offer *o =
        calloc(1, sizeof(*o) + ns * sizeof(struct fm_schedule) + ne * sizeof(struct fm_exception));
    o->id = id_text[k];
    o->schedules = (struct fm_schedule *)(o + 1);
    o->exceptions = (struct fm_exception *)(o->schedules + ns);
    o->functions = json_array();
    o->categories = json_array();
    o->translations = json_object();
    o->site = rnd(nsites);
    for (uint32_t i = 0; i < ns; i++)
        o->schedules[o->nschedules++] =
            (struct fm_schedule){.site = rnd(2) ? o->site : rnd(nsites)};
    for (uint32_t i = 0; i < ne; i++) {
        o->exceptions[o->nexceptions] =
            (struct fm_exception){.day = (int32_t)i,
                                  .site = rnd(2) ? FM_NONE : rnd(nsites),
                                  .translations = json_object()};
        o->moves |= o->exceptions[o->nexceptions++].site != FM_NONE;
    }
    return o;
}

/* The version's indexes equal ones rebuilt from its records. */
static bool
indexes_hold(const struct feed_model *m)
{
    size_t schedules = 0, offers = 0;

    for (uint32_t s = 0; s < m->nsites; s++) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < m->noffers; i++) {
            const struct fm_offer *o = m->offers[i];
            bool at = false;
            for (uint32_t k = 0; o != NULL && k < o->nschedules; k++)
                at |= o->schedules[k].site == s;
            if (!at)
                continue;
            if (m->by_site[s] == NULL || n >= m->by_site[s]->n || m->by_site[s]->slot[n] != i)
                return false;
            n++;
        }
        if ((m->by_site[s] != NULL ? m->by_site[s]->n : 0) != n)
            return false;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->noffers; i++) {
        if (m->offers[i] == NULL)
            continue;
        offers++;
        schedules += m->offers[i]->nschedules;
        if (m->offers[i]->moves &&
            (m->moved == NULL || n >= m->moved->n || m->moved->slot[n++] != i))
            return false;
    }
    return (m->moved != NULL ? m->moved->n : 0) == n && offers == m->active_offers &&
           schedules == m->active_schedules && m->by_fold->n == m->nsites;
}

static void
test_versions(void)
{
    struct feed_model *m = feed_model_new(0, 100), *readers[8] = {NULL};
    uint32_t nsites = SITES;
    bool ok = true, discarded = false;

    for (uint32_t s = 0; s < nsites; s++)
        feed_model_put_site(m, NULL, s, make_site((int)s));
    for (uint32_t p = 0; p < 3; p++)
        feed_model_put_partner(m, NULL, p, make_partner((int)p));
    for (uint32_t i = 0; i < 50; i++)
        feed_model_put_offer(m, NULL, i, make_offer(200 + (int)i, nsites));
    CHECK(feed_model_index(m));
    ok &= indexes_hold(m);
    for (int step = 0; step < 400; step++) {
        struct feed_model *next = feed_model_derive(m);
        for (uint32_t c = 1 + rnd(4); c > 0; c--) {
            uint32_t what = rnd(10), slot = rnd((uint32_t)next->noffers + 3);
            if (what < 6) /* a changed, new or removed offer (the same slot twice sometimes) */
                feed_model_put_offer(next, m, slot,
                                     rnd(5) ? make_offer(200 + (int)rnd(300), nsites) : NULL);
            else if (what < 8) /* a changed site */
                feed_model_put_site(next, m, rnd(nsites), make_site((int)rnd(nsites)));
            else if (what < 9) { /* a new site */
                feed_model_put_site(next, m, (uint32_t)next->nsites, make_site((int)nsites));
                nsites = (uint32_t)next->nsites;
            } else {
                feed_model_put_partner(next, m, rnd(3), make_partner((int)rnd(3)));
            }
        }
        feed_model_sites_changed(next, m);
        ok &= indexes_hold(next);
        if (rnd(10) == 0) { /* a change that did not fit: dropped, m stays */
            nsites = (uint32_t)m->nsites;
            feed_model_discard(next, m);
            discarded = true;
            continue;
        }
        feed_model_link(m, next);
        /* A reader may keep the old version a while; the publisher lets it go. */
        int r = (int)rnd(8);
        if (readers[r] == NULL && rnd(2)) {
            readers[r] = m;
        } else {
            feed_model_release(m);
            int k = (int)rnd(8);
            feed_model_release(readers[k]);
            readers[k] = NULL;
        }
        m = next;
        for (int k = 0; k < 8; k++) /* what a reader holds is intact */
            ok &= readers[k] == NULL || indexes_hold(readers[k]);
    }
    CHECK(ok);
    CHECK(discarded);
    for (int k = 0; k < 8; k++)
        feed_model_release(readers[k]);
    feed_model_release(m); /* the last: AddressSanitizer reports anything left or freed twice */
}

void
test_feedmodel(void)
{
    test_ids();
    test_versions();
}
