/* domain.h — private: builds the domain-separated message prefix || NUL || document. */
#ifndef OTAPACK_KEYS_DOMAIN_H
#define OTAPACK_KEYS_DOMAIN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Returns a malloc'd buffer holding domain, its NUL, then msg; *out_len set. NULL on OOM. */
static inline uint8_t *ota_domain_message(const char *domain, const uint8_t *msg, size_t msg_len,
                                          size_t *out_len)
{
    size_t dl = strlen(domain) + 1;
    if (msg_len > SIZE_MAX - dl)
        return NULL;
    uint8_t *m = malloc(dl + msg_len + 1);
    if (!m)
        return NULL;
    memcpy(m, domain, dl);
    if (msg_len)
        memcpy(m + dl, msg, msg_len);
    *out_len = dl + msg_len;
    return m;
}

#endif
