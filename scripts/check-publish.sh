#!/usr/bin/env bash
# Checks that each composition root ships only its own provider set (issue 16): the embedded gateway's
# publish output (src/Gateway) holds no AWS SDK assembly and not the AWS provider set, and the function
# host's (src/FunctionHost) holds no SQLite assembly or native library and not the embedded provider set.
# Publishes both framework-dependent (the plain `dotnet publish`, not AOT) into a temporary directory,
# lists what landed there, and fails with one line naming the first offending file.
#
#   scripts/check-publish.sh [--no-build] [-c CONFIGURATION]      default configuration: Release
#
#   --no-build  publish from an existing build of that configuration (no restore, no compile: a few
#               seconds each); tests/Compat's PublishOutputTests uses it on the build under test.
set -euo pipefail
cd "$(dirname "$0")/.."

build=()
config=Release
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=(--no-build) ;;
    -c) config=${2:?-c needs a configuration}; shift ;;
    *) echo "usage: scripts/check-publish.sh [--no-build] [-c CONFIGURATION]" >&2; exit 2 ;;
  esac
  shift
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# publish PROJECT DIR: a framework-dependent publish of PROJECT into DIR, quiet unless it fails.
publish() {
  local log="$out/$2.log"
  if ! dotnet publish "$1" -c "$config" --nologo -v quiet "${build[@]}" -o "$out/$2" >"$log" 2>&1; then
    cat "$log" >&2
    echo "check-publish: dotnet publish $1 failed" >&2
    exit 1
  fi
}

# refuse DIR WHAT PATTERN: fails when a file under DIR matches the (case-insensitive, extended) PATTERN.
# Native libraries count too: SQLite arrives as runtimes/<rid>/native/libe_sqlite3.so beside its dlls.
refuse() {
  local offender
  offender=$(cd "$out/$1" && find . -type f \( -name '*.dll' -o -name '*.so' -o -name '*.dylib' \) \
    | sed 's|^\./||' | grep -iE "$3" | sort | head -n 1 || true)
  if [ -n "$offender" ]; then
    echo "check-publish: the $1 publish output carries $offender ($2 must not be in it)" >&2
    exit 1
  fi
}

publish src/Gateway/Gateway.csproj gateway
publish src/FunctionHost/FunctionHost.csproj function-host

refuse gateway "the AWS SDK or provider set" '(^|/)(AWSSDK\.[^/]*|ZkGateway\.Backend\.Aws)\.dll$'
refuse function-host "SQLite or the embedded provider set" '(^|/)[^/]*(sqlite|ZkGateway\.Backend\.Embedded)[^/]*$'

count() { find "$out/$1" -type f -name '*.dll' | wc -l | tr -d ' '; }
echo "check-publish: ok: gateway $(count gateway) assemblies, no AWS SDK; function host $(count function-host) assemblies, no SQLite"
