/* manifest.c — parse, validate and serialise manifest.json (formats/FORMAT.md, "Manifest").
 * Owns: every rule about what a well-formed manifest is. Knows nothing about trust: callers
 * must verify the signature over the stored bytes before they call ota_manifest_parse_mem. */
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "otapack/codec.h"
#include "otapack/manifest.h"

static int charset_ok(const char *s, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n < 1 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            continue;
        if (!strchr(extra, c) || c == '\0')
            return 0;
    }
    return 1;
}

int ota_name_valid(const char *s)
{
    return s[0] != '.' && charset_ok(s, OTA_MAX_NAME_LEN, "._-");
}

int ota_ident_valid(const char *s)
{
    return charset_ok(s, OTA_MAX_STRING_LEN, "._+:-");
}

static int version_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > OTA_MAX_STRING_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return 0;
    return 1;
}

static int type_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > OTA_MAX_TYPE_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

const char *ota_compression_name(enum ota_compression c)
{
    return c == OTA_COMP_ZLIB ? "zlib" : "none";
}

long ota_manifest_find(const struct ota_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->n_payloads; i++)
        if (!strcmp(m->payloads[i].name, name))
            return (long)i;
    return -1;
}

void ota_manifest_free(struct ota_manifest *m)
{
    if (m) {
        free(m->payloads);
        memset(m, 0, sizeof *m);
    }
}

enum ota_status ota_manifest_validate(const struct ota_manifest *m, struct ota_err *err)
{
    if (m->format != OTA_FORMAT_VERSION)
        return ota_err_set(err, OTA_E_UNSUPPORTED, "manifest: format version %u not supported",
                           m->format);
    char shown[4 * 64 + 8];
    if (!ota_ident_valid(m->product))
        return ota_err_set(err, OTA_E_FORMAT, "manifest: invalid product '%s'",
                           ota_printable(shown, sizeof shown, m->product, 64));
    if (!version_valid(m->version))
        return ota_err_set(err, OTA_E_FORMAT, "manifest: invalid version string");
    if (m->n_hardware > OTA_MAX_HARDWARE)
        return ota_err_set(err, OTA_E_LIMIT, "manifest: more than %u hardware revisions",
                           OTA_MAX_HARDWARE);
    for (size_t i = 0; i < m->n_hardware; i++) {
        if (!ota_ident_valid(m->hardware[i]))
            return ota_err_set(err, OTA_E_FORMAT, "manifest: invalid hardware revision '%s'",
                               ota_printable(shown, sizeof shown, m->hardware[i], 64));
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->hardware[i], m->hardware[j]))
                return ota_err_set(err, OTA_E_FORMAT,
                                   "manifest: hardware revision '%s' listed twice", m->hardware[i]);
    }
    if (m->security_version > OTA_MAX_SECURITY_VERSION)
        return ota_err_set(err, OTA_E_LIMIT, "manifest: security_version out of range");
    if (m->created < 0 || m->created > OTA_MAX_TIME)
        return ota_err_set(err, OTA_E_FORMAT, "manifest: created is outside 1970..9999");
    if (m->expires < 0 || m->expires > OTA_MAX_TIME)
        return ota_err_set(err, OTA_E_FORMAT, "manifest: expires is outside 1970..9999");
    if (m->expires <= m->created)
        return ota_err_set(err, OTA_E_FORMAT, "manifest: expires is not after created");
    if (m->n_payloads > OTA_MAX_PAYLOADS)
        return ota_err_set(err, OTA_E_LIMIT, "manifest: more than %u payloads", OTA_MAX_PAYLOADS);
    for (size_t i = 0; i < m->n_payloads; i++) {
        const struct ota_payload *p = &m->payloads[i];
        if (!ota_name_valid(p->name) || !strcmp(p->name, OTA_MANIFEST_ENTRY) ||
            !strcmp(p->name, OTA_SIGBLOCK_ENTRY))
            return ota_err_set(err, OTA_E_FORMAT, "manifest: invalid payload name '%s'",
                               ota_printable(shown, sizeof shown, p->name, 64));
        for (size_t j = 0; j < i; j++)
            if (!strcmp(p->name, m->payloads[j].name))
                return ota_err_set(err, OTA_E_FORMAT, "manifest: payload '%s' listed twice",
                                   p->name);
        if (!type_valid(p->type))
            return ota_err_set(err, OTA_E_FORMAT, "manifest: payload '%s': invalid type", p->name);
        if (p->size > OTA_MAX_PAYLOAD_SIZE || p->raw_size > OTA_MAX_PAYLOAD_SIZE)
            return ota_err_set(err, OTA_E_LIMIT, "manifest: payload '%s': larger than %llu bytes",
                               p->name, (unsigned long long)OTA_MAX_PAYLOAD_SIZE);
        if (p->compression == OTA_COMP_NONE &&
            (p->size != p->raw_size || memcmp(p->sha256, p->raw_sha256, OTA_SHA256_LEN) != 0))
            return ota_err_set(err, OTA_E_FORMAT,
                               "manifest: payload '%s': uncompressed but stored and uncompressed "
                               "size or sha256 differ",
                               p->name);
    }
    return OTA_OK;
}

