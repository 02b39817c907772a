/* keyring_doc.c — parse and write root.json, the keyring document (formats/FORMAT.md,
 * "Keyring"), and its canonical JSON.
 * Owns: the shape of the document, its limits, and the exact bytes its signatures cover.
 * Never decides whether a key or a signature is good (keys/keyring.c does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "otapack/codec.h"
#include "otapack/keyring_doc.h"

const char *const ota_role_names[OTA_N_ROLES] = {"root", "snapshot", "targets", "timestamp"};

void ota_keyring_doc_clear_sigs(struct ota_keyring_doc *d)
{
    for (size_t i = 0; i < d->n_sigs; i++)
        free(d->sigs[i].sig);
    memset(d->sigs, 0, sizeof d->sigs);
    d->n_sigs = 0;
}

void ota_keyring_doc_free(struct ota_keyring_doc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_keys; i++)
        free(d->keys[i].value);
    ota_keyring_doc_clear_sigs(d);
    memset(d, 0, sizeof *d);
}

static int keyid_valid(const char *s)
{
    uint8_t tmp[OTA_KEYID_HEX_LEN / 2];
    return strlen(s) == OTA_KEYID_HEX_LEN && ota_hex_decode(tmp, sizeof tmp, s) == 0;
}

long ota_keyring_doc_find_key(const struct ota_keyring_doc *d, const char *keyid)
{
    for (size_t i = 0; i < d->n_keys; i++)
        if (!strcmp(d->keys[i].keyid, keyid))
            return (long)i;
    return -1;
}

enum ota_status ota_keyring_doc_add_key(struct ota_keyring_doc *d, size_t *idx, const char *keyid,
                                        const char *keytype, const char *scheme,
                                        const char *valname, const char *value, struct ota_err *err)
{
    size_t vl = strlen(value);
    if (!keyid_valid(keyid))
        return ota_err_set(err, OTA_E_FORMAT, "keyring: key id is not 64 lowercase hex digits");
    if (strlen(keytype) > OTA_MAX_KEYTYPE_LEN || strlen(scheme) > OTA_MAX_KEYTYPE_LEN ||
        strlen(valname) >= sizeof d->keys[0].valname)
        return ota_err_set(err, OTA_E_LIMIT, "keyring: key %.16s: key type or scheme too long",
                           keyid);
    if (vl > OTA_MAX_KEYVAL_LEN)
        return ota_err_set(err, OTA_E_LIMIT, "keyring: key %.16s: value longer than %u bytes",
                           keyid, OTA_MAX_KEYVAL_LEN);
    if (ota_keyring_doc_find_key(d, keyid) >= 0)
        return ota_err_set(err, OTA_E_EXISTS, "keyring: key %.16s is already listed", keyid);
    if (d->n_keys >= OTA_MAX_KEYRING_KEYS)
        return ota_err_set(err, OTA_E_LIMIT, "keyring: more than %u keys", OTA_MAX_KEYRING_KEYS);
    char *copy = strdup(value);
    if (!copy)
        return ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
    size_t pos = 0;
    while (pos < d->n_keys && strcmp(d->keys[pos].keyid, keyid) < 0)
        pos++;
    memmove(&d->keys[pos + 1], &d->keys[pos], (d->n_keys - pos) * sizeof d->keys[0]);
    d->n_keys++;
    for (size_t r = 0; r < OTA_N_ROLES; r++)
        for (size_t j = 0; j < d->roles[r].n; j++)
            if (d->roles[r].key[j] >= pos)
                d->roles[r].key[j]++;
    struct ota_kr_key *k = &d->keys[pos];
    memset(k, 0, sizeof *k);
    memcpy(k->keyid, keyid, OTA_KEYID_HEX_LEN + 1);
    snprintf(k->keytype, sizeof k->keytype, "%s", keytype);
    snprintf(k->scheme, sizeof k->scheme, "%s", scheme);
    snprintf(k->valname, sizeof k->valname, "%s", valname);
    k->value = copy;
    k->value_len = vl;
    if (idx)
        *idx = pos;
    return OTA_OK;
}

void ota_keyring_doc_remove_key(struct ota_keyring_doc *d, size_t i)
{
    if (i >= d->n_keys)
        return;
    for (size_t r = 0; r < OTA_N_ROLES; r++) {
        struct ota_kr_role *role = &d->roles[r];
        size_t w = 0;
        for (size_t j = 0; j < role->n; j++) {
            if (role->key[j] == i)
                continue;
            role->key[w++] = role->key[j] > i ? role->key[j] - 1 : role->key[j];
        }
        role->n = w;
    }
    free(d->keys[i].value);
    memmove(&d->keys[i], &d->keys[i + 1], (d->n_keys - i - 1) * sizeof d->keys[0]);
    d->n_keys--;
    memset(&d->keys[d->n_keys], 0, sizeof d->keys[0]);
}

enum ota_status ota_keyring_doc_put_sig(struct ota_keyring_doc *d, const char *keyid,
                                        const uint8_t *sig, size_t sig_len, struct ota_err *err)
{
    if (!keyid_valid(keyid))
        return ota_err_set(err, OTA_E_FORMAT, "keyring: signature key id is not 64 hex digits");
    if (sig_len < 1 || sig_len > OTA_MAX_SIG_BYTES)
        return ota_err_set(err, OTA_E_LIMIT, "keyring: signature of %zu bytes", sig_len);
    size_t pos = 0;
    while (pos < d->n_sigs && strcmp(d->sigs[pos].keyid, keyid) < 0)
        pos++;
    int replace = pos < d->n_sigs && !strcmp(d->sigs[pos].keyid, keyid);
    if (!replace && d->n_sigs >= OTA_MAX_SIGNATURES)
        return ota_err_set(err, OTA_E_LIMIT, "keyring: more than %u signatures",
                           OTA_MAX_SIGNATURES);
    uint8_t *copy = malloc(sig_len);
    if (!copy)
        return ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
    memcpy(copy, sig, sig_len);
    if (replace) {
        free(d->sigs[pos].sig);
    } else {
        memmove(&d->sigs[pos + 1], &d->sigs[pos], (d->n_sigs - pos) * sizeof d->sigs[0]);
        d->n_sigs++;
    }
    memcpy(d->sigs[pos].keyid, keyid, OTA_KEYID_HEX_LEN + 1);
    d->sigs[pos].sig = copy;
    d->sigs[pos].sig_len = sig_len;
    return OTA_OK;
}

/* ---- canonical JSON (OLPC, as TUF and securesystemslib write it) ---- */

