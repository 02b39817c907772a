/* otapack — `otapack lint`: checks the certificates a release engineer is about to ship.
 *
 * A host-side check, not a security boundary: it looks at certificate files, or at the
 * trust payloads ("trust-add", "trust-replace") and the server chain ("server-chain") of a
 * package, without verifying the package's signatures, and reports what would hurt the fleet:
 *
 *   code           severity  when
 *   expired        error     now is after notAfter (a device refuses it anyway)
 *   not-ca         error     a trust anchor, or a chain certificate after the leaf, without
 *                            basicConstraints CA:TRUE (a device refuses it anyway)
 *   not-yet-valid  warning   now is before notBefore
 *   expiring       warning   notAfter is less than min_validity_days away
 *   weak-key       warning   RSA or DSA under 2048 bits, EC under 224 bits
 *   sha1           warning   signed with SHA-1 (or MD5, MD4, MD2); not reported for a
 *                            self-signed certificate, whose own signature no client checks
 *   duplicate      warning   the same certificate (same SHA-256 of its DER bytes) again in
 *                            the same input; the copy is not checked further
 *
 * and, for each keyring a package carries for rotation (subject "keyring vN", fingerprint
 * the SHA-256 of its signed bytes):
 *   expired        error     now is at or after its expiry
 *   expiring       warning   it expires in less than min_validity_days
 *   unsigned       error     not signed by a threshold of its own root keys
 *
 * The library reports; it never prints and never decides an exit code. `--strict` (a CI
 * gate) is the caller's policy: ota_lint_failed() with OTA_LINT_STRICT counts warnings too.
 */
#ifndef OTAPACK_LINT_H
#define OTAPACK_LINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "otapack/digest.h"
#include "otapack/err.h"
#include "otapack/limits.h"
#include "otapack/x509.h"

#define OTA_LINT_DEFAULT_MIN_DAYS 90u
#define OTA_LINT_MAX_MIN_DAYS OTA_MAX_EXPIRY_DAYS /* --min-validity: at most 100 years */
#define OTA_LINT_MSG_MAX 200

/* Values are part of the C API: never renumber, only append. */
enum ota_lint_severity {
    OTA_LINT_WARNING = 1, /* worth a look; fails only with OTA_LINT_STRICT */
    OTA_LINT_ERROR = 2,   /* a device would refuse it, or the fleet would be hurt: always fails */
};

/* Values are part of the C API: never renumber, only append. */
enum ota_lint_code {
    OTA_LINT_EXPIRED = 1,       /* "expired" */
    OTA_LINT_NOT_YET_VALID = 2, /* "not-yet-valid" */
    OTA_LINT_EXPIRING = 3,      /* "expiring" */
    OTA_LINT_NOT_CA = 4,        /* "not-ca" */
    OTA_LINT_WEAK_KEY = 5,      /* "weak-key" */
    OTA_LINT_SHA1 = 6,          /* "sha1" */
    OTA_LINT_DUPLICATE = 7,     /* "duplicate" */
    OTA_LINT_UNSIGNED = 8,      /* "unsigned": a carried keyring its own root keys did not sign */
};

/* What the certificates are for, which decides the not-ca rule. */
enum ota_lint_role {
    OTA_LINT_ROLE_TRUST = 0, /* trust anchors (a bundle of roots): every one must be a CA */
    OTA_LINT_ROLE_CHAIN = 1, /* a server chain, leaf first: all but the leaf must be CAs */
};

/* How ota_lint_failed judges a report. */
enum ota_lint_flags {
    OTA_LINT_DEFAULT = 0, /* only errors fail */
    OTA_LINT_STRICT = 1,  /* warnings fail too (the CI gate) */
};

