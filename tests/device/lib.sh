# lib.sh — helpers for the device tests: logical snapshots of a device and fresh fixtures.
# Sourced by crash_sweep.sh and the device tests. Needs OTAPACK, OTAUPDATE.

die() { echo "FAIL: $*" >&2; exit 1; }

# A device's logical state, as a user would check it: what status reports (minus wall-clock
# times), the bytes of the active half of every raw slot (with SNAPSHOT_SLOTS=1), every file
# of the running generation by content, the set of generation folders, and the boot
# environment file (if BOOTENV names it). Two snapshots are equal iff the device is in the
# same state.
snapshot() {
    local root=$1
    if [ -n "${SNAPSHOT_SLOTS:-}" ]; then
        "$OTAUPDATE" --root "$root" status --json | python3 -c '
import hashlib, json, sys
s = json.load(sys.stdin)
if s.get("last_rollback"):
    s["last_rollback"].pop("time", None)
for slot in s.get("slots", []):
    with open(slot["path"], "rb") as f:
        slot["content_sha256"] = hashlib.sha256(f.read()).hexdigest()
print(json.dumps(s, sort_keys=True))'
    else
        # the only wall-clock field is last_rollback.time (key "time")
        "$OTAUPDATE" --root "$root" status --json | sed 's/^ *"time": "[^"]*",\{0,1\}$//'
    fi
    local cur
    cur=$(readlink -f "$root/var/lib/otapack/current")
    # rollback.json holds a wall-clock time; status above shows the rest of it
    (cd "$cur" && find . -type f ! -name rollback.json -exec sha256sum {} + | sort)
    ls -1A "$root/var/lib/otapack/generations" "$root/var/lib/otapack"
    if [ -n "${BOOTENV:-}" ] && [ -f "$BOOTENV" ]; then cat "$BOOTENV"; fi
}

# Makes a key pair in $1 (PREFIX) quietly.
mkkey() { "$OTAPACK" keygen --out "$1" >/dev/null; }

# build OUT VERSION SV KEY [IMAGE ARGS...]
build() {
    local out=$1 ver=$2 sv=$3 key=$4
    shift 4
    "$OTAPACK" build -o "$out" --product acme --version "$ver" --security-version "$sv" \
        --key "$key" "$@" >/dev/null
}
