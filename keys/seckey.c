/* seckey.c — Ed25519 secret keys: generate, load, write, sign; plain or passphrase-encrypted
 * key files (FORMAT.md section 6). Host side only.
 * Owns: every byte of secret key material, and the passphrases that unlock it. Secret bytes
 * (seeds, derived keys, passphrases, key file text) live only in sodium_malloc'd memory, are
 * wiped with sodium_memzero/sodium_free on every path, and are never formatted into an error
 * message. The Argon2id cost an encrypted file asks for is checked against fixed maxima before
 * anything is allocated for it. Must never be linked into otaupdate. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "secret_file.h"
#include "otapack/codec.h"
#include "otapack/fsio.h"
#include "otapack/seckey.h"

_Static_assert(OTA_SECKEY_OPSLIMIT_DEFAULT == crypto_pwhash_argon2id_OPSLIMIT_MODERATE &&
                   OTA_SECKEY_MEMLIMIT_DEFAULT == crypto_pwhash_argon2id_MEMLIMIT_MODERATE,
               "the default cost is libsodium's MODERATE");
_Static_assert(OTA_SECKEY_OPSLIMIT_MIN >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
                   OTA_SECKEY_MEMLIMIT_MIN >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
                   OTA_MAX_PWHASH_OPSLIMIT <= crypto_pwhash_argon2id_OPSLIMIT_MAX &&
                   OTA_MAX_PWHASH_MEMLIMIT <= SIZE_MAX,
               "the accepted cost range is one libsodium accepts");

/* The encrypted line: fixed fields at fixed offsets (FORMAT.md section 6). */
#define ENC_HEAD OTA_SECKEY_HEADER " ed25519-encrypted "
#define ENC_KDF "argon2id13 "
#define ENC_NUM_HEX 16 /* opslimit, memlimit: 64-bit, 16 lowercase hex digits */
#define ENC_SALT crypto_pwhash_argon2id_SALTBYTES                                    /* 16 */
#define ENC_NONCE crypto_secretbox_xsalsa20poly1305_NONCEBYTES                       /* 24 */
#define ENC_BOX (crypto_secretbox_xsalsa20poly1305_MACBYTES + crypto_sign_SEEDBYTES) /* 48 */
#define ENC_KEY crypto_secretbox_xsalsa20poly1305_KEYBYTES                           /* 32 */
enum {
    ENC_OFF_OPS = sizeof ENC_HEAD - 1 + sizeof ENC_KDF - 1,
    ENC_OFF_MEM = ENC_OFF_OPS + ENC_NUM_HEX + 1,
    ENC_OFF_SALT = ENC_OFF_MEM + ENC_NUM_HEX + 1,
    ENC_OFF_NONCE = ENC_OFF_SALT + 2 * ENC_SALT + 1,
    ENC_OFF_BOX = ENC_OFF_NONCE + 2 * ENC_NONCE + 1,
    ENC_LEN = ENC_OFF_BOX + 2 * ENC_BOX,
};
_Static_assert(ENC_LEN == OTA_SECKEY_ENC_LINE_LEN, "OTA_SECKEY_ENC_LINE_LEN is the line length");
_Static_assert(ENC_LEN + 2 <= OTA_MAX_KEYFILE_SIZE, "an encrypted key file fits the limit");
/* secretbox as specified: XSalsa20-Poly1305, whatever libsodium's default becomes */
_Static_assert(crypto_secretbox_KEYBYTES == ENC_KEY && crypto_secretbox_NONCEBYTES == ENC_NONCE &&
                   crypto_secretbox_MACBYTES == crypto_secretbox_xsalsa20poly1305_MACBYTES,
               "crypto_secretbox is XSalsa20-Poly1305");

/* The buffer that holds a passphrase: the longest passphrase file, one byte more to tell "too
 * long", and a NUL. */
#define PASS_BUF (OTA_MAX_PASSPHRASE_LEN + 2)

struct ota_seckey {
    uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* libsodium layout: seed || public key */
    struct ota_pubkey pub;
};

