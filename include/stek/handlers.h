/* Endpoint handlers, one file per resource under service/stekd/handlers/. */
#ifndef STEK_HANDLERS_H
#define STEK_HANDLERS_H

#include "stek/http.h"

/* health.c */
void h_healthz(struct request *r);
void h_readyz(struct request *r);
void h_openapi(struct request *r);

/* partners.c */
void h_partners_list(struct request *r);
void h_partners_create(struct request *r);
void h_partners_get(struct request *r);
void h_partners_patch(struct request *r);
void h_partners_delete(struct request *r);

/* keys.c */
void h_keys_list(struct request *r);
void h_keys_create(struct request *r);
void h_keys_get(struct request *r);
void h_keys_delete(struct request *r);

/* audit.c */
void h_audit_list(struct request *r);

#endif
