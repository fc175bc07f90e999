/* libFuzzer: the one JSON validator (with nested objects and lists) and merge patch. */
#include "stek/jspec.h"
#include "stek/mergepatch.h"

#include <stdint.h>
#include <string.h>

static const char *const roles[] = {"admin", "partner", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *doc =
        json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    const char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL, *s5 = NULL, *s6 = NULL;
    const json_t *list = NULL, *arr = NULL, *obj = NULL;
    bool b = true;
    long long n = 0;
    double d = 0;
    struct jspec sub[] = {JS_STR("street", &s5, JF_REQUIRED, 1, 20), JS_DATEF("day", &s6, 0),
                          JS_SPEC_END};
    struct jspec spec[] = {
        JS_STR("name", &s1, JF_REQUIRED, 1, 200),
        JS_TXT("description", &s2, JF_NULLABLE, 50),
        JS_EMAILF("email", &s3, JF_NULLABLE),
        JS_URLF("website", &s4, JF_NULLABLE),
        JS_PHONEF("phone", &s4, 0),
        JS_ENUMF("role", &s4, 0, roles),
        JS_BOOLEAN("active", &b, 0),
        JS_INTEGER("n", &n, 0, -5, 5),
        JS_NUM("lat", &d, 0, -90, 90),
        JS_UUIDF("id2", &s4, 0),
        JS_TIMEF("at", &s4, 0),
        JS_LIST("tags", &list, 0, 0, 5, NULL),
        JS_ARR("items", &arr, 0, 3),
        JS_OBJ("address", &obj, JF_NULLABLE, sub),
        JS_RO("id"),
        JS_IGNORE("etag"),
        JS_SPEC_END,
    };

    if (doc == NULL)
        return 0;
    json_t *errors = json_array();
    if (json_is_object(doc))
        jspec_check(doc, spec, "", errors);
    json_decref(errors);
    /* Merge the input into a document, as PATCH does. */
    json_t *target = json_pack("{s:s, s:{s:i}, s:[i]}", "name", "x", "a", "b", 1, "c", 2);
    json_decref(merge_patch_steal(target, doc));
    json_decref(doc);
    return 0;
}
