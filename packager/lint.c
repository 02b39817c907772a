/* lint.c — `otapack lint`, the library half: findings about certificates and packages.
 * Owns: the lint rules (lint.h has the table) and reading a package's certificate payloads
 * for them. Must never: print, exit, verify or trust a signature (lint is a host-side check
 * of what was built, not an install), or hold more than OTA_MAX_BUNDLE_SIZE bytes of one
 * payload in memory. The clock is the caller's: now is a parameter, never time(NULL). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/codec.h"
#include "otapack/keyring.h"
#include "otapack/lint.h"
#include "otapack/manifest.h"
#include "otapack/package.h"

#define DAY INT64_C(86400)

void ota_lint_report_init(struct ota_lint_report *rep)
{
    memset(rep, 0, sizeof *rep);
}

void ota_lint_report_free(struct ota_lint_report *rep)
{
    if (!rep)
        return;
    free(rep->v);
    memset(rep, 0, sizeof *rep);
}

const char *ota_lint_code_name(enum ota_lint_code code)
{
    switch (code) {
    case OTA_LINT_EXPIRED:
        return "expired";
    case OTA_LINT_NOT_YET_VALID:
        return "not-yet-valid";
    case OTA_LINT_EXPIRING:
        return "expiring";
    case OTA_LINT_NOT_CA:
        return "not-ca";
    case OTA_LINT_WEAK_KEY:
        return "weak-key";
    case OTA_LINT_SHA1:
        return "sha1";
    case OTA_LINT_DUPLICATE:
        return "duplicate";
    case OTA_LINT_UNSIGNED:
        return "unsigned";
    }
    return "unknown";
}

const char *ota_lint_severity_name(enum ota_lint_severity sev)
{
    return sev == OTA_LINT_ERROR ? "error" : "warning";
}

int ota_lint_failed(const struct ota_lint_report *rep, enum ota_lint_flags flags)
{
    if (rep->n_errors > 0)
        return 1;
    return (flags & OTA_LINT_STRICT) && rep->n_warnings > 0;
}

/* What a finding is about: a certificate, or a keyring a package carries. */
struct subject {
    const char *name;        /* certificate subject, or "keyring vN" */
    const char *fingerprint; /* SHA-256, lowercase hex */
    int64_t not_before, not_after;
};

static struct subject of_cert(const struct ota_cert *c)
{
    struct subject s = {c->subject, c->fingerprint, c->not_before, c->not_after};
    return s;
}

static enum ota_status add(struct ota_lint_report *rep, const struct subject *c,
                           const char *payload, enum ota_lint_code code, enum ota_lint_severity sev,
                           struct ota_err *err, const char *fmt, ...) OTA_PRINTF(7, 8);

static enum ota_status add(struct ota_lint_report *rep, const struct subject *c,
                           const char *payload, enum ota_lint_code code, enum ota_lint_severity sev,
                           struct ota_err *err, const char *fmt, ...)
{
    struct ota_lint_finding *v = realloc(rep->v, (rep->n + 1) * sizeof *v);
    if (!v)
        return ota_err_set(err, OTA_E_NOMEM, "lint: out of memory");
    rep->v = v;
    struct ota_lint_finding *f = &v[rep->n];
    memset(f, 0, sizeof *f);
    f->code = code;
    f->severity = sev;
    snprintf(f->payload, sizeof f->payload, "%s", payload ? payload : "");
    snprintf(f->subject, sizeof f->subject, "%s", c->name);
    snprintf(f->fingerprint, sizeof f->fingerprint, "%s", c->fingerprint);
    f->not_before = c->not_before;
    f->not_after = c->not_after;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    rep->n++;
    if (sev == OTA_LINT_ERROR)
        rep->n_errors++;
    else
        rep->n_warnings++;
    return OTA_OK;
}

/* Where an earlier copy of a certificate was seen, for duplicate findings. */
struct seen {
    uint8_t sha256[OTA_SHA256_LEN];
    size_t index; /* 1-based, within its input */
    char payload[OTA_MAX_NAME_LEN + 1];
};

struct seen_set {
    size_t n;
    struct seen *v;
};

static const struct seen *seen_find(const struct seen_set *s, const uint8_t *sha256)
{
    for (size_t i = 0; i < s->n; i++)
        if (!memcmp(s->v[i].sha256, sha256, OTA_SHA256_LEN)) /* public fingerprints */
            return &s->v[i];
    return NULL;
}

