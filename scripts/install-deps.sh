#!/usr/bin/env bash
# Installs the Debian 12 packages WeightLens builds, tests and runs with. Run as root.
# clang and libclang-rt-dev (the ASan/UBSan/libFuzzer runtimes, not pulled in by clang without
# recommends) are for scripts/fuzz.sh.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    cmake ninja-build g++ mold pkg-config clang libclang-rt-dev \
    qt6-base-dev qt6-base-dev-tools qt6-svg-dev libgl-dev \
    libqcustomplot-dev libqcustomplot2.1-qt6 \
    libhdf5-dev hdf5-tools libssl-dev \
    libprotobuf-dev protobuf-compiler \
    libleveldb-dev libsnappy-dev \
    libisal-dev libseccomp-dev libquazip1-qt6-dev libzip-dev libhwy-dev libbenchmark-dev libeigen3-dev \
    libgraphviz-dev \
    xvfb xauth imagemagick fonts-dejavu-core poppler-utils \
    dpkg-dev file desktop-file-utils appstream shared-mime-info libglib2.0-bin groff-base \
    bash >/dev/null
echo "install-deps: all packages present"
