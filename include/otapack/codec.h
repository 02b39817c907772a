/* otapack — strict text encodings used by the formats: hex and RFC 3339 UTC timestamps.
 * Decoders accept exactly one spelling and one length; anything else is an error. */
#ifndef OTAPACK_CODEC_H
#define OTAPACK_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"

/* Writes 2*len lowercase hex digits and a NUL into out (size >= 2*len+1). */
void ota_hex_encode(char *out, const uint8_t *in, size_t len);

/* Decodes exactly 2*outlen lowercase hex digits (no prefix, no spaces) from a NUL-terminated
 * string. Returns 0 on success, -1 on any deviation; out is zeroed on failure. */
int ota_hex_decode(uint8_t *out, size_t outlen, const char *hex) OTA_WUR;

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
#define OTA_TIME_STR_LEN 21
void ota_time_format(char out[OTA_TIME_STR_LEN], int64_t t);

/* Parses exactly "YYYY-MM-DDTHH:MM:SSZ" (years 1970..9999). Returns 0 or -1. */
int ota_time_parse(int64_t *out, const char *s) OTA_WUR;

/* Parses a decimal unsigned integer: digits only (no sign, space or trailing bytes), at most
 * max. Returns 0 or -1. */
int ota_parse_u64(uint64_t *out, const char *s, uint64_t max) OTA_WUR;

#endif
