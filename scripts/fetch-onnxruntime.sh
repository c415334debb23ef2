#!/usr/bin/env bash
# Puts ONNX Runtime 1.31.1 (the one shared library the cockpit loads for its
# models) at .onnxruntime/libonnxruntime.so.1.31.1, from PyPI's onnxruntime
# wheel: pip download + unzip of that one file, about two seconds. Does
# nothing when the file is already there and whole.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.31.1
dir=.onnxruntime
lib="$dir/libonnxruntime.so.$version"
# sha256 of the file inside onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl
expected=fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3

if [ -f "$lib" ] && [ "$(sha256sum "$lib" | cut -d' ' -f1)" = "$expected" ]; then
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "error: only Linux x86_64 is fetched automatically; install onnxruntime==$version and pass --onnxruntime PATH or set ORT_DYLIB_PATH" >&2
  exit 1
fi
for tool in python3 unzip; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: fetching ONNX Runtime needs $tool: install it (sudo apt-get install ${tool/python3/python3-pip})" >&2
    exit 1
  fi
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetching ONNX Runtime $version (PyPI onnxruntime wheel)…" >&2
# The wheel is the same library for every CPython; ask for the 3.11 one by name.
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --python-version 3.11 --platform manylinux_2_28_x86_64 \
  "onnxruntime==$version" -d "$tmp" >&2
wheel="$(ls "$tmp"/onnxruntime-"$version"-*.whl)"
unzip -o -j -q "$wheel" "onnxruntime/capi/libonnxruntime.so.$version" -d "$tmp"
got="$(sha256sum "$tmp/libonnxruntime.so.$version" | cut -d' ' -f1)"
if [ "$got" != "$expected" ]; then
  echo "error: libonnxruntime.so.$version from PyPI has sha256 $got, expected $expected" >&2
  exit 1
fi
mkdir -p "$dir"
mv "$tmp/libonnxruntime.so.$version" "$lib"
echo "ONNX Runtime $version at $lib" >&2
