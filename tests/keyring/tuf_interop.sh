#!/usr/bin/env bash
# tuf_interop — otapack keyrings are TUF root metadata, checked with an independent TUF
# implementation: securesystemslib (Debian's python3-securesystemslib, the library python-tuf
# signs and verifies with).
#  * a keyring made and signed by otapack (an Ed25519 root key and an ECDSA P-256 root key,
#    Ed25519 and ECDSA release keys): securesystemslib's canonical JSON of "signed" is the
#    bytes otapack signed, every key id is the one securesystemslib computes, and every
#    signature verifies with securesystemslib;
#  * the other way: a root.json whose keys and signatures securesystemslib made (key ids as the
#    specification computes them, without the legacy "keyid_hash_algorithms" member) is
#    accepted by `otapack keyring verify` and by a device (`otaupdate init --keyring`), and
#    the same document with one signature byte changed is refused.
source "$(dirname "$0")/../cli/lib.sh"
cd "$T"
umask 077
SPY=/usr/bin/python3 # Debian's interpreter: python3-securesystemslib installs for it
"$SPY" -c 'import securesystemslib.keys, securesystemslib.formats' 2>/dev/null ||
    { fail "python3-securesystemslib missing: run scripts/install-deps"; finish; }

need "$OTAPACK" keygen --out root
need "$OTAPACK" keygen --out rel
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null
need "$OTAPACK" pubkey --key ec.pem -o ec.pub.pem
need "$OTAPACK" keyring init -o root.json --root-key root.pub --root-key ec.pub.pem \
    --root-threshold 2 --release-key rel.pub --release-key ec.pub.pem
need "$OTAPACK" keyring sign --key root.key root.json
need "$OTAPACK" keyring sign --key ec.pem root.json
expect_ok "$OTAPACK" keyring verify root.json

# ---- otapack -> securesystemslib ------------------------------------------------------------
run "$SPY" - root.json <<'EOF'
import hashlib, json, sys
from securesystemslib import formats, keys
doc = json.load(open(sys.argv[1]))
signed = formats.encode_canonical(doc["signed"]).encode()
n = 0
for keyid, key in doc["signed"]["keys"].items():
    # TUF's key id: SHA-256 of the canonical key object
    want = hashlib.sha256(formats.encode_canonical(key).encode()).hexdigest()
    assert keyid == want, ("key id", keyid, want)
for sig in doc["signatures"]:
    key = dict(doc["signed"]["keys"][sig["keyid"]], keyid=sig["keyid"])
    assert keys.verify_signature(key, sig, signed), ("signature", sig["keyid"])
    n += 1
print("verified %d signatures, %d key ids" % (n, len(doc["signed"]["keys"])))
EOF
check "securesystemslib verifies otapack's keyring" test "$RC" = 0
out_has "verified 2 signatures, 3 key ids"
[ "$RC" = 0 ] || cat "$ERR" >&2

# ---- securesystemslib -> otapack ------------------------------------------------------------
run "$SPY" - <<'EOF'
import hashlib, json
from securesystemslib import formats, keys
root = keys.generate_ed25519_key()
ec = keys.generate_ecdsa_key()  # ecdsa-sha2-nistp256
rel = keys.generate_ed25519_key()
def public(k):
    return {"keytype": k["keytype"], "scheme": k["scheme"], "keyval": {"public": k["keyval"]["public"]}}
# key ids as the TUF specification (1.0.31) computes them: SHA-256 of the canonical key object.
# securesystemslib's legacy key dicts also carry "keyid_hash_algorithms" (dropped from the
# specification; otapack refuses the member): the keys go into the metadata without it.
for k in (root, ec, rel):
    k["keyid"] = hashlib.sha256(formats.encode_canonical(public(k)).encode()).hexdigest()
ids = [k["keyid"] for k in (root, ec, rel)]
signed = {"_type": "root", "spec_version": "1.0.31", "consistent_snapshot": False, "version": 1,
          "expires": "2099-01-01T00:00:00Z",
          "keys": {k["keyid"]: public(k) for k in (root, ec, rel)},
          "roles": {"root": {"keyids": ids[:2], "threshold": 2},
                    "targets": {"keyids": [ids[2]], "threshold": 1},
                    "snapshot": {"keyids": [ids[2]], "threshold": 1},
                    "timestamp": {"keyids": [ids[2]], "threshold": 1}}}
data = formats.encode_canonical(signed).encode()
sigs = [keys.create_signature(k, data) for k in (root, ec)]
json.dump({"signed": signed, "signatures": sigs}, open("ssl-root.json", "w"), indent=1)
bad = [dict(sigs[0], sig=sigs[0]["sig"][:-2] + ("00" if sigs[0]["sig"][-2:] != "00" else "01")), sigs[1]]
json.dump({"signed": signed, "signatures": bad}, open("ssl-bad.json", "w"), indent=1)
print(ec["keyval"]["public"].count("\n"), "lines of PEM")
EOF
check "securesystemslib made a root.json" test "$RC" = 0
[ "$RC" = 0 ] || cat "$ERR" >&2
expect_ok "$OTAPACK" keyring verify ssl-root.json
out_has "signed by 2 of its root keys (threshold 2)"
expect_exit 1 "does not verify" "$OTAPACK" keyring verify ssl-bad.json
mkdir dev
expect_ok "$OTAUPDATE" --root dev init --product acme --keyring ssl-root.json
run "$OTAUPDATE" --root dev status --json
eq "a device holds securesystemslib's keyring" "$(jget "$OUT" 'j["keyring"]["version"]')" 1
finish
