/* sigblock.c — parse and write signatures.json (formats/FORMAT.md, "Signature block").
 * Owns: the shape of the block and its limits. Never decides whether a signature is valid. */
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "otapack/codec.h"
#include "otapack/sigblock.h"

void ota_sigblock_free(struct ota_sigblock *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        free(b->sigs[i].sig);
    for (size_t i = 0; i < b->n_keyrings; i++)
        free(b->keyrings[i]);
    memset(b, 0, sizeof *b);
}

static int keyid_valid(const char *s)
{
    uint8_t tmp[OTA_KEYID_HEX_LEN / 2];
    return ota_hex_decode(tmp, sizeof tmp, s) == 0;
}

enum ota_status ota_sigblock_put(struct ota_sigblock *b, const char *keyid, const char *method,
                                 const uint8_t *sig, size_t sig_len, struct ota_err *err)
{
    if (!keyid_valid(keyid))
        return ota_err_set(err, OTA_E_FORMAT, "signature block: invalid key id");
    size_t ml = strlen(method);
    if (ml < 1 || ml > OTA_MAX_METHOD_LEN)
        return ota_err_set(err, OTA_E_FORMAT, "signature block: invalid method");
    for (size_t i = 0; i < ml; i++) /* a name, never text that could reach a terminal */
        if (!((method[i] >= 'a' && method[i] <= 'z') || (method[i] >= '0' && method[i] <= '9') ||
              method[i] == '-'))
            return ota_err_set(err, OTA_E_FORMAT,
                               "signature block: method is not a name of a-z 0-9 -");
    if (sig_len < 1 || sig_len > OTA_MAX_SIG_BYTES)
        return ota_err_set(err, OTA_E_LIMIT, "signature block: signature of %zu bytes", sig_len);
    size_t pos = 0;
    while (pos < b->n && strcmp(b->sigs[pos].keyid, keyid) < 0)
        pos++;
    int replace = pos < b->n && !strcmp(b->sigs[pos].keyid, keyid);
    if (!replace && b->n >= OTA_MAX_SIGNATURES)
        return ota_err_set(err, OTA_E_LIMIT, "signature block: more than %u signatures",
                           OTA_MAX_SIGNATURES);
    uint8_t *copy = malloc(sig_len);
    if (!copy)
        return ota_err_set(err, OTA_E_NOMEM, "signature block: out of memory");
    memcpy(copy, sig, sig_len);
    if (replace) {
        free(b->sigs[pos].sig);
    } else {
        memmove(&b->sigs[pos + 1], &b->sigs[pos], (b->n - pos) * sizeof b->sigs[0]);
        b->n++;
    }
    struct ota_signature *s = &b->sigs[pos];
    memset(s, 0, sizeof *s);
    memcpy(s->keyid, keyid, OTA_KEYID_HEX_LEN + 1);
    snprintf(s->method, sizeof s->method, "%s", method);
    s->sig = copy;
    s->sig_len = sig_len;
    return OTA_OK;
}