static enum ota_status alloc_key(struct ota_seckey **out, struct ota_err *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return ota_err_set(err, OTA_E_CRYPTO, "libsodium failed to initialise");
    struct ota_seckey *k = sodium_malloc(sizeof *k);
    if (!k)
        return ota_err_set(err, OTA_E_NOMEM, "secret key: out of secure memory");
    sodium_memzero(k, sizeof *k);
    *out = k;
    return OTA_OK;
}

void ota_seckey_free(struct ota_seckey *k)
{
    if (k) {
        sodium_memzero(k, sizeof *k);
        sodium_free(k);
    }
}

const struct ota_pubkey *ota_seckey_public(const struct ota_seckey *k)
{
    return &k->pub;
}

static enum ota_status from_seed(struct ota_seckey *k, const uint8_t *seed, struct ota_err *err)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    if (crypto_sign_seed_keypair(pk, k->sk, seed) != 0)
        return ota_err_set(err, OTA_E_CRYPTO, "secret key: key derivation failed");
    return ota_pubkey_from_ed25519(&k->pub, pk, err);
}

enum ota_status ota_seckey_generate(struct ota_seckey **out, struct ota_err *err)
{
    struct ota_seckey *k;
    enum ota_status rc = alloc_key(&k, err);
    if (rc)
        return rc;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    if (crypto_sign_keypair(pk, k->sk) != 0) {
        ota_seckey_free(k);
        return ota_err_set(err, OTA_E_CRYPTO, "secret key: key generation failed");
    }
    if ((rc = ota_pubkey_from_ed25519(&k->pub, pk, err))) {
        ota_seckey_free(k);
        return rc;
    }
    *out = k;
    return OTA_OK;
}

static enum ota_status parse_plain(struct ota_seckey **out, const char *buf, size_t len,
                                   struct ota_err *err)
{
    static const char head[] = OTA_SECKEY_HEADER " ed25519 ";
    const size_t hl = sizeof head - 1, kl = 2 * crypto_sign_SEEDBYTES;
    if (len == hl + kl + 1 && buf[len - 1] == '\n')
        len--;
    if (len != hl + kl || memcmp(buf, head, hl) != 0)
        return ota_err_set(err, OTA_E_KEY, "not an otapack secret key");
    struct ota_seckey *k;
    enum ota_status rc = alloc_key(&k, err);
    if (rc)
        return rc;
    /* decode straight into secure memory: the seed goes in k->sk, then expands in place */
    uint8_t *seed = sodium_malloc(crypto_sign_SEEDBYTES);
    size_t got = 0;
    if (!seed) {
        ota_seckey_free(k);
        return ota_err_set(err, OTA_E_NOMEM, "secret key: out of secure memory");
    }
    if (sodium_hex2bin(seed, crypto_sign_SEEDBYTES, buf + hl, kl, NULL, &got, NULL) != 0 ||
        got != crypto_sign_SEEDBYTES) {
        rc = ota_err_set(err, OTA_E_KEY, "secret key is not 64 hex digits");
    } else {
        for (size_t i = 0; i < kl; i++) /* one spelling only: lowercase */
            if (buf[hl + i] >= 'A' && buf[hl + i] <= 'F')
                rc = ota_err_set(err, OTA_E_KEY, "secret key is not lowercase hex");
        if (!rc)
            rc = from_seed(k, seed, err);
    }
    sodium_memzero(seed, crypto_sign_SEEDBYTES);
    sodium_free(seed);
    if (rc) {
        ota_seckey_free(k);
        return rc;
    }
    *out = k;
    return OTA_OK;
}

/* Decodes exactly 2 * n lowercase hex digits (the one spelling) into out. No secret passes
 * through here: the encrypted fields are public. */
static int hex_exact(uint8_t *out, size_t n, const char *s)
{
    for (size_t i = 0; i < 2 * n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return -1;
    size_t got = 0;
    return sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) == 0 && got == n ? 0 : -1;
}

