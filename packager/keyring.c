/* keyring.c — making, editing, signing and checking keyrings (root.json) on the host, and
 * verifying packages under a keyring.
 * Owns: how key files become keyring keys, and the host-side checks that catch a keyring or a
 * rotation chain every device would refuse before it ships. */
#define _GNU_SOURCE /* memmem */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otapack/codec.h"
#include "otapack/digest.h"
#include "otapack/fsio.h"
#include "otapack/keyring.h"
#include "otapack/osslsign.h"
#include "otapack/package.h"
#include "otapack/packager.h"

static struct ota_keyring *alloc_keyring(struct ota_err *err)
{
    struct ota_keyring *kr = calloc(1, sizeof *kr);
    if (!kr)
        ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
    return kr;
}

/* The TUF key id of a key written with this type, scheme and value. */
static enum ota_status key_id_of(char id[OTA_KEYID_HEX_LEN + 1], const char *type,
                                 const char *scheme, const char *valname, const char *value,
                                 struct ota_err *err)
{
    struct ota_keyring_doc *tmp = calloc(1, sizeof *tmp);
    char *canon = NULL;
    size_t cl;
    uint8_t h[OTA_SHA256_LEN];
    static const char zero[] = "0000000000000000000000000000000000000000000000000000000000000000";
    if (!tmp)
        return ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
    enum ota_status rc =
        ota_keyring_doc_add_key(tmp, NULL, zero, type, scheme, valname, value, err);
    if (!rc)
        rc = ota_keyring_doc_key_bytes(&canon, &cl, tmp, 0, err);
    if (!rc)
        rc = ota_sha256_mem(h, canon, cl, err);
    if (!rc)
        ota_hex_encode(id, h, OTA_SHA256_LEN);
    free(canon);
    ota_keyring_doc_free(tmp);
    free(tmp);
    return rc;
}

/* Reads a key file and adds the key to the document (if it is not there), returning its
 * index. */
static enum ota_status add_key_file(struct ota_keyring_doc *d, size_t *idx, enum ota_role role,
                                    const char *path, struct ota_err *err)
{
    char *buf;
    size_t len;
    enum ota_status rc = ota_fs_read_small(&buf, &len, AT_FDCWD, path, OTA_MAX_KEYVAL_LEN, err);
    if (rc) /* the message names the file */
        return rc;
    char id[OTA_KEYID_HEX_LEN + 1], *value = NULL, hex[2 * OTA_ED25519_PK_LEN + 1];
    const char *type, *scheme, *valname = "public";
    struct ota_pubkey k;
    struct ota_certlist certs = {0};
    static const char cert_pem[] = "-----BEGIN CERTIFICATE-----";
    memset(&k, 0, sizeof k);
    if (len >= strlen(OTA_PUBKEY_HEADER) &&
        !memcmp(buf, OTA_PUBKEY_HEADER, strlen(OTA_PUBKEY_HEADER))) {
        rc = ota_pubkey_parse_mem(&k, buf, len, err);
    } else if (memmem(buf, len, cert_pem, sizeof cert_pem - 1)) {
        k.alg = OTA_KEY_X509_CA;
        rc = ota_certs_parse_mem(&certs, buf, len, path, err);
    } else {
        rc = ota_pubkey_parse_pem(&k, buf, len, err);
    }
    free(buf);
    if (rc) {
        ota_certs_free(&certs);
        return ota_err_prefix(err, "%s", path);
    }
    switch (k.alg) {
    case OTA_KEY_ED25519:
        ota_hex_encode(hex, k.pk, OTA_ED25519_PK_LEN);
        type = "ed25519", scheme = "ed25519";
        memcpy(id, k.keyid, sizeof id);
        break;
    case OTA_KEY_ECDSA_P256:
        if ((rc = ota_pubkey_pem(&value, &len, &k, err)))
            return rc;
        type = "ecdsa", scheme = "ecdsa-sha2-nistp256";
        memcpy(id, k.keyid, sizeof id);
        break;
    case OTA_KEY_X509_CA:
    default:
        if (certs.n != 1 || !certs.v[0].is_ca)
            rc = ota_err_set(err, OTA_E_KEY, "%s: not one CA certificate", path);
        else if (role != OTA_ROLE_TARGETS)
            rc = ota_err_set(err, OTA_E_USAGE,
                             "%s: a CA certificate can only be a release "
                             "(targets) key",
                             path);
        else
            rc = ota_cert_pem(&value, &len, &certs.v[0], err);
        ota_certs_free(&certs);
        type = OTA_KEYTYPE_X509_CA, scheme = OTA_SCHEME_CMS, valname = "certificate";
        if (!rc)
            rc = key_id_of(id, type, scheme, valname, value, err);
        if (rc) {
            free(value);
            return rc;
        }
        break;
    }
    long have = ota_keyring_doc_find_key(d, id);
    if (have >= 0) {
        *idx = (size_t)have;
    } else {
        rc = ota_keyring_doc_add_key(d, idx, id, type, scheme, valname, value ? value : hex, err);
    }
    free(value);
    return rc;
}

