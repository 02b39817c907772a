/* keyring_cli.c — `otapack keyring init|add-key|remove-key|sign|show|verify`, the
 * command-line half: options, help pages, output, exit codes. Owns: the clock (time(NULL), or
 * OTAPACK_NOW for tests) and printing a keyring. Must never: decide trust (keys/keyring.c) or
 * edit documents itself (packager/keyring.c, where tests call it). main.c calls
 * ota_cli_keyring with argv[0] == "keyring". */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "keyring_cli.h"
#include "sign_oss_cli.h"
#include "otapack/codec.h"
#include "otapack/keyring.h"
#include "otapack/osslsign.h"
#include "otapack/packager.h"

#define PROG "otapack keyring"
#define DAY 86400

static const char HELP_KEYRING[] =
    "NAME\n"
    "    otapack keyring - make, edit, sign and check a keyring (TUF root.json)\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack keyring init -o ROOT.json --root-key KEY... --release-key KEY...\n"
    "                    [--root-threshold N] [--release-threshold N] [--expires-in DAYS]\n"
    "                    [--version N]\n"
    "    otapack keyring init -o NEXT.json --from ROOT.json [--expires-in DAYS]\n"
    "    otapack keyring add-key --role root|release KEY ROOT.json [--threshold N] [-o OUT]\n"
    "    otapack keyring remove-key --role root|release KEYID|KEY ROOT.json [--threshold N]\n"
    "                    [-o OUT]\n"
    "    otapack keyring set-threshold --role root|release N ROOT.json [-o OUT]\n"
    "    otapack keyring sign --key PREFIX.key|KEY.pem [--passphrase-file FILE] ROOT.json\n"
    "                    [-o OUT]\n"
    "    otapack keyring sign --pkcs11 URI [--pin-file FILE] ROOT.json [-o OUT]\n"
    "    otapack keyring show [--json] ROOT.json\n"
    "    otapack keyring verify [--previous OLD.json] ROOT.json\n"
    "\n"
    "DESCRIPTION\n"
    "    A keyring says who a device trusts, in the format of The Update Framework's root\n"
    "    metadata (formats/FORMAT.md, \"Keyring\"): the release keys (TUF's targets role) sign\n"
    "    packages, a threshold of them per package; the root keys, kept offline, sign the\n"
    "    keyring itself and its successors. Devices are provisioned with one\n"
    "    ('otaupdate init --keyring'); a package rotates them to the next ('otapack build\n"
    "    --keyring'): a device accepts keyring N+1 only when a threshold of the root keys of\n"
    "    N and a threshold of its own root keys signed it, then requires the package to be\n"
    "    signed under N+1. A keyring expires: an expired keyring refuses every package except\n"
    "    one that brings a newer keyring.\n"
    "\n"
    "    KEY is a key file: an otapack public key (PREFIX.pub), a PEM public key (Ed25519 or\n"
    "    ECDSA P-256, as 'otapack pubkey' or 'openssl pkey -pubout' write it, for HSM keys),\n"
    "    or, as a release key only, a PEM CA certificate: CMS signers whose certificate\n"
    "    chains to it and carries the codeSigning extended key usage sign packages.\n"
    "\n"
    "    init          a new keyring, version 1 unless --version, unsigned; with --from, the\n"
    "                  next version of ROOT.json: the same keys, version + 1, unsigned\n"
    "    add-key       add a key to a role (--role release is TUF's targets role)\n"
    "    remove-key    remove a key from a role, by key id or key file; refuses to leave a\n"
    "                  role fewer keys than its threshold\n"
    "    set-threshold set a role's threshold (1 to its number of keys)\n"
    "    sign          add a signature: an otapack key file (plain or encrypted), a PEM\n"
    "                  private key (Ed25519 or ECDSA P-256) or a key in an HSM (--pkcs11,\n"
    "                  as for 'otapack sign'). A rotation needs signatures by the old root\n"
    "                  keys and by the new ones\n"
    "    show          print version, expiry, keys, roles, signatures (and which verify)\n"
    "    verify        exit 0 only if ROOT.json is signed by a threshold of its own root\n"
    "                  keys and has not expired, and, with --previous, follows OLD.json\n"
    "                  under the rotation rule (what a device checks)\n"
    "    add-key, remove-key and set-threshold drop the signatures: the signed part\n"
    "    changed. They never\n"
    "    change the version; 'init --from' does.\n"
    "\n"
    "OPTIONS\n"
    "    -o, --out FILE            write here (temporary name, then rename) instead of in\n"
    "                              place\n"
    "    --expires-in DAYS         expiry, from now (default 365)\n"
    "    --threshold N             also set the role's threshold\n"
    "    --passphrase-file FILE    passphrase of an encrypted --key (or OTAPACK_PASSPHRASE)\n"
    "    --pkcs11 URI              sign with this PKCS#11 key (libp11's engine; module from\n"
    "                              OTAPACK_PKCS11_MODULE, default SoftHSM 2)\n"
    "    --pin-file FILE           the token's user PIN (or OTAPACK_PKCS11_PIN)\n"
    "    --json                    show: machine-readable output\n"
    "\n"
    "ENVIRONMENT\n"
    "    OTAPACK_NOW          the current time, in seconds since 1970 (for tests)\n"
    "    OTAPACK_PASSPHRASE   passphrase of an encrypted --key without --passphrase-file\n"
    "    OTAPACK_PKCS11_PIN   the token's user PIN without --pin-file\n"
    "\n"
    "EXIT STATUS\n"
    "    0 done; 1 a malformed keyring or key file, a signature that does not verify, too\n"
    "    few signatures, an expired keyring (verify); 2 usage error; 3 system failure.\n"
    "\n"
    "EXAMPLES\n"
    "    otapack keyring init -o root.json --root-key offline1.pub --root-key offline2.pub \\\n"
    "        --root-threshold 2 --release-key ci.pub --expires-in 730\n"
    "    otapack keyring sign --key offline1.key root.json\n"
    "    otapack keyring sign --key offline2.key root.json\n"
    "    # rotate the release key: version 2, signed by the root keys of version 1 (here\n"
    "    # the same ones)\n"
    "    otapack keyring init -o root-v2.json --from root.json\n"
    "    otapack keyring add-key --role release ci2.pub root-v2.json\n"
    "    otapack keyring remove-key --role release ci.pub root-v2.json\n"
    "    otapack keyring sign --key offline1.key root-v2.json\n"
    "    otapack keyring sign --key offline2.key root-v2.json\n"
    "    otapack keyring verify --previous root.json root-v2.json\n"
    "    otapack build ... --keyring root-v2.json --key ci2.key -o app-2.0.ota\n";

