/* airgap_cli.c — `otapack digest` and `otapack attach-signature`, the command-line half:
 * options, help pages, output, exit codes. Owns: where the bytes to sign go (a file written
 * atomically, or standard output) and reading the signature file. Must never: build or check
 * what is signed (airgap.c does, where tests call it directly). main.c calls these with
 * argv[0] the verb. */
#define _GNU_SOURCE /* memmem */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airgap_cli.h"
#include "cli.h"
#include "otapack/codec.h"
#include "otapack/digest.h"
#include "otapack/fsio.h"
#include "otapack/packager.h"
#include "otapack/x509.h"

#define OPT_HELP 'h'
#define SIG_FILE_MAX OTA_MAX_SIG_BYTES /* Ed25519 64/128/129 bytes; DER ECDSA or CMS */

static const char HELP_DIGEST[] =
    "NAME\n"
    "    otapack digest - write the bytes an offline signer signs\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack digest [--hex-sha256] PKG|- [-o FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    For air-gapped signing: the release key stays on a machine that never sees the\n"
    "    package. Writes exactly the bytes an Ed25519 signature of PKG covers: the string\n"
    "    'otapack/manifest/v1', one NUL byte, then manifest.json exactly as stored in PKG.\n"
    "    Sign them with any Ed25519 tool, then add the signature with\n"
    "    'otapack attach-signature'. The bytes are the same whether PKG is unsigned or\n"
    "    already signed, so several offline keys can sign one digest.\n"
    "\n"
    "    PKG is read completely first, as 'otapack sign' reads it: a package whose payloads\n"
    "    do not match its manifest, or that is malformed anywhere, is refused and nothing is\n"
    "    written, so a signer is never handed bytes that vouch for other payloads.\n"
    "    '-' reads the package from standard input.\n"
    "\n"
    "OPTIONS\n"
    "    -o, --out FILE   write to FILE (under a temporary name, then renamed) instead of\n"
    "                     standard output; prints the size and SHA-256 of what was written\n"
    "    --hex-sha256     write instead the SHA-256 of those bytes, as 64 lowercase hex\n"
    "                     digits on one line: what 'sha256sum FILE' prints for the digest\n"
    "                     file, for a person comparing what is signed on two machines.\n"
    "                     (It is not the 'manifest sha256' of 'otapack inspect', which\n"
    "                     leaves out the prefix.)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 written; 1 PKG is malformed or its payloads do not match its manifest, or does\n"
    "    not exist; 2 usage error; 3 system failure (I/O, disk full, permissions).\n"
    "\n"
    "EXAMPLES\n"
    "    On the machine that built the package:\n"
    "        otapack digest app-1.2.ota -o app-1.2.msg\n"
    "    On the offline machine (any Ed25519 tool; here OpenSSL 3):\n"
    "        sha256sum app-1.2.msg\n"
    "        openssl pkeyutl -sign -rawin -inkey release.pem -in app-1.2.msg -out app-1.2.sig\n"
    "    Back on the first machine:\n"
    "        otapack digest --hex-sha256 app-1.2.ota      # the same as sha256sum printed\n"
    "        otapack attach-signature --pub release.pub app-1.2.ota app-1.2.sig\n";

