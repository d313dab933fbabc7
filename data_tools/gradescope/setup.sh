#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu or Debian): it
# installs the course's packages (data_tools/install_deps.sh: compiler, cmake, doctest, stb, zlib,
# Fashion-MNIST) and builds the grader. The package (make autograder-zip) is unpacked in
# /autograder/source.
set -euo pipefail
cd /autograder/source
data_tools/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j "$(nproc)" --target autograde
