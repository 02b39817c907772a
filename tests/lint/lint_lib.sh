# lint_lib.sh — helpers for the `otapack lint` tests (sourced after tests/cli/lib.sh).

# expect_findings WANT ARGS...: runs `otapack lint --json ARGS`; its findings are exactly
# WANT ("code:severity ...", "" for none), in order. $OUT keeps the JSON for more checks.
expect_findings() {
    local want=$1 got
    shift
    run "$OTAPACK" lint --json "$@"
    got=$(py -c 'import json, sys
print(" ".join(f["code"] + ":" + f["severity"] for f in json.load(open(sys.argv[1]))))' "$OUT")
    eq "findings of lint $*" "$got" "$want"
}

# expect_lint CODE SUMMARY ARGS...: `otapack lint ARGS` exits CODE and its last stdout line
# is SUMMARY; stderr is empty on 0 and one line naming the command otherwise.
expect_lint() {
    local code=$1 summary=$2
    shift 2
    run "$OTAPACK" lint "$@"
    CHECKS=$((CHECKS + 1))
    local why= last
    last=$(tail -n 1 "$OUT")
    [ "$RC" = "$code" ] || why="exit $RC, expected $code"
    [ "$last" = "$summary" ] || why="${why:+$why; }summary '$last', expected '$summary'"
    if [ "$code" = 0 ]; then
        [ ! -s "$ERR" ] || why="${why:+$why; }stderr not empty"
    else
        one_line_stderr || why="${why:+$why; }stderr is not exactly one line naming the command"
    fi
    if [ -n "$why" ]; then
        fail "lint $*: $why"
        show_last
    fi
}

# system_root NAME SHA256: the path of a root CA shipped by the system's ca-certificates
# (Mozilla's list), checked by fingerprint so the test knows it has the real certificate.
system_root() {
    local f
    for f in "/usr/share/ca-certificates/mozilla/$1.crt" "/etc/ssl/certs/$1.pem"; do
        [ -e "$f" ] || continue
        f=$(readlink -f "$f")
        if [ "$(openssl x509 -in "$f" -noout -fingerprint -sha256 | tr -d ':' |
                sed 's/.*=//' | tr 'A-F' 'a-f')" = "$2" ]; then
            echo "$f"
            return 0
        fi
    done
    return 1
}

BALTIMORE_SUBJECT="CN=Baltimore CyberTrust Root,OU=CyberTrust,O=Baltimore,C=IE"
BALTIMORE_SHA256=16af57a9f676b0ab126095aa5ebadef22ab31119d644ac95cd4b93dbf3f26aeb
G2_SHA256=cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f