static enum ota_status get_time(int64_t *out, const json_t *obj, const char *key,
                                struct ota_err *err)
{
    char s[OTA_TIME_STR_LEN + 8];
    enum ota_status rc = ota_json_get_str(s, sizeof s - 1, obj, key, "manifest", err);
    if (rc)
        return rc;
    if (ota_time_parse(out, s) != 0)
        return ota_err_set(err, OTA_E_FORMAT,
                           "manifest: field '%s' is not a UTC time YYYY-MM-DDTHH:MM:SSZ", key);
    return OTA_OK;
}

static enum ota_status get_digest(uint8_t out[OTA_SHA256_LEN], const json_t *obj, const char *key,
                                  const char *what, struct ota_err *err)
{
    char hex[2 * OTA_SHA256_LEN + 1];
    enum ota_status rc = ota_json_get_str(hex, 2 * OTA_SHA256_LEN, obj, key, what, err);
    if (rc)
        return rc;
    if (ota_hex_decode(out, OTA_SHA256_LEN, hex) != 0)
        return ota_err_set(err, OTA_E_FORMAT, "%s: field '%s' is not 64 lowercase hex digits", what,
                           key);
    return OTA_OK;
}

static enum ota_status parse_payload(struct ota_payload *p, const json_t *o, size_t idx,
                                     struct ota_err *err)
{
    static const char *const keys[] = {
        "name", "type", "compression", "size", "sha256", "uncompressed_size", "uncompressed_sha256",
        NULL};
    char what[48];
    snprintf(what, sizeof what, "manifest: payload %zu", idx);
    if (!json_is_object(o))
        return ota_err_set(err, OTA_E_FORMAT, "%s: not an object", what);
    enum ota_status rc = ota_json_only_keys(o, keys, what, err);
    if (!rc)
        rc = ota_json_get_str(p->name, OTA_MAX_NAME_LEN, o, "name", what, err);
    if (!rc)
        rc = ota_json_get_str(p->type, OTA_MAX_TYPE_LEN, o, "type", what, err);
    char comp[16];
    if (!rc)
        rc = ota_json_get_str(comp, sizeof comp - 1, o, "compression", what, err);
    if (!rc) {
        if (!strcmp(comp, "none"))
            p->compression = OTA_COMP_NONE;
        else if (!strcmp(comp, "zlib"))
            p->compression = OTA_COMP_ZLIB;
        else
            rc = ota_err_set(err, OTA_E_UNSUPPORTED, "%s: unknown compression '%s'", what,
                             ota_printable((char[64]){0}, 64, comp, 15));
    }
    if (!rc)
        rc = ota_json_get_u64(&p->size, OTA_MAX_PAYLOAD_SIZE, o, "size", what, err);
    if (!rc)
        rc = get_digest(p->sha256, o, "sha256", what, err);
    if (!rc)
        rc =
            ota_json_get_u64(&p->raw_size, OTA_MAX_PAYLOAD_SIZE, o, "uncompressed_size", what, err);
    if (!rc)
        rc = get_digest(p->raw_sha256, o, "uncompressed_sha256", what, err);
    return rc;
}

static enum ota_status parse_obj(struct ota_manifest *m, const json_t *root, struct ota_err *err)
{
    static const char *const keys[] = {"format",           "product", "hardware", "version",
                                       "security_version", "created", "expires",  "payloads",
                                       "allow_lockout",    NULL};
    uint64_t u;
    enum ota_status rc = ota_json_only_keys(root, keys, "manifest", err);
    if (rc)
        return rc;
    if ((rc = ota_json_get_u64(&u, 1000, root, "format", "manifest", err)))
        return rc;
    m->format = (unsigned)u;
    if (m->format != OTA_FORMAT_VERSION)
        return ota_err_set(err, OTA_E_UNSUPPORTED, "manifest: format version %u not supported",
                           m->format);
    if ((rc = ota_json_get_str(m->product, OTA_MAX_STRING_LEN, root, "product", "manifest", err)))
        return rc;
    if ((rc = ota_json_get_str(m->version, OTA_MAX_STRING_LEN, root, "version", "manifest", err)))
        return rc;
    if ((rc = ota_json_get_u64(&m->security_version, OTA_MAX_SECURITY_VERSION, root,
                               "security_version", "manifest", err)))
        return rc;
    if ((rc = get_time(&m->created, root, "created", err)) ||
        (rc = get_time(&m->expires, root, "expires", err)))
        return rc;

