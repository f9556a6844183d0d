#!/usr/bin/env bash
# Side-by-side timings of the work the speed targets name, against the programs a user would
# run instead, in one run (absolute times drift on a shared machine; the ratios hold).
# usage: tests/bench/run-bench.sh DATA_DIR [RUNS]
#   DATA_DIR holds the files of ../shared/bench/make-data.sh; the fixtures of
#   weightlens_make_fixture are written beside them on first use.
# Needs: hyperfine python3-h5py python3-numpy python3-protobuf protobuf-compiler (Debian).
# Environment: WEIGHTLENS_BUILD (default build/release), WEIGHTLENS_BENCH_DIR (default
# ../shared/bench beside the checkout).
set -euo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
data="$(cd "${1:?usage: run-bench.sh DATA_DIR [RUNS]}" && pwd)"
runs="${2:-5}"
bin="${WEIGHTLENS_BUILD:-$top/build/release}/bin"
bench="${WEIGHTLENS_BENCH_DIR:-$top/../shared/bench}"
peers="$bench/peers"
py=/usr/bin/python3
command -v hyperfine >/dev/null || { echo "run-bench.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
[ -x "$bin/weightlens" ] || { echo "run-bench.sh: no $bin/weightlens; build first" >&2; exit 1; }

[ -e "$data/big16/model.ckpt.index" ] || "$bin/weightlens_make_fixture" "$data/big16" >/dev/null
[ -e "$data/many/model.ckpt.index" ] || "$bin/weightlens_make_fixture" --many "$data/many" >/dev/null
pyproto="$data/.pyproto"
if [ ! -e "$pyproto/wl_event_pb2.py" ]; then
    mkdir -p "$pyproto"
    protoc --python_out="$pyproto" -I"$peers" "$peers/wl_event.proto"
fi
export PYTHONPATH="$peers:$pyproto"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
n=0
printf '| work | WeightLens | peer | ratio | WeightLens CPU | peer CPU |\n|---|---|---|---|---|---|\n'
# row LABEL FILE-THAT-MUST-EXIST WEIGHTLENS-COMMAND [PEER-COMMAND]
row() {
    local label="$1" need="$2" ours="$3" peer="${4:-}"
    if [ ! -e "$need" ]; then
        printf '| %s | (no %s) | | | | |\n' "$label" "$(basename "$need")"
        return
    fi
    n=$((n + 1))
    local cmds=("$ours")
    [ -n "$peer" ] && cmds+=("$peer")
    hyperfine -N -w 1 -r "$runs" --export-json "$tmp/$n.json" "${cmds[@]}" >/dev/null 2>&1 || {
        printf '| %s | failed | | | | |\n' "$label"
        return
    }
    "$py" - "$tmp/$n.json" "$label" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))["results"]
med = [statistics.median(x["times"]) for x in r]
# Mean user + system time (hyperfine keeps no per-run CPU times): steadier than wall time when
# other work shares the cores.
cpu = [x["user"] + x["system"] for x in r]
ours = f"{med[0]:.3f} s"
if len(med) > 1:
    print(f"| {sys.argv[2]} | {ours} | {med[1]:.3f} s | {med[1] / med[0]:.1f}x "
          f"| {cpu[0]:.3f} s | {cpu[1]:.3f} s |")
else:
    print(f"| {sys.argv[2]} | {ours} | | | {cpu[0]:.3f} s | |")
PY
}

wl="$bin/weightlens"
row 'stats --json --bins 256, keras_1g.h5' "$data/keras_1g.h5" \
    "$wl stats --json --bins 256 $data/keras_1g.h5" "$py $peers/peer_h5.py $data/keras_1g.h5"
row 'stats --json --bins 256, tf_1g' "$data/tf_1g.index" \
    "$wl stats --json --bins 256 $data/tf_1g" "$py $peers/peer_tfbundle.py $data/tf_1g"
row 'stats --json, keras_1g.h5' "$data/keras_1g.h5" "$wl stats --json $data/keras_1g.h5"
row 'stats --json --bins 256, 16 x 64 MiB' "$data/big16/model.ckpt.index" \
    "$wl stats --json --bins 256 $data/big16"
row 'stats --json, 20,000 small tensors' "$data/many/model.ckpt.index" "$wl stats --json $data/many"
row 'ls, 20,000 small tensors' "$data/many/model.ckpt.index" "$wl ls $data/many"
row 'ls, keras_1g.h5' "$data/keras_1g.h5" "$wl ls $data/keras_1g.h5"
ev="$data/events.out.tfevents.1700000000.host"
row 'events --json, 1,000,000 scalars' "$ev" "$wl events --json $ev" "$py $peers/peer_tfevents.py $ev"
row 'diff --json, 1 GiB pair' "$data/diff_a.safetensors" \
    "$wl diff --json $data/diff_a.safetensors $data/diff_b.safetensors" \
    "$py $peers/peer_diff.py $data/diff_a.safetensors $data/diff_b.safetensors"
echo
echo "medians of $runs runs, warm page cache, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
