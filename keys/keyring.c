/* keyring.c — trust decisions over keyrings (TUF root metadata): decoding keys, checking key
 * ids, role thresholds, the root rotation rule, expiry, and package verification under the
 * targets role.
 * Owns: which keys a device believes. Never holds secret keys; linked into the device. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/codec.h"
#include "otapack/digest.h"
#include "otapack/fsio.h"
#include "otapack/keyring.h"

void ota_keyring_free(struct ota_keyring *kr)
{
    if (!kr)
        return;
    ota_keyring_doc_free(&kr->doc);
    ota_certs_free(&kr->cas);
    free(kr->signed_bytes);
    free(kr);
}

long ota_keyring_find(const struct ota_keyring *kr, const char *keyid)
{
    return ota_keyring_doc_find_key(&kr->doc, keyid);
}

static int in_role(const struct ota_keyring_doc *d, enum ota_role r, size_t k)
{
    for (size_t j = 0; j < d->roles[r].n; j++)
        if (d->roles[r].key[j] == k)
            return 1;
    return 0;
}

/* Decodes doc key i into kr->keys[i], checking that its id is its TUF key id. */
static enum ota_status decode_key(struct ota_keyring *kr, size_t i, struct ota_err *err)
{
    const struct ota_kr_key *dk = &kr->doc.keys[i];
    struct ota_pubkey *k = &kr->keys[i];
    enum ota_status rc;
    char what[40];
    snprintf(what, sizeof what, "keyring: key %.16s", dk->keyid);
    int pub = !strcmp(dk->valname, "public");
    if (!strcmp(dk->keytype, "ed25519") && !strcmp(dk->scheme, "ed25519") && pub) {
        uint8_t pk[OTA_ED25519_PK_LEN];
        if (dk->value_len != 2 * OTA_ED25519_PK_LEN || ota_hex_decode(pk, sizeof pk, dk->value))
            return ota_err_set(err, OTA_E_KEY, "%s: public key is not 64 lowercase hex digits",
                               what);
        rc = ota_pubkey_from_ed25519(k, pk, err);
    } else if (!strcmp(dk->keytype, "ecdsa") && !strcmp(dk->scheme, "ecdsa-sha2-nistp256") && pub) {
        rc = ota_pubkey_parse_pem(k, dk->value, dk->value_len, err);
        if (!rc && k->alg != OTA_KEY_ECDSA_P256)
            rc = ota_err_set(err, OTA_E_KEY, "%s: not an ECDSA P-256 key", what);
        char *pem = NULL;
        size_t pl = 0;
        /* the key id hashes the text: only OpenSSL's own spelling of the key is accepted */
        if (!rc && !(rc = ota_pubkey_pem(&pem, &pl, k, err)) &&
            (pl != dk->value_len || memcmp(pem, dk->value, pl) != 0))
            rc = ota_err_set(err, OTA_E_KEY, "%s: PEM text is not in canonical form", what);
        free(pem);
    } else if (!strcmp(dk->keytype, OTA_KEYTYPE_X509_CA) && !strcmp(dk->scheme, OTA_SCHEME_CMS) &&
               !strcmp(dk->valname, "certificate")) {
        if (in_role(&kr->doc, OTA_ROLE_ROOT, i))
            return ota_err_set(err, OTA_E_KEY, "%s: a CA key cannot be a root key", what);
        struct ota_certlist one = {0};
        if ((rc = ota_certs_parse_mem(&one, dk->value, dk->value_len, what, err)))
            return rc;
        char *pem = NULL;
        size_t pl = 0;
        if (one.n != 1 || !one.v[0].is_ca)
            rc = ota_err_set(err, OTA_E_KEY, "%s: not one CA certificate", what);
        /* the key id hashes the text: only OpenSSL's own spelling of the certificate */
        else if (!(rc = ota_cert_pem(&pem, &pl, &one.v[0], err)) &&
                 (pl != dk->value_len || memcmp(pem, dk->value, pl) != 0))
            rc = ota_err_set(err, OTA_E_KEY, "%s: PEM text is not in canonical form", what);
        else if (!rc)
            rc = ota_certs_append(&kr->cas, &one.v[0], err);
        free(pem);
        ota_certs_free(&one);
        if (rc)
            return rc;
        memset(k, 0, sizeof *k);
        k->alg = OTA_KEY_X509_CA;
        /* the id is the TUF-style hash of the key object, computed below */
        char *canon;
        size_t cl;
        uint8_t id[OTA_SHA256_LEN];
        if ((rc = ota_keyring_doc_key_bytes(&canon, &cl, &kr->doc, i, err)))
            return rc;
        rc = ota_sha256_mem(id, canon, cl, err);
        free(canon);
        if (rc)
            return rc;
        ota_hex_encode(k->keyid, id, OTA_SHA256_LEN);
    } else {
        char shown[4 * OTA_MAX_KEYTYPE_LEN + 8];
        return ota_err_set(err, OTA_E_UNSUPPORTED, "%s: unsupported key type '%s'", what,
                           ota_printable(shown, sizeof shown, dk->keytype, OTA_MAX_KEYTYPE_LEN));
    }
    if (rc)
        return ota_err_prefix(err, "%s", what);
    if (strcmp(k->keyid, dk->keyid) != 0)
        return ota_err_set(err, OTA_E_KEY,
                           "%s: the key's id is %.16s, not the id it is listed "
                           "under",
                           what, k->keyid);
    return OTA_OK;
}