static int usage(const char *verb, const char *msg)
{
    fprintf(stderr, PROG " %s: %s (see 'otapack keyring --help')\n", verb, msg);
    return 2;
}

static int64_t now_time(void)
{
    const char *s = getenv("OTAPACK_NOW");
    uint64_t v;
    if (s && ota_parse_u64(&v, s, (uint64_t)OTA_MAX_TIME) == 0)
        return (int64_t)v;
    return (int64_t)time(NULL);
}

static int parse_role(enum ota_role *r, const char *s)
{
    if (!strcmp(s, "root"))
        *r = OTA_ROLE_ROOT;
    else if (!strcmp(s, "release") || !strcmp(s, "targets"))
        *r = OTA_ROLE_TARGETS;
    else
        return -1;
    return 0;
}

static const char *role_label(enum ota_role r)
{
    return r == OTA_ROLE_TARGETS ? "release (targets)" : ota_role_names[r];
}

/* Keyring keys by their role, with whether each signed validly. */
static void show_text(const struct ota_keyring *kr, int64_t now)
{
    const struct ota_keyring_doc *d = &kr->doc;
    char t[OTA_TIME_STR_LEN];
    ota_time_format(t, d->expires);
    printf("keyring version %llu, expires %s%s\n", (unsigned long long)d->version, t,
           now >= d->expires ? " (EXPIRED)" : "");
    static const enum ota_role shown[] = {OTA_ROLE_ROOT, OTA_ROLE_TARGETS};
    for (size_t s = 0; s < 2; s++) {
        const struct ota_kr_role *r = &d->roles[shown[s]];
        printf("%s keys: %zu, threshold %u\n", role_label(shown[s]), r->n, r->threshold);
        for (size_t j = 0; j < r->n; j++) {
            const struct ota_kr_key *k = &d->keys[r->key[j]];
            char desc[300] = "";
            if (kr->keys[r->key[j]].alg == OTA_KEY_X509_CA)
                ota_cert_describe(desc, sizeof desc, kr->keys[r->key[j]].ca);
            printf("  %s  %s%s%s\n", k->keyid, k->keytype, desc[0] ? "  " : "", desc);
        }
    }
    size_t n = 0;
    struct ota_err err;
    ota_err_clear(&err);
    int ok = ota_keyring_signed_by(&n, kr, kr, OTA_ROLE_ROOT, &err) == OTA_OK;
    printf("signatures: %zu (%zu valid by its own root keys: %s)\n", d->n_sigs, n,
           ok ? "threshold met" : "threshold NOT met");
    for (size_t i = 0; i < d->n_sigs; i++)
        printf("  %s%s\n", d->sigs[i].keyid,
               ota_keyring_find(kr, d->sigs[i].keyid) >= 0 ? "" : "  (a key of another keyring)");
}

