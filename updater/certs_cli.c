/* certs_cli.c — the 'otaupdate certs' verb: argument parsing, help pages and output over the
 * certificate store library (certstore.h). Part of the otaupdate command: it prints, and it
 * returns exit codes for main() to exit with; it never exits itself.
 * Must never: print a private key or password, read a password from the command line
 * (where `ps` shows it), or open (and lock) the device before the arguments check out. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certs_cli.h"
#include "otapack/codec.h"
#include "otapack/device.h"
#include "otapack/fsio.h"

#define PROG "otaupdate certs"

static const char HELP_CERTS[] =
    "NAME\n"
    "    otaupdate certs - manage the device certificate store\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] certs list [--json]\n"
    "    otaupdate [--root DIR] certs info ID [--json]\n"
    "    otaupdate [--root DIR] certs install-root ID CERT.pem\n"
    "    otaupdate [--root DIR] certs install-client ID CERT.pem KEY.pem [--password-file F]\n"
    "    otaupdate [--root DIR] certs delete ID\n"
    "    otaupdate [--root DIR] certs move FROM TO\n"
    "    otaupdate [--root DIR] certs space [--json]\n"
    "    otaupdate certs VERB --help\n"
    "\n"
    "DESCRIPTION\n"
    "    The device certificate store holds the certificates the device uses on its\n"
    "    networks (EAP-TLS Wi-Fi, for instance): root CA certificates to validate servers,\n"
    "    and client certificates with their private keys. It follows Azure Sphere's\n"
    "    CertStore: each entry has an identifier of 1 to 16 characters of A-Z a-z 0-9 . - _;\n"
    "    a certificate is at most 8 KiB of PEM; the store holds 24 KiB of PEM (certificates\n"
    "    and keys); installing under an existing identifier replaces that entry; move\n"
    "    replaces its destination atomically.\n"
    "\n"
    "    The store belongs to the running generation: changes made here apply to it, and a\n"
    "    package may carry certificate store operations (a 'certstore' payload) that are\n"
    "    applied with the rest of the package, all or nothing. Every change is one atomic\n"
    "    write of DIR's store file (mode 0600): it happens completely or not at all.\n"
    "\n"
    "VERBS\n"
    "    list             the entries: identifier, kind, expiry, subject\n"
    "    info             one entry in detail\n"
    "    install-root     install a root CA certificate\n"
    "    install-client   install a client certificate and its private key\n"
    "    delete           remove an entry\n"
    "    move             rename an entry, replacing the destination\n"
    "    space            bytes used and available\n"
    "\n"
    "EXIT STATUS\n"
    "    0 done; 1 rejected (bad certificate, key or password; no such entry); 2 usage error\n"
    "    (bad arguments, bad identifier); 3 system failure (I/O, store full, permissions,\n"
    "    device busy). Failures print one line to stderr.\n";

static const char HELP_LIST[] =
    "NAME\n"
    "    otaupdate certs list - list the certificate store\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] certs list [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Prints one line per entry, sorted by identifier: identifier, kind (root or client),\n"
    "    not-after time and subject. --json prints an array with, per entry, 'id', 'kind',\n"
    "    'subject', 'issuer', 'not_before', 'not_after' (RFC 3339, UTC) and 'sha256' (the\n"
    "    certificate's fingerprint, lowercase hex). Private keys are never shown.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 done; 1 the store does not load; 2 usage error; 3 system failure.\n";

static const char HELP_INFO[] =
    "NAME\n"
    "    otaupdate certs info - show one entry of the certificate store\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] certs info ID [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Prints the entry's kind, subject, issuer, validity and SHA-256 fingerprint. --json\n"
    "    prints one object with the fields of 'certs list --json'. Private keys are never\n"
    "    shown.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 done; 1 no entry ID; 2 usage error (including an invalid identifier); 3 system\n"
    "    failure.\n";

static const char HELP_INSTALL_ROOT[] =
    "NAME\n"
    "    otaupdate certs install-root - install a root CA certificate\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] certs install-root ID CERT.pem\n"
    "\n"
    "DESCRIPTION\n"
    "    Installs the certificate in CERT.pem (exactly one PEM certificate, at most 8 KiB)\n"
    "    under identifier ID, replacing an entry of that identifier. To rotate a root without\n"
    "    a moment where none is installed, install the new one under a temporary identifier\n"
    "    and 'move' it over the old one.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 installed; 1 the file is not one PEM certificate or is too large; 2 usage error;\n"
    "    3 system failure, or the store is full (the message says how much space it needs\n"
    "    and how much is available).\n";

static const char HELP_INSTALL_CLIENT[] =
    "NAME\n"
    "    otaupdate certs install-client - install a client certificate and its private key\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] certs install-client ID CERT.pem KEY.pem [--password-file F]\n"
    "\n"
    "DESCRIPTION\n"
    "    Installs the certificate in CERT.pem and the private key in KEY.pem under ID,\n"
    "    replacing an entry of that identifier. The key is one PEM private key (PKCS#8,\n"
    "    encrypted or not, or a traditional RSA or EC key); it must match the certificate.\n"
    "    An encrypted key is decrypted with the password in F: one line of at most 256\n"
    "    bytes (a final line end is not part of it); '-' reads it from standard input. The\n"
    "    key is stored unencrypted, as PKCS#8, in the store file, which only its owner may\n"
    "    read (mode 0600); the password is not kept. Passwords are never taken on the\n"
    "    command line, where other users see them.\n"
    "\n"
    "OPTIONS\n"
    "    --password-file F   read the key's password from F ('-': standard input)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 installed; 1 bad certificate or key, the key does not match the certificate, or\n"
    "    the password is wrong or missing; 2 usage error; 3 system failure, or the store is\n"
    "    full.\n";

static const char HELP_DELETE[] =
    "NAME\n"
    "    otaupdate certs delete - remove an entry from the certificate store\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] certs delete ID\n"
    "\n"
    "DESCRIPTION\n"
    "    Removes entry ID (a client entry together with its private key).\n"
    "\n"
    "EXIT STATUS\n"
    "    0 removed; 1 no entry ID; 2 usage error; 3 system failure.\n";

static const char HELP_MOVE[] =
    "NAME\n"
    "    otaupdate certs move - rename an entry, replacing the destination atomically\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] certs move FROM TO\n"
    "\n"
    "DESCRIPTION\n"
    "    Renames entry FROM to TO. An entry TO is replaced in the same atomic write, so\n"
    "    there is no moment without one: this is how a root is rotated (install-root under\n"
    "    a temporary identifier, then move it over the old identifier).\n"
    "\n"
    "EXIT STATUS\n"
    "    0 moved; 1 no entry FROM; 2 usage error; 3 system failure.\n";

static const char HELP_SPACE[] =
    "NAME\n"
    "    otaupdate certs space - show the space used and available in the certificate store\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] certs space [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Prints the bytes used (certificate and key PEM of every entry), the capacity and\n"
    "    the bytes available. --json prints an object with 'count', 'used', 'capacity' and\n"
    "    'available'.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 done; 1 the store does not load; 2 usage error; 3 system failure.\n";

enum sub {
    SUB_LIST,
    SUB_INFO,
    SUB_INSTALL_ROOT,
    SUB_INSTALL_CLIENT,
    SUB_DELETE,
    SUB_MOVE,
    SUB_SPACE,
};

static const struct {
    const char *name;
    enum sub sub;
    const char *help;
    int n_args;  /* positional arguments */
    int changes; /* 1: opens the store for writing */
} SUBS[] = {
    {"list", SUB_LIST, HELP_LIST, 0, 0},
    {"info", SUB_INFO, HELP_INFO, 1, 0},
    {"install-root", SUB_INSTALL_ROOT, HELP_INSTALL_ROOT, 2, 1},
    {"install-client", SUB_INSTALL_CLIENT, HELP_INSTALL_CLIENT, 3, 1},
    {"delete", SUB_DELETE, HELP_DELETE, 1, 1},
    {"move", SUB_MOVE, HELP_MOVE, 2, 1},
    {"space", SUB_SPACE, HELP_SPACE, 0, 0},
};

