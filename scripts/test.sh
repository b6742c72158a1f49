#!/usr/bin/env bash
# Runs every test: installs what the tests need (apt and npm packages: Apache ZooKeeper 3.8, the
# official C/Python/Go/Node clients, the AWS API emulators), builds the solution, starts the
# emulators, runs all test projects, and prints one summary line. Works on a fresh Debian 12 machine with the .NET SDK; safe to re-run.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh || { echo "test dependencies could not be installed"; exit 1; }

dotnet build ZkGateway.sln -c Release -nologo -v quiet || { echo "build failed"; exit 1; }

# tests/Aws.Tests runs against the AWS API emulators (DynamoDB Local, fauxqs). Start a set for this
# run in a directory of its own (emulators a developer left running stay untouched), hand the
# endpoints to the tests through the environment, and stop exactly this set at the end.
emu_dir=$(mktemp -d)
trap 'bash scripts/aws-emulators.sh stop --dir "$emu_dir" >/dev/null 2>&1; rm -rf "$emu_dir"' EXIT
bash scripts/aws-emulators.sh start --dir "$emu_dir" >/dev/null || { echo "AWS emulators could not be started"; exit 1; }
set -a
# shellcheck disable=SC1091
. "$emu_dir/endpoints.env"
set +a

log=$(mktemp)
# Console verbosity "minimal": one line per project, plus the message and stack of any failure
# (MSBuild's quiet alone hides why a test failed).
dotnet test ZkGateway.sln -c Release --no-build -nologo -v quiet --logger "console;verbosity=minimal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one "Passed!/Failed! - Failed: N, Passed: N, Skipped: N" line per project.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
# The failures again, last: a CI view that keeps only the output's tail (after the servers' own noise)
# still says which tests failed and why. At most 30 lines of each.
if [ "$failed" -ne 0 ]; then
  echo "failed tests:"
  awk '/^  Failed [A-Za-z_]/ {n=30} n>0 {print; n--}' "$log"
fi
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