static int show_json(const struct ota_keyring *kr, int64_t now)
{
    const struct ota_keyring_doc *d = &kr->doc;
    char t[OTA_TIME_STR_LEN];
    ota_time_format(t, d->expires);
    json_t *o = json_object(), *roles = json_object(), *sigs = json_array();
    json_object_set_new(o, "version", json_integer((json_int_t)d->version));
    json_object_set_new(o, "expires", json_string(t));
    json_object_set_new(o, "expired", json_boolean(now >= d->expires));
    static const enum ota_role shown[] = {OTA_ROLE_ROOT, OTA_ROLE_TARGETS};
    for (size_t s = 0; s < 2; s++) {
        const struct ota_kr_role *r = &d->roles[shown[s]];
        json_t *ro = json_object(), *keys = json_array();
        for (size_t j = 0; j < r->n; j++) {
            json_t *k = json_object();
            json_object_set_new(k, "keyid", json_string(d->keys[r->key[j]].keyid));
            json_object_set_new(k, "keytype", json_string(d->keys[r->key[j]].keytype));
            json_array_append_new(keys, k);
        }
        json_object_set_new(ro, "keys", keys);
        json_object_set_new(ro, "threshold", json_integer(r->threshold));
        json_object_set_new(roles, shown[s] == OTA_ROLE_TARGETS ? "release" : "root", ro);
    }
    json_object_set_new(o, "roles", roles);
    for (size_t i = 0; i < d->n_sigs; i++)
        json_array_append_new(sigs, json_string(d->sigs[i].keyid));
    json_object_set_new(o, "signatures", sigs);
    size_t n = 0;
    struct ota_err err;
    ota_err_clear(&err);
    json_object_set_new(o, "self_signed",
                        json_boolean(ota_keyring_signed_by(&n, kr, kr, OTA_ROLE_ROOT, &err) == 0));
    int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("\n");
    json_decref(o);
    return rc == 0 ? 0 : 3;
}