struct ota_lint_finding {
    enum ota_lint_code code;
    enum ota_lint_severity severity;
    char payload[OTA_MAX_NAME_LEN + 1];   /* package payload holding it; "" for a file */
    char subject[256];                    /* RFC 2253, printable (escaped by x509.c) */
    char fingerprint[OTA_SHA256_HEX_LEN]; /* SHA-256 of the DER bytes, lowercase hex */
    int64_t not_before, not_after;        /* seconds since the epoch, UTC */
    char message[OTA_LINT_MSG_MAX];       /* one line, without subject or payload */
};

/* Findings accumulate across calls: zero the report (or ota_lint_report_init) once, lint
 * several inputs into it, free it once. */
struct ota_lint_report {
    size_t n_certs;    /* certificates looked at, duplicates included */
    size_t n_errors;   /* findings of severity OTA_LINT_ERROR */
    size_t n_warnings; /* findings of severity OTA_LINT_WARNING */
    size_t n;          /* findings, in input order */
    struct ota_lint_finding *v;
};

void ota_lint_report_init(struct ota_lint_report *rep);
void ota_lint_report_free(struct ota_lint_report *rep);

/* Lints certs as trust anchors (OTA_LINT_ROLE_TRUST) at time now (seconds since the epoch),
 * appending findings to rep. min_validity_days 0 turns the "expiring" check off. Duplicates
 * are looked for within certs. Fails only for lack of memory (rep then holds the findings
 * made so far; free it as usual). */
enum ota_status ota_lint_certs(struct ota_lint_report *rep, const struct ota_certlist *certs,
                               int64_t now, uint32_t min_validity_days,
                               struct ota_err *err) OTA_WUR;

/* Like ota_lint_certs with an explicit role; payload (may be NULL) is recorded in each
 * finding. */
enum ota_status ota_lint_certs_role(struct ota_lint_report *rep, const struct ota_certlist *certs,
                                    enum ota_lint_role role, const char *payload, int64_t now,
                                    uint32_t min_validity_days, struct ota_err *err) OTA_WUR;

/* Reads a package from fd (not owned, not closed) with the streaming reader and lints the
 * certificates of its "trust-add" and "trust-replace" payloads (as trust anchors, looking
 * for duplicates across all of them) and of each "server-chain" payload (as a chain).
 * Signatures are NOT verified: this is a check of what a release engineer built, not an
 * install. Every payload is still checked against its manifest sizes and digests, and the
 * container against the format, so a corrupt package is an error (OTA_E_FORMAT, OTA_E_DIGEST,
 * ...), as is a certificate payload that does not parse or exceeds OTA_MAX_BUNDLE_SIZE
 * (checked against the declared size before anything is allocated). On failure rep may hold
 * findings from the payloads before the bad one: report the failure, not the findings. */
enum ota_status ota_lint_package(struct ota_lint_report *rep, int fd, int64_t now,
                                 uint32_t min_validity_days, struct ota_err *err) OTA_WUR;

/* 1 if the report should fail a release: any error, or with OTA_LINT_STRICT any finding. */
int ota_lint_failed(const struct ota_lint_report *rep, enum ota_lint_flags flags);

/* "expired", "not-yet-valid", ...; "warning" or "error". Static strings. */
const char *ota_lint_code_name(enum ota_lint_code code);
const char *ota_lint_severity_name(enum ota_lint_severity sev);

/* ---- command-line layer (packager/lint_cli.c): the only part that prints ---------------- */

/* `otapack lint [--strict] [--min-validity DAYS] [--json] PKG|CERTS...`. argv[0] is the verb
 * ("lint"). Returns the exit code: 0 clean (or warnings only, without --strict), 1 a failing
 * finding or a corrupt input, 2 usage error, 3 system failure. */
int ota_cli_lint(int argc, char **argv);

/* Prints each finding of rep as one line:
 *   "<prog>: <file>: warning|error: <subject> (sha256 <16 hex>): [payload 'P': ]<message>"
 * For `otapack build` to show the lint findings of what it just built (prog "otapack build"). */
void ota_cli_lint_print(FILE *out, const char *prog, const char *file,
                        const struct ota_lint_report *rep);

#endif