static int same_key(const struct ota_pubkey *a, const struct ota_pubkey *b)
{
    if (a->alg != b->alg)
        return 0;
    switch (a->alg) {
    case OTA_KEY_ED25519:
        return !memcmp(a->pk, b->pk, sizeof a->pk);
    case OTA_KEY_ECDSA_P256:
        return a->spki_len == b->spki_len && !memcmp(a->spki, b->spki, a->spki_len);
    case OTA_KEY_X509_CA:
        return !memcmp(a->ca->sha256, b->ca->sha256, sizeof a->ca->sha256);
    }
    return 0;
}

/* Decodes every key (after doc changed) and re-points CA keys into kr->cas. */
static enum ota_status derive(struct ota_keyring *kr, struct ota_err *err)
{
    ota_certs_free(&kr->cas);
    free(kr->signed_bytes);
    kr->signed_bytes = NULL;
    memset(kr->keys, 0, sizeof kr->keys);
    enum ota_status rc = OTA_OK;
    for (size_t i = 0; !rc && i < kr->doc.n_keys; i++)
        rc = decode_key(kr, i, err);
    for (size_t i = 0, c = 0; !rc && i < kr->doc.n_keys; i++)
        if (kr->keys[i].alg == OTA_KEY_X509_CA)
            kr->keys[i].ca = &kr->cas.v[c++];
    /* one key, one id: the same key under two ids would count twice toward a threshold */
    for (size_t i = 0; !rc && i < kr->doc.n_keys; i++)
        for (size_t j = i + 1; !rc && j < kr->doc.n_keys; j++)
            if (same_key(&kr->keys[i], &kr->keys[j]))
                rc = ota_err_set(err, OTA_E_KEY, "keyring: keys %.16s and %.16s are the same key",
                                 kr->keys[i].keyid, kr->keys[j].keyid);
    if (!rc)
        rc = ota_keyring_doc_signed_bytes(&kr->signed_bytes, &kr->signed_len, &kr->doc, err);
    return rc;
}

enum ota_status ota_keyring_refresh(struct ota_keyring *kr, struct ota_err *err)
{
    return derive(kr, err);
}

enum ota_status ota_keyring_parse_mem(struct ota_keyring **out, const char *buf, size_t len,
                                      struct ota_err *err)
{
    *out = NULL;
    struct ota_keyring *kr = calloc(1, sizeof *kr);
    if (!kr)
        return ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
    enum ota_status rc = ota_keyring_doc_parse_mem(&kr->doc, buf, len, err);
    if (!rc)
        rc = derive(kr, err);
    if (rc) {
        ota_keyring_free(kr);
        return rc;
    }
    *out = kr;
    return OTA_OK;
}

enum ota_status ota_keyring_load(struct ota_keyring **kr, const char *path, struct ota_err *err)
{
    char *buf;
    size_t len;
    *kr = NULL;
    enum ota_status rc = ota_fs_read_small(&buf, &len, AT_FDCWD, path, OTA_MAX_KEYRING_SIZE, err);
    if (rc)
        return rc;
    rc = ota_keyring_parse_mem(kr, buf, len, err);
    free(buf);
    if (rc)
        ota_err_prefix(err, "%s", path);
    return rc;
}

