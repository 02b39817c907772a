/* otapack — the package container (formats/FORMAT.md, "Container"): a ustar stream holding
 * manifest.json, signatures.json, then the payloads in manifest order.
 *
 * The reader works on a stream (file descriptor, pipe, or memory for fuzzing), never seeks,
 * never holds a payload in memory, and audits every byte of the tar layout: header
 * checksums, zero padding, the end-of-archive marker and what follows it. It hands the caller
 * the manifest and signature block bytes first; payload bytes are delivered only when the
 * caller asks for them, after it has verified the manifest.
 */
#ifndef OTAPACK_PACKAGE_H
#define OTAPACK_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"
#include "otapack/manifest.h"

#define OTA_IO_CHUNK (64u * 1024u)

/* Receives uncompressed payload bytes, never more than the manifest declares in total. */
typedef enum ota_status (*ota_sink_fn)(void *ctx, const uint8_t *buf, size_t len,
                                       struct ota_err *err);

/* Which bytes of a payload a sink receives. */
enum ota_sink_kind {
    OTA_SINK_RAW = 0,    /* uncompressed bytes: what gets installed */
    OTA_SINK_STORED = 1, /* bytes as stored in the archive: for re-packaging (sign) */
};

struct ota_pkg_reader;

/* Reads from fd (not owned, not closed). */
enum ota_status ota_pkg_reader_open_fd(struct ota_pkg_reader **r, int fd, struct ota_err *err)
    OTA_WUR;
/* Reads from memory (not copied; must outlive the reader). For tests and fuzzing. */
enum ota_status ota_pkg_reader_open_mem(struct ota_pkg_reader **r, const void *buf, size_t len,
                                        struct ota_err *err) OTA_WUR;

/* Reads the first two entries. The returned buffers belong to the reader. */
enum ota_status ota_pkg_reader_head(struct ota_pkg_reader *r, const char **manifest, size_t *mlen,
                                    const char **sigblock, size_t *slen, struct ota_err *err)
    OTA_WUR;

/* Reads the next entry, which must be payload idx of m (payloads come in manifest order),
 * streaming its bytes of the given kind to sink (which may be NULL), and checks stored size
 * and SHA-256, uncompressed size and SHA-256. Decompression stops at the declared size. The
 * sink sees bytes before the final digest check: it must stage them, not use them. */
enum ota_status ota_pkg_reader_payload(struct ota_pkg_reader *r, const struct ota_manifest *m,
                                       size_t idx, enum ota_sink_kind kind, ota_sink_fn sink,
                                       void *ctx, struct ota_err *err) OTA_WUR;

/* Checks that no entry follows the last payload and that the stream ends with a well-formed
 * end-of-archive marker followed by nothing but zero padding. */
enum ota_status ota_pkg_reader_finish(struct ota_pkg_reader *r, const struct ota_manifest *m,
                                      struct ota_err *err) OTA_WUR;

/* Bytes consumed from the stream so far. */
uint64_t ota_pkg_reader_offset(const struct ota_pkg_reader *r);

void ota_pkg_reader_free(struct ota_pkg_reader *r);

/* Writer. Produces plain ustar entries (regular files, mode 0644, owner 0:0, the given
 * mtime), ending with the two-block end-of-archive marker and nothing after. */
struct ota_pkg_writer;

enum ota_status ota_pkg_writer_open(struct ota_pkg_writer **w, int fd, int64_t mtime,
                                    struct ota_err *err) OTA_WUR;
enum ota_status ota_pkg_writer_entry_begin(struct ota_pkg_writer *w, const char *name,
                                           uint64_t size, struct ota_err *err) OTA_WUR;
enum ota_status ota_pkg_writer_entry_write(struct ota_pkg_writer *w, const void *buf, size_t len,
                                           struct ota_err *err) OTA_WUR;
enum ota_status ota_pkg_writer_entry_end(struct ota_pkg_writer *w, struct ota_err *err) OTA_WUR;
enum ota_status ota_pkg_writer_entry_mem(struct ota_pkg_writer *w, const char *name,
                                         const void *buf, size_t len, struct ota_err *err) OTA_WUR;
enum ota_status ota_pkg_writer_close(struct ota_pkg_writer *w, struct ota_err *err) OTA_WUR;
void ota_pkg_writer_free(struct ota_pkg_writer *w);

#endif
