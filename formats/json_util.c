/* json_util.c — strict JSON reading and deterministic writing on top of jansson.
 * jansson bounds nesting depth (JSON_PARSER_MAX_DEPTH, 2048) so a deeply nested document
 * cannot exhaust the stack; our documents are then checked key by key. */
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

enum ota_status ota_json_load_object(json_t **out, const char *buf, size_t len, const char *what,
                                     struct ota_err *err)
{
    json_error_t je;
    *out = NULL;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        char shown[4 * 80 + 8]; /* jansson quotes the offending input: escape it */
        return ota_err_set(err, OTA_E_FORMAT, "%s: invalid JSON at line %d: %s", what, je.line,
                           ota_printable(shown, sizeof shown, je.text, 80));
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return ota_err_set(err, OTA_E_FORMAT, "%s: not a JSON object", what);
    }
    *out = j;
    return OTA_OK;
}

enum ota_status ota_json_only_keys(const json_t *obj, const char *const *allowed, const char *what,
                                   struct ota_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        (void)v;
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (!strcmp(*a, key))
                ok = 1;
        if (!ok) {
            char shown[4 * 64 + 8];
            return ota_err_set(err, OTA_E_FORMAT, "%s: unknown field '%s'", what,
                               ota_printable(shown, sizeof shown, key, 64));
        }
    }
    return OTA_OK;
}

enum ota_status ota_json_get_str(char *out, size_t max, const json_t *obj, const char *key,
                                 const char *what, struct ota_err *err)
{
    out[0] = '\0';
    json_t *v = json_object_get(obj, key);
    if (!v)
        return ota_err_set(err, OTA_E_FORMAT, "%s: missing field '%s'", what, key);
    if (!json_is_string(v))
        return ota_err_set(err, OTA_E_FORMAT, "%s: field '%s' is not a string", what, key);
    size_t n = json_string_length(v);
    if (n > max)
        return ota_err_set(err, OTA_E_LIMIT, "%s: field '%s' longer than %zu bytes", what, key,
                           max);
    memcpy(out, json_string_value(v), n);
    out[n] = '\0';
    return OTA_OK;
}

enum ota_status ota_json_get_u64(uint64_t *out, uint64_t max, const json_t *obj, const char *key,
                                 const char *what, struct ota_err *err)
{
    *out = 0;
    json_t *v = json_object_get(obj, key);
    if (!v)
        return ota_err_set(err, OTA_E_FORMAT, "%s: missing field '%s'", what, key);
    if (!json_is_integer(v))
        return ota_err_set(err, OTA_E_FORMAT, "%s: field '%s' is not an integer", what, key);
    json_int_t i = json_integer_value(v);
    if (i < 0 || (uint64_t)i > max)
        return ota_err_set(err, OTA_E_LIMIT, "%s: field '%s' out of range (0..%llu)", what, key,
                           (unsigned long long)max);
    *out = (uint64_t)i;
    return OTA_OK;
}

enum ota_status ota_json_dump(char **out, size_t *len, const json_t *root, const char *what,
                              struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!s)
        return ota_err_set(err, OTA_E_NOMEM, "%s: cannot serialise", what);
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return ota_err_set(err, OTA_E_NOMEM, "%s: out of memory", what);
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    *out = t;
    *len = n + 1;
    return OTA_OK;
}