enum ota_status ota_keyring_from_keys(struct ota_keyring **out, const struct ota_pubkey *keys,
                                      size_t n, unsigned threshold, struct ota_err *err)
{
    *out = NULL;
    if (n < 1 || n > OTA_MAX_KEYRING_KEYS || threshold < 1 || threshold > n)
        return ota_err_set(err, OTA_E_USAGE, "%zu keys with threshold %u", n, threshold);
    struct ota_keyring *kr = calloc(1, sizeof *kr);
    if (!kr)
        return ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
    enum ota_status rc = OTA_OK;
    snprintf(kr->doc.spec_version, sizeof kr->doc.spec_version, "%s", OTA_KEYRING_SPEC_VERSION);
    for (size_t i = 0; !rc && i < n; i++) {
        char hex[2 * OTA_ED25519_PK_LEN + 1];
        ota_hex_encode(hex, keys[i].pk, OTA_ED25519_PK_LEN);
        if (keys[i].alg != OTA_KEY_ED25519)
            rc = ota_err_set(err, OTA_E_KEY, "key %.16s is not an Ed25519 key", keys[i].keyid);
        else if (ota_keyring_doc_find_key(&kr->doc, keys[i].keyid) < 0)
            rc = ota_keyring_doc_add_key(&kr->doc, NULL, keys[i].keyid, "ed25519", "ed25519",
                                         "public", hex, err);
    }
    for (size_t r = 0; !rc && r < OTA_N_ROLES; r++) {
        kr->doc.roles[r].n = kr->doc.n_keys;
        for (size_t i = 0; i < kr->doc.n_keys; i++)
            kr->doc.roles[r].key[i] = i;
        kr->doc.roles[r].threshold = threshold;
    }
    if (!rc && threshold > kr->doc.n_keys)
        rc = ota_err_set(err, OTA_E_USAGE, "threshold %u with %zu distinct keys", threshold,
                         kr->doc.n_keys);
    if (!rc)
        rc = derive(kr, err); /* version 0: no document exists, nothing ever signs it */
    if (rc) {
        ota_keyring_free(kr);
        return rc;
    }
    *out = kr;
    return OTA_OK;
}

enum ota_status ota_keyring_signed_by(size_t *n_valid, const struct ota_keyring *kr,
                                      const struct ota_keyring *signer, enum ota_role role,
                                      struct ota_err *err)
{
    const struct ota_kr_role *r = &signer->doc.roles[role];
    size_t n = 0;
    *n_valid = 0;
    for (size_t j = 0; j < r->n; j++) {
        const struct ota_pubkey *k = &signer->keys[r->key[j]];
        for (size_t s = 0; s < kr->doc.n_sigs; s++) {
            const struct ota_kr_sig *sig = &kr->doc.sigs[s];
            if (strcmp(sig->keyid, k->keyid) != 0)
                continue;
            /* signatures are distinct by key id (the parser refuses one twice) */
            if (ota_pubkey_verify(k, sig->sig, sig->sig_len, NULL,
                                  (const uint8_t *)kr->signed_bytes, kr->signed_len) == 0)
                n++;
            else
                return ota_err_set(err, OTA_E_SIGNATURE,
                                   "keyring v%llu: signature by %s key %.16s does not verify",
                                   (unsigned long long)kr->doc.version, ota_role_names[role],
                                   k->keyid);
        }
    }
    *n_valid = n;
    if (n < r->threshold)
        return ota_err_set(err, OTA_E_SIGNATURE,
                           "keyring v%llu: %zu valid signature%s by the %s keys of v%llu, %u "
                           "required",
                           (unsigned long long)kr->doc.version, n, n == 1 ? "" : "s",
                           ota_role_names[role], (unsigned long long)signer->doc.version,
                           r->threshold);
    return OTA_OK;
}