static enum ota_status seen_add(struct seen_set *s, const uint8_t *sha256, size_t index,
                                const char *payload, struct ota_err *err)
{
    struct seen *v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return ota_err_set(err, OTA_E_NOMEM, "lint: out of memory");
    s->v = v;
    memcpy(v[s->n].sha256, sha256, OTA_SHA256_LEN);
    v[s->n].index = index;
    snprintf(v[s->n].payload, sizeof v[s->n].payload, "%s", payload ? payload : "");
    s->n++;
    return OTA_OK;
}

static void seen_free(struct seen_set *s)
{
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static int weak_key(const struct ota_cert *c, int *min_bits)
{
    if (!strcmp(c->key_type, "RSA") || !strcmp(c->key_type, "RSA-PSS") ||
        !strcmp(c->key_type, "DSA")) {
        *min_bits = 2048;
        return c->key_bits < 2048;
    }
    if (!strcmp(c->key_type, "EC")) {
        *min_bits = 224;
        return c->key_bits < 224;
    }
    return 0; /* Ed25519, Ed448 and anything we cannot size: no finding */
}

/* Certificate times are within 0..OTA_MAX_TIME (x509.c clamps them); so is now after this,
 * so that not_after - now cannot overflow whatever the caller passes. */
static int64_t clamp_time(int64_t t)
{
    return t < 0 ? 0 : t > OTA_MAX_TIME ? OTA_MAX_TIME : t;
}

/* The checks on one certificate that is not a duplicate. index is 0-based within certs. */
static enum ota_status lint_one(struct ota_lint_report *rep, const struct ota_cert *c, size_t index,
                                enum ota_lint_role role, const char *payload, int64_t now,
                                uint32_t min_days, struct ota_err *err)
{
    char t[OTA_TIME_STR_LEN];
    enum ota_status rc = OTA_OK;
    int anchor = role == OTA_LINT_ROLE_TRUST;
    const struct subject sub = of_cert(c);

    if (now > c->not_after) {
        ota_time_format(t, c->not_after);
        rc = add(rep, &sub, payload, OTA_LINT_EXPIRED, OTA_LINT_ERROR, err, "expired on %s%s", t,
                 anchor ? "; a device refuses an expired trust anchor"
                        : "; the chain no longer validates");
    } else if (min_days > 0 && c->not_after - now < (int64_t)min_days * DAY) {
        ota_time_format(t, c->not_after);
        int64_t days = (c->not_after - now) / DAY;
        rc = add(rep, &sub, payload, OTA_LINT_EXPIRING, OTA_LINT_WARNING, err,
                 "expires on %s, in %lld day%s (less than %u)", t, (long long)days,
                 days == 1 ? "" : "s", min_days);
    }
    if (!rc && now < c->not_before) {
        ota_time_format(t, c->not_before);
        rc = add(rep, &sub, payload, OTA_LINT_NOT_YET_VALID, OTA_LINT_WARNING, err,
                 "not valid before %s; a device refuses it until then", t);
    }
    /* a server chain starts with the leaf, which is not a CA; everything after it must be */
    if (!rc && !c->is_ca && (anchor || index > 0))
        rc = add(rep, &sub, payload, OTA_LINT_NOT_CA, OTA_LINT_ERROR, err, "%s",
                 anchor ? "not a CA (no basicConstraints CA:TRUE); a device refuses it as a "
                          "trust anchor"
                        : "not a CA (no basicConstraints CA:TRUE) but not the leaf; the chain "
                          "does not validate");
    int min_bits = 0;
    if (!rc && weak_key(c, &min_bits))
        rc = add(rep, &sub, payload, OTA_LINT_WEAK_KEY, OTA_LINT_WARNING, err,
                 "weak key: %s %d bits (at least %d)", c->key_type, c->key_bits, min_bits);
    if (!rc && c->sha1_signature && !c->self_signed)
        rc = add(rep, &sub, payload, OTA_LINT_SHA1, OTA_LINT_WARNING, err,
                 "signed with %s: SHA-1 signatures can be forged", c->sig_alg);
    return rc;
}

static enum ota_status lint_list(struct ota_lint_report *rep, const struct ota_certlist *certs,
                                 enum ota_lint_role role, const char *payload,
                                 struct seen_set *seen, int64_t now, uint32_t min_days,
                                 struct ota_err *err)
{
    enum ota_status rc = OTA_OK;
    for (size_t i = 0; !rc && i < certs->n; i++) {
        const struct ota_cert *c = &certs->v[i];
        const struct subject sub = of_cert(c);
        rep->n_certs++;
        const struct seen *first = seen_find(seen, c->sha256);
        if (first) {
            if (first->payload[0] && strcmp(first->payload, payload ? payload : ""))
                rc = add(rep, &sub, payload, OTA_LINT_DUPLICATE, OTA_LINT_WARNING, err,
                         "duplicate of certificate %zu of payload '%s'", first->index,
                         first->payload);
            else
                rc = add(rep, &sub, payload, OTA_LINT_DUPLICATE, OTA_LINT_WARNING, err,
                         "duplicate of certificate %zu", first->index);
            continue;
        }
        rc = seen_add(seen, c->sha256, i + 1, payload, err);
        if (!rc)
            rc = lint_one(rep, c, i, role, payload, now, min_days, err);
    }
    return rc;
}

enum ota_status ota_lint_certs_role(struct ota_lint_report *rep, const struct ota_certlist *certs,
                                    enum ota_lint_role role, const char *payload, int64_t now,
                                    uint32_t min_validity_days, struct ota_err *err)
{
    struct seen_set seen = {0, NULL};
    enum ota_status rc =
        lint_list(rep, certs, role, payload, &seen, clamp_time(now), min_validity_days, err);
    seen_free(&seen);
    return rc;
}

enum ota_status ota_lint_certs(struct ota_lint_report *rep, const struct ota_certlist *certs,
                               int64_t now, uint32_t min_validity_days, struct ota_err *err)
{
    return ota_lint_certs_role(rep, certs, OTA_LINT_ROLE_TRUST, NULL, now, min_validity_days, err);
}

/* ---- packages ----------------------------------------------------------------------- */

/* A payload collected into memory, at most cap bytes (cap <= OTA_MAX_BUNDLE_SIZE). */
struct collect {
    uint8_t *buf;
    size_t len, cap;
    const char *name;
};

static enum ota_status collect_sink(void *ctx, const uint8_t *buf, size_t len, struct ota_err *err)
{
    struct collect *c = ctx;
    /* the reader never delivers more than the declared size; check anyway */
    if (len > c->cap - c->len)
        return ota_err_set(err, OTA_E_LIMIT, "payload '%s': more bytes than declared", c->name);
    memcpy(c->buf + c->len, buf, len);
    c->len += len;
    return OTA_OK;
}

static int is_trust(const char *type)
{
    return !strcmp(type, OTA_TYPE_TRUST_ADD) || !strcmp(type, OTA_TYPE_TRUST_REPLACE);
}

static int is_chain(const char *type)
{
    return !strcmp(type, OTA_TYPE_SERVER_CHAIN);
}

/* Reads payload idx (a certificate payload) into memory and lints it. */
static enum ota_status lint_payload(struct ota_lint_report *rep, struct ota_pkg_reader *r,
                                    const struct ota_manifest *m, size_t idx,
                                    struct seen_set *trust_seen, int64_t now, uint32_t min_days,
                                    struct ota_err *err)
{
    const struct ota_payload *p = &m->payloads[idx];
    /* raw_size comes from the unverified manifest: bound it before allocating */
    if (p->raw_size > OTA_MAX_BUNDLE_SIZE)
        return ota_err_set(err, OTA_E_LIMIT,
                           "payload '%s': %llu bytes of certificates, more than the limit of %u",
                           p->name, (unsigned long long)p->raw_size, OTA_MAX_BUNDLE_SIZE);
    struct collect col = {NULL, 0, (size_t)p->raw_size, p->name};
    col.buf = malloc(col.cap ? col.cap : 1);
    if (!col.buf)
        return ota_err_set(err, OTA_E_NOMEM, "payload '%s': out of memory", p->name);
    struct ota_certlist certs = {0, NULL};
    char what[OTA_MAX_NAME_LEN + 16];
    snprintf(what, sizeof what, "payload '%s'", p->name);
    /* the reader's messages name the payload already */
    enum ota_status rc = ota_pkg_reader_payload(r, m, idx, OTA_SINK_RAW, collect_sink, &col, err);
    /* the reader checked sizes and digests: the bytes are what the manifest says */
    if (!rc)
        rc = ota_certs_parse_mem(&certs, col.buf, col.len, what, err);
    if (rc) {
        /* nothing to lint */
    } else if (is_chain(p->type)) {
        struct seen_set seen = {0, NULL}; /* each chain on its own */
        rc = lint_list(rep, &certs, OTA_LINT_ROLE_CHAIN, p->name, &seen, now, min_days, err);
        seen_free(&seen);
    } else {
        rc = lint_list(rep, &certs, OTA_LINT_ROLE_TRUST, p->name, trust_seen, now, min_days, err);
    }
    ota_certs_free(&certs);
    free(col.buf);
    return rc;
}

/* The keyrings a package carries: the newest becomes the fleet's, so an expired or soon
 * expiring one is a finding, and one its own root keys did not sign is refused by every
 * device. */
static enum ota_status lint_keyrings(struct ota_lint_report *rep, const char *sj, size_t sl,
                                     int64_t now, uint32_t min_days, struct ota_err *err)
{
    struct ota_sigblock b;
    enum ota_status rc = ota_sigblock_parse_mem(&b, sj, sl, err);
    for (size_t i = 0; !rc && i < b.n_keyrings; i++) {
        struct ota_keyring *kr;
        if ((rc = ota_keyring_parse_mem(&kr, b.keyrings[i], b.keyring_len[i], err))) {
            ota_err_prefix(err, "signature block: keyring %zu", i);
            break;
        }
        char name[48], fp[OTA_SHA256_HEX_LEN], t[OTA_TIME_STR_LEN];
        uint8_t h[OTA_SHA256_LEN];
        size_t n;
        snprintf(name, sizeof name, "keyring v%llu", (unsigned long long)kr->doc.version);
        if (!(rc = ota_sha256_mem(h, kr->signed_bytes, kr->signed_len, err))) {
            ota_hex_encode(fp, h, OTA_SHA256_LEN);
            const struct subject sub = {name, fp, 0, kr->doc.expires};
            ota_time_format(t, kr->doc.expires);
            int64_t days = (kr->doc.expires - now) / DAY;
            if (now >= kr->doc.expires)
                rc = add(rep, &sub, NULL, OTA_LINT_EXPIRED, OTA_LINT_ERROR, err,
                         "expired on %s; devices refuse every package signed under it", t);
            else if (min_days > 0 && kr->doc.expires - now < (int64_t)min_days * DAY)
                rc = add(rep, &sub, NULL, OTA_LINT_EXPIRING, OTA_LINT_WARNING, err,
                         "expires on %s, in %lld day%s (less than %u): ship its successor "
                         "before then",
                         t, (long long)days, days == 1 ? "" : "s", min_days);
            if (!rc && ota_keyring_signed_by(&n, kr, kr, OTA_ROLE_ROOT, NULL) != OTA_OK)
                rc = add(rep, &sub, NULL, OTA_LINT_UNSIGNED, OTA_LINT_ERROR, err,
                         "not signed by a threshold of its own root keys (%zu of %u); devices "
                         "refuse the package",
                         n, kr->doc.roles[OTA_ROLE_ROOT].threshold);
        }
        ota_keyring_free(kr);
    }
    ota_sigblock_free(&b);
    return rc;
}

enum ota_status ota_lint_package(struct ota_lint_report *rep, int fd, int64_t now,
                                 uint32_t min_validity_days, struct ota_err *err)
{
    struct ota_pkg_reader *r = NULL;
    struct ota_manifest m;
    memset(&m, 0, sizeof m);
    struct seen_set trust_seen = {0, NULL};
    now = clamp_time(now);
    enum ota_status rc = ota_pkg_reader_open_fd(&r, fd, err);
    if (rc)
        return rc;
    const char *mj, *sj;
    size_t ml, sl;
    rc = ota_pkg_reader_head(r, &mj, &ml, &sj, &sl, err);
    /* no signature check: lint reads what the release engineer built (see lint.h) */
    if (!rc)
        rc = ota_manifest_parse_mem(&m, mj, ml, err);
    if (!rc)
        rc = lint_keyrings(rep, sj, sl, now, min_validity_days, err);
    for (size_t i = 0; !rc && i < m.n_payloads; i++) {
        const char *type = m.payloads[i].type;
        if (is_trust(type) || is_chain(type))
            rc = lint_payload(rep, r, &m, i, &trust_seen, now, min_validity_days, err);
        else
            rc = ota_pkg_reader_payload(r, &m, i, OTA_SINK_RAW, NULL, NULL, err);
    }
    if (!rc)
        rc = ota_pkg_reader_finish(r, &m, err);
    seen_free(&trust_seen);
    ota_manifest_free(&m);
    ota_pkg_reader_free(r);
    return rc;
}
