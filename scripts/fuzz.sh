#!/bin/sh
# Builds the libFuzzer targets of fuzz/ with clang and runs each for SECONDS (default 30),
# seeded from the shared corpus (WEIGHTLENS_CORPUS_DIR, default ../shared/corpus beside the
# checkout). Findings go to BUILD/crashes; the exit status is 1 when there is one.
# usage: scripts/fuzz.sh [SECONDS] [BUILD] [TARGET...]
set -eu
seconds=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$root/build/fuzz}
mkdir -p "$build" && build=$(cd "$build" && pwd)
cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" >/dev/null
all="fuzz_pickle fuzz_npy fuzz_safetensors fuzz_zip fuzz_onnx fuzz_kerasconfig fuzz_tfbundle fuzz_hdf5 fuzz_eventfile"
shift 2 2>/dev/null || shift $#
targets=${*:-$all}
mkdir -p "$build/crashes"
for target in $all; do mkdir -p "$build/corpus-$target"; done
shared=${WEIGHTLENS_CORPUS_DIR:-$root/../shared/corpus}
# Seeds: the pickle of every torch.save zip in the corpus, and a minimal .npy.
if [ -d "$shared" ]; then
    find "$shared" -name '*.pt' -o -name '*.pth' -o -name '*.bin' | while read -r f; do
        unzip -p "$f" '*data.pkl' >"$build/corpus-fuzz_pickle/$(basename "$(dirname "$f")").pkl" 2>/dev/null || true
    done
    # Every other target: the corpus files of its format, copied whole.
    seed() { # TARGET FIND-ARGS...
        t=$1
        shift
        find "$shared" -type f \( "$@" \) -size -1024k | while read -r f; do
            cp -f "$f" "$build/corpus-$t/$(basename "$(dirname "$f")")-$(basename "$f")"
        done
    }
    seed fuzz_safetensors -name '*.safetensors'
    seed fuzz_zip -name '*.pt' -o -name '*.keras' -o -name '*.npz'
    seed fuzz_onnx -name '*.onnx'
    seed fuzz_tfbundle -name '*.index'
    seed fuzz_hdf5 -name '*.h5'
    seed fuzz_eventfile -name '*tfevents*'
    find "$shared" -name '*.keras' | while read -r f; do
        unzip -p "$f" config.json >"$build/corpus-fuzz_kerasconfig/$(basename "$(dirname "$f")").json" 2>/dev/null || true
    done
fi
printf "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }%57s\n" "" \
    >"$build/corpus-fuzz_npy/seed.npy"
# The corpus archives are longer than -max_len; small ones, deflated and stored, fit whole.
if command -v zip >/dev/null; then
    rm -f "$build/corpus-fuzz_zip/seed-"*.zip
    (cd "$build/corpus-fuzz_npy" && zip -q "$build/corpus-fuzz_zip/seed-deflated.zip" seed.npy &&
        zip -q -0 "$build/corpus-fuzz_zip/seed-stored.zip" seed.npy)
fi
status=0
for target in $targets; do
    corpus="$build/corpus-$target"
    log="$build/$target.log"
    # libhdf5 leaks on some malformed files and mallocs sizes they declare (terabytes, which
    # fail as they would outside ASan); neither is ours to chase (the app parses HDF5 in a
    # reader process that exits). Its other memory errors still count.
    leaks=1 null=0
    [ "$target" = fuzz_hdf5 ] && leaks=0 null=1
    if ! ASAN_OPTIONS=allocator_may_return_null=$null "$build/$target" -detect_leaks=$leaks -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$build/crashes/$target-" "$corpus" >"$log" 2>&1; then
        status=1
        echo "$target: FINDING (see $log)"
    fi
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [ -z "$runs" ] && runs=$(grep -o '#[0-9]*' "$log" | tail -1 | tr -d '#')
    echo "$target: $runs executions in ${seconds}s"
done
exit $status