static enum ota_status parse_one(struct ota_sigblock *b, const json_t *o, size_t idx,
                                 struct ota_err *err)
{
    static const char *const keys[] = {"keyid", "method", "sig", NULL};
    char what[48];
    snprintf(what, sizeof what, "signature block: entry %zu", idx);
    if (!json_is_object(o))
        return ota_err_set(err, OTA_E_FORMAT, "%s: not an object", what);
    char keyid[OTA_KEYID_HEX_LEN + 1], method[OTA_MAX_METHOD_LEN + 1];
    enum ota_status rc = ota_json_only_keys(o, keys, what, err);
    if (!rc)
        rc = ota_json_get_str(keyid, OTA_KEYID_HEX_LEN, o, "keyid", what, err);
    if (!rc)
        rc = ota_json_get_str(method, OTA_MAX_METHOD_LEN, o, "method", what, err);
    if (rc)
        return rc;
    if (!keyid_valid(keyid))
        return ota_err_set(err, OTA_E_FORMAT, "%s: key id is not 64 lowercase hex digits", what);
    json_t *sv = json_object_get(o, "sig");
    if (!sv || !json_is_string(sv))
        return ota_err_set(err, OTA_E_FORMAT, "%s: missing or non-string 'sig'", what);
    size_t hexlen = json_string_length(sv);
    if (hexlen == 0 || hexlen % 2 || hexlen / 2 > OTA_MAX_SIG_BYTES)
        return ota_err_set(err, OTA_E_FORMAT, "%s: signature has a bad length", what);
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->sigs[i].keyid, keyid))
            return ota_err_set(err, OTA_E_FORMAT, "signature block: key %.16s listed twice", keyid);
    uint8_t *sig = malloc(hexlen / 2);
    if (!sig)
        return ota_err_set(err, OTA_E_NOMEM, "signature block: out of memory");
    if (ota_hex_decode(sig, hexlen / 2, json_string_value(sv)) != 0) {
        free(sig);
        return ota_err_set(err, OTA_E_FORMAT, "%s: signature is not lowercase hex", what);
    }
    rc = ota_sigblock_put(b, keyid, method, sig, hexlen / 2, err);
    free(sig);
    return rc;
}

/* Appends one keyring as compact JSON with sorted keys. */
static enum ota_status add_keyring(struct ota_sigblock *b, const json_t *o, size_t idx,
                                   struct ota_err *err)
{
    if (!json_is_object(o))
        return ota_err_set(err, OTA_E_FORMAT, "signature block: keyring %zu is not an object", idx);
    if (b->n_keyrings >= OTA_MAX_KEYRING_CHAIN)
        return ota_err_set(err, OTA_E_LIMIT, "signature block: more than %u keyrings",
                           OTA_MAX_KEYRING_CHAIN);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    if (!s)
        return ota_err_set(err, OTA_E_NOMEM, "signature block: out of memory");
    size_t n = strlen(s);
    if (n > OTA_MAX_KEYRING_SIZE) {
        free(s);
        return ota_err_set(err, OTA_E_LIMIT, "signature block: keyring %zu larger than %u bytes",
                           idx, OTA_MAX_KEYRING_SIZE);
    }
    b->keyrings[b->n_keyrings] = s;
    b->keyring_len[b->n_keyrings++] = n;
    return OTA_OK;
}

enum ota_status ota_sigblock_set_keyrings(struct ota_sigblock *b, const char *const *texts,
                                          const size_t *lens, size_t n, struct ota_err *err)
{
    struct ota_sigblock nb;
    memset(&nb, 0, sizeof nb);
    enum ota_status rc = OTA_OK;
    if (n > OTA_MAX_KEYRING_CHAIN)
        return ota_err_set(err, OTA_E_LIMIT, "more than %u keyrings", OTA_MAX_KEYRING_CHAIN);
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *o;
        if (!(rc = ota_json_load_object(&o, texts[i], lens[i], "keyring", err))) {
            rc = add_keyring(&nb, o, i, err);
            json_decref(o);
        }
    }
    if (rc) {
        ota_sigblock_free(&nb);
        return rc;
    }
    for (size_t i = 0; i < b->n_keyrings; i++)
        free(b->keyrings[i]);
    memcpy(b->keyrings, nb.keyrings, sizeof b->keyrings);
    memcpy(b->keyring_len, nb.keyring_len, sizeof b->keyring_len);
    b->n_keyrings = nb.n_keyrings;
    return OTA_OK;
}

