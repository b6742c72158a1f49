#!/usr/bin/env bash
# Runs every test: installs what the tests need (apt and npm packages: Apache ZooKeeper 3.8, the
# official C/Python/Go/Node clients), builds the solution, runs all test projects, and prints one
# summary line. Works on a fresh Debian 12 machine with the .NET SDK; safe to re-run.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh || { echo "test dependencies could not be installed"; exit 1; }

dotnet build ZkGateway.sln -c Release -nologo -v quiet || { echo "build failed"; exit 1; }

log=$(mktemp)
dotnet test ZkGateway.sln -c Release --no-build -nologo -v quiet 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one "Passed!/Failed! - Failed: N, Passed: N, Skipped: N" line per project.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