static int hex_u64(uint64_t *out, const char *s)
{
    uint8_t b[ENC_NUM_HEX / 2];
    if (hex_exact(b, sizeof b, s) != 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof b; i++)
        v = v << 8 | b[i];
    *out = v;
    return 0;
}

/* The cost bounds a reader accepts and a writer may use. memlimit must be whole KiB: Argon2
 * counts memory in KiB, and two spellings of one cost are not allowed. */
static enum ota_status check_cost(uint64_t ops, uint64_t mem, enum ota_status code,
                                  struct ota_err *err)
{
    if (ops < OTA_SECKEY_OPSLIMIT_MIN || ops > OTA_MAX_PWHASH_OPSLIMIT)
        return ota_err_set(err, code, "encrypted secret key: opslimit %llu is outside %u..%u",
                           (unsigned long long)ops, OTA_SECKEY_OPSLIMIT_MIN,
                           OTA_MAX_PWHASH_OPSLIMIT);
    if (mem < OTA_SECKEY_MEMLIMIT_MIN || mem > OTA_MAX_PWHASH_MEMLIMIT)
        return ota_err_set(err, code, "encrypted secret key: memlimit %llu is outside %u..%u bytes",
                           (unsigned long long)mem, OTA_SECKEY_MEMLIMIT_MIN,
                           OTA_MAX_PWHASH_MEMLIMIT);
    if (mem % 1024 != 0)
        return ota_err_set(err, code,
                           "encrypted secret key: memlimit %llu is not a multiple of 1024",
                           (unsigned long long)mem);
    return OTA_OK;
}

/* Argon2id over the passphrase into key (ENC_KEY bytes of secure memory). */
static enum ota_status derive(uint8_t *key, const char *pass, size_t pass_len,
                              const uint8_t salt[ENC_SALT], uint64_t ops, uint64_t mem,
                              struct ota_err *err)
{
    if (crypto_pwhash(key, ENC_KEY, pass, pass_len, salt, (unsigned long long)ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        sodium_memzero(key, ENC_KEY);
        return ota_err_set(err, OTA_E_NOMEM,
                           "encrypted secret key: key derivation failed (%llu MiB of memory "
                           "needed)",
                           (unsigned long long)(mem >> 20));
    }
    return OTA_OK;
}

static enum ota_status parse_encrypted(struct ota_seckey **out, const char *buf, size_t len,
                                       const char *pass, size_t pass_len, struct ota_err *err)
{
    if (len == ENC_LEN + 1 && buf[len - 1] == '\n')
        len--;
    if (len < ENC_OFF_OPS || memcmp(buf, ENC_HEAD ENC_KDF, ENC_OFF_OPS) != 0)
        return ota_err_set(err, OTA_E_KEY,
                           "encrypted secret key: unknown key derivation (expected argon2id13)");
    if (len != ENC_LEN)
        return ota_err_set(err, OTA_E_KEY, "encrypted secret key: line is not %u characters",
                           (unsigned)ENC_LEN);
    static const size_t spaces[] = {ENC_OFF_MEM - 1, ENC_OFF_SALT - 1, ENC_OFF_NONCE - 1,
                                    ENC_OFF_BOX - 1};
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++)
        if (buf[spaces[i]] != ' ')
            return ota_err_set(err, OTA_E_KEY, "encrypted secret key: malformed fields");
    uint64_t ops, mem;
    uint8_t salt[ENC_SALT], nonce[ENC_NONCE], box[ENC_BOX];
    if (hex_u64(&ops, buf + ENC_OFF_OPS) != 0 || hex_u64(&mem, buf + ENC_OFF_MEM) != 0 ||
        hex_exact(salt, sizeof salt, buf + ENC_OFF_SALT) != 0 ||
        hex_exact(nonce, sizeof nonce, buf + ENC_OFF_NONCE) != 0 ||
        hex_exact(box, sizeof box, buf + ENC_OFF_BOX) != 0)
        return ota_err_set(err, OTA_E_KEY,
                           "encrypted secret key: a field is not lowercase hex of its length");
    /* opslimit and memlimit are attacker-controlled: bounded before Argon2id allocates or
     * runs anything */
    enum ota_status rc = check_cost(ops, mem, OTA_E_LIMIT, err);
    if (rc)
        return rc;
    if (!pass)
        return ota_err_set(err, OTA_E_USAGE,
                           "encrypted key needs a passphrase (--passphrase-file or "
                           "OTAPACK_PASSPHRASE)");

