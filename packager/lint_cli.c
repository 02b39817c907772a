/* lint_cli.c — `otapack lint`, the command-line half: options, help page, output, exit code.
 * Owns: telling a package from a certificate file, the clock (time(NULL), or OTAPACK_NOW for
 * tests) and the --strict policy. Must never: hold lint rules (they live in lint.c, where
 * tests call them directly) or print anything but findings, a summary and one line per
 * failure. main.c calls ota_cli_lint with argv[0] == "lint". */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "otapack/codec.h"
#include "otapack/fsio.h"
#include "otapack/lint.h"

#define PROG "otapack lint"

static const char HELP_LINT[] =
    "NAME\n"
    "    otapack lint - check the certificates of a package or of certificate files\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack lint [--strict] [--min-validity DAYS] [--json] PKG|CERTS...\n"
    "\n"
    "DESCRIPTION\n"
    "    Checks what a release would ship to the fleet's Trusted Root Store before it ships.\n"
    "    Each operand is an otapack package or a certificate file (PEM, one or more\n"
    "    certificates, or one DER certificate); a file is read as a package first, then as\n"
    "    certificates. In a package, the certificates of the 'trust-add' and 'trust-replace'\n"
    "    payloads are checked as trust anchors and each 'server-chain' payload as a chain,\n"
    "    leaf first; other payloads are read only to check their digests. Signatures are not\n"
    "    verified (use 'otapack verify'). A certificate file is checked as trust anchors, as\n"
    "    for 'otapack build --trust-add'. Like every otapack input, a file is opened without\n"
    "    following a symbolic link: lint the link's target (realpath FILE).\n"
    "\n"
    "    Errors (the device would refuse the certificate anyway, so they always fail):\n"
    "      expired         the current time is after the certificate's notAfter\n"
    "      not-ca          a trust anchor (or a chain certificate after the leaf) without\n"
    "                      basicConstraints CA:TRUE\n"
    "    Warnings (fail only with --strict):\n"
    "      not-yet-valid   the current time is before notBefore (a device refuses it until\n"
    "                      then, but it may be valid by the time the release installs)\n"
    "      expiring        notAfter is less than --min-validity days away\n"
    "      weak-key        RSA or DSA key under 2048 bits, EC key under 224 bits\n"
    "      sha1            signed with SHA-1 or MD5 (not reported for a self-signed\n"
    "                      certificate: nobody checks a root's signature on itself)\n"
    "      duplicate       the same certificate twice in one file or in a package's trust\n"
    "                      payloads\n"
    "    The keyrings a package carries for rotation (otapack build --keyring) are checked\n"
    "    too, named 'keyring vN': expired (error: devices refuse every package signed under\n"
    "    it), expiring within --min-validity days (warning: ship the next keyring first),\n"
    "    unsigned (error: not signed by a threshold of its own root keys).\n"
    "\n"
    "    One line per finding on standard output:\n"
    "      otapack lint: FILE: warning|error: SUBJECT (sha256 FIRST-16-HEX): MESSAGE\n"
    "    then a summary: 'N certificates, E errors, W warnings'.\n"
    "\n"
    "OPTIONS\n"
    "    --strict               warnings fail too: the gate for a CI pipeline\n"
    "    --min-validity DAYS    warn about certificates that expire within DAYS days\n"
    "                           (default 90; 0 turns the check off; at most 36525)\n"
    "    --json                 print a JSON array instead: one object per finding with\n"
    "                           'file', 'payload' (in a package), 'code', 'severity',\n"
    "                           'subject', 'sha256', 'not_before', 'not_after' (RFC 3339,\n"
    "                           UTC) and 'message'\n"
    "\n"
    "ENVIRONMENT\n"
    "    OTAPACK_NOW            the current time, in seconds since 1970, instead of the\n"
    "                           system clock (for tests that need a fixed clock)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 no errors (and, with --strict, no warnings); 1 an error, a warning with --strict,\n"
    "    or an input that is neither a valid package nor certificates; 2 usage error;\n"
    "    3 system failure (I/O, permissions).\n"
    "\n"
    "EXAMPLES\n"
    "    otapack lint /usr/share/ca-certificates/mozilla/DigiCert_Global_Root_G2.crt\n"
    "    otapack lint --strict --min-validity 365 roots.pem\n"
    "    otapack lint --strict --json app-1.2.ota > lint.json\n";

