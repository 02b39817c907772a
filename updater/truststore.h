/* truststore.h — private: the Trusted Root Store of a generation (see truststore.c). */
#ifndef OTAPACK_TRUSTSTORE_H
#define OTAPACK_TRUSTSTORE_H

#include "otapack/x509.h"

#define OTA_TRUST_DIR "trust"
#define OTA_TRUST_CAPATH "certs"
#define OTA_TRUST_BUNDLE "ca-bundle.pem"
#define OTA_TRUST_CHAIN "server-chain.pem"
#define OTA_MAX_TRUST_WARNINGS 16

/* What a package asks of the trust store. */
struct ota_trust_changes {
    int has_replace;
    struct ota_certlist replace;
    struct ota_certlist add;
    size_t n_remove;
    uint8_t (*remove)[OTA_SHA256_LEN];
    int has_chain;
    struct ota_certlist chain;
    int allow_lockout;
};

struct ota_trust_warnings {
    size_t n;
    char msg[OTA_MAX_TRUST_WARNINGS][384];
};

void ota_trust_changes_free(struct ota_trust_changes *c);

/* Parses a trust-remove payload: lines of 64 lowercase hex digits. */
enum ota_status ota_trust_parse_remove(struct ota_trust_changes *c, const char *buf, size_t len,
                                       struct ota_err *err);

/* Loads a generation's set and server chain (missing files: empty). */
enum ota_status ota_trust_load(struct ota_certlist *set, struct ota_certlist *chain, int genfd,
                               struct ota_err *err);

/* Computes the new set from the current one and checks every safety rule at time t. The
 * chain the device must keep validating is the package's, or else the recorded one. */
enum ota_status ota_trust_apply(struct ota_certlist *result, struct ota_certlist *chain_out,
                                const struct ota_certlist *current,
                                const struct ota_certlist *recorded_chain,
                                const struct ota_trust_changes *c, int64_t t,
                                struct ota_trust_warnings *w, struct ota_err *err);

/* Writes trust/ into a generation folder: certs/ named as `openssl rehash` names them,
 * ca-bundle.pem, and server-chain.pem when there is a chain. */
enum ota_status ota_trust_write(int genfd, const struct ota_certlist *set,
                                const struct ota_certlist *chain, struct ota_err *err);

/* Checks a set as init receives it: parseable CAs, valid at t. */
enum ota_status ota_trust_check_new(const struct ota_certlist *set, int64_t t, const char *what,
                                    struct ota_err *err);

#endif
