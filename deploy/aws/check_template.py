#!/usr/bin/env python3
"""Checks deploy/aws/template.yaml without AWS: it parses as CloudFormation YAML (short-form tags such as
!Ref and !Sub allowed), every Ref/GetAtt/Sub/Condition points at something declared, and the resources
have the names, keys and settings the gateway's AWS provider and the function host rely on. Runs cfn-lint
too when it is installed. Prints one line per failed check; exits 1 if any failed.

    python3 deploy/aws/check_template.py [deploy/aws/template.yaml]
"""
import os, re, shutil, subprocess, sys
import yaml


class Tagged:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value

    def __repr__(self):
        return f"{self.tag} {self.value!r}"


class CfnLoader(yaml.SafeLoader):
    pass


def _tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tagged("!" + suffix, value)


CfnLoader.add_multi_constructor("!", _tagged)

PSEUDO = {"AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::StackId",
          "AWS::NoValue", "AWS::URLSuffix", "AWS::NotificationARNs"}

failures = []


def check(ok, message):
    if not ok:
        failures.append(message)


def walk(node, visit):
    visit(node)
    if isinstance(node, Tagged):
        walk(node.value, visit)
    elif isinstance(node, dict):
        for k, v in node.items():
            visit(("key", k))
            walk(v, visit)
    elif isinstance(node, list):
        for v in node:
            walk(v, visit)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "template.yaml")
    with open(path) as f:
        text = f.read()
    check(not re.search(r"(^|\s)[&*][A-Za-z]", text), "YAML anchors/aliases are not supported by CloudFormation")
    t = yaml.load(text, Loader=CfnLoader)
    params, res, conds = t["Parameters"], t["Resources"], t.get("Conditions", {})
    mappings = t.get("Mappings", {})
    names = set(params) | set(res) | PSEUDO

    # --- references resolve
    def visit(n):
        if isinstance(n, Tagged):
            if n.tag == "!Ref":
                check(n.value in names, f"!Ref {n.value} is not declared")
            elif n.tag == "!GetAtt":
                target = n.value.split(".")[0] if isinstance(n.value, str) else n.value[0]
                check(target in res, f"!GetAtt {n.value} names no resource")
            elif n.tag == "!Sub":
                s = n.value if isinstance(n.value, str) else n.value[0]
                local = set(n.value[1]) if isinstance(n.value, list) else set()
                for ref in re.findall(r"\$\{([^}!]+)\}", s):
                    base = ref.split(".")[0]
                    check(ref in names or base in res or ref in local, f"!Sub ${{{ref}}} is not declared")
            elif n.tag == "!If":
                check(n.value[0] in conds, f"!If {n.value[0]} is not a condition")
            elif n.tag == "!FindInMap":
                check(n.value[0] in mappings, f"!FindInMap {n.value[0]} is not a mapping")
    walk(t, visit)
    for name, r in res.items():
        if "Condition" in r:
            check(r["Condition"] in conds, f"{name}: condition {r['Condition']} is not declared")
        for dep in ([r["DependsOn"]] if isinstance(r.get("DependsOn"), str) else r.get("DependsOn", [])):
            check(dep in res, f"{name}: DependsOn {dep} names no resource")

    # --- parameters
    check(set(params) >= {"DeploymentName", "UserStorage", "LambdaMemory"}, "missing a required parameter")
    check(params["UserStorage"]["AllowedValues"] == ["persistent", "key-value"], "UserStorage values")

    # --- tables: name suffix -> (hash key, range key or None)
    tables = {
        "nodes": (("path", "S"), None), "counters": (("name", "S"), None),
        "pending": (("shard", "S"), ("zxid", "N")), "sessions": (("sessionId", "N"), None),
        "leases": (("sessionId", "N"), None), "watches": (("path", "S"), ("watcher", "S")),
        "data": (("path", "S"), None),
    }
    found = {}
    for name, r in res.items():
        if r["Type"] != "AWS::DynamoDB::Table":
            continue
        p = r["Properties"]
        tn = p["TableName"]
        suffix = tn.value.replace("${DeploymentName}-", "") if isinstance(tn, Tagged) else None
        check(isinstance(tn, Tagged) and tn.value.startswith("${DeploymentName}-"), f"{name}: table name {tn}")
        check(p.get("BillingMode") == "PAY_PER_REQUEST", f"{name}: not PAY_PER_REQUEST")
        types = {a["AttributeName"]: a["AttributeType"] for a in p["AttributeDefinitions"]}
        keys = {k["KeyType"]: k["AttributeName"] for k in p["KeySchema"]}
        got = ((keys["HASH"], types[keys["HASH"]]),
               (keys["RANGE"], types[keys["RANGE"]]) if "RANGE" in keys else None)
        found[suffix] = (name, got)
    check(set(found) == set(tables), f"tables {sorted(found)} != {sorted(tables)}")
    for suffix, want in tables.items():
        if suffix in found:
            check(found[suffix][1] == want, f"{suffix}: keys {found[suffix][1]} != {want}")
    # The reaper's sparse index (DynamoSystemStorage.ReapIndex): reapShard + path, keys only; on the
    # nodes table (queue path) and on the data table (the gateway write path's node items).
    for suffix in ("nodes", "data"):
        if suffix not in found:
            continue
        table = res[found[suffix][0]]["Properties"]
        gsis = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
        check("reapable" in gsis, f"the {suffix} table needs the reapable index")
        if "reapable" in gsis:
            g = gsis["reapable"]
            keys = {k["KeyType"]: k["AttributeName"] for k in g["KeySchema"]}
            types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
            check(keys == {"HASH": "reapShard", "RANGE": "path"}, f"{suffix}: reapable keys {keys}")
            check(types.get("reapShard") == "S", f"{suffix}: reapShard must be a string attribute")
            check(g["Projection"]["ProjectionType"] == "KEYS_ONLY", f"{suffix}: reapable projects keys only")
    if "data" in found:
        check(res[found["data"][0]].get("Condition") == "KeyValueUserStorage", "the data table must be conditional")

    # --- bucket
    buckets = [r for r in res.values() if r["Type"] == "AWS::S3::Bucket"]
    check(len(buckets) == 1, "exactly one bucket")
    b = buckets[0]["Properties"]
    check(b["BucketName"].value == "${DeploymentName}-data-${AWS::AccountId}", "bucket name")
    check(all(b["PublicAccessBlockConfiguration"].values()), "public access not fully blocked")
    rules = b["LifecycleConfiguration"]["Rules"]
    check(any(r.get("Prefix") == "payloads/" and r.get("ExpirationInDays") == 1 and r["Status"] == "Enabled"
              for r in rules), "no 1-day expiry on payloads/")

    # --- queues
    queues = {r["Properties"]["QueueName"].value: (n, r["Properties"]) for n, r in res.items()
              if r["Type"] == "AWS::SQS::Queue"}
    timeouts = {k: v["Seconds"] for k, v in mappings["VisibilityTimeout"].items()}
    check(set(timeouts) == set(params["FunctionTimeout"]["AllowedValues"]), "a FunctionTimeout has no visibility timeout")
    check(all(v >= 6 * int(k) for k, v in timeouts.items()), "visibility timeout < 6x function timeout")
    for q in ("writer", "distributor"):
        qn = "${DeploymentName}-" + q + ".fifo"
        check(qn in queues, f"queue {qn} missing")
        if qn not in queues:
            continue
        p = queues[qn][1]
        check(p.get("FifoQueue") is True and p.get("ContentBasedDeduplication") is False, f"{q}: FIFO settings")
        vt = p.get("VisibilityTimeout")
        check(isinstance(vt, Tagged) and vt.tag == "!FindInMap" and vt.value[0] == "VisibilityTimeout", f"{q}: visibility")
        rp = p.get("RedrivePolicy", {})
        check(rp.get("maxReceiveCount") == 5, f"{q}: maxReceiveCount")
        dlq = rp.get("deadLetterTargetArn")
        dlq_name = dlq.value.split(".")[0] if isinstance(dlq, Tagged) else None
        check(dlq_name in res and res[dlq_name]["Properties"].get("FifoQueue") is True, f"{q}: DLQ must be a FIFO queue")

    # --- functions and triggers
    funcs = {r["Properties"]["Handler"]: (n, r["Properties"]) for n, r in res.items()
             if r["Type"] == "AWS::Lambda::Function"}
    check(set(funcs) == {"writer", "distributor", "heartbeat"}, f"functions {sorted(funcs)}")
    for h, (n, p) in funcs.items():
        check(p["Runtime"] == "provided.al2023" and p["Architectures"] == ["x86_64"], f"{h}: runtime/architecture")
        check(isinstance(p["Code"]["S3Key"], Tagged), f"{h}: code key must be a parameter")
    esms = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    mapped = {}
    for e in esms:
        check(e["BatchSize"] == 10 and e["FunctionResponseTypes"] == ["ReportBatchItemFailures"], "event source settings")
        mapped[e["FunctionName"].value] = e["EventSourceArn"].value.split(".")[0]
    for h in ("writer", "distributor"):
        fn = funcs.get(h, (None,))[0]
        qn = "${DeploymentName}-" + h + ".fifo"
        check(fn in mapped and qn in queues and mapped[fn] == queues[qn][0], f"{h}: not fed by its queue")
    rules = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Events::Rule"]
    check(any(r["ScheduleExpression"] == "rate(1 minute)" and
              any(tg["Arn"].value == funcs.get("heartbeat", ("?",))[0] + ".Arn" for tg in r["Targets"]) for r in rules),
          "heartbeat has no 1-minute schedule")
    check(any(r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["Principal"] == "events.amazonaws.com"
              for r in res.values()), "EventBridge may not invoke the heartbeat")

    # --- IAM: no wildcard actions or resources granted
    def no_wildcards(n):
        if isinstance(n, dict) and n.get("Effect") == "Allow":
            acts = n["Action"] if isinstance(n["Action"], list) else [n["Action"]]
            check(all(not a.endswith(":*") and a != "*" for a in acts), f"wildcard action in {n.get('Sid')}")
            rs = n.get("Resource", [])
            rs = rs if isinstance(rs, list) else [rs]
            check(all(r != "*" for r in rs), f"wildcard resource in {n.get('Sid')}")
    walk({k: v for k, v in res.items() if v["Type"].startswith("AWS::IAM::")}, no_wildcards)
    gw = [r for r in res.values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    check(len(gw) == 1, "one managed policy for gateways")
    inbox = [s for s in gw[0]["Properties"]["PolicyDocument"]["Statement"]
             if "sqs:CreateQueue" in s.get("Action", [])]
    check(len(inbox) == 1 and "${DeploymentName}-inbox-*" in inbox[0]["Resource"].value
          and "sqs:DeleteQueue" in inbox[0]["Action"], "gateway cannot create/delete its inbox")

    for f in failures:
        print("FAIL", f)
    lint = shutil.which("cfn-lint")
    if lint:
        r = subprocess.run([lint, path], capture_output=True, text=True)
        print("cfn-lint:", "clean" if r.returncode == 0 else r.stdout + r.stderr)
        if r.returncode != 0:
            failures.append("cfn-lint")
    else:
        print("cfn-lint: not installed, skipped")
    print(f"template checks: {'FAILED' if failures else 'ok'} ({len(res)} resources)")
    return 1 if failures else 0


sys.exit(main())