static enum ota_status role_add(struct ota_kr_role *r, size_t idx, const char *keyid,
                                enum ota_role role, struct ota_err *err)
{
    for (size_t j = 0; j < r->n; j++)
        if (r->key[j] == idx)
            return ota_err_set(err, OTA_E_EXISTS, "key %.16s is already a %s key", keyid,
                               ota_role_names[role]);
    if (r->n >= OTA_MAX_KEYRING_KEYS)
        return ota_err_set(err, OTA_E_LIMIT, "more than %u %s keys", OTA_MAX_KEYRING_KEYS,
                           ota_role_names[role]);
    r->key[r->n++] = idx;
    return OTA_OK;
}

/* After an edit: signatures no longer apply; derived fields are recomputed. */
static enum ota_status edited(struct ota_keyring *kr, struct ota_err *err)
{
    ota_keyring_doc_clear_sigs(&kr->doc);
    return ota_keyring_refresh(kr, err);
}

enum ota_status ota_pack_keyring_new(struct ota_keyring **out, const struct ota_keyring_new_opts *o,
                                     struct ota_err *err)
{
    *out = NULL;
    if (o->n_root < 1 || o->n_release < 1)
        return ota_err_set(err, OTA_E_USAGE,
                           "a keyring needs at least one root key and one "
                           "release key");
    if (o->version < 1 || o->version > OTA_MAX_KEYRING_VERSION)
        return ota_err_set(err, OTA_E_USAGE, "version must be from 1 to %llu",
                           (unsigned long long)OTA_MAX_KEYRING_VERSION);
    struct ota_keyring *kr = alloc_keyring(err);
    if (!kr)
        return OTA_E_NOMEM;
    struct ota_keyring_doc *d = &kr->doc;
    snprintf(d->spec_version, sizeof d->spec_version, "%s", OTA_KEYRING_SPEC_VERSION);
    d->version = o->version;
    d->expires = o->expires;
    enum ota_status rc = OTA_OK;
    for (size_t i = 0; !rc && i < o->n_root; i++) {
        size_t idx;
        if (!(rc = add_key_file(d, &idx, OTA_ROLE_ROOT, o->root_keys[i], err)))
            rc = role_add(&d->roles[OTA_ROLE_ROOT], idx, d->keys[idx].keyid, OTA_ROLE_ROOT, err);
    }
    for (size_t i = 0; !rc && i < o->n_release; i++) {
        size_t idx;
        if (!(rc = add_key_file(d, &idx, OTA_ROLE_TARGETS, o->release_keys[i], err)))
            rc = role_add(&d->roles[OTA_ROLE_TARGETS], idx, d->keys[idx].keyid, OTA_ROLE_TARGETS,
                          err);
    }
    unsigned rt = o->root_threshold ? o->root_threshold : 1,
             tt = o->release_threshold ? o->release_threshold : 1;
    if (!rc && rt > d->roles[OTA_ROLE_ROOT].n)
        rc = ota_err_set(err, OTA_E_USAGE, "root threshold %u with %zu root keys", rt,
                         d->roles[OTA_ROLE_ROOT].n);
    if (!rc && tt > d->roles[OTA_ROLE_TARGETS].n)
        rc = ota_err_set(err, OTA_E_USAGE, "release threshold %u with %zu release keys", tt,
                         d->roles[OTA_ROLE_TARGETS].n);
    if (!rc) {
        d->roles[OTA_ROLE_ROOT].threshold = rt;
        d->roles[OTA_ROLE_TARGETS].threshold = tt;
        d->roles[OTA_ROLE_SNAPSHOT] = d->roles[OTA_ROLE_TARGETS];
        d->roles[OTA_ROLE_TIMESTAMP] = d->roles[OTA_ROLE_TARGETS];
        rc = ota_keyring_refresh(kr, err);
    }
    if (rc) {
        ota_keyring_free(kr);
        return rc;
    }
    *out = kr;
    return OTA_OK;
}

