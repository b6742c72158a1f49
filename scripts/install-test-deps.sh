#!/usr/bin/env bash
# Installs what the Compat tests need on a Debian 12 machine (run as root, .NET SDK already present):
#   apt: Apache ZooKeeper 3.8 server + zkCli (zookeeper, zookeeper-bin), kazoo (python3-kazoo),
#        the C client (libzookeeper-mt-dev, gcc), Go + go-zookeeper, pytest, a JDK/JRE and node/npm,
#        openssl (the TLS tests make their certificates with it), python3-pure-sasl (kazoo's SASL) and
#        python3-kerberos (its GSSAPI);
#        krb5-kdc, krb5-admin-server, krb5-user (the GSSAPI tests make a private MIT KDC with them);
#        libfaketime (the nemesis suite steps a server's wall clock with it);
#   npm: node-zookeeper-client into tests/Compat/clients/node (from its package-lock.json);
#   the AWS API emulators into .emulators/ (gitignored; see scripts/aws-emulators.sh): fauxqs 1.9.2
#   (SQS + S3, from scripts/emulators/package-lock.json) and DynamoDB Local 1.25.1, unpacked from
#   `npm pack amplify-dynamodb-simulator@2.9.30` (it runs on the JDK above).
# Idempotent: apt-get runs only when a package is missing (one `apt-get update` at most), npm only
# when node_modules does not match the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "install-test-deps: $*"; }

# python3-yaml: deploy/aws/check_template.py and docker/check_docker.py (run by FunctionHost.Tests).
# libservlet-api-java: javax.servlet, which ZooKeeper's AdminServer (Jetty) needs and its jar's manifest omits.
packages=(zookeeper zookeeper-bin python3-kazoo libzookeeper-mt-dev gcc libc6-dev
          golang-go golang-github-samuel-go-zookeeper-dev python3-pytest python3-yaml openssl
          python3-pure-sasl python3-kerberos libservlet-api-java krb5-kdc krb5-admin-server krb5-user libfaketime)
# Java 17 and node 20 are normally pre-installed; only ask apt when they are absent. The Java scenario runs
# with the source launcher (`java Scenario.java`), which needs a JDK (module jdk.compiler), not just a JRE.
if ! java --list-modules 2>/dev/null | grep -q '^jdk.compiler'; then packages+=(default-jdk-headless); fi
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm  >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then missing+=("$p"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
  say "apt packages already installed: ${packages[*]}"
else
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  say "apt-get update"
  "${as_root[@]}" apt-get update -qq
  say "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node_dir=tests/Compat/clients/node
if [ -f "$node_dir/node_modules/.package-lock.json" ] && [ -d "$node_dir/node_modules/node-zookeeper-client" ] \
   && cmp -s <(grep '"integrity"' "$node_dir/package-lock.json") \
             <(grep '"integrity"' "$node_dir/node_modules/.package-lock.json"); then
  say "npm packages already installed in $node_dir"
else
  say "npm ci in $node_dir"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

emu=.emulators
mkdir -p "$emu"
if [ -d "$emu/node_modules/fauxqs" ] && cmp -s scripts/emulators/package-lock.json "$emu/package-lock.json" \
   && cmp -s <(grep '"integrity"' "$emu/package-lock.json") <(grep '"integrity"' "$emu/node_modules/.package-lock.json"); then
  say "fauxqs already installed in $emu"
else
  say "npm ci (fauxqs) in $emu"
  cp scripts/emulators/package.json scripts/emulators/package-lock.json "$emu/"
  (cd "$emu" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ -f "$emu/dynamodb-local/package/emulator/DynamoDBLocal.jar" ]; then
  say "DynamoDB Local already unpacked in $emu/dynamodb-local"
else
  say "npm pack amplify-dynamodb-simulator@2.9.30 (DynamoDB Local, 57 MB)"
  rm -rf "$emu/dynamodb-local" && mkdir -p "$emu/dynamodb-local"
  (cd "$emu/dynamodb-local" && npm pack amplify-dynamodb-simulator@2.9.30 --loglevel=error >/dev/null \
     && tar xzf amplify-dynamodb-simulator-2.9.30.tgz && rm amplify-dynamodb-simulator-2.9.30.tgz)
fi

say "done"