struct cbuf {
    char *p;
    size_t len, cap;
    int bad;
};

static void cput(struct cbuf *b, const char *s, size_t n)
{
    if (b->bad)
        return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 1024;
        while (n > cap - b->len) {
            if (cap > SIZE_MAX / 2) {
                b->bad = 1;
                return;
            }
            cap *= 2;
        }
        char *t = realloc(b->p, cap);
        if (!t) {
            b->bad = 1;
            return;
        }
        b->p = t;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void cstr(struct cbuf *b, const char *s, size_t n)
{
    cput(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            cput(b, "\\", 1);
        cput(b, &s[i], 1);
    }
    cput(b, "\"", 1);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void canon(struct cbuf *b, const json_t *v)
{
    char num[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        if (!keys) {
            b->bad = 1;
            return;
        }
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m) keys[i++] = k;
        qsort(keys, n, sizeof *keys, key_cmp);
        cput(b, "{", 1);
        for (i = 0; i < n; i++) {
            if (i)
                cput(b, ",", 1);
            cstr(b, keys[i], strlen(keys[i]));
            cput(b, ":", 1);
            canon(b, json_object_get(v, keys[i]));
        }
        cput(b, "}", 1);
        free(keys);
        break;
    }
    case JSON_ARRAY:
        cput(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                cput(b, ",", 1);
            canon(b, json_array_get(v, i));
        }
        cput(b, "]", 1);
        break;
    case JSON_STRING:
        cstr(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        cput(b, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)));
        break;
    case JSON_TRUE:
        cput(b, "true", 4);
        break;
    case JSON_FALSE:
        cput(b, "false", 5);
        break;
    case JSON_NULL:
        cput(b, "null", 4);
        break;
    default: /* reals have no canonical form: the documents never hold one */
        b->bad = 1;
    }
}