static int usage(const char *msg)
{
    fprintf(stderr, PROG ": %s (see 'otapack lint --help')\n", msg);
    return 2;
}

static int sys_now(int64_t *now)
{
    const char *s = getenv("OTAPACK_NOW");
    if (!s) {
        *now = (int64_t)time(NULL);
        return 0;
    }
    uint64_t v;
    if (ota_parse_u64(&v, s, (uint64_t)OTA_MAX_TIME) != 0)
        return -1;
    *now = (int64_t)v;
    return 0;
}

/* A ustar header names itself at offset 257: then the file is a package, whatever else. */
static int has_ustar_magic(int fd)
{
    char b[263];
    ssize_t n = pread(fd, b, sizeof b, 0);
    return n == (ssize_t)sizeof b && !memcmp(b + 257, "ustar", 5);
}

static int has_pem_marker(const char *buf, size_t len)
{
    static const char tag[] = "-----BEGIN";
    for (size_t i = 0; i + sizeof tag - 1 <= len; i++)
        if (!memcmp(buf + i, tag, sizeof tag - 1))
            return 1;
    return 0;
}

static enum ota_status lint_certfile(struct ota_lint_report *rep, int fd, const char *shown,
                                     int64_t now, uint32_t days, struct ota_err *err)
{
    if (lseek(fd, 0, SEEK_SET) != 0)
        return ota_err_sys(err, errno, "%s: cannot seek", shown);
    char *buf = malloc(OTA_MAX_BUNDLE_SIZE + 1u);
    if (!buf)
        return ota_err_set(err, OTA_E_NOMEM, "%s: out of memory", shown);
    size_t got;
    enum ota_status rc = ota_fs_read_full(fd, buf, OTA_MAX_BUNDLE_SIZE + 1u, &got, err);
    if (rc)
        ota_err_prefix(err, "%s", shown);
    else if (got > OTA_MAX_BUNDLE_SIZE)
        rc = ota_err_set(err, OTA_E_LIMIT, "%s: larger than %u bytes", shown, OTA_MAX_BUNDLE_SIZE);
    struct ota_certlist certs = {0, NULL};
    if (!rc) {
        rc = ota_certs_parse_mem(&certs, buf, got, shown, err);
        if (rc == OTA_E_FORMAT && !has_pem_marker(buf, got))
            ota_err_set(err, OTA_E_FORMAT,
                        "%s: neither an otapack package nor a PEM or DER certificate", shown);
    }
    if (!rc)
        rc = ota_lint_certs(rep, &certs, now, days, err);
    ota_certs_free(&certs);
    free(buf);
    return rc;
}

/* Lints one operand into rep: a package, or else a certificate file. */
static enum ota_status lint_path(struct ota_lint_report *rep, const char *path, int64_t now,
                                 uint32_t days, struct ota_err *err)
{
    char shown[256];
    ota_printable(shown, sizeof shown, path, 200);
    int fd;
    enum ota_status rc = ota_fs_open_regular(&fd, AT_FDCWD, path, err);
    if (rc)
        return rc; /* the message names the path */
    rc = ota_lint_package(rep, fd, now, days, err);
    if (rc && !has_ustar_magic(fd)) {
        ota_lint_report_free(rep);
        ota_err_clear(err);
        rc = lint_certfile(rep, fd, shown, now, days, err);
    } else if (rc) {
        ota_err_prefix(err, "%s", shown);
    }
    close(fd);
    return rc;
}

void ota_cli_lint_print(FILE *out, const char *prog, const char *file,
                        const struct ota_lint_report *rep)
{
    char shown[256];
    ota_printable(shown, sizeof shown, file, 200);
    for (size_t i = 0; i < rep->n; i++) {
        const struct ota_lint_finding *f = &rep->v[i];
        fprintf(out, "%s: %s: %s: %s (sha256 %.16s): ", prog, shown,
                ota_lint_severity_name(f->severity), f->subject[0] ? f->subject : "(empty subject)",
                f->fingerprint);
        if (f->payload[0])
            fprintf(out, "payload '%s': ", f->payload);
        fprintf(out, "%s\n", f->message);
    }
}