enum ota_status ota_pack_keyring_next(struct ota_keyring **out, const struct ota_keyring *prev,
                                      int64_t expires, struct ota_err *err)
{
    *out = NULL;
    if (prev->doc.version >= OTA_MAX_KEYRING_VERSION)
        return ota_err_set(err, OTA_E_LIMIT, "keyring version at its maximum");
    struct ota_keyring *kr = alloc_keyring(err);
    if (!kr)
        return OTA_E_NOMEM;
    enum ota_status rc = OTA_OK;
    kr->doc = prev->doc; /* then deep-copy what it owns */
    kr->doc.n_sigs = 0;
    memset(kr->doc.sigs, 0, sizeof kr->doc.sigs);
    for (size_t i = 0; i < kr->doc.n_keys; i++)
        if (!(kr->doc.keys[i].value = strdup(prev->doc.keys[i].value)) && !rc)
            rc = ota_err_set(err, OTA_E_NOMEM, "keyring: out of memory");
    kr->doc.version = prev->doc.version + 1;
    kr->doc.expires = expires;
    if (!rc)
        rc = ota_keyring_refresh(kr, err);
    if (rc) {
        ota_keyring_free(kr);
        return rc;
    }
    *out = kr;
    return OTA_OK;
}

enum ota_status ota_pack_keyring_add_key(struct ota_keyring *kr, enum ota_role role,
                                         const char *path, char keyid[OTA_KEYID_HEX_LEN + 1],
                                         struct ota_err *err)
{
    size_t idx;
    enum ota_status rc = add_key_file(&kr->doc, &idx, role, path, err);
    if (!rc)
        rc = role_add(&kr->doc.roles[role], idx, kr->doc.keys[idx].keyid, role, err);
    if (!rc && role == OTA_ROLE_TARGETS) { /* TUF clients: snapshot and timestamp follow */
        kr->doc.roles[OTA_ROLE_SNAPSHOT].n = 0;
        kr->doc.roles[OTA_ROLE_TIMESTAMP].n = 0;
        for (size_t j = 0; j < kr->doc.roles[OTA_ROLE_TARGETS].n; j++) {
            size_t k = kr->doc.roles[OTA_ROLE_TARGETS].key[j];
            kr->doc.roles[OTA_ROLE_SNAPSHOT].key[kr->doc.roles[OTA_ROLE_SNAPSHOT].n++] = k;
            kr->doc.roles[OTA_ROLE_TIMESTAMP].key[kr->doc.roles[OTA_ROLE_TIMESTAMP].n++] = k;
        }
    }
    if (!rc)
        memcpy(keyid, kr->doc.keys[idx].keyid, OTA_KEYID_HEX_LEN + 1);
    if (!rc)
        rc = edited(kr, err);
    return rc;
}