static enum ota_status canon_out(char **out, size_t *len, json_t *v, struct ota_err *err)
{
    struct cbuf b = {0};
    *out = NULL;
    *len = 0;
    if (!v)
        return ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
    canon(&b, v);
    json_decref(v);
    if (b.bad) {
        free(b.p);
        return ota_err_set(err, OTA_E_NOMEM, "keyring: cannot write canonical JSON");
    }
    cput(&b, "", 1); /* a NUL for callers that print; not counted */
    if (b.bad) {
        free(b.p);
        return ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
    }
    *out = b.p;
    *len = b.len - 1;
    return OTA_OK;
}

/* ---- building JSON values from the struct ---- */

static json_t *key_json(const struct ota_kr_key *k)
{
    json_t *o = json_object(), *kv = json_object();
    if (!o || !kv || json_object_set_new(kv, k->valname, json_stringn(k->value, k->value_len)) ||
        json_object_set_new(o, "keytype", json_string(k->keytype)) ||
        json_object_set_new(o, "scheme", json_string(k->scheme)) ||
        json_object_set_new(o, "keyval", kv)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *signed_json(const struct ota_keyring_doc *d)
{
    char exp[OTA_TIME_STR_LEN];
    ota_time_format(exp, d->expires);
    json_t *s = json_object(), *keys = json_object(), *roles = json_object();
    int bad = !s || !keys || !roles;
    for (size_t i = 0; !bad && i < d->n_keys; i++)
        bad |= json_object_set_new(keys, d->keys[i].keyid, key_json(&d->keys[i]));
    for (size_t r = 0; !bad && r < OTA_N_ROLES; r++) {
        json_t *ro = json_object(), *ids = json_array();
        bad |= !ro || !ids;
        for (size_t j = 0; !bad && j < d->roles[r].n; j++)
            bad |= json_array_append_new(ids, json_string(d->keys[d->roles[r].key[j]].keyid));
        if (!bad) {
            bad |= json_object_set_new(ro, "keyids", ids);
            ids = NULL;
            bad |= json_object_set_new(ro, "threshold", json_integer(d->roles[r].threshold));
            bad |= json_object_set_new(roles, ota_role_names[r], ro);
            ro = NULL;
        }
        json_decref(ids);
        json_decref(ro);
    }
    if (bad) {
        json_decref(s);
        json_decref(keys);
        json_decref(roles);
        return NULL;
    }
    bad |= json_object_set_new(s, "_type", json_string("root"));
    bad |= json_object_set_new(s, "spec_version", json_string(d->spec_version));
    bad |= json_object_set_new(s, "consistent_snapshot", json_boolean(d->consistent_snapshot));
    bad |= json_object_set_new(s, "version", json_integer((json_int_t)d->version));
    bad |= json_object_set_new(s, "expires", json_string(exp));
    bad |= json_object_set_new(s, "keys", keys);
    bad |= json_object_set_new(s, "roles", roles);
    if (bad) {
        json_decref(s);
        return NULL;
    }
    return s;
}

enum ota_status ota_keyring_doc_signed_bytes(char **out, size_t *len,
                                             const struct ota_keyring_doc *d, struct ota_err *err)
{
    return canon_out(out, len, signed_json(d), err);
}

enum ota_status ota_keyring_doc_key_bytes(char **out, size_t *len, const struct ota_keyring_doc *d,
                                          size_t i, struct ota_err *err)
{
    if (i >= d->n_keys)
        return ota_err_set(err, OTA_E_USAGE, "keyring: no key %zu", i);
    return canon_out(out, len, key_json(&d->keys[i]), err);
}

enum ota_status ota_keyring_doc_serialize(char **out, size_t *len, const struct ota_keyring_doc *d,
                                          struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    json_t *root = json_object(), *sigs = json_array(), *s = signed_json(d);
    int bad = !root || !sigs || !s;
    for (size_t i = 0; !bad && i < d->n_sigs; i++) {
        char *hex = malloc(2 * d->sigs[i].sig_len + 1);
        json_t *o = json_object();
        bad |= !hex || !o;
        if (!bad) {
            ota_hex_encode(hex, d->sigs[i].sig, d->sigs[i].sig_len);
            bad |= json_object_set_new(o, "keyid", json_string(d->sigs[i].keyid));
            bad |= json_object_set_new(o, "sig", json_string(hex));
            bad |= json_array_append_new(sigs, o);
            o = NULL;
        }
        json_decref(o);
        free(hex);
    }
    if (!bad) {
        bad |= json_object_set_new(root, "signatures", sigs);
        sigs = NULL;
        bad |= json_object_set_new(root, "signed", s);
        s = NULL;
    }
    enum ota_status rc = bad ? ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory")
                             : ota_json_dump(out, len, root, "keyring", err);
    json_decref(root);
    json_decref(sigs);
    json_decref(s);
    return rc;
}

/* ---- parsing ---- */

static enum ota_status parse_key(struct ota_keyring_doc *d, const char *keyid, const json_t *o,
                                 struct ota_err *err)
{
    static const char *const fields[] = {"keytype", "scheme", "keyval", NULL};
    char what[64], keytype[OTA_MAX_KEYTYPE_LEN + 1], scheme[OTA_MAX_KEYTYPE_LEN + 1];
    snprintf(what, sizeof what, "keyring: key %.16s", keyid);
    if (!keyid_valid(keyid))
        return ota_err_set(err, OTA_E_FORMAT, "keyring: a key id is not 64 lowercase hex digits");
    if (!json_is_object(o))
        return ota_err_set(err, OTA_E_FORMAT, "%s: not an object", what);
    enum ota_status rc;
    if ((rc = ota_json_only_keys(o, fields, what, err)) ||
        (rc = ota_json_get_str(keytype, OTA_MAX_KEYTYPE_LEN, o, "keytype", what, err)) ||
        (rc = ota_json_get_str(scheme, OTA_MAX_KEYTYPE_LEN, o, "scheme", what, err)))
        return rc;
    const json_t *kv = json_object_get(o, "keyval");
    if (!json_is_object(kv) || json_object_size(kv) != 1)
        return ota_err_set(err, OTA_E_FORMAT, "%s: 'keyval' must be an object with one member",
                           what);
    const char *valname = json_object_iter_key(json_object_iter((json_t *)kv));
    const json_t *val = json_object_get(kv, valname);
    if (strcmp(valname, "public") != 0 && strcmp(valname, "certificate") != 0)
        return ota_err_set(err, OTA_E_FORMAT, "%s: keyval member is not 'public' or 'certificate'",
                           what);
    if (!json_is_string(val))
        return ota_err_set(err, OTA_E_FORMAT, "%s: keyval is not a string", what);
    if (json_string_length(val) > OTA_MAX_KEYVAL_LEN)
        return ota_err_set(err, OTA_E_LIMIT, "%s: keyval longer than %u bytes", what,
                           OTA_MAX_KEYVAL_LEN);
    return ota_keyring_doc_add_key(d, NULL, keyid, keytype, scheme, valname, json_string_value(val),
                                   err);
}

static enum ota_status parse_role(struct ota_keyring_doc *d, enum ota_role r, const json_t *o,
                                  struct ota_err *err)
{
    static const char *const fields[] = {"keyids", "threshold", NULL};
    char what[48];
    snprintf(what, sizeof what, "keyring: role '%s'", ota_role_names[r]);
    if (!json_is_object(o))
        return ota_err_set(err, OTA_E_FORMAT, "%s: missing or not an object", what);
    uint64_t t;
    enum ota_status rc = ota_json_only_keys(o, fields, what, err);
    if (!rc)
        rc = ota_json_get_u64(&t, OTA_MAX_KEYRING_KEYS, o, "threshold", what, err);
    if (rc)
        return rc;
    const json_t *ids = json_object_get(o, "keyids");
    if (!json_is_array(ids))
        return ota_err_set(err, OTA_E_FORMAT, "%s: 'keyids' missing or not an array", what);
    if (json_array_size(ids) > OTA_MAX_KEYRING_KEYS)
        return ota_err_set(err, OTA_E_LIMIT, "%s: more than %u keys", what, OTA_MAX_KEYRING_KEYS);
    struct ota_kr_role *role = &d->roles[r];
    for (size_t i = 0; i < json_array_size(ids); i++) {
        const json_t *v = json_array_get(ids, i);
        long k = json_is_string(v) ? ota_keyring_doc_find_key(d, json_string_value(v)) : -1;
        if (k < 0)
            return ota_err_set(err, OTA_E_FORMAT, "%s: key id %zu is not a key of the keyring",
                               what, i);
        for (size_t j = 0; j < role->n; j++)
            if (role->key[j] == (size_t)k)
                return ota_err_set(err, OTA_E_FORMAT, "%s: key %.16s listed twice", what,
                                   d->keys[k].keyid);
        role->key[role->n++] = (size_t)k;
    }
    if (t < 1 || t > role->n)
        return ota_err_set(err, OTA_E_FORMAT, "%s: threshold %llu with %zu keys", what,
                           (unsigned long long)t, role->n);
    role->threshold = (unsigned)t;
    return OTA_OK;
}

static enum ota_status parse_signed(struct ota_keyring_doc *d, const json_t *s, struct ota_err *err)
{
    static const char *const fields[] = {
        "_type", "spec_version", "consistent_snapshot", "version", "expires", "keys", "roles",
        NULL};
    static const char what[] = "keyring: 'signed'";
    char type[8], exp[OTA_TIME_STR_LEN];
    enum ota_status rc;
    if (!json_is_object(s))
        return ota_err_set(err, OTA_E_FORMAT, "%s: missing or not an object", what);
    if ((rc = ota_json_only_keys(s, fields, what, err)) ||
        (rc = ota_json_get_str(type, sizeof type - 1, s, "_type", what, err)))
        return rc;
    if (strcmp(type, "root") != 0)
        return ota_err_set(err, OTA_E_FORMAT, "keyring: _type is not 'root'");
    if ((rc = ota_json_get_str(d->spec_version, OTA_MAX_SPEC_VERSION_LEN, s, "spec_version", what,
                               err)))
        return rc;
    if (strncmp(d->spec_version, "1.", 2) != 0)
        return ota_err_set(err, OTA_E_UNSUPPORTED, "keyring: TUF spec_version is not 1.x");
    for (const char *p = d->spec_version; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return ota_err_set(err, OTA_E_FORMAT, "keyring: spec_version is not a version");
    const json_t *cs = json_object_get(s, "consistent_snapshot");
    if (!json_is_boolean(cs))
        return ota_err_set(err, OTA_E_FORMAT, "%s: 'consistent_snapshot' is not a boolean", what);
    d->consistent_snapshot = json_is_true(cs);
    if ((rc = ota_json_get_u64(&d->version, OTA_MAX_KEYRING_VERSION, s, "version", what, err)) ||
        (rc = ota_json_get_str(exp, sizeof exp - 1, s, "expires", what, err)))
        return rc;
    if (d->version < 1)
        return ota_err_set(err, OTA_E_FORMAT, "keyring: version must be at least 1");
    if (ota_time_parse(&d->expires, exp) != 0)
        return ota_err_set(err, OTA_E_FORMAT, "keyring: expires is not YYYY-MM-DDTHH:MM:SSZ");
    const json_t *keys = json_object_get(s, "keys"), *roles = json_object_get(s, "roles");
    if (!json_is_object(keys))
        return ota_err_set(err, OTA_E_FORMAT, "%s: 'keys' missing or not an object", what);
    if (json_object_size(keys) > OTA_MAX_KEYRING_KEYS)
        return ota_err_set(err, OTA_E_LIMIT, "keyring: more than %u keys", OTA_MAX_KEYRING_KEYS);
    const char *id;
    json_t *v;
    json_object_foreach((json_t *)keys, id, v)
    {
        if ((rc = parse_key(d, id, v, err)))
            return rc;
    }
    if (!json_is_object(roles))
        return ota_err_set(err, OTA_E_FORMAT, "%s: 'roles' missing or not an object", what);
    static const char *const role_fields[] = {"root", "snapshot", "targets", "timestamp", NULL};
    if ((rc = ota_json_only_keys(roles, role_fields, "keyring: 'roles'", err)))
        return rc;
    for (int r = 0; r < OTA_N_ROLES; r++)
        if ((rc = parse_role(d, (enum ota_role)r, json_object_get(roles, ota_role_names[r]), err)))
            return rc;
    return OTA_OK;
}

static enum ota_status parse_sigs(struct ota_keyring_doc *d, const json_t *a, struct ota_err *err)
{
    static const char *const fields[] = {"keyid", "sig", NULL};
    if (!json_is_array(a))
        return ota_err_set(err, OTA_E_FORMAT, "keyring: 'signatures' missing or not an array");
    if (json_array_size(a) > OTA_MAX_SIGNATURES)
        return ota_err_set(err, OTA_E_LIMIT, "keyring: more than %u signatures",
                           OTA_MAX_SIGNATURES);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *o = json_array_get(a, i);
        char what[48], keyid[OTA_KEYID_HEX_LEN + 1];
        snprintf(what, sizeof what, "keyring: signature %zu", i);
        if (!json_is_object(o))
            return ota_err_set(err, OTA_E_FORMAT, "%s: not an object", what);
        enum ota_status rc = ota_json_only_keys(o, fields, what, err);
        if (!rc)
            rc = ota_json_get_str(keyid, OTA_KEYID_HEX_LEN, o, "keyid", what, err);
        if (rc)
            return rc;
        if (!keyid_valid(keyid))
            return ota_err_set(err, OTA_E_FORMAT, "%s: key id is not 64 lowercase hex digits",
                               what);
        for (size_t j = 0; j < d->n_sigs; j++)
            if (!strcmp(d->sigs[j].keyid, keyid))
                return ota_err_set(err, OTA_E_FORMAT, "keyring: key %.16s signed twice", keyid);
        const json_t *sv = json_object_get(o, "sig");
        size_t hl = json_is_string(sv) ? json_string_length(sv) : 0;
        if (hl == 0 || hl % 2 || hl / 2 > OTA_MAX_SIG_BYTES)
            return ota_err_set(err, OTA_E_FORMAT, "%s: 'sig' missing or of a bad length", what);
        uint8_t *sig = malloc(hl / 2);
        if (!sig)
            return ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
        if (ota_hex_decode(sig, hl / 2, json_string_value(sv)) != 0) {
            free(sig);
            return ota_err_set(err, OTA_E_FORMAT, "%s: 'sig' is not lowercase hex", what);
        }
        rc = ota_keyring_doc_put_sig(d, keyid, sig, hl / 2, err);
        free(sig);
        if (rc)
            return rc;
    }
    return OTA_OK;
}

enum ota_status ota_keyring_doc_parse_mem(struct ota_keyring_doc *d, const char *buf, size_t len,
                                          struct ota_err *err)
{
    static const char *const fields[] = {"signed", "signatures", NULL};
    memset(d, 0, sizeof *d);
    if (len > OTA_MAX_KEYRING_SIZE) /* len: attacker-controlled */
        return ota_err_set(err, OTA_E_LIMIT, "keyring: larger than %u bytes", OTA_MAX_KEYRING_SIZE);
    json_t *root;
    enum ota_status rc = ota_json_load_object(&root, buf, len, "keyring", err);
    if (rc)
        return rc;
    if (!(rc = ota_json_only_keys(root, fields, "keyring", err)) &&
        !(rc = parse_signed(d, json_object_get(root, "signed"), err)))
        rc = parse_sigs(d, json_object_get(root, "signatures"), err);
    json_decref(root);
    if (rc)
        ota_keyring_doc_free(d);
    return rc;
}