/* Where the store is: a device root, or a folder (ota_cli_certs_dir). */
struct target {
    const char *root; /* NULL: use dirfd */
    int dirfd;
};

/* What one run holds open. */
struct session {
    struct ota_device *dev;
    struct ota_certstore *cs;
};

/* A failure: one line. The library's messages start with the operation and the entry
 * ("delete 'old': no such certificate"), so the verb is not repeated. */
static int fail(const struct ota_err *err)
{
    fprintf(stderr, PROG ": %s\n", err->msg[0] ? err->msg : ota_strerror(err->code));
    return ota_exit_code(err->code);
}

/* A usage error: one line naming the verb, then where to read more. Arguments from the
 * command line are escaped by the callers. */
static int usage(const char *sub, const char *fmt, ...) OTA_PRINTF(2, 3);
static int usage(const char *sub, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, PROG "%s%s: %s (see 'otaupdate certs%s%s --help')\n", sub ? " " : "",
            sub ? sub : "", msg, sub ? " " : "", sub ? sub : "");
    return 2;
}

static enum ota_status session_open(struct session *s, const struct target *t, int changes,
                                    struct ota_err *err)
{
    memset(s, 0, sizeof *s);
    if (!t->root)
        return ota_certstore_open(&s->cs, t->dirfd, 0, err);
    /* reading does not wait for an install that holds the lock (like 'status') */
    enum ota_status rc =
        ota_device_open(&s->dev, t->root, changes ? OTA_OPEN_WRITE : OTA_OPEN_PREFER_WRITE, err);
    if (rc)
        return rc;
    if ((rc = ota_device_certstore(s->dev, &s->cs, err))) {
        ota_device_close(s->dev);
        s->dev = NULL;
    }
    return rc;
}

