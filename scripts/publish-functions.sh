#!/usr/bin/env bash
# Publishes the function host (src/FunctionHost) as a Lambda deployment package for the provided.al2023
# runtime on x86_64: a zip whose root holds an executable `bootstrap`. One zip serves every function
# (writer, distributor, heartbeat); each Lambda function picks its handler through its Handler setting
# (_HANDLER).
#
#   scripts/publish-functions.sh [aot|r2r|fdd] [OUTDIR]      default: aot, artifacts/functions
#
#   aot  Native AOT: `bootstrap` is the native executable itself (needs clang and zlib1g-dev; clang-14
#        is used when there is no plain `clang`). The smallest package and the fastest cold start.
#   r2r  self-contained, trimmed, ReadyToRun, single file: `bootstrap` is the ZkGateway.FunctionHost executable,
#        with the .NET runtime inside (provided.al2023 has no .NET). The fallback when AOT cannot build.
#   fdd  framework-dependent (needs a .NET 10 runtime on the machine, so NOT deployable on
#        provided.al2023): `bootstrap` is a script running `dotnet ZkGateway.FunctionHost.dll`. For
#        containers with the .NET runtime and for cold-start comparisons (scripts/bench_coldstart.py).
#
# Leaves OUTDIR/<mode>/ (the package contents) and OUTDIR/functions-<mode>.zip, and prints the zip's path.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-aot}
out=$(realpath -m "${2:-artifacts/functions}")
project=src/FunctionHost/FunctionHost.csproj
dir="$out/$mode"
zip="$out/functions-$mode.zip"

rm -rf "$dir" "$zip"
mkdir -p "$dir"

common=(-c Release --nologo -v quiet -p:DebugType=none -p:GenerateDocumentationFile=false)
case "$mode" in
  aot)
    linker=()
    if ! command -v clang >/dev/null 2>&1; then
      if command -v clang-14 >/dev/null 2>&1; then linker=(-p:CppCompilerAndLinker=clang-14)
      else echo "publish-functions: Native AOT needs clang (apt-get install clang zlib1g-dev); try r2r" >&2; exit 1; fi
    fi
    dotnet publish "$project" "${common[@]}" -r linux-x64 -p:PublishAot=true -p:StripSymbols=true \
      "${linker[@]}" -o "$dir"
    mv "$dir/ZkGateway.FunctionHost" "$dir/bootstrap"
    ;;
  r2r)
    dotnet publish "$project" "${common[@]}" -r linux-x64 --self-contained true \
      -p:PublishReadyToRun=true -p:PublishSingleFile=true -p:PublishTrimmed=true \
      -p:TieredPGO=true -o "$dir"
    mv "$dir/ZkGateway.FunctionHost" "$dir/bootstrap"
    ;;
  fdd)
    dotnet publish "$project" "${common[@]}" -o "$dir"
    printf '#!/bin/sh\nexec dotnet "$(dirname "$0")/ZkGateway.FunctionHost.dll" "$@"\n' > "$dir/bootstrap"
    ;;
  *)
    echo "usage: $0 [aot|r2r|fdd] [OUTDIR]" >&2; exit 2 ;;
esac
chmod 755 "$dir/bootstrap"

# zip keeps the Unix mode bits, which Lambda needs to execute bootstrap.
(cd "$dir" && zip -q -r -X "$zip" .)
echo "$zip"