    struct ota_seckey *k;
    if ((rc = alloc_key(&k, err)))
        return rc;
    uint8_t *key = sodium_malloc(ENC_KEY), *seed = sodium_malloc(crypto_sign_SEEDBYTES);
    if (!key || !seed)
        rc = ota_err_set(err, OTA_E_NOMEM, "secret key: out of secure memory");
    if (!rc)
        rc = derive(key, pass, pass_len, salt, ops, mem, err);
    if (!rc && crypto_secretbox_open_easy(seed, box, sizeof box, nonce, key) != 0)
        rc = ota_err_set(err, OTA_E_KEY, "wrong passphrase or damaged key file");
    if (!rc)
        rc = from_seed(k, seed, err);
    if (key) {
        sodium_memzero(key, ENC_KEY);
        sodium_free(key);
    }
    if (seed) {
        sodium_memzero(seed, crypto_sign_SEEDBYTES);
        sodium_free(seed);
    }
    if (rc) {
        ota_seckey_free(k);
        return rc;
    }
    *out = k;
    return OTA_OK;
}

enum ota_status ota_seckey_parse_mem_pass(struct ota_seckey **out, const char *buf, size_t len,
                                          const char *pass, size_t pass_len, struct ota_err *err)
{
    static const char enc[] = ENC_HEAD;
    *out = NULL;
    if (len >= sizeof enc - 1 && memcmp(buf, enc, sizeof enc - 1) == 0)
        return parse_encrypted(out, buf, len, pass, pass_len, err);
    return parse_plain(out, buf, len, err);
}

enum ota_status ota_seckey_parse_mem(struct ota_seckey **out, const char *buf, size_t len,
                                     struct ota_err *err)
{
    return ota_seckey_parse_mem_pass(out, buf, len, NULL, 0, err);
}

enum ota_status ota_seckey_encrypt_mem(char *line, size_t cap, size_t *len,
                                       const struct ota_seckey *k, const char *pass,
                                       size_t pass_len, uint64_t ops, uint64_t mem,
                                       struct ota_err *err)
{
    *len = 0;
    if (cap < ENC_LEN + 2)
        return ota_err_set(err, OTA_E_USAGE, "encrypted secret key: buffer too small");
    line[0] = '\0';
    if (!pass || pass_len == 0)
        return ota_err_set(err, OTA_E_USAGE, "the passphrase is empty");
    if (pass_len > OTA_MAX_PASSPHRASE_LEN)
        return ota_err_set(err, OTA_E_USAGE, "the passphrase is longer than %u bytes",
                           OTA_MAX_PASSPHRASE_LEN);
    enum ota_status rc = check_cost(ops, mem, OTA_E_USAGE, err);
    if (rc)
        return rc;
    if (sodium_init() < 0)
        return ota_err_set(err, OTA_E_CRYPTO, "libsodium failed to initialise");
    uint8_t salt[ENC_SALT], nonce[ENC_NONCE], box[ENC_BOX];
    randombytes_buf(salt, sizeof salt);
    randombytes_buf(nonce, sizeof nonce);
    uint8_t *key = sodium_malloc(ENC_KEY);
    if (!key)
        return ota_err_set(err, OTA_E_NOMEM, "secret key: out of secure memory");
    rc = derive(key, pass, pass_len, salt, ops, mem, err);
    /* the seed is the first half of libsodium's secret key; it goes from secure memory into
     * the box and nowhere else */
    if (!rc && crypto_secretbox_easy(box, k->sk, crypto_sign_SEEDBYTES, nonce, key) != 0)
        rc = ota_err_set(err, OTA_E_CRYPTO, "encrypted secret key: encryption failed");
    sodium_memzero(key, ENC_KEY);
    sodium_free(key);
    if (rc)
        return rc;
    int n = snprintf(line, cap, "%s%s%016llx %016llx ", ENC_HEAD, ENC_KDF, (unsigned long long)ops,
                     (unsigned long long)mem);
    if (n != ENC_OFF_SALT)
        return ota_err_set(err, OTA_E_CRYPTO, "encrypted secret key: formatting failed");
    sodium_bin2hex(line + ENC_OFF_SALT, 2 * ENC_SALT + 1, salt, sizeof salt);
    line[ENC_OFF_NONCE - 1] = ' ';
    sodium_bin2hex(line + ENC_OFF_NONCE, 2 * ENC_NONCE + 1, nonce, sizeof nonce);
    line[ENC_OFF_BOX - 1] = ' ';
    sodium_bin2hex(line + ENC_OFF_BOX, 2 * ENC_BOX + 1, box, sizeof box);
    line[ENC_LEN] = '\n';
    line[ENC_LEN + 1] = '\0';
    *len = ENC_LEN + 1;
    return OTA_OK;
}