static const char HELP_ATTACH[] =
    "NAME\n"
    "    otapack attach-signature - add a signature made on another machine\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack attach-signature --pub KEY PKG SIG [-o OUT]\n"
    "\n"
    "DESCRIPTION\n"
    "    Adds to PKG a signature made elsewhere (see 'otapack digest') by the signer --pub\n"
    "    names. For an Ed25519 key, SIG holds its 64 raw bytes (as 'openssl pkeyutl -sign'\n"
    "    writes them), or 128 lowercase hex digits, optionally followed by one newline; for\n"
    "    an ECDSA key, the DER signature; for a CA certificate, a DER CMS signature (see\n"
    "    --pub). Anything else is refused.\n"
    "\n"
    "    The signature is checked with the key over the bytes 'otapack digest' gives for PKG\n"
    "    before anything is written: one that does not verify (over other bytes, by another\n"
    "    key, damaged) is refused and nothing is written. Then PKG is rewritten as\n"
    "    'otapack sign' does: the manifest bytes and payloads are copied unchanged, every\n"
    "    payload is checked against the manifest on the way, and a signature already there by\n"
    "    the same key is replaced (Ed25519 signatures are deterministic: it is the same).\n"
    "    Without -o, PKG is replaced atomically.\n"
    "\n"
    "OPTIONS\n"
    "    -p, --pub KEY          the signer: an otapack public key (PREFIX.pub, Ed25519: SIG\n"
    "                           is 64 raw bytes or 128 hex digits); a PEM public key\n"
    "                           (ECDSA P-256: SIG is the DER signature of 'openssl dgst\n"
    "                           -sha256 -sign' over the digest; Ed25519 as above); or a PEM\n"
    "                           CA certificate: SIG is a DER CMS signature ('openssl cms\n"
    "                           -sign -binary -nosmimecap -md sha256 -outform DER') whose\n"
    "                           signer must chain to that CA and carry codeSigning\n"
    "    -o, --out OUT          write here (under a temporary name, then renamed) instead of\n"
    "                           replacing PKG\n"
    "\n"
    "EXIT STATUS\n"
    "    0 attached; 1 the signature does not verify or is malformed, or PKG is malformed or\n"
    "    its payloads do not match its manifest, or an input does not exist; 2 usage error;\n"
    "    3 system failure (I/O, disk full, permissions). On failure nothing is written.\n"
    "\n"
    "EXAMPLES\n"
    "    otapack digest app-1.2.ota -o app-1.2.msg\n"
    "    openssl pkeyutl -sign -rawin -inkey release.pem -in app-1.2.msg -out app-1.2.sig\n"
    "    otapack attach-signature --pub release.pub app-1.2.ota app-1.2.sig\n"
    "    otapack verify --pub release.pub app-1.2.ota\n"
    "    With an offline ECDSA key, or a code-signing certificate:\n"
    "    openssl dgst -sha256 -sign release-ec.pem -out app-1.2.sig app-1.2.msg\n"
    "    otapack attach-signature --pub release-ec.pub.pem app-1.2.ota app-1.2.sig\n"
    "    openssl cms -sign -binary -nosmimecap -md sha256 -outform DER -in app-1.2.msg \\\n"
    "        -signer codesign.pem -inkey codesign.key -certfile inter.pem -out app-1.2.p7\n"
    "    otapack attach-signature --pub company-ca.pem app-1.2.ota app-1.2.p7\n"
    "\n"
    "    The .pub file of an OpenSSL Ed25519 key (its raw public key is the last 32 bytes\n"
    "    of the DER form):\n"
    "    printf 'otapack-pubkey-v1 ed25519 %s\\n' \"$(openssl pkey -in release.pem -pubout \\\n"
    "        -outform DER | tail -c 32 | od -An -v -tx1 | tr -d ' \\n')\" >release.pub\n";

/* The signer for attach-signature: an otapack .pub (Ed25519), a PEM public key (ECDSA P-256
 * or Ed25519), or a PEM CA certificate (for a CMS signature; ca keeps it). */
static enum ota_status load_signer(struct ota_pubkey *key, struct ota_certlist *ca,
                                   const char *path, struct ota_err *err)
{
    char *buf;
    size_t len;
    static const char cert[] = "-----BEGIN CERTIFICATE-----";
    memset(key, 0, sizeof *key);
    enum ota_status rc = ota_fs_read_small(&buf, &len, AT_FDCWD, path, OTA_MAX_BUNDLE_SIZE, err);
    if (rc)
        return rc;
    if (len >= strlen(OTA_PUBKEY_HEADER) &&
        !memcmp(buf, OTA_PUBKEY_HEADER, strlen(OTA_PUBKEY_HEADER)))
        rc = ota_pubkey_parse_mem(key, buf, len, err);
    else if (memmem(buf, len, cert, sizeof cert - 1)) {
        rc = ota_certs_parse_mem(ca, buf, len, path, err);
        if (!rc && (ca->n != 1 || !ca->v[0].is_ca))
            rc = ota_err_set(err, OTA_E_KEY, "not one CA certificate");
        if (!rc) {
            key->alg = OTA_KEY_X509_CA;
            key->ca = &ca->v[0];
            memcpy(key->keyid, ca->v[0].fingerprint, OTA_KEYID_HEX_LEN);
        }
    } else {
        rc = ota_pubkey_parse_pem(key, buf, len, err);
    }
    free(buf);
    if (rc) {
        ota_certs_free(ca);
        ota_err_prefix(err, "%s", path);
    }
    return rc;
}

/* 1 when path names the file open on fd (so writing path would replace the input). */
static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

static enum ota_status write_out(const char *path, const void *buf, size_t len, struct ota_err *err)
{
    if (!path)
        return ota_fs_write_all(STDOUT_FILENO, buf, len, "standard output", err);
    int dirfd;
    char name[256];
    enum ota_status rc = ota_fs_open_parent(&dirfd, name, sizeof name, path, err);
    if (rc)
        return rc;
    rc = ota_fs_write_atomic(dirfd, name, buf, len, 0644, err);
    close(dirfd);
    return rc;
}