enum ota_status ota_keyring_rotate_check(const struct ota_keyring *cur,
                                         const struct ota_keyring *next, struct ota_err *err)
{
    size_t n;
    if (next->doc.version <= cur->doc.version)
        return ota_err_set(err, OTA_E_ROLLBACK, "keyring v%llu is not newer than v%llu",
                           (unsigned long long)next->doc.version,
                           (unsigned long long)cur->doc.version);
    if (next->doc.version != cur->doc.version + 1)
        return ota_err_set(
            err, OTA_E_SIGNATURE, "keyring v%llu does not follow v%llu (versions go up by one)",
            (unsigned long long)next->doc.version, (unsigned long long)cur->doc.version);
    enum ota_status rc = ota_keyring_signed_by(&n, next, cur, OTA_ROLE_ROOT, err);
    if (!rc)
        rc = ota_keyring_signed_by(&n, next, next, OTA_ROLE_ROOT, err);
    return rc;
}

enum ota_status ota_keyring_advance(struct ota_keyring **newest, const struct ota_keyring *cur,
                                    const struct ota_sigblock *b, struct ota_err *err)
{
    *newest = NULL;
    struct ota_keyring *prev = NULL;
    const struct ota_keyring *at = cur;
    enum ota_status rc = OTA_OK;
    uint64_t top = 0;
    for (size_t i = 0; !rc && i < b->n_keyrings; i++) {
        struct ota_keyring *kr;
        if ((rc = ota_keyring_parse_mem(&kr, b->keyrings[i], b->keyring_len[i], err))) {
            ota_err_prefix(err, "signature block: keyring %zu", i);
            break;
        }
        if (i && kr->doc.version <= top) { /* one order, so every device reads it one way */
            rc = ota_err_set(err, OTA_E_FORMAT,
                             "signature block: keyring v%llu after v%llu (oldest first, each "
                             "version once)",
                             (unsigned long long)kr->doc.version, (unsigned long long)top);
            ota_keyring_free(kr);
            break;
        }
        top = kr->doc.version;
        if (kr->doc.version < cur->doc.version) {
            ota_keyring_free(kr); /* history for devices further behind */
            continue;
        }
        if (kr->doc.version == cur->doc.version) {
            if (kr->signed_len != cur->signed_len ||
                memcmp(kr->signed_bytes, cur->signed_bytes, cur->signed_len) != 0)
                rc = ota_err_set(err, OTA_E_SIGNATURE,
                                 "keyring v%llu in the package is not the device's keyring v%llu",
                                 (unsigned long long)kr->doc.version,
                                 (unsigned long long)cur->doc.version);
            ota_keyring_free(kr);
            continue;
        }
        if ((rc = ota_keyring_rotate_check(at, kr, err))) {
            ota_keyring_free(kr);
            break;
        }
        ota_keyring_free(prev);
        prev = kr;
        at = kr;
    }
    if (!rc && b->n_keyrings && top < cur->doc.version)
        rc = ota_err_set(err, OTA_E_ROLLBACK,
                         "package carries keyring v%llu, older than the device's v%llu",
                         (unsigned long long)top, (unsigned long long)cur->doc.version);
    if (rc) {
        ota_keyring_free(prev);
        return rc;
    }
    *newest = prev;
    return OTA_OK;
}

enum ota_status ota_keyring_check_expiry(const struct ota_keyring *kr, int64_t t,
                                         struct ota_err *err)
{
    if (kr->doc.version == 0 || t < kr->doc.expires)
        return OTA_OK;
    char when[OTA_TIME_STR_LEN];
    ota_time_format(when, kr->doc.expires);
    return ota_err_set(err, OTA_E_EXPIRED, "keyring v%llu expired at %s",
                       (unsigned long long)kr->doc.version, when);
}

enum ota_status ota_keyring_verify_manifest(struct ota_verify_result *res,
                                            const struct ota_keyring *kr, const char *manifest,
                                            size_t len, const struct ota_sigblock *b,
                                            struct ota_err *err)
{
    const struct ota_kr_role *r = &kr->doc.roles[OTA_ROLE_TARGETS];
    struct ota_pubkey keys[OTA_MAX_KEYRING_KEYS];
    for (size_t j = 0; j < r->n; j++)
        keys[j] = kr->keys[r->key[j]];
    enum ota_status rc = ota_verify_threshold(res, OTA_DOMAIN_MANIFEST, (const uint8_t *)manifest,
                                              len, b, keys, r->n, r->threshold, err);
    if (rc && kr->doc.version)
        ota_err_prefix(err, "keyring v%llu", (unsigned long long)kr->doc.version);
    return rc;
}