enum ota_status ota_secret_file_read(char **out, size_t *len, const char *path, const char *what,
                                     struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    int fd;
    enum ota_status rc = ota_fs_open_regular(&fd, AT_FDCWD, path, err);
    if (rc)
        return rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ota_err_sys(err, e, "%s: cannot stat", path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return ota_err_set(err, OTA_E_KEY,
                           "%s: %s is accessible by group or others (mode %04o); run chmod 600",
                           path, what, (unsigned)(st.st_mode & 07777));
    }
    char *buf = sodium_init() < 0 ? NULL : sodium_malloc(OTA_MAX_KEYFILE_SIZE + 1);
    if (!buf) {
        close(fd);
        return ota_err_set(err, OTA_E_NOMEM, "%s: out of secure memory", path);
    }
    size_t got = 0;
    rc = ota_fs_read_full(fd, buf, OTA_MAX_KEYFILE_SIZE + 1, &got, err);
    close(fd);
    if (!rc && got > OTA_MAX_KEYFILE_SIZE)
        rc = ota_err_set(err, OTA_E_KEY, "%s: not a %s (larger than %u bytes)", path, what,
                         OTA_MAX_KEYFILE_SIZE);
    else if (rc)
        ota_err_prefix(err, "%s", path);
    if (rc) {
        ota_secret_file_free(buf);
        return rc;
    }
    *out = buf;
    *len = got;
    return OTA_OK;
}

void ota_secret_file_free(char *buf)
{
    if (!buf)
        return;
    sodium_memzero(buf, OTA_MAX_KEYFILE_SIZE + 1);
    sodium_free(buf);
}

enum ota_status ota_seckey_load_pass(struct ota_seckey **out, const char *path, const char *pass,
                                     size_t pass_len, struct ota_err *err)
{
    *out = NULL;
    char *buf;
    size_t got;
    enum ota_status rc = ota_secret_file_read(&buf, &got, path, "secret key", err);
    if (rc)
        return rc;
    rc = ota_seckey_parse_mem_pass(out, buf, got, pass, pass_len, err);
    ota_secret_file_free(buf);
    if (rc)
        ota_err_prefix(err, "%s", path);
    return rc;
}

enum ota_status ota_seckey_load(struct ota_seckey **out, const char *path, struct ota_err *err)
{
    return ota_seckey_load_pass(out, path, NULL, 0, err);
}

/* Writes PREFIX.key (plain, or encrypted under pass) and PREFIX.pub. The key line is made
 * before any file is created, so a failure (a slow Argon2id that runs out of memory, say)
 * leaves nothing behind. */