enum ota_status ota_sigblock_parse_mem(struct ota_sigblock *b, const char *buf, size_t len,
                                       struct ota_err *err)
{
    static const char *const keys[] = {"format", "signatures", "keyrings", NULL};
    memset(b, 0, sizeof *b);
    if (len > OTA_MAX_SIGBLOCK_SIZE)
        return ota_err_set(err, OTA_E_LIMIT, "signature block: larger than %u bytes",
                           OTA_MAX_SIGBLOCK_SIZE);
    json_t *root;
    enum ota_status rc = ota_json_load_object(&root, buf, len, "signature block", err);
    if (rc)
        return rc;
    uint64_t fmt;
    rc = ota_json_only_keys(root, keys, "signature block", err);
    if (!rc)
        rc = ota_json_get_u64(&fmt, 1000, root, "format", "signature block", err);
    if (!rc && fmt != OTA_FORMAT_VERSION)
        rc = ota_err_set(err, OTA_E_UNSUPPORTED, "signature block: format %llu not supported",
                         (unsigned long long)fmt);
    json_t *arr = json_object_get(root, "signatures");
    if (!rc && (!arr || !json_is_array(arr)))
        rc =
            ota_err_set(err, OTA_E_FORMAT, "signature block: 'signatures' missing or not an array");
    if (!rc && json_array_size(arr) > OTA_MAX_SIGNATURES)
        rc = ota_err_set(err, OTA_E_LIMIT, "signature block: more than %u signatures",
                         OTA_MAX_SIGNATURES);
    for (size_t i = 0; !rc && i < json_array_size(arr); i++)
        rc = parse_one(b, json_array_get(arr, i), i, err);
    json_t *krs = json_object_get(root, "keyrings");
    if (!rc && krs && !json_is_array(krs))
        rc = ota_err_set(err, OTA_E_FORMAT, "signature block: 'keyrings' is not an array");
    if (!rc && krs && json_array_size(krs) > OTA_MAX_KEYRING_CHAIN)
        rc = ota_err_set(err, OTA_E_LIMIT, "signature block: more than %u keyrings",
                         OTA_MAX_KEYRING_CHAIN);
    if (!rc && krs && json_array_size(krs) == 0) /* one spelling: absent when there is none */
        rc = ota_err_set(err, OTA_E_FORMAT, "signature block: 'keyrings' is empty");
    for (size_t i = 0; !rc && krs && i < json_array_size(krs); i++)
        rc = add_keyring(b, json_array_get(krs, i), i, err);
    json_decref(root);
    if (rc)
        ota_sigblock_free(b);
    return rc;
}

enum ota_status ota_sigblock_serialize(char **out, size_t *len, const struct ota_sigblock *b,
                                       struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    json_t *root = json_object(), *arr = json_array();
    int bad = !root || !arr;
    bad |= json_object_set_new(root, "format", json_integer(OTA_FORMAT_VERSION));
    for (size_t i = 0; arr && i < b->n; i++) {
        const struct ota_signature *s = &b->sigs[i];
        char *hex = malloc(2 * s->sig_len + 1);
        json_t *o = json_object();
        bad |= !hex || !o;
        if (hex)
            ota_hex_encode(hex, s->sig, s->sig_len);
        bad |= json_object_set_new(o, "keyid", json_string(s->keyid));
        bad |= json_object_set_new(o, "method", json_string(s->method));
        bad |= json_object_set_new(o, "sig", hex ? json_string(hex) : NULL);
        bad |= json_array_append_new(arr, o);
        free(hex);
    }
    bad |= json_object_set_new(root, "signatures", arr);
    if (b->n_keyrings) {
        json_t *krs = json_array();
        bad |= !krs;
        for (size_t i = 0; !bad && i < b->n_keyrings; i++) {
            json_t *o = json_loadb(b->keyrings[i], b->keyring_len[i], JSON_REJECT_DUPLICATES, NULL);
            bad |= !o || json_array_append_new(krs, o);
        }
        bad |= json_object_set_new(root, "keyrings", krs);
    }
    enum ota_status rc = bad ? ota_err_set(err, OTA_E_NOMEM, "signature block: out of memory")
                             : ota_json_dump(out, len, root, "signature block", err);
    json_decref(root);
    return rc;
}