int ota_cli_digest(int argc, char **argv)
{
    enum { O_HEX = 256 };
    static const char prog[] = "otapack digest";
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"hex-sha256", no_argument, 0, O_HEX},
                                         {"help", no_argument, 0, OPT_HELP},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    int c, hex = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == O_HEX)
            hex = 1;
        else if (c == OPT_HELP)
            return fputs(HELP_DIGEST, stdout), 0;
        else
            return ota_cli_usage("digest", "unknown option");
    }
    if (optind + 1 != argc)
        return ota_cli_usage("digest", "expected one package");
    const char *pkg = argv[optind];
    struct ota_err err;
    ota_err_clear(&err);
    int fd = STDIN_FILENO;
    if (strcmp(pkg, "-") != 0 && ota_fs_open_regular(&fd, AT_FDCWD, pkg, &err))
        return ota_cli_fail(prog, &err);
    int ret = 0;
    uint8_t *msg = NULL;
    size_t len = 0;
    uint8_t sum[OTA_SHA256_LEN];
    char line[OTA_SHA256_HEX_LEN + 1];
    if (out && same_file(fd, out)) {
        ret = ota_cli_usage("digest", "-o: names the package itself");
        goto done;
    }
    if (ota_pack_digest(&msg, &len, fd, &err)) {
        ota_err_prefix(&err, "%s", pkg);
        ret = ota_cli_fail(prog, &err);
        goto done;
    }
    if (ota_sha256_mem(sum, msg, len, &err)) {
        ret = ota_cli_fail(prog, &err);
        goto done;
    }
    ota_hex_encode(line, sum, sizeof sum);
    if (hex) {
        strcat(line, "\n");
        if (write_out(out, line, strlen(line), &err)) {
            ret = ota_cli_fail(prog, &err);
            goto done;
        }
        line[OTA_SHA256_HEX_LEN - 1] = '\0';
    } else if (write_out(out, msg, len, &err)) {
        ret = ota_cli_fail(prog, &err);
        goto done;
    }
    if (out && hex)
        printf("wrote %s: sha256 %s of the %zu bytes to sign\n", out, line, len);
    else if (out)
        printf("wrote %s: %zu bytes to sign, sha256 %s\n", out, len, line);
done:
    free(msg);
    if (fd != STDIN_FILENO)
        close(fd);
    return ret;
}

int ota_cli_attach_signature(int argc, char **argv)
{
    static const char prog[] = "otapack attach-signature";
    static const struct option opts[] = {{"pub", required_argument, 0, 'p'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, OPT_HELP},
                                         {0, 0, 0, 0}};
    const char *out = NULL, *pub = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "p:o:h", opts, NULL)) != -1) {
        if (c == 'p') {
            if (pub)
                return ota_cli_usage("attach-signature",
                                     "--pub: one key (a signature is by one key)");
            pub = optarg;
        } else if (c == 'o') {
            out = optarg;
        } else if (c == OPT_HELP) {
            return fputs(HELP_ATTACH, stdout), 0;
        } else {
            return ota_cli_usage("attach-signature", "unknown option");
        }
    }
    if (optind + 2 != argc || !pub)
        return ota_cli_usage("attach-signature",
                             "expected --pub PREFIX.pub, a package and a signature");
    const char *pkg = argv[optind], *sigpath = argv[optind + 1];
    struct ota_err err;
    ota_err_clear(&err);
    struct ota_pubkey key;
    struct ota_certlist ca = {0, NULL};
    if (load_signer(&key, &ca, pub, &err))
        return ota_cli_fail(prog, &err);
    char *buf;
    size_t len;
    uint8_t ed[OTA_ED25519_SIG_LEN];
    const uint8_t *sig = ed;
    size_t sig_len = sizeof ed;
    enum ota_status rc = ota_fs_read_small(&buf, &len, AT_FDCWD, sigpath, SIG_FILE_MAX, &err);
    if (!rc && key.alg == OTA_KEY_ED25519)
        rc = ota_pack_sig_parse_mem(ed, buf, len, &err);
    else if (!rc) { /* ECDSA and CMS: DER, as openssl writes it */
        sig = (const uint8_t *)buf;
        sig_len = len;
    }
    if (rc)
        ota_err_prefix(&err, "%s", sigpath);
    else
        rc = ota_pack_attach_signature(pkg, out, sig, sig_len, &key, &err);
    free(buf);
    ota_certs_free(&ca);
    if (rc)
        return ota_cli_fail(prog, &err);
    if (key.alg == OTA_KEY_X509_CA)
        printf("attached a CMS signature (signer chains to %s) to %s\n", pub, out ? out : pkg);
    else
        printf("attached signature by key %.16s to %s\n", key.keyid, out ? out : pkg);
    return 0;
}