static void session_close(struct session *s)
{
    ota_certstore_close(s->cs);
    if (s->dev)
        ota_device_close(s->dev);
    memset(s, 0, sizeof *s);
}

/* Reads a file of at most max bytes that holds a secret (a key, a password) into a buffer
 * that is wiped on every path; "-" is standard input when stdin_ok. */
static enum ota_status read_secret(char **out, size_t *len, const char *path, size_t max,
                                   int stdin_ok, struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    int fd = STDIN_FILENO;
    enum ota_status rc;
    if (!(stdin_ok && !strcmp(path, "-")) && (rc = ota_fs_open_regular(&fd, AT_FDCWD, path, err)))
        return rc;
    char *buf = malloc(max + 2);
    if (!buf) {
        if (fd != STDIN_FILENO)
            close(fd);
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    }
    size_t got = 0;
    /* one byte more than allowed tells "exactly max" from "too large" */
    rc = ota_fs_read_full(fd, buf, max + 1, &got, err);
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc == OTA_OK && got > max)
        rc = ota_err_set(err, OTA_E_LIMIT, "%s: larger than %zu bytes", path, max);
    else if (rc)
        ota_err_prefix(err, "%s", path);
    if (rc) {
        OPENSSL_cleanse(buf, max + 2);
        free(buf);
        return rc;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return OTA_OK;
}

static void free_secret(char *p, size_t len)
{
    if (p) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}

/* The password of a password file: its one line, without the line end. */
static enum ota_status read_password(char **out, size_t *outlen, const char *path,
                                     struct ota_err *err)
{
    char *buf;
    size_t len;
    /* room for the password and a CR LF line end */
    enum ota_status rc = read_secret(&buf, &len, path, OTA_CERTSTORE_MAX_PASSWORD + 2, 1, err);
    if (rc)
        return rc;
    size_t n = len;
    if (n && buf[n - 1] == '\n')
        n--;
    if (n && buf[n - 1] == '\r')
        n--;
    if (memchr(buf, '\n', n))
        rc = ota_err_set(err, OTA_E_USAGE, "%s: password file has more than one line", path);
    else if (memchr(buf, '\0', n))
        rc = ota_err_set(err, OTA_E_USAGE, "%s: password file holds a NUL byte", path);
    else if (n > OTA_CERTSTORE_MAX_PASSWORD)
        rc = ota_err_set(err, OTA_E_LIMIT, "%s: password longer than %u bytes", path,
                         OTA_CERTSTORE_MAX_PASSWORD);
    if (rc) {
        free_secret(buf, len);
        return rc;
    }
    OPENSSL_cleanse(buf + n, len - n);
    buf[n] = '\0';
    *out = buf;
    *outlen = len;
    return OTA_OK;
}