    json_t *al = json_object_get(root, "allow_lockout");
    if (al) {
        if (!json_is_true(al)) /* present only as true: one spelling per meaning */
            return ota_err_set(err, OTA_E_FORMAT,
                               "manifest: 'allow_lockout' must be true if present");
        m->allow_lockout = 1;
    }
    json_t *hw = json_object_get(root, "hardware");
    if (hw) {
        if (!json_is_array(hw))
            return ota_err_set(err, OTA_E_FORMAT, "manifest: field 'hardware' is not an array");
        if (json_array_size(hw) > OTA_MAX_HARDWARE)
            return ota_err_set(err, OTA_E_LIMIT, "manifest: more than %u hardware revisions",
                               OTA_MAX_HARDWARE);
        for (size_t i = 0; i < json_array_size(hw); i++) {
            json_t *s = json_array_get(hw, i);
            if (!json_is_string(s) || json_string_length(s) > OTA_MAX_STRING_LEN)
                return ota_err_set(err, OTA_E_FORMAT,
                                   "manifest: hardware revision %zu is not a short string", i);
            memcpy(m->hardware[i], json_string_value(s), json_string_length(s) + 1);
        }
        m->n_hardware = json_array_size(hw);
    }

    json_t *pl = json_object_get(root, "payloads");
    if (!pl || !json_is_array(pl))
        return ota_err_set(err, OTA_E_FORMAT, "manifest: field 'payloads' missing or not an array");
    size_t n = json_array_size(pl);
    if (n > OTA_MAX_PAYLOADS)
        return ota_err_set(err, OTA_E_LIMIT, "manifest: more than %u payloads", OTA_MAX_PAYLOADS);
    if (n) {
        m->payloads = calloc(n, sizeof *m->payloads);
        if (!m->payloads)
            return ota_err_set(err, OTA_E_NOMEM, "manifest: out of memory");
    }
    m->n_payloads = n;
    for (size_t i = 0; i < n; i++)
        if ((rc = parse_payload(&m->payloads[i], json_array_get(pl, i), i, err)))
            return rc;
    return ota_manifest_validate(m, err);
}

enum ota_status ota_manifest_parse_mem(struct ota_manifest *m, const char *buf, size_t len,
                                       struct ota_err *err)
{
    memset(m, 0, sizeof *m);
    if (len > OTA_MAX_MANIFEST_SIZE)
        return ota_err_set(err, OTA_E_LIMIT, "manifest: larger than %u bytes",
                           OTA_MAX_MANIFEST_SIZE);
    json_t *root;
    enum ota_status rc = ota_json_load_object(&root, buf, len, "manifest", err);
    if (rc)
        return rc;
    rc = parse_obj(m, root, err);
    json_decref(root);
    if (rc)
        ota_manifest_free(m);
    return rc;
}

static json_t *digest_str(const uint8_t d[OTA_SHA256_LEN])
{
    char hex[2 * OTA_SHA256_LEN + 1];
    ota_hex_encode(hex, d, OTA_SHA256_LEN);
    return json_string(hex);
}

static json_t *time_str(int64_t t)
{
    char s[OTA_TIME_STR_LEN];
    ota_time_format(s, t);
    return json_string(s);
}

enum ota_status ota_manifest_serialize(char **out, size_t *len, const struct ota_manifest *m,
                                       struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    enum ota_status rc = ota_manifest_validate(m, err);
    if (rc)
        return rc;
    json_t *root = json_object();
    json_t *pl = json_array();
    int bad = !root || !pl;
    bad |= json_object_set_new(root, "format", json_integer(m->format));
    bad |= json_object_set_new(root, "product", json_string(m->product));
    bad |= json_object_set_new(root, "version", json_string(m->version));
    bad |= json_object_set_new(root, "security_version",
                               json_integer((json_int_t)m->security_version));
    bad |= json_object_set_new(root, "created", time_str(m->created));
    bad |= json_object_set_new(root, "expires", time_str(m->expires));
    if (m->allow_lockout)
        bad |= json_object_set_new(root, "allow_lockout", json_true());
    if (m->n_hardware) {
        json_t *hw = json_array();
        bad |= !hw;
        for (size_t i = 0; hw && i < m->n_hardware; i++)
            bad |= json_array_append_new(hw, json_string(m->hardware[i]));
        bad |= json_object_set_new(root, "hardware", hw);
    }
    for (size_t i = 0; pl && i < m->n_payloads; i++) {
        const struct ota_payload *p = &m->payloads[i];
        json_t *o = json_object();
        bad |= !o;
        bad |= json_object_set_new(o, "name", json_string(p->name));
        bad |= json_object_set_new(o, "type", json_string(p->type));
        bad |= json_object_set_new(o, "compression",
                                   json_string(ota_compression_name(p->compression)));
        bad |= json_object_set_new(o, "size", json_integer((json_int_t)p->size));
        bad |= json_object_set_new(o, "sha256", digest_str(p->sha256));
        bad |= json_object_set_new(o, "uncompressed_size", json_integer((json_int_t)p->raw_size));
        bad |= json_object_set_new(o, "uncompressed_sha256", digest_str(p->raw_sha256));
        bad |= json_array_append_new(pl, o);
    }
    bad |= json_object_set_new(root, "payloads", pl);
    if (bad) {
        json_decref(root);
        return ota_err_set(err, OTA_E_NOMEM, "manifest: out of memory");
    }
    rc = ota_json_dump(out, len, root, "manifest", err);
    json_decref(root);
    return rc;
}
