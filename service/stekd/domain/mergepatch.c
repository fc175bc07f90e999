#include "stek/mergepatch.h"

json_t *
merge_patch_steal(json_t *target, const json_t *patch)
{
    const char *key;
    json_t *value;

    if (!json_is_object(patch)) {
        json_decref(target);
        return json_deep_copy(patch);
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
    }
    json_object_foreach((json_t *)patch, key, value)
    {
        if (json_is_null(value)) {
            json_object_del(target, key);
        } else {
            json_t *cur = json_object_get(target, key);
            json_t *merged = merge_patch_steal(cur ? json_incref(cur) : json_null(), value);
            json_object_set_new(target, key, merged);
        }
    }
    return target;
}
