/* otapack — X.509 certificates as otapack sees them: parsed from PEM or DER bundles,
 * identified by the SHA-256 of their DER bytes (lowercase hex, no colons), described by
 * subject, issuer, validity, CA flag, key and signature algorithm. Used for Trusted Root
 * Store payloads, the device certificate store and `otapack lint`. */
#ifndef OTAPACK_X509_H
#define OTAPACK_X509_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/digest.h"
#include "otapack/err.h"

#define OTA_MAX_CERT_DER (16u * 1024u)           /* one certificate, DER bytes */
#define OTA_MAX_CERTS 1024u                      /* certificates in one bundle or store */
#define OTA_MAX_BUNDLE_SIZE (4u * 1024u * 1024u) /* a PEM bundle, bytes */

struct ota_cert {
    void *x509;                     /* OpenSSL X509 *, owned */
    uint8_t sha256[OTA_SHA256_LEN]; /* of the DER encoding */
    char fingerprint[OTA_SHA256_HEX_LEN];
    char subject[256]; /* one line, RFC 2253 */
    char issuer[256];
    int64_t not_before, not_after; /* seconds since the epoch, UTC */
    int is_ca;                     /* basicConstraints CA:TRUE */
    int self_signed;
    char key_type[16]; /* "RSA", "EC", "ED25519", ... */
    int key_bits;
    char sig_alg[64];           /* e.g. "sha256WithRSAEncryption" */
    int sha1_signature;         /* signed with SHA-1 (or MD5) */
    unsigned long subject_hash; /* what `openssl rehash` names files by */
};

struct ota_certlist {
    size_t n;
    struct ota_cert *v;
};

/* Parses one DER certificate, or one or more PEM certificates (other PEM blocks, such as
 * keys, are an error; text between blocks is allowed). Bounded by OTA_MAX_BUNDLE_SIZE and
 * OTA_MAX_CERTS. what names the input in errors. */
enum ota_status ota_certs_parse_mem(struct ota_certlist *out, const void *buf, size_t len,
                                    const char *what, struct ota_err *err) OTA_WUR;

/* Reads and parses a file (regular, not a symlink). */
enum ota_status ota_certs_load(struct ota_certlist *out, const char *path,
                               struct ota_err *err) OTA_WUR;

void ota_certs_free(struct ota_certlist *l);

/* Appends a copy (reference) of c to l. */
enum ota_status ota_certs_append(struct ota_certlist *l, const struct ota_cert *c,
                                 struct ota_err *err) OTA_WUR;

/* Index of the certificate with this SHA-256, or -1. */
long ota_certs_find(const struct ota_certlist *l, const uint8_t sha256[OTA_SHA256_LEN]);

/* Removes entry i (keeps order). */
void ota_certs_remove(struct ota_certlist *l, size_t i);

/* Sorts by fingerprint (the canonical order of bundles otapack writes). */
void ota_certs_sort(struct ota_certlist *l);

/* PEM of one certificate (malloc'd, NUL-terminated). */
enum ota_status ota_cert_pem(char **out, size_t *len, const struct ota_cert *c,
                             struct ota_err *err) OTA_WUR;

/* PEM of every certificate in order, concatenated. */
enum ota_status ota_certs_pem(char **out, size_t *len, const struct ota_certlist *l,
                              struct ota_err *err) OTA_WUR;

/* Parses a SHA-256 fingerprint: 64 hex digits in either case, optionally colon-separated
 * pairs (as `openssl x509 -fingerprint -sha256` prints). Returns 0 or -1. */
int ota_fingerprint_parse(uint8_t out[OTA_SHA256_LEN], const char *s) OTA_WUR;

/* An OpenSSL X509_NAME as one printable line, RFC 2253 (what ota_cert's subject and issuer
 * hold): names come from outside, so non-printable bytes are escaped. */
struct X509_name_st;
void ota_x509_name_line(char *out, size_t outsz, const struct X509_name_st *n);

/* "CN=..., O=... (sha256 ab12cd34...)": how messages name a certificate. */
void ota_cert_describe(char *out, size_t outsz, const struct ota_cert *c);

/* Checks that roots anchor chain (leaf first, then intermediates): a path from the leaf to
 * one of the roots exists with valid signatures and constraints, and that root is valid at
 * time t. The dates of the chain's own certificates are not checked: servers renew them
 * without a release, and the question is whether the device holds the right root. */
enum ota_status ota_chain_verify(const struct ota_certlist *chain, const struct ota_certlist *roots,
                                 int64_t t, struct ota_err *err) OTA_WUR;

#endif
