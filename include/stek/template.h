/*
 * Pages from templates (service/stekd/domain/template.c): a small Mustache engine over jansson
 * values, escaping by default. The markup and the words of a page live in a template file
 * under service/web/templates/ (embedded at build time); the C code builds a view model (a
 * JSON object, checked as data by the unit tests) and renders it here. Taler does the same
 * with mustach; no C Mustache library is packaged in Debian, and the subset below is small
 * enough to hold to Mustache's own specification by tests.
 *
 *   {{name}}              the value, HTML-escaped (& < > " '); a number as written; absent,
 *                         null or false: nothing. Dotted names (a.b) look inside objects,
 *                         and a number into an array (items.0: the first item).
 *   {{{name}}} {{&name}}  the value as it is (for markup the C code made: an SVG).
 *   {{#name}}..{{/name}}  an array: once per item, with the item as context; an object: once,
 *                         in it; true, a non-empty string or a number: once; else not.
 *   {{^name}}..{{/name}}  once when {{#name}} would not run.
 *   {{! comment}}         nothing.
 *   {{.}}                 the current item.
 * Names are looked up in the innermost context first, then outwards. No partials, no
 * delimiter changes, no lambdas.
 */
#ifndef STEK_TEMPLATE_H
#define STEK_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

/*
 * Renders tmpl with view; a malloc'd NUL-terminated text (*len bytes), or NULL with err set
 * when the template is malformed (an unclosed tag or section). Never fails on the view.
 */
char *template_render(const char *tmpl, const json_t *view, size_t *len, char *err, size_t errlen);

/* An embedded template of service/web/templates/ by file name ("month.html"), or NULL. */
const char *template_named(const char *name);

/*
 * The one way a page is made: the embedded template name rendered with view (taken). The
 * templates are part of the binary and each is rendered by a unit test, so a malformed one
 * cannot ship: it aborts.
 */
char *template_page(const char *name, json_t *view, size_t *len);

#endif