static enum ota_status write_pair(const struct ota_seckey *k, const char *prefix, const char *pass,
                                  size_t pass_len, struct ota_err *err)
{
    char keypath[4096], pubpath[4096];
    if (snprintf(keypath, sizeof keypath, "%s.key", prefix) >= (int)sizeof keypath ||
        snprintf(pubpath, sizeof pubpath, "%s.pub", prefix) >= (int)sizeof pubpath)
        return ota_err_set(err, OTA_E_USAGE, "key prefix too long");
    struct stat st;
    if (lstat(keypath, &st) == 0 || lstat(pubpath, &st) == 0)
        return ota_err_set(err, OTA_E_EXISTS, "%s.key or %s.pub already exists; not overwriting",
                           prefix, prefix);

    int dfd;
    char keyname[256], pubname[256];
    enum ota_status rc = ota_fs_open_parent(&dfd, pubname, sizeof pubname, pubpath, err);
    if (rc)
        return rc;
    close(dfd);
    rc = ota_fs_open_parent(&dfd, keyname, sizeof keyname, keypath, err);
    if (rc)
        return rc;

    static const char head[] = OTA_SECKEY_HEADER " ed25519 ";
    const size_t hl = sizeof head - 1, kl = 2 * crypto_sign_SEEDBYTES, cap = ENC_LEN + 2;
    _Static_assert(sizeof head - 1 + 2 * crypto_sign_SEEDBYTES + 2 <= ENC_LEN + 2,
                   "one buffer holds either line");
    char *line = sodium_init() < 0 ? NULL : sodium_malloc(cap);
    if (!line) {
        close(dfd);
        return ota_err_set(err, OTA_E_NOMEM, "out of secure memory");
    }
    size_t len = 0;
    if (pass) {
        rc = ota_seckey_encrypt_mem(line, cap, &len, k, pass, pass_len, OTA_SECKEY_OPSLIMIT_DEFAULT,
                                    OTA_SECKEY_MEMLIMIT_DEFAULT, err);
        /* read it back before writing it: a key file that does not open is never created */
        struct ota_seckey *back = NULL;
        if (!rc && (rc = ota_seckey_parse_mem_pass(&back, line, len, pass, pass_len, err)) == 0 &&
            sodium_memcmp(back->sk, k->sk, sizeof k->sk) != 0)
            rc = ota_err_set(err, OTA_E_CRYPTO, "encrypted secret key: read-back mismatch");
        ota_seckey_free(back);
    } else {
        memcpy(line, head, hl);
        sodium_bin2hex(line + hl, kl + 1, k->sk, crypto_sign_SEEDBYTES);
        line[hl + kl] = '\n';
        len = hl + kl + 1;
    }
    struct ota_tmpfile t;
    if (!rc && !(rc = ota_fs_tmp_create(&t, dfd, keyname, 0600, err))) {
        rc = ota_fs_write_all(t.fd, line, len, keyname, err);
        rc = rc ? (ota_fs_tmp_abort(&t), rc) : ota_fs_tmp_commit_new(&t, err);
    }
    sodium_memzero(line, cap);
    sodium_free(line);
    if (!rc) {
        char pub[OTA_PUBKEY_LINE_MAX];
        ota_pubkey_format(pub, sizeof pub, &k->pub);
        if (!(rc = ota_fs_tmp_create(&t, dfd, pubname, 0644, err))) {
            rc = ota_fs_write_all(t.fd, pub, strlen(pub), pubname, err);
            rc = rc ? (ota_fs_tmp_abort(&t), rc) : ota_fs_tmp_commit_new(&t, err);
        }
        if (rc) /* half a key pair is no key pair */
            (void)unlinkat(dfd, keyname, 0);
    }
    close(dfd);
    return rc;
}

enum ota_status ota_seckey_write_files(const struct ota_seckey *k, const char *prefix,
                                       struct ota_err *err)
{
    return write_pair(k, prefix, NULL, 0, err);
}

