#!/usr/bin/env bash
# bench/run.sh BUILD_DIR -- throughput and peak-memory benchmark behind `make bench`.
#
# Prints build, verify and install throughput of a 256 MiB image as ratios to
# `openssl dgst -sha256` and `cp` + fsync of the same file measured in the same run,
# then the peak RSS of `cat PKG | otaupdate --root DEV install -` for a 1 GiB image,
# and exits non-zero if that peak exceeds 16 MiB (or if any step fails).
# See bench/README.md for what is measured and why.
#
# Environment knobs (defaults in brackets):
#   BENCH_DIR            parent of the scratch folder [/tmp]; the scratch folder is removed at exit
#   BENCH_KEEP=1         keep the scratch folder (for debugging)
#   BENCH_SIZE_MIB       image size of the throughput part [256]
#   BENCH_RSS_SIZE_MIB   image size of the peak-RSS part [1024]
#   BENCH_REPS           repetitions per measurement, the median is reported [3]
#   BENCH_RSS_LIMIT_KIB  peak-RSS limit for install from a pipe [16384]

set -uo pipefail
export LC_ALL=C

SIZE_MIB=${BENCH_SIZE_MIB:-256}
RSS_SIZE_MIB=${BENCH_RSS_SIZE_MIB:-1024}
REPS=${BENCH_REPS:-3}
RSS_LIMIT_KIB=${BENCH_RSS_LIMIT_KIB:-16384}
GNU_TIME=/usr/bin/time

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- arguments, tools
[[ $# -eq 1 ]] || die "usage: bash bench/run.sh BUILD_DIR   (BUILD_DIR holds bin/otapack and bin/otaupdate)"
BUILD_DIR=$(cd -- "$1" 2>/dev/null && pwd) || die "build folder '$1' does not exist"
OTAPACK=$BUILD_DIR/bin/otapack
OTAUPDATE=$BUILD_DIR/bin/otaupdate
[[ -x $OTAPACK ]] || die "$OTAPACK: missing or not executable (build the project first)"
[[ -x $OTAUPDATE ]] || die "$OTAUPDATE: missing or not executable (build the project first)"
for n in SIZE_MIB RSS_SIZE_MIB REPS RSS_LIMIT_KIB; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer, not '${!n}'"
done
(( RSS_SIZE_MIB % 2 == 0 )) || die "BENCH_RSS_SIZE_MIB must be even"
(( SIZE_MIB % 2 == 0 )) || die "BENCH_SIZE_MIB must be even"

command -v openssl >/dev/null || die "openssl not found (needed for the sha256 baseline)"
command -v sync >/dev/null || die "sync (coreutils) not found"
if [[ ! -x $GNU_TIME ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        note "bench: $GNU_TIME missing; installing Debian package 'time'"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null 2>&1 ||
            { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null 2>&1; } ||
            die "apt-get install time failed; install GNU time (Debian package 'time') by hand"
    else
        die "$GNU_TIME (GNU time) is missing: install the Debian package 'time' (apt-get install time) as root"
    fi
fi
"$GNU_TIME" --version 2>&1 | grep -q 'GNU' ||
    die "$GNU_TIME is not GNU time (need '-f %M' for peak RSS); install the Debian package 'time'"

# ---------------------------------------------------------------- scratch folder
PARENT=${BENCH_DIR:-/tmp}
[[ -d $PARENT ]] || die "BENCH_DIR '$PARENT' is not a folder"
# Peak disk use: the RSS part holds image + package + installed copy of the big image;
# the throughput part holds two images, two packages, a cp copy and an installed copy.
need_mib=$(( 3 * RSS_SIZE_MIB > 6 * SIZE_MIB ? 3 * RSS_SIZE_MIB : 6 * SIZE_MIB ))
need_mib=$(( need_mib + 128 ))
avail_kib=$(df -Pk -- "$PARENT" | awk 'NR==2 {print $4}')
[[ $avail_kib =~ ^[0-9]+$ ]] || die "cannot read free space of $PARENT with df"
(( avail_kib / 1024 >= need_mib )) ||
    die "need ${need_mib} MiB free in $PARENT, only $(( avail_kib / 1024 )) MiB available (set BENCH_DIR to a bigger file system)"

W=$(mktemp -d "$PARENT/otapack-bench.XXXXXX") || die "cannot create a scratch folder in $PARENT"
cleanup() {
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then note "bench: kept $W"; else rm -rf -- "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd -- "$W" || die "cannot enter $W"

# ---------------------------------------------------------------- helpers
now() { printf '%s\n' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
# median of the arguments (odd count: the middle one; even: the lower middle)
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
max() { printf '%s\n' "$@" | sort -g | tail -n1; }
fmt() { awk -v x="$1" -v f="$2" 'BEGIN {printf f, x}'; }

# Run "$@" with GNU time wrapping the measured program; the command must contain the
# word TIMEX where GNU time goes. Sets SECS (wall clock of the whole command, pipeline
# included) and RSS (peak RSS of the TIMEX-wrapped program, KiB; empty if none).
timed() {
    local label=$1; shift
    local args=() a t0 t1 rc
    for a in "$@"; do
        if [[ $a == TIMEX ]]; then args+=("$GNU_TIME" -o "$W/.rss" -f %M); else args+=("$a"); fi
    done
    : >"$W/.rss"
    t0=$(now)
    "${args[@]}" >"$W/.out" 2>"$W/.err"
    rc=$?
    t1=$(now)
    if (( rc != 0 )); then
        note "bench: $label failed (exit $rc):"
        sed 's/^/    /' "$W/.err" >&2
        exit 1
    fi
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", b - a}')
    RSS=$(tail -n1 "$W/.rss")
}

# cat PKG | otaupdate install - ; used with timed (pipefail reports either side failing)
pipe_install() { cat -- "$1" | "${@:3}" --root "$2" install -; }
# cp + fsync of the copy (coreutils sync with a file argument = fsync(2) on that file)
cp_fsync() { cp -- "$1" "$2" && sync -- "$2"; }

fresh_root() {
    rm -rf -- "$1" && mkdir -- "$1" &&
        "$OTAUPDATE" --root "$1" init --product bench --trust-key "$W/k.pub" >/dev/null ||
        die "otaupdate init of $1 failed"
}
installed_path() {
    "$OTAUPDATE" --root "$1" status --json |
        sed -n 's/^ *"path": *"\(.*\)",\{0,1\}$/\1/p' | head -n1
}
check_installed() {  # ROOT IMAGE: the installed image must equal the input image
    local p; p=$(installed_path "$1")
    [[ -n $p && -f $p ]] || die "no installed image found in $1 (status --json has no path)"
    cmp -s -- "$2" "$p" || die "installed image $p differs from $2"
}
make_random() { head -c "$(( $2 * 1048576 ))" /dev/urandom >"$1" || die "cannot write $1"; }
make_mixed() {  # first half random, second half zeros
    { head -c "$(( $2 * 524288 ))" /dev/urandom && head -c "$(( $2 * 524288 ))" /dev/zero; } >"$1" ||
        die "cannot write $1"
}

# ---------------------------------------------------------------- results table
ROWS=()
add_row() {  # label mib sha_secs cp_secs med_secs peak_rss
    local label=$1 mib=$2 sha=$3 cpb=$4 s=$5 rss=$6
    ROWS+=("$(awk -v l="$label" -v m="$mib" -v h="$sha" -v c="$cpb" -v s="$s" -v r="$rss" 'BEGIN {
        printf "%-34s %8.3f %9.1f %9.2f %9.2f %9s", l, s, m / s, h / s, c / s, (r == "" ? "-" : r)
    }')")
}

# repeat LABEL CMD... : REPS runs; the shell code in $PREP (may be empty) is eval'd untimed
# before each run and $AFTER after it. Sets MED (median seconds) and PEAK (max RSS KiB).
repeat() {
    local label=$1; shift
    local times=() rsses=() i
    for (( i = 1; i <= REPS; i++ )); do
        if [[ -n ${PREP:-} ]]; then eval "$PREP"; fi
        sync   # do not let earlier dirty pages be flushed inside the timed window
        timed "$label" "$@"
        times+=("$SECS")
        [[ -n $RSS ]] && rsses+=("$RSS")
        if [[ -n ${AFTER:-} ]]; then eval "$AFTER"; fi
    done
    MED=$(median "${times[@]}")
    PEAK=""
    (( ${#rsses[@]} )) && PEAK=$(max "${rsses[@]}")
    note "  $(printf '%-34s' "$label") runs: ${times[*]}"
}

# ---------------------------------------------------------------- part 1: throughput
printf 'otapack benchmark\n'
printf '  build dir  %s\n' "$BUILD_DIR"
printf '  scratch    %s (%s MiB free)\n' "$W" "$(( avail_kib / 1024 ))"
printf '  host       %s, %s CPUs, %s\n' "$(uname -sr)" "$(nproc 2>/dev/null || echo '?')" "$(openssl version)"
printf '  runs       %s per measurement, median reported; files are in the page cache (warm)\n\n' "$REPS"

"$OTAPACK" keygen --out "$W/k" >/dev/null || die "otapack keygen failed"

note "bench: writing ${SIZE_MIB} MiB images (random; half random + half zeros)"
make_random "$W/rand.img" "$SIZE_MIB"
make_mixed "$W/mixed.img" "$SIZE_MIB"

run_set() {  # NAME IMAGE COMPRESS
    local name=$1 img=$2 comp=$3 sha shapeak cpb pkg=$W/$1.ota root=$W/dev
    note "bench: ${SIZE_MIB} MiB $name image, --compress $comp"

    PREP="" AFTER=""
    repeat "sha256 baseline [$name]" TIMEX openssl dgst -sha256 "$img"
    sha=$MED shapeak=$PEAK
    printf -v PREP 'rm -f -- %q' "$W/copy.img"
    repeat "cp baseline [$name]" cp_fsync "$img" "$W/copy.img"
    cpb=$MED
    rm -f -- "$W/copy.img"
    add_row "openssl dgst -sha256 [$name]" "$SIZE_MIB" "$sha" "$cpb" "$sha" "$shapeak"
    add_row "cp + fsync [$name]" "$SIZE_MIB" "$sha" "$cpb" "$cpb" ""

    printf -v PREP 'rm -f -- %q' "$pkg"
    repeat "build --compress $comp [$name]" TIMEX "$OTAPACK" build -o "$pkg" --product bench --version 1 \
        --security-version 1 --image "app=$img" --compress "$comp" --key "$W/k.key"
    add_row "otapack build --compress $comp" "$SIZE_MIB" "$sha" "$cpb" "$MED" "$PEAK"
    PKG_MIB[$name]=$(( $(stat -c %s -- "$pkg") / 1024 / 1024 ))

    PREP=""
    repeat "verify [$name]" TIMEX "$OTAPACK" verify --quiet --pub "$W/k.pub" "$pkg"
    add_row "otapack verify ($comp)" "$SIZE_MIB" "$sha" "$cpb" "$MED" "$PEAK"

    printf -v PREP 'fresh_root %q' "$root"
    printf -v AFTER 'check_installed %q %q' "$root" "$img"
    repeat "install file [$name]" TIMEX "$OTAUPDATE" --root "$root" install "$pkg"
    add_row "otaupdate install FILE ($comp)" "$SIZE_MIB" "$sha" "$cpb" "$MED" "$PEAK"

    repeat "install pipe [$name]" pipe_install "$pkg" "$root" TIMEX "$OTAUPDATE"
    add_row "cat | otaupdate install - ($comp)" "$SIZE_MIB" "$sha" "$cpb" "$MED" "$PEAK"
    PREP="" AFTER=""
    rm -rf -- "$root" "$pkg"
}
declare -A PKG_MIB
run_set random "$W/rand.img" none
run_set mixed "$W/mixed.img" zlib
rm -f -- "$W/rand.img" "$W/mixed.img"

printf 'Throughput, %s MiB image (MiB/s counts image bytes; ratio = baseline seconds / operation seconds,\n' "$SIZE_MIB"
printf 'so 1.00 = as fast as the baseline, higher is faster). Baselines ran on the same image in this run.\n'
printf '  [random] = %s MiB from /dev/urandom, package --compress none (%s MiB)\n' "$SIZE_MIB" "${PKG_MIB[random]}"
printf '  [mixed]  = %s MiB random then %s MiB zeros, package --compress zlib (%s MiB)\n\n' \
    "$(( SIZE_MIB / 2 ))" "$(( SIZE_MIB / 2 ))" "${PKG_MIB[mixed]}"
printf '%-34s %8s %9s %9s %9s %9s\n' "operation" "median s" "MiB/s" "x sha256" "x cp" "peak KiB"
printf '%-34s %8s %9s %9s %9s %9s\n' "---------" "--------" "-----" "--------" "----" "--------"
for r in "${ROWS[@]}"; do
    printf '%s\n' "$r"
    [[ $r == "cat | otaupdate install - (none)"* ]] && printf '\n'
done
printf '\n'

# ---------------------------------------------------------------- part 2: peak RSS
RSS_FAIL=0
RSS_LINES=()
rss_case() {  # LABEL IMAGE COMPRESS
    local label=$1 img=$2 comp=$3 pkg=$W/big.ota root=$W/bigdev bsecs brss vrss
    note "bench: peak RSS, $label"
    rm -f -- "$pkg"
    timed "build 1 GiB ($label)" TIMEX "$OTAPACK" build -o "$pkg" --product bench --version 1 \
        --security-version 1 --image "app=$img" --compress "$comp" --key "$W/k.key"
    bsecs=$SECS brss=$RSS
    timed "verify from pipe ($label)" bash -c 'cat -- "$1" | "${@:2}"' _ "$pkg" \
        TIMEX "$OTAPACK" verify --quiet --pub "$W/k.pub" -
    vrss=$RSS
    fresh_root "$root"
    sync
    timed "install from pipe ($label)" pipe_install "$pkg" "$root" TIMEX "$OTAUPDATE"
    local isecs=$SECS irss=$RSS verdict=PASS
    [[ $irss =~ ^[0-9]+$ ]] || die "could not read peak RSS of install ($label)"
    check_installed "$root" "$img"
    (( irss <= RSS_LIMIT_KIB )) || { verdict=FAIL; RSS_FAIL=1; }
    RSS_LINES+=("$(printf '%-38s %11s %5s %10s %11s %9s %8s' "$label" "$irss" "$verdict" "$brss" "$vrss" \
        "$(fmt "$isecs" '%.2f')" "$(fmt "$bsecs" '%.2f')")")
    rm -rf -- "$root" "$pkg"
}

note "bench: writing ${RSS_SIZE_MIB} MiB random image"
make_random "$W/big.img" "$RSS_SIZE_MIB"
rss_case "${RSS_SIZE_MIB} MiB random, --compress none" "$W/big.img" none
rss_case "${RSS_SIZE_MIB} MiB random, --compress zlib" "$W/big.img" zlib
# second half -> zeros: highly compressible, inflate expands a lot per input byte
dd if=/dev/zero of="$W/big.img" bs=1M seek=$(( RSS_SIZE_MIB / 2 )) count=$(( RSS_SIZE_MIB / 2 )) \
    conv=notrunc status=none || die "cannot rewrite $W/big.img"
rss_case "${RSS_SIZE_MIB} MiB half zeros, --compress zlib" "$W/big.img" zlib
rm -f -- "$W/big.img"

printf 'Peak RSS of  cat PKG | otaupdate --root DEV install -  (limit %s KiB; GNU time %%M)\n' "$RSS_LIMIT_KIB"
printf '%-38s %11s %5s %10s %11s %9s %8s\n' "image, package" "install KiB" "" "build KiB" "verify KiB" \
    "install s" "build s"
printf '%-38s %11s %5s %10s %11s %9s %8s\n' "--------------" "-----------" "" "---------" "----------" \
    "---------" "-------"
for r in "${RSS_LINES[@]}"; do printf '%s\n' "$r"; done
printf '(install = cat PKG | otaupdate install -, verify = cat PKG | otapack verify -, build from a file;\n'
printf ' only the install peak is checked against the limit, the others are informational)\n\n'

if (( RSS_FAIL )); then
    printf 'bench: FAIL: installing from a pipe used more than %s KiB\n' "$RSS_LIMIT_KIB"
    exit 1
fi
printf 'bench: PASS\n'