int ota_cli_keyring(int argc, char **argv)
{
    enum {
        O_ROOT = 256,
        O_RELEASE,
        O_RT,
        O_TT,
        O_EXP,
        O_VER,
        O_FROM,
        O_ROLE,
        O_THR,
        O_KEY,
        O_PASS,
        O_JSON,
        O_PREV,
        O_PASSARGV,
        O_PKCS11,
        O_PINFILE
    };
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"root-key", required_argument, 0, O_ROOT},
                                         {"release-key", required_argument, 0, O_RELEASE},
                                         {"root-threshold", required_argument, 0, O_RT},
                                         {"release-threshold", required_argument, 0, O_TT},
                                         {"expires-in", required_argument, 0, O_EXP},
                                         {"version", required_argument, 0, O_VER},
                                         {"from", required_argument, 0, O_FROM},
                                         {"role", required_argument, 0, O_ROLE},
                                         {"threshold", required_argument, 0, O_THR},
                                         {"key", required_argument, 0, O_KEY},
                                         {"passphrase-file", required_argument, 0, O_PASS},
                                         {"passphrase", no_argument, 0, O_PASSARGV},
                                         {"json", no_argument, 0, O_JSON},
                                         {"previous", required_argument, 0, O_PREV},
                                         {"pkcs11", required_argument, 0, O_PKCS11},
                                         {"pin-file", required_argument, 0, O_PINFILE},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc < 2) {
            fprintf(stderr, PROG ": expected init, add-key, remove-key, set-threshold, sign, "
                                 "show or verify (see 'otapack keyring --help')\n");
            return 2;
        }
        return fputs(HELP_KEYRING, stdout), 0;
    }
    const char *verb = argv[1];
    static const char *root_keys[OTA_MAX_KEYRING_KEYS], *release_keys[OTA_MAX_KEYRING_KEYS];
    struct ota_keyring_new_opts no;
    memset(&no, 0, sizeof no);
    no.root_keys = root_keys;
    no.release_keys = release_keys;
    no.version = 1;
    const char *out = NULL, *from = NULL, *keypath = NULL, *passfile = NULL, *prev = NULL,
               *pkcs11 = NULL, *pinfile = NULL;
    uint64_t v, days = 365, thr = 0;
    int c, json = 0, has_role = 0;
    enum ota_role role = OTA_ROLE_ROOT;
    optind = 2;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case O_ROOT:
        case O_RELEASE: {
            size_t *n = c == O_ROOT ? &no.n_root : &no.n_release;
            const char **a = c == O_ROOT ? root_keys : release_keys;
            if (*n >= OTA_MAX_KEYRING_KEYS)
                return usage(verb, "too many keys");
            a[(*n)++] = optarg;
            break;
        }
        case O_RT:
        case O_TT:
        case O_THR:
            if (ota_parse_u64(&v, optarg, OTA_MAX_KEYRING_KEYS) != 0 || v == 0)
                return usage(verb, "a threshold is a number from 1 to 64");
            if (c == O_RT)
                no.root_threshold = (unsigned)v;
            else if (c == O_TT)
                no.release_threshold = (unsigned)v;
            else
                thr = v;
            break;
        case O_EXP:
            if (ota_parse_u64(&days, optarg, OTA_MAX_EXPIRY_DAYS) != 0)
                return usage(verb, "--expires-in: a number of days up to 36525");
            break;
        case O_VER:
            if (ota_parse_u64(&no.version, optarg, OTA_MAX_KEYRING_VERSION) != 0 || !no.version)
                return usage(verb, "--version: a number from 1");
            break;
        case O_FROM:
            from = optarg;
            break;
        case O_ROLE:
            if (parse_role(&role, optarg) != 0)
                return usage(verb, "--role: root or release");
            has_role = 1;
            break;
        case O_KEY:
            keypath = optarg;
            break;
        case O_PASS:
            passfile = optarg;
            break;
        case O_PASSARGV:
            return usage(verb, "--passphrase: never on the command line; use --passphrase-file "
                               "FILE or OTAPACK_PASSPHRASE");
        case O_JSON:
            json = 1;
            break;
        case O_PREV:
            prev = optarg;
            break;
        case O_PKCS11:
            pkcs11 = optarg;
            break;
        case O_PINFILE:
            pinfile = optarg;
            break;
        case 'h':
            return fputs(HELP_KEYRING, stdout), 0;
        default:
            return usage(verb, "unknown option");
        }
    }
    struct ota_err err;
    ota_err_clear(&err);
    int64_t now = now_time();
    struct ota_keyring *kr = NULL, *old = NULL;
    enum ota_status rc;
    int code = 0;

    if (!strcmp(verb, "init")) {
        if (optind != argc || !out)
            return usage(verb, "expected -o FILE and no operand");
        no.expires = now + (int64_t)days * DAY;
        if (from) {
            if (no.n_root || no.n_release || no.root_threshold || no.release_threshold)
                return usage(verb, "--from copies the keys: edit them with add-key/remove-key");
            if (!(rc = ota_keyring_load(&old, from, &err)))
                rc = ota_pack_keyring_next(&kr, old, no.expires, &err);
        } else {
            rc = ota_pack_keyring_new(&kr, &no, &err);
        }
        if (!rc)
            rc = ota_pack_keyring_write(kr, out, &err);
        if (!rc)
            printf("wrote %s: keyring version %llu (unsigned)\n", out,
                   (unsigned long long)kr->doc.version);
    } else if (!strcmp(verb, "add-key") || !strcmp(verb, "remove-key")) {
        if (!has_role || optind + 2 != argc)
            return usage(verb, "expected --role ROLE, a key and a keyring");
        const char *path = argv[optind + 1];
        char id[OTA_KEYID_HEX_LEN + 1] = "";
        int add = !strcmp(verb, "add-key");
        if (!(rc = ota_keyring_load(&kr, path, &err))) {
            rc = add ? ota_pack_keyring_add_key(kr, role, argv[optind], id, &err)
                     : ota_pack_keyring_remove_key(kr, role, argv[optind], &err);
        }
        if (!rc && thr)
            rc = ota_pack_keyring_set_threshold(kr, role, (unsigned)thr, &err);
        if (!rc)
            rc = ota_pack_keyring_write(kr, out ? out : path, &err);
        if (!rc) {
            if (add)
                printf("added %s key %s\n", role_label(role), id);
            else
                printf("removed %s key %s\n", role_label(role), argv[optind]);
            printf("%s: version %llu, %s threshold %u; unsigned now (sign it again)\n",
                   out ? out : path, (unsigned long long)kr->doc.version, role_label(role),
                   kr->doc.roles[role].threshold);
        }
    } else if (!strcmp(verb, "set-threshold")) {
        if (!has_role || optind + 2 != argc || ota_parse_u64(&thr, argv[optind], 64) != 0 || !thr)
            return usage(verb, "expected --role ROLE, a threshold from 1 and a keyring");
        const char *path = argv[optind + 1];
        if (!(rc = ota_keyring_load(&kr, path, &err)) &&
            !(rc = ota_pack_keyring_set_threshold(kr, role, (unsigned)thr, &err)))
            rc = ota_pack_keyring_write(kr, out ? out : path, &err);
        if (!rc)
            printf("%s: version %llu, %s threshold %u; unsigned now (sign it again)\n",
                   out ? out : path, (unsigned long long)kr->doc.version, role_label(role),
                   (unsigned)thr);
    } else if (!strcmp(verb, "sign")) {
        if (!keypath == !pkcs11 || optind + 1 != argc)
            return usage(verb, "expected --key KEY or --pkcs11 URI, and a keyring");
        if (pinfile && !pkcs11)
            return usage(verb, "--pin-file: there is no --pkcs11 key");
        const char *path = argv[optind];
        char id[OTA_KEYID_HEX_LEN + 1] = "";
        if (pkcs11 || ota_cli_key_is_pem(keypath)) { /* an HSM key or a PEM private key */
            struct ota_osskey *ok = NULL;
            if (!(rc = ota_cli_load_osskey(&ok, keypath, pkcs11, passfile, pinfile, &err)) &&
                !(rc = ota_keyring_load(&kr, path, &err)))
                rc = ota_pack_keyring_sign_oss(kr, ok, id, &err);
            ota_osskey_free(ok);
        } else {
            struct ota_seckey *sk = NULL;
            size_t n = 0;
            const char *paths[1] = {keypath};
            if (!(rc = ota_cli_load_seckeys(&sk, &n, paths, 1, passfile, &err)) &&
                !(rc = ota_keyring_load(&kr, path, &err)) &&
                !(rc = ota_pack_keyring_sign(kr, sk, &err)))
                memcpy(id, ota_seckey_public(sk)->keyid, sizeof id);
            ota_seckey_free(sk);
        }
        if (!rc)
            rc = ota_pack_keyring_write(kr, out ? out : path, &err);
        if (!rc)
            printf("signed %s (version %llu) with key %s\n", out ? out : path,
                   (unsigned long long)kr->doc.version, id);
    } else if (!strcmp(verb, "show")) {
        if (optind + 1 != argc)
            return usage(verb, "expected one keyring");
        if (!(rc = ota_keyring_load(&kr, argv[optind], &err))) {
            if (json)
                code = show_json(kr, now);
            else
                show_text(kr, now);
        }
    } else if (!strcmp(verb, "verify")) {
        if (optind + 1 != argc)
            return usage(verb, "expected one keyring");
        size_t n;
        if (!(rc = ota_keyring_load(&kr, argv[optind], &err)) &&
            !(rc = ota_keyring_signed_by(&n, kr, kr, OTA_ROLE_ROOT, &err)) &&
            !(rc = ota_keyring_check_expiry(kr, now, &err)) && prev &&
            !(rc = ota_keyring_load(&old, prev, &err)))
            rc = ota_keyring_rotate_check(old, kr, &err);
        if (!rc) {
            printf("%s: keyring version %llu: signed by %zu of its root keys (threshold %u)",
                   argv[optind], (unsigned long long)kr->doc.version, n,
                   kr->doc.roles[OTA_ROLE_ROOT].threshold);
            if (prev)
                printf("; follows version %llu", (unsigned long long)old->doc.version);
            printf("\n");
        }
    } else {
        return usage(verb, "unknown keyring command");
    }
    ota_keyring_free(kr);
    ota_keyring_free(old);
    if (rc)
        return ota_cli_fail("otapack", &err);
    return code;
}
