/* pubkey.c — public key files, key ids, and threshold verification of signature blocks.
 * Owns: deciding whether a document is signed by enough trusted keys. Must never hold or
 * touch secret key material; this file is linked into the device binary. */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "otapack/codec.h"
#include "otapack/digest.h"
#include "otapack/fsio.h"
#include "otapack/key.h"

enum ota_status ota_pubkey_from_ed25519(struct ota_pubkey *k, const uint8_t pk[OTA_ED25519_PK_LEN],
                                        struct ota_err *err)
{
    char hex[2 * OTA_ED25519_PK_LEN + 1];
    char canon[160];
    uint8_t id[OTA_SHA256_LEN];
    memset(k, 0, sizeof *k);
    ota_hex_encode(hex, pk, OTA_ED25519_PK_LEN);
    /* TUF canonical JSON of the key object: keys sorted, no whitespace. */
    int n = snprintf(canon, sizeof canon,
                     "{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"ed25519\"}",
                     hex);
    enum ota_status rc = ota_sha256_mem(id, canon, (size_t)n, err);
    if (rc)
        return rc;
    k->alg = OTA_KEY_ED25519;
    memcpy(k->pk, pk, OTA_ED25519_PK_LEN);
    ota_hex_encode(k->keyid, id, OTA_SHA256_LEN);
    return OTA_OK;
}

enum ota_status ota_pubkey_parse_mem(struct ota_pubkey *k, const char *buf, size_t len,
                                     struct ota_err *err)
{
    static const char head[] = OTA_PUBKEY_HEADER " ed25519 ";
    const size_t hl = sizeof head - 1, kl = 2 * OTA_ED25519_PK_LEN;
    memset(k, 0, sizeof *k);
    if (len == hl + kl + 1 && buf[len - 1] == '\n')
        len--;
    if (len != hl + kl || memcmp(buf, head, hl) != 0)
        return ota_err_set(err, OTA_E_KEY,
                           "not an otapack public key (expected one line '%s<64 hex digits>')",
                           head);
    char hex[2 * OTA_ED25519_PK_LEN + 1];
    memcpy(hex, buf + hl, kl);
    hex[kl] = '\0';
    uint8_t pk[OTA_ED25519_PK_LEN];
    if (ota_hex_decode(pk, sizeof pk, hex) != 0)
        return ota_err_set(err, OTA_E_KEY, "public key is not 64 lowercase hex digits");
    return ota_pubkey_from_ed25519(k, pk, err);
}

enum ota_status ota_pubkey_load(struct ota_pubkey *k, const char *path, struct ota_err *err)
{
    char *buf;
    size_t len;
    memset(k, 0, sizeof *k);
    enum ota_status rc = ota_fs_read_small(&buf, &len, AT_FDCWD, path, OTA_MAX_KEYFILE_SIZE, err);
    if (rc)
        return rc;
    rc = ota_pubkey_parse_mem(k, buf, len, err);
    free(buf);
    if (rc)
        ota_err_prefix(err, "%s", path);
    return rc;
}

void ota_pubkey_format(char *out, size_t outsz, const struct ota_pubkey *k)
{
    char hex[2 * OTA_ED25519_PK_LEN + 1];
    ota_hex_encode(hex, k->pk, OTA_ED25519_PK_LEN);
    snprintf(out, outsz, "%s ed25519 %s\n", OTA_PUBKEY_HEADER, hex);
}

int ota_sig_verify(const uint8_t *sig, size_t sig_len, const char *domain, const uint8_t *msg,
                   size_t msg_len, const struct ota_pubkey *k)
{
    if (k->alg != OTA_KEY_ED25519 || sig_len != OTA_ED25519_SIG_LEN || sodium_init() < 0)
        return -1;
    size_t mlen;
    uint8_t *m = ota_domain_message(domain, msg, msg_len, &mlen);
    if (!m)
        return -1;
    int ok = crypto_sign_verify_detached(sig, m, mlen, k->pk);
    free(m);
    return ok == 0 ? 0 : -1;
}

static const struct ota_pubkey *find_key(const struct ota_pubkey *keys, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(keys[i].keyid, id))
            return &keys[i];
    return NULL;
}

enum ota_status ota_verify_threshold(struct ota_verify_result *res, const char *domain,
                                     const uint8_t *doc, size_t doc_len,
                                     const struct ota_sigblock *block,
                                     const struct ota_pubkey *keys, size_t n_keys,
                                     unsigned threshold, struct ota_err *err)
{
    struct ota_verify_result r;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    if (threshold < 1)
        return ota_err_set(err, OTA_E_USAGE, "signature threshold must be at least 1");
    if (block->n == 0)
        return ota_err_set(err, OTA_E_SIGNATURE, "package is unsigned");
    for (size_t i = 0; i < block->n; i++) {
        const struct ota_signature *s = &block->sigs[i];
        const struct ota_pubkey *k = find_key(keys, n_keys, s->keyid);
        if (!k) {
            r.n_untrusted++;
            continue;
        }
        if (strcmp(s->method, "ed25519") != 0) {
            char shown[4 * OTA_MAX_METHOD_LEN + 8];
            return ota_err_set(err, OTA_E_SIGNATURE,
                               "signature by key %.16s uses method '%s', key is ed25519",
                               s->keyid,
                               ota_printable(shown, sizeof shown, s->method, OTA_MAX_METHOD_LEN));
        }
        if (ota_sig_verify(s->sig, s->sig_len, domain, doc, doc_len, k) != 0)
            return ota_err_set(err, OTA_E_SIGNATURE, "signature by key %.16s does not verify",
                               s->keyid);
        /* the block parser rejects a key id listed twice, so valid keys are distinct */
        memcpy(r.valid[r.n_valid++], s->keyid, OTA_KEYID_HEX_LEN + 1);
    }
    if (r.n_valid < threshold) {
        if (r.n_valid == 0)
            return ota_err_set(err, OTA_E_SIGNATURE,
                               "no signature by a trusted key (signed by %.16s%s)",
                               block->sigs[0].keyid, block->n > 1 ? " and others" : "");
        return ota_err_set(err, OTA_E_SIGNATURE, "%zu valid signature%s, %u required",
                           r.n_valid, r.n_valid == 1 ? "" : "s", threshold);
    }
    *res = r;
    return OTA_OK;
}