static void json_findings(json_t *arr, const char *file, const struct ota_lint_report *rep)
{
    char t[OTA_TIME_STR_LEN], shown[256];
    /* escaped to printable ASCII: json_string needs UTF-8, a file name may not be */
    ota_printable(shown, sizeof shown, file, 200);
    for (size_t i = 0; i < rep->n; i++) {
        const struct ota_lint_finding *f = &rep->v[i];
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(shown));
        if (f->payload[0])
            json_object_set_new(o, "payload", json_string(f->payload));
        json_object_set_new(o, "code", json_string(ota_lint_code_name(f->code)));
        json_object_set_new(o, "severity", json_string(ota_lint_severity_name(f->severity)));
        json_object_set_new(o, "subject", json_string(f->subject));
        json_object_set_new(o, "sha256", json_string(f->fingerprint));
        ota_time_format(t, f->not_before);
        json_object_set_new(o, "not_before", json_string(t));
        ota_time_format(t, f->not_after);
        json_object_set_new(o, "not_after", json_string(t));
        json_object_set_new(o, "message", json_string(f->message));
        json_array_append_new(arr, o);
    }
}

int ota_cli_lint(int argc, char **argv)
{
    enum { O_STRICT = 256, O_MIN, O_JSON };
    static const struct option opts[] = {{"strict", no_argument, 0, O_STRICT},
                                         {"min-validity", required_argument, 0, O_MIN},
                                         {"json", no_argument, 0, O_JSON},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    enum ota_lint_flags flags = OTA_LINT_DEFAULT;
    uint32_t days = OTA_LINT_DEFAULT_MIN_DAYS;
    int as_json = 0, c;
    uint64_t v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_STRICT:
            flags |= OTA_LINT_STRICT;
            break;
        case O_JSON:
            as_json = 1;
            break;
        case O_MIN:
            if (ota_parse_u64(&v, optarg, OTA_LINT_MAX_MIN_DAYS) != 0)
                return usage("--min-validity: a number of days from 0 to 36525");
            days = (uint32_t)v;
            break;
        case 'h':
            return fputs(HELP_LINT, stdout), 0;
        default:
            return usage("unknown option");
        }
    }
    if (optind >= argc)
        return usage("expected a package or a certificate file");
    int64_t now;
    if (sys_now(&now) != 0)
        return usage("OTAPACK_NOW: not a number of seconds since 1970");

    json_t *arr = as_json ? json_array() : NULL;
    if (as_json && !arr)
        return fprintf(stderr, PROG ": out of memory\n"), 3;
    struct ota_lint_report total;
    ota_lint_report_init(&total);
    int worst = 0, n_failed = 0;
    for (int i = optind; i < argc; i++) {
        struct ota_lint_report rep;
        struct ota_err err;
        ota_lint_report_init(&rep);
        ota_err_clear(&err);
        if (lint_path(&rep, argv[i], now, days, &err)) {
            fprintf(stderr, PROG ": %s\n", err.msg[0] ? err.msg : ota_strerror(err.code));
            int e = ota_exit_code(err.code);
            worst = e > worst ? e : worst;
            n_failed++;
        } else {
            if (as_json)
                json_findings(arr, argv[i], &rep);
            else
                ota_cli_lint_print(stdout, PROG, argv[i], &rep);
            total.n_certs += rep.n_certs;
            total.n_errors += rep.n_errors;
            total.n_warnings += rep.n_warnings;
        }
        ota_lint_report_free(&rep);
    }
    if (as_json) {
        int rc = json_dumpf(arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(arr);
        if (rc != 0)
            worst = 3;
    } else {
        printf("%zu certificate%s, %zu error%s, %zu warning%s", total.n_certs,
               total.n_certs == 1 ? "" : "s", total.n_errors, total.n_errors == 1 ? "" : "s",
               total.n_warnings, total.n_warnings == 1 ? "" : "s");
        if (n_failed)
            printf("; %d input%s not checked", n_failed, n_failed == 1 ? "" : "s");
        printf("\n");
    }
    if (fflush(stdout) != 0)
        return fprintf(stderr, PROG ": cannot write to standard output\n"), 3;
    if (worst)
        return worst;
    if (ota_lint_failed(&total, flags)) {
        if (total.n_errors)
            fprintf(stderr, PROG ": failed: %zu error%s\n", total.n_errors,
                    total.n_errors == 1 ? "" : "s");
        else
            fprintf(stderr, PROG ": failed: %zu warning%s and --strict\n", total.n_warnings,
                    total.n_warnings == 1 ? "" : "s");
        return 1;
    }
    return 0;
}