enum ota_status ota_pack_keyring_remove_key(struct ota_keyring *kr, enum ota_role role,
                                            const char *key, struct ota_err *err)
{
    struct ota_keyring_doc *d = &kr->doc;
    long idx = ota_keyring_doc_find_key(d, key);
    if (idx < 0) { /* not a key id: a key file */
        struct ota_keyring *tmp = alloc_keyring(err);
        size_t i;
        if (!tmp)
            return OTA_E_NOMEM;
        enum ota_status rc = add_key_file(&tmp->doc, &i, role, key, err);
        if (!rc)
            idx = ota_keyring_doc_find_key(d, tmp->doc.keys[i].keyid);
        ota_keyring_free(tmp);
        if (rc)
            return rc;
    }
    if (idx < 0)
        return ota_err_set(err, OTA_E_NOENT, "%s: not a key of this keyring", key);
    int touched = 0;
    for (int r = 0; r < OTA_N_ROLES; r++) {
        struct ota_kr_role *ro = &d->roles[r];
        if (r != (int)role &&
            !(role == OTA_ROLE_TARGETS && (r == OTA_ROLE_SNAPSHOT || r == OTA_ROLE_TIMESTAMP)))
            continue;
        for (size_t j = 0; j < ro->n; j++)
            if (ro->key[j] == (size_t)idx) {
                if (ro->n - 1 < ro->threshold || ro->n == 1)
                    return ota_err_set(err, OTA_E_USAGE,
                                       "removing key %.16s leaves the %s role %zu key%s for "
                                       "threshold %u",
                                       d->keys[idx].keyid, ota_role_names[r], ro->n - 1,
                                       ro->n - 1 == 1 ? "" : "s", ro->threshold);
                memmove(&ro->key[j], &ro->key[j + 1], (ro->n - j - 1) * sizeof ro->key[0]);
                ro->n--;
                touched |= r == (int)role;
                break;
            }
    }
    if (!touched)
        return ota_err_set(err, OTA_E_NOENT, "key %.16s is not a %s key", d->keys[idx].keyid,
                           ota_role_names[role]);
    int used = 0;
    for (int r = 0; r < OTA_N_ROLES; r++)
        for (size_t j = 0; j < d->roles[r].n; j++)
            used |= d->roles[r].key[j] == (size_t)idx;
    if (!used)
        ota_keyring_doc_remove_key(d, (size_t)idx);
    return edited(kr, err);
}

enum ota_status ota_pack_keyring_set_threshold(struct ota_keyring *kr, enum ota_role role,
                                               unsigned threshold, struct ota_err *err)
{
    struct ota_kr_role *r = &kr->doc.roles[role];
    if (threshold < 1 || threshold > r->n)
        return ota_err_set(err, OTA_E_USAGE, "%s threshold %u with %zu keys", ota_role_names[role],
                           threshold, r->n);
    r->threshold = threshold;
    if (role == OTA_ROLE_TARGETS) {
        kr->doc.roles[OTA_ROLE_SNAPSHOT].threshold = threshold;
        kr->doc.roles[OTA_ROLE_TIMESTAMP].threshold = threshold;
    }
    return edited(kr, err);
}

enum ota_status ota_pack_keyring_sign(struct ota_keyring *kr, const struct ota_seckey *key,
                                      struct ota_err *err)
{
    uint8_t sig[OTA_ED25519_SIG_LEN];
    enum ota_status rc =
        ota_seckey_sign(sig, NULL, (const uint8_t *)kr->signed_bytes, kr->signed_len, key, err);
    if (!rc)
        rc = ota_keyring_doc_put_sig(&kr->doc, ota_seckey_public(key)->keyid, sig, sizeof sig, err);
    return rc;
}

