/* Open Referral HSDS 3.0: the documents come whole from the database (migration 0016). */
#include "internal.h"

#include <stdlib.h>

enum db_qs
db_hsds(struct db_conn *c, enum hsds_query q, const char *const *params, size_t nparams,
        struct db_doc *out)
{
    static const struct {
        enum db_stmt stmt;
        size_t nparams;
    } map[] = {
        [HSDS_SERVICES] = {STMT_hsds_services, NPARAMS_hsds_services},
        [HSDS_SERVICE] = {STMT_hsds_service, NPARAMS_hsds_service},
        [HSDS_SERVICE_AT_LOCATIONS] = {STMT_hsds_service_at_locations,
                                       NPARAMS_hsds_service_at_locations},
        [HSDS_SERVICE_AT_LOCATION] = {STMT_hsds_service_at_location,
                                      NPARAMS_hsds_service_at_location},
        [HSDS_ORGANIZATIONS] = {STMT_hsds_organizations, NPARAMS_hsds_organizations},
        [HSDS_ORGANIZATION] = {STMT_hsds_organization, NPARAMS_hsds_organization},
        [HSDS_TAXONOMIES] = {STMT_hsds_taxonomies, NPARAMS_hsds_taxonomies},
        [HSDS_TAXONOMY] = {STMT_hsds_taxonomy, NPARAMS_hsds_taxonomy},
        [HSDS_TAXONOMY_TERMS] = {STMT_hsds_taxonomy_terms, NPARAMS_hsds_taxonomy_terms},
        [HSDS_TAXONOMY_TERM] = {STMT_hsds_taxonomy_term, NPARAMS_hsds_taxonomy_term},
    };
    if (nparams != map[q].nparams)
        abort(); /* a handler built the wrong parameter list: a bug, caught by any test */
    return db_query_doc(c, map[q].stmt, params, out);
}