/* ---- output ------------------------------------------------------------------------------ */

struct info {
    char id[OTA_CERTSTORE_ID_MAX + 1];
    enum ota_certstore_kind kind;
    char subject[OTA_CERTSTORE_NAME_MAX], issuer[OTA_CERTSTORE_NAME_MAX];
    int64_t not_before, not_after;
    char sha256[OTA_SHA256_HEX_LEN];
};

static enum ota_status get_info(struct info *in, const struct ota_certstore *cs, const char *id,
                                struct ota_err *err)
{
    memset(in, 0, sizeof *in);
    snprintf(in->id, sizeof in->id, "%s", id);
    enum ota_status rc;
    if ((rc = ota_certstore_kind(cs, id, &in->kind, err)) ||
        (rc = ota_certstore_subject(cs, id, in->subject, sizeof in->subject, err)) ||
        (rc = ota_certstore_issuer(cs, id, in->issuer, sizeof in->issuer, err)) ||
        (rc = ota_certstore_not_before(cs, id, &in->not_before, err)) ||
        (rc = ota_certstore_not_after(cs, id, &in->not_after, err)) ||
        (rc = ota_certstore_fingerprint(cs, id, in->sha256, err)))
        return rc;
    return OTA_OK;
}

static json_t *info_json(const struct info *in)
{
    char t[OTA_TIME_STR_LEN];
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = json_object_set_new(o, "id", json_string(in->id));
    bad |= json_object_set_new(o, "kind", json_string(ota_certstore_kind_name(in->kind)));
    bad |= json_object_set_new(o, "subject", json_string(in->subject));
    bad |= json_object_set_new(o, "issuer", json_string(in->issuer));
    ota_time_format(t, in->not_before);
    bad |= json_object_set_new(o, "not_before", json_string(t));
    ota_time_format(t, in->not_after);
    bad |= json_object_set_new(o, "not_after", json_string(t));
    bad |= json_object_set_new(o, "sha256", json_string(in->sha256));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int print_json(json_t *j, const char *sub)
{
    if (!j) {
        fprintf(stderr, PROG " %s: out of memory\n", sub);
        return 3;
    }
    int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    if (rc != 0 || printf("\n") < 0 || fflush(stdout) != 0) {
        fprintf(stderr, PROG " %s: cannot write to standard output\n", sub);
        return 3;
    }
    return 0;
}

static int do_list(const struct ota_certstore *cs, int as_json, struct ota_err *err)
{
    size_t n = ota_certstore_count(cs);
    json_t *arr = as_json ? json_array() : NULL;
    if (as_json && !arr)
        return print_json(NULL, "list");
    if (!as_json && n == 0)
        printf("the certificate store is empty (%zu bytes available)\n",
               ota_certstore_available(cs));
    else if (!as_json)
        printf("%-16s  %-6s  %-20s  %s\n", "ID", "KIND", "NOT AFTER", "SUBJECT");
    for (size_t i = 0; i < n; i++) {
        char id[OTA_CERTSTORE_ID_MAX + 1], t[OTA_TIME_STR_LEN];
        struct info in;
        if (ota_certstore_id_at(cs, i, id, err) || get_info(&in, cs, id, err)) {
            json_decref(arr);
            return fail(err);
        }
        if (as_json) {
            json_t *o = info_json(&in);
            if (!o || json_array_append_new(arr, o) != 0) {
                json_decref(arr);
                return print_json(NULL, "list");
            }
        } else {
            ota_time_format(t, in.not_after);
            printf("%-16s  %-6s  %-20s  %s\n", in.id, ota_certstore_kind_name(in.kind), t,
                   in.subject);
        }
    }
    return as_json ? print_json(arr, "list") : 0;
}

static int do_info(const struct ota_certstore *cs, const char *id, int as_json, struct ota_err *err)
{
    struct info in;
    char t[OTA_TIME_STR_LEN];
    if (get_info(&in, cs, id, err))
        return fail(err);
    if (as_json)
        return print_json(info_json(&in), "info");
    printf("id:          %s\n", in.id);
    printf("kind:        %s\n", in.kind == OTA_CERTSTORE_CLIENT
                                    ? "client (certificate and private key)"
                                    : "root (CA certificate)");
    printf("subject:     %s\n", in.subject);
    printf("issuer:      %s\n", in.issuer);
    ota_time_format(t, in.not_before);
    printf("not before:  %s\n", t);
    ota_time_format(t, in.not_after);
    printf("not after:   %s\n", t);
    printf("sha256:      %s\n", in.sha256);
    return 0;
}

static int do_space(const struct ota_certstore *cs, int as_json)
{
    if (as_json) {
        json_t *o = json_object();
        if (o &&
            (json_object_set_new(o, "count", json_integer((json_int_t)ota_certstore_count(cs))) ||
             json_object_set_new(o, "used", json_integer((json_int_t)ota_certstore_used(cs))) ||
             json_object_set_new(o, "capacity",
                                 json_integer((json_int_t)ota_certstore_capacity(cs))) ||
             json_object_set_new(o, "available",
                                 json_integer((json_int_t)ota_certstore_available(cs))))) {
            json_decref(o);
            o = NULL;
        }
        return print_json(o, "space");
    }
    size_t n = ota_certstore_count(cs);
    printf("%zu bytes used of %zu, %zu available (%zu entr%s)\n", ota_certstore_used(cs),
           ota_certstore_capacity(cs), ota_certstore_available(cs), n, n == 1 ? "y" : "ies");
    return 0;
}

/* A one-line description of an entry after a change: "CN=... (sha256 ab12...)". */
static void describe(char *out, size_t outsz, const struct ota_certstore *cs, const char *id)
{
    struct info in;
    if (get_info(&in, cs, id, NULL) != OTA_OK) {
        snprintf(out, outsz, "?");
        return;
    }
    snprintf(out, outsz, "%.160s, sha256 %.16s...", in.subject, in.sha256);
}

/* ---- the verb ------------------------------------------------------------------------------ */

static int run(const struct target *t, int argc, char **argv)
{
    if (argc < 2)
        return usage(NULL, "expected a verb: list, info, install-root, install-client, delete, "
                           "move or space");
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help"))
        return fputs(HELP_CERTS, stdout), 0;
    size_t k = 0;
    while (k < sizeof SUBS / sizeof SUBS[0] && strcmp(SUBS[k].name, name) != 0)
        k++;
    char shown[4 * 64 + 1];
    if (k == sizeof SUBS / sizeof SUBS[0])
        return usage(NULL, "unknown verb '%s'", ota_printable(shown, sizeof shown, name, 64));
    enum sub sub = SUBS[k].sub;

    enum { O_JSON = 256, O_PASSWORD_FILE };
    static const struct option opts[] = {{"json", no_argument, 0, O_JSON},
                                         {"password-file", required_argument, 0, O_PASSWORD_FILE},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int as_json = 0, c;
    const char *password_file = NULL;
    int sargc = argc - 1;
    char **sargv = argv + 1;
    opterr = 0;
    optind = 1;
    int li = -1;
    while ((c = getopt_long(sargc, sargv, "h", opts, &li)) != -1) {
        if (c == 'h')
            return fputs(SUBS[k].help, stdout), 0;
        if (c == O_JSON && (sub == SUB_LIST || sub == SUB_INFO || sub == SUB_SPACE))
            as_json = 1;
        else if (c == O_PASSWORD_FILE && sub == SUB_INSTALL_CLIENT)
            password_file = optarg;
        else if (c == '?' && optopt == O_PASSWORD_FILE)
            return usage(name, "--password-file needs a file name ('-' for standard input)");
        else if (c == '?')
            return usage(name, "unknown option '%s'",
                         ota_printable(shown, sizeof shown, sargv[optind - 1], 64));
        else /* an option of another sub-verb */
            return usage(name, "unknown option '--%s'", opts[li].name);
        li = -1;
    }
    if (sargc - optind != SUBS[k].n_args) {
        static const char *const expected[] = {
            [SUB_LIST] = "no arguments",        [SUB_INFO] = "an identifier",
            [SUB_INSTALL_ROOT] = "ID CERT.pem", [SUB_INSTALL_CLIENT] = "ID CERT.pem KEY.pem",
            [SUB_DELETE] = "an identifier",     [SUB_MOVE] = "FROM TO",
            [SUB_SPACE] = "no arguments"};
        return usage(name, "expected %s", expected[sub]);
    }
    char **args = sargv + optind;
    /* identifiers first: a bad one is a usage error whatever the state of the device */
    int n_ids = sub == SUB_MOVE ? 2 : SUBS[k].n_args > 0 ? 1 : 0;
    for (int i = 0; i < n_ids; i++) {
        const char *why = ota_certops_id_problem(args[i]);
        if (why)
            return usage(name, "certificate id '%s%s' %s",
                         ota_printable(shown, sizeof shown, args[i], 24),
                         strlen(args[i]) > 24 ? "..." : "", why);
    }

    /* read the inputs before the device is opened (and locked) */
    struct ota_err err;
    ota_err_clear(&err);
    char *cert = NULL, *key = NULL, *password = NULL;
    size_t cert_len = 0, key_len = 0, password_len = 0;
    int ret = 0;
    enum ota_status rc = OTA_OK;
    if (sub == SUB_INSTALL_ROOT || sub == SUB_INSTALL_CLIENT)
        rc = ota_fs_read_small(&cert, &cert_len, AT_FDCWD, args[1], OTA_CERTSTORE_MAX_CERT, &err);
    if (rc == OTA_OK && sub == SUB_INSTALL_CLIENT)
        rc = read_secret(&key, &key_len, args[2], OTA_CERTSTORE_MAX_KEY, 0, &err);
    if (rc == OTA_OK && password_file)
        rc = read_password(&password, &password_len, password_file, &err);
    struct session s;
    memset(&s, 0, sizeof s);
    if (rc == OTA_OK)
        rc = session_open(&s, t, SUBS[k].changes, &err);
    if (rc) {
        ret = fail(&err);
        goto out;
    }

    char desc[256];
    switch (sub) {
    case SUB_LIST:
        ret = do_list(s.cs, as_json, &err);
        break;
    case SUB_INFO:
        ret = do_info(s.cs, args[0], as_json, &err);
        break;
    case SUB_SPACE:
        ret = do_space(s.cs, as_json);
        break;
    case SUB_INSTALL_ROOT:
        if (ota_certstore_install_root(s.cs, args[0], cert, cert_len, &err)) {
            ret = fail(&err);
            break;
        }
        describe(desc, sizeof desc, s.cs, args[0]);
        printf("installed root certificate '%s' (%s); %zu bytes available\n", args[0], desc,
               ota_certstore_available(s.cs));
        break;
    case SUB_INSTALL_CLIENT:
        if (ota_certstore_install_client(s.cs, args[0], cert, cert_len, key, key_len, password,
                                         &err)) {
            ret = fail(&err);
            break;
        }
        describe(desc, sizeof desc, s.cs, args[0]);
        printf("installed client certificate '%s' and its private key (%s); %zu bytes "
               "available\n",
               args[0], desc, ota_certstore_available(s.cs));
        break;
    case SUB_DELETE:
        if (ota_certstore_delete(s.cs, args[0], &err)) {
            ret = fail(&err);
            break;
        }
        printf("deleted '%s'; %zu bytes available\n", args[0], ota_certstore_available(s.cs));
        break;
    case SUB_MOVE: {
        enum ota_certstore_kind kind;
        int replacing = strcmp(args[0], args[1]) != 0 &&
                        ota_certstore_kind(s.cs, args[1], &kind, NULL) == OTA_OK;
        if (ota_certstore_move(s.cs, args[0], args[1], &err)) {
            ret = fail(&err);
            break;
        }
        printf("moved '%s' to '%s'%s\n", args[0], args[1],
               replacing ? ", replacing the entry that had that identifier" : "");
        break;
    }
    }
    session_close(&s);
out:
    free(cert);
    free_secret(key, key_len);
    free_secret(password, password_len);
    return ret;
}

int ota_cli_certs(const char *root, int argc, char **argv)
{
    struct target t = {root, -1};
    return run(&t, argc, argv);
}

int ota_cli_certs_dir(int dirfd, int argc, char **argv)
{
    struct target t = {NULL, dirfd};
    return run(&t, argc, argv);
}