enum ota_status ota_pack_keyring_sign_oss(struct ota_keyring *kr, struct ota_osskey *key,
                                          char keyid[OTA_KEYID_HEX_LEN + 1], struct ota_err *err)
{
    struct ota_osskey_pub pub;
    uint8_t sig[OTA_OSSKEY_MAX_SIG];
    size_t sl;
    char method[OTA_MAX_METHOD_LEN + 1];
    enum ota_status rc = ota_osskey_public(&pub, key, err);
    if (rc)
        return rc;
    if (!pub.keyid[0])
        rc = ota_err_set(err, OTA_E_UNSUPPORTED, "keyring: an RSA key cannot sign a keyring");
    if (!rc)
        rc = ota_osskey_sign_raw(method, sig, &sl, sizeof sig, NULL,
                                 (const uint8_t *)kr->signed_bytes, kr->signed_len, key, err);
    if (!rc)
        rc = ota_keyring_doc_put_sig(&kr->doc, pub.keyid, sig, sl, err);
    if (!rc)
        memcpy(keyid, pub.keyid, OTA_KEYID_HEX_LEN + 1);
    ota_osskey_pub_free(&pub);
    return rc;
}

enum ota_status ota_pack_keyring_write(const struct ota_keyring *kr, const char *path,
                                       struct ota_err *err)
{
    char *text, name[256];
    size_t len;
    int dirfd;
    enum ota_status rc = ota_keyring_doc_serialize(&text, &len, &kr->doc, err);
    if (rc)
        return rc;
    if (!(rc = ota_fs_open_parent(&dirfd, name, sizeof name, path, err))) {
        rc = ota_fs_write_atomic(dirfd, name, text, len, 0644, err);
        close(dirfd);
    }
    free(text);
    return rc ? ota_err_prefix(err, "%s", path) : OTA_OK;
}

enum ota_status ota_pack_keyring_chain_check(struct ota_keyring *const *chain, size_t n, int64_t t,
                                             struct ota_err *err)
{
    size_t nv;
    if (n == 0)
        return OTA_OK;
    if (n > OTA_MAX_KEYRING_CHAIN)
        return ota_err_set(err, OTA_E_LIMIT, "more than %u keyrings", OTA_MAX_KEYRING_CHAIN);
    enum ota_status rc = ota_keyring_signed_by(&nv, chain[0], chain[0], OTA_ROLE_ROOT, err);
    for (size_t i = 1; !rc && i < n; i++)
        rc = ota_keyring_rotate_check(chain[i - 1], chain[i], err);
    if (!rc)
        rc = ota_keyring_check_expiry(chain[n - 1], t, err);
    return rc;
}

enum ota_status ota_pack_verify_keyring(struct ota_pack_info *info, uint64_t *newest_version,
                                        int fd, const struct ota_keyring *kr, int64_t now,
                                        struct ota_err *err)
{
    memset(info, 0, sizeof *info);
    *newest_version = 0;
    struct ota_pkg_reader *r;
    struct ota_keyring *newest = NULL;
    enum ota_status rc = ota_pkg_reader_open_fd(&r, fd, err);
    if (rc)
        return rc;
    const char *mj, *sj;
    size_t ml, sl;
    if (!(rc = ota_pkg_reader_head(r, &mj, &ml, &sj, &sl, err)) &&
        !(rc = ota_sigblock_parse_mem(&info->sigblock, sj, sl, err)) &&
        !(rc = ota_sha256_mem(info->manifest_sha256, mj, ml, err)) &&
        !(rc = ota_keyring_advance(&newest, kr, &info->sigblock, err))) {
        const struct ota_keyring *use = newest ? newest : kr;
        *newest_version = use->doc.version;
        rc = ota_keyring_verify_manifest(&info->verified, use, mj, ml, &info->sigblock, err);
        if (!rc)
            rc = ota_manifest_parse_mem(&info->manifest, mj, ml, err);
        if (!rc)
            rc = ota_keyring_check_expiry(
                use, now > info->manifest.created ? now : info->manifest.created, err);
    }
    for (size_t i = 0; !rc && i < info->manifest.n_payloads; i++)
        rc = ota_pkg_reader_payload(r, &info->manifest, i, OTA_SINK_RAW, NULL, NULL, err);
    if (!rc)
        rc = ota_pkg_reader_finish(r, &info->manifest, err);
    info->package_size = ota_pkg_reader_offset(r);
    info->keyring_version = *newest_version;
    ota_pkg_reader_free(r);
    ota_keyring_free(newest);
    if (rc)
        ota_pack_info_free(info);
    return rc;
}
