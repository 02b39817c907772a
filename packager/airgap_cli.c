/* airgap_cli.c — `otapack digest` and `otapack attach-signature`, the command-line half:
 * options, help pages, output, exit codes. Owns: where the bytes to sign go (a file written
 * atomically, or standard output) and reading the signature file. Must never: build or check
 * what is signed (airgap.c does, where tests call it directly). main.c calls these with
 * argv[0] the verb. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airgap_cli.h"
#include "otapack/codec.h"
#include "otapack/digest.h"
#include "otapack/fsio.h"
#include "otapack/packager.h"

#define OPT_HELP 'h'
#define SIG_FILE_MAX 4096u /* a signature file is 64, 128 or 129 bytes: room for a message */

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
    "    otapack attach-signature --pub PREFIX.pub PKG SIG [-o OUT]\n"
    "\n"
    "DESCRIPTION\n"
    "    Adds to PKG an Ed25519 signature made elsewhere (see 'otapack digest') by the key\n"
    "    whose public half is PREFIX.pub. SIG is a file holding the signature: its 64 raw\n"
    "    bytes (as 'openssl pkeyutl -sign' writes them), or 128 lowercase hex digits,\n"
    "    optionally followed by one newline. Anything else is refused.\n"
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
    "    -p, --pub PREFIX.pub   public key of the signer (one line:\n"
    "                           otapack-pubkey-v1 ed25519 <64 hex digits>)\n"
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
    "\n"
    "    The .pub file of an OpenSSL Ed25519 key (its raw public key is the last 32 bytes\n"
    "    of the DER form):\n"
    "    printf 'otapack-pubkey-v1 ed25519 %s\\n' \"$(openssl pkey -in release.pem -pubout \\\n"
    "        -outform DER | tail -c 32 | od -An -v -tx1 | tr -d ' \\n')\" >release.pub\n";

static int fail(const char *prog, const struct ota_err *err)
{
    fprintf(stderr, "%s: %s\n", prog, err->msg[0] ? err->msg : ota_strerror(err->code));
    return ota_exit_code(err->code);
}

static int usage(const char *verb, const char *msg)
{
    fprintf(stderr, "otapack %s: %s (see 'otapack %s --help')\n", verb, msg, verb);
    return 2;
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
            return usage("digest", "unknown option");
    }
    if (optind + 1 != argc)
        return usage("digest", "expected one package");
    const char *pkg = argv[optind];
    struct ota_err err;
    ota_err_clear(&err);
    int fd = STDIN_FILENO;
    if (strcmp(pkg, "-") != 0 && ota_fs_open_regular(&fd, AT_FDCWD, pkg, &err))
        return fail(prog, &err);
    int ret = 0;
    uint8_t *msg = NULL;
    size_t len = 0;
    uint8_t sum[OTA_SHA256_LEN];
    char line[OTA_SHA256_HEX_LEN + 1];
    if (out && same_file(fd, out)) {
        ret = usage("digest", "-o: names the package itself");
        goto done;
    }
    if (ota_pack_digest(&msg, &len, fd, &err)) {
        ota_err_prefix(&err, "%s", pkg);
        ret = fail(prog, &err);
        goto done;
    }
    if (ota_sha256_mem(sum, msg, len, &err)) {
        ret = fail(prog, &err);
        goto done;
    }
    ota_hex_encode(line, sum, sizeof sum);
    if (hex) {
        strcat(line, "\n");
        if (write_out(out, line, strlen(line), &err)) {
            ret = fail(prog, &err);
            goto done;
        }
        line[OTA_SHA256_HEX_LEN - 1] = '\0';
    } else if (write_out(out, msg, len, &err)) {
        ret = fail(prog, &err);
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
                return usage("attach-signature", "--pub: one key (a signature is by one key)");
            pub = optarg;
        } else if (c == 'o') {
            out = optarg;
        } else if (c == OPT_HELP) {
            return fputs(HELP_ATTACH, stdout), 0;
        } else {
            return usage("attach-signature", "unknown option");
        }
    }
    if (optind + 2 != argc || !pub)
        return usage("attach-signature", "expected --pub PREFIX.pub, a package and a signature");
    const char *pkg = argv[optind], *sigpath = argv[optind + 1];
    struct ota_err err;
    ota_err_clear(&err);
    struct ota_pubkey key;
    if (ota_pubkey_load(&key, pub, &err))
        return fail(prog, &err);
    char *buf;
    size_t len;
    if (ota_fs_read_small(&buf, &len, AT_FDCWD, sigpath, SIG_FILE_MAX, &err))
        return fail(prog, &err);
    uint8_t sig[OTA_ED25519_SIG_LEN];
    enum ota_status rc = ota_pack_sig_parse_mem(sig, buf, len, &err);
    free(buf);
    if (rc) {
        ota_err_prefix(&err, "%s", sigpath);
        return fail(prog, &err);
    }
    if (ota_pack_attach_signature(pkg, out, sig, sizeof sig, &key, &err))
        return fail(prog, &err);
    printf("attached signature by key %.16s to %s\n", key.keyid, out ? out : pkg);
    return 0;
}
