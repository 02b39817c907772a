/* json_util.h — private helpers for the strict JSON documents of formats/. */
#ifndef OTAPACK_JSON_UTIL_H
#define OTAPACK_JSON_UTIL_H

#include <jansson.h>
#include <stdint.h>

#include "otapack/err.h"

/* Parses len bytes as one JSON object: duplicate keys, NUL escapes and trailing bytes are
 * rejected. what names the document in errors. */
enum ota_status ota_json_load_object(json_t **out, const char *buf, size_t len, const char *what,
                                     struct ota_err *err);

/* Fails if obj has a key that is not in the NULL-terminated list allowed. */
enum ota_status ota_json_only_keys(const json_t *obj, const char *const *allowed, const char *what,
                                   struct ota_err *err);

/* Copies a required string member of at most max bytes into out (size max+1). */
enum ota_status ota_json_get_str(char *out, size_t max, const json_t *obj, const char *key,
                                 const char *what, struct ota_err *err);

/* Reads a required non-negative integer member no larger than max. */
enum ota_status ota_json_get_u64(uint64_t *out, uint64_t max, const json_t *obj, const char *key,
                                 const char *what, struct ota_err *err);

/* Serialises deterministically: sorted keys, 2-space indent, final newline. */
enum ota_status ota_json_dump(char **out, size_t *len, const json_t *root, const char *what,
                              struct ota_err *err);

#endif
