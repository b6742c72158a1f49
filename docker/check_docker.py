#!/usr/bin/env python3
"""Static checks of docker/ (our machines have no Docker daemon and no compose plugin, so nothing here is
built or run): compose.yaml parses and wires the services as docker/README.md says; every Dockerfile is
multi-stage where it builds, ends as a non-root user, and COPYs only files that exist; the gateway image
keeps port 2181 and its ruok health check, and has both entry points as targets (embedded, the default,
and sidecar, which compose's gateway builds); the function image copies what scripts/publish-functions.sh
produces. Prints one line per failed check; exits 1 if any failed.

    python3 docker/check_docker.py
"""
import os, re, shlex, sys
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
failures = []


def check(ok, message):
    if not ok:
        failures.append(message)


def dockerfile(path):
    """Instructions as (keyword, argument text), continuation lines joined, comments dropped."""
    lines, current = [], ""
    with open(os.path.join(ROOT, path)) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not current and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.endswith("\\"):
                current += line[:-1] + " "
                continue
            current += line
            keyword, _, rest = current.strip().partition(" ")
            lines.append((keyword.upper(), rest.strip()))
            current = ""
    return lines


def check_dockerfile(path, builds):
    ins = dockerfile(path)
    stages = [i for i, (k, _) in enumerate(ins) if k == "FROM"]
    check(stages, f"{path}: no FROM")
    if builds:
        check(len(stages) >= 2, f"{path}: not multi-stage")
    final = ins[stages[-1]:]
    users = [a for k, a in final if k == "USER"]
    check(users and users[-1] not in ("root", "0"), f"{path}: the final stage does not switch to a non-root user")
    for k, a in ins:
        if k != "COPY" or "--from=" in a:
            continue
        args = [x for x in shlex.split(a) if not x.startswith("--")]
        for src in args[:-1]:
            if src == ".":
                continue
            check(os.path.exists(os.path.join(ROOT, src)), f"{path}: COPY source {src} does not exist")
    return ins


def stages_of(ins):
    """Instructions per named stage ("FROM image AS name"), in file order."""
    stages, name = {}, None
    for k, a in ins:
        if k == "FROM":
            parts = a.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else f"#{len(stages)}"
            stages[name] = []
        elif name is not None:
            stages[name].append((k, a))
    return stages


def main():
    gw = check_dockerfile("docker/Dockerfile", builds=True)
    check(("EXPOSE", "2181") in gw, "gateway image does not expose 2181")
    health = [a for k, a in gw if k == "HEALTHCHECK"]
    check(health and "ruok" in health[0] and "imok" in health[0], "gateway image has no ruok health check")
    # Two entry points (docs/design.md): the default target runs the embedded gateway, the sidecar
    # target the one with the AWS provider set; each publishes its own project.
    targets = stages_of(gw)
    for target, dll, project in (("embedded", "ZkGateway.dll", "src/Gateway/Gateway.csproj"),
                                 ("sidecar", "ZkGateway.Aws.dll", "src/Gateway.Aws/Gateway.Aws.csproj")):
        entry = [a for k, a in targets.get(target, []) if k == "ENTRYPOINT"]
        check(entry and f'"{dll}"' in entry[-1], f"gateway target {target} does not run {dll}")
        check(entry and "ruok" in entry[-1], f"gateway target {target}: entrypoint does not whitelist ruok")
        check(any(k == "RUN" and f"dotnet publish {project}" in a for k, a in gw), f"gateway image does not publish {project}")
    check(list(targets)[-1:] == ["embedded"], "the default (last) target of docker/Dockerfile is not the embedded gateway")

    fn = check_dockerfile("docker/Dockerfile.functions", builds=True)
    runs = " ".join(a for k, a in fn if k == "RUN")
    m = re.search(r"scripts/publish-functions\.sh (\w+) (\S+)", runs)
    check(m is not None, "function image does not run scripts/publish-functions.sh")
    if m:
        mode, out = m.groups()
        check(any(k == "COPY" and f"{out}/{mode}/bootstrap" in a for k, a in fn),
              f"function image does not copy {out}/{mode}/bootstrap (the script's output)")
        with open(os.path.join(ROOT, "scripts/publish-functions.sh")) as f:
            script = f.read()
        check(f"  {mode})" in script and 'dir="$out/$mode"' in script, f"publish-functions.sh has no mode {mode}")
    check(any(k == "RUN" and "clang" in a and "zlib1g-dev" in a for k, a in fn), "AOT needs clang and zlib1g-dev")

    check_dockerfile("docker/Dockerfile.fauxqs", builds=False)

    with open(os.path.join(ROOT, "docker/compose.yaml")) as f:
        compose = yaml.safe_load(f)
    services = compose["services"]
    check(set(services) >= {"app", "gateway", "functions", "fauxqs", "dynamodb"}, f"services: {sorted(services)}")
    for name, svc in services.items():
        if "build" in svc:
            b = svc["build"]
            ctx = os.path.normpath(os.path.join(ROOT, "docker", b["context"]))
            check(ctx == ROOT, f"{name}: build context is not the repository root")
            check(os.path.exists(os.path.join(ctx, b["dockerfile"])), f"{name}: {b['dockerfile']} missing")
        for dep in svc.get("depends_on", {}):
            check(dep in services, f"{name}: depends on unknown {dep}")
        check("ports" not in svc, f"{name}: publishes ports on the host")
    gwsvc = services["gateway"]
    check(gwsvc.get("network_mode") == "service:app", "the gateway is not the app's sidecar")
    check(gwsvc.get("build", {}).get("target") == "sidecar",
          "the gateway service does not build docker/Dockerfile's sidecar target (the embedded one has no AWS backend)")
    cmd = gwsvc["command"]
    for flag in ("--backend=aws", "--aws.deployment=", "--aws.dynamodb=", "--aws.s3=", "--aws.sqs=",
                 "--aws.userStorage="):
        check(any(c.startswith(flag) for c in cmd), f"gateway command lacks {flag}")
    check(services["dynamodb"]["image"].startswith("amazon/dynamodb-local:"), "DynamoDB Local image")
    check(services["functions"]["command"][0] in ("host", "lambda"), "function host mode")
    env = services["functions"]["environment"]
    deployment = next(c.split("=", 1)[1] for c in cmd if c.startswith("--aws.deployment="))
    check(env.get("ZKGW_AWS_DEPLOYMENT") == deployment, "gateway and functions use different deployments")

    for f in failures:
        print("FAIL", f)
    print(f"docker checks: {'FAILED' if failures else 'ok'}")
    return 1 if failures else 0


sys.exit(main())