enum ota_status ota_seckey_write_files_encrypted(const struct ota_seckey *k, const char *prefix,
                                                 const char *pass, size_t pass_len,
                                                 struct ota_err *err)
{
    if (!pass || pass_len == 0)
        return ota_err_set(err, OTA_E_USAGE, "the passphrase is empty");
    return write_pair(k, prefix, pass, pass_len, err);
}

/* ---- passphrases ---------------------------------------------------------------------- */

static char *pass_alloc(void)
{
    char *p = sodium_init() < 0 ? NULL : sodium_malloc(PASS_BUF);
    if (p)
        sodium_memzero(p, PASS_BUF);
    return p;
}

void ota_seckey_passphrase_free(char *pass)
{
    if (pass) {
        sodium_memzero(pass, PASS_BUF);
        sodium_free(pass);
    }
}

enum ota_status ota_seckey_passphrase_copy(char **pass, const char *src, size_t len,
                                           struct ota_err *err)
{
    *pass = NULL;
    if (len == 0)
        return ota_err_set(err, OTA_E_USAGE, "the passphrase is empty");
    if (len > OTA_MAX_PASSPHRASE_LEN)
        return ota_err_set(err, OTA_E_LIMIT, "the passphrase is longer than %u bytes",
                           OTA_MAX_PASSPHRASE_LEN);
    char *p = pass_alloc();
    if (!p)
        return ota_err_set(err, OTA_E_NOMEM, "passphrase: out of secure memory");
    memcpy(p, src, len);
    *pass = p;
    return OTA_OK;
}

enum ota_status ota_seckey_passphrase_read(char **pass, size_t *len, const char *path,
                                           struct ota_err *err)
{
    *pass = NULL;
    *len = 0;
    int fd;
    enum ota_status rc = ota_fs_open_regular(&fd, AT_FDCWD, path, err);
    if (rc)
        return rc;
    char *p = pass_alloc();
    if (!p) {
        close(fd);
        return ota_err_set(err, OTA_E_NOMEM, "%s: out of secure memory", path);
    }
    size_t got = 0;
    /* one byte more than allowed tells "exactly the limit" from "too large" */
    rc = ota_fs_read_full(fd, p, OTA_MAX_PASSPHRASE_LEN + 1, &got, err);
    close(fd);
    if (rc) {
        ota_err_prefix(err, "%s", path);
    } else if (got > OTA_MAX_PASSPHRASE_LEN) {
        rc = ota_err_set(err, OTA_E_LIMIT, "%s: passphrase file larger than %u bytes", path,
                         OTA_MAX_PASSPHRASE_LEN);
    } else {
        char *nl = memchr(p, '\n', got);
        size_t n = nl ? (size_t)(nl - p) : got;
        if (nl && n > 0 && p[n - 1] == '\r')
            n--;
        sodium_memzero(p + n, PASS_BUF - n); /* keep the first line only */
        if (n == 0)
            rc = ota_err_set(err, OTA_E_USAGE,
                             "%s: the passphrase (the file's first line) is empty", path);
        *len = n;
    }
    if (rc) {
        ota_seckey_passphrase_free(p);
        *len = 0;
        return rc;
    }
    *pass = p;
    return OTA_OK;
}

enum ota_status ota_seckey_sign(uint8_t sig[OTA_ED25519_SIG_LEN], const char *domain,
                                const uint8_t *msg, size_t msg_len, const struct ota_seckey *k,
                                struct ota_err *err)
{
    size_t mlen = msg_len;
    uint8_t *m = domain ? ota_domain_message(domain, msg, msg_len, &mlen) : NULL;
    if (domain && !m)
        return ota_err_set(err, OTA_E_NOMEM, "sign: out of memory");
    int rc = crypto_sign_detached(sig, NULL, domain ? m : msg, mlen, k->sk);
    free(m);
    if (rc != 0) {
        sodium_memzero(sig, OTA_ED25519_SIG_LEN);
        return ota_err_set(err, OTA_E_CRYPTO, "sign: Ed25519 signing failed");
    }
    return OTA_OK;
}
