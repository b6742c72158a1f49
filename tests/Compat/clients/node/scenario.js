'use strict';
// Compat scenarios on node-zookeeper-client 1.1.3 (pure JS; sends 44-byte ConnectRequests, no readOnly byte).
// usage: node scenario.js <basic|resume|expiry|features> <direct hosts> <proxied hosts> <prefix>
// Prints one deterministic transcript line per step. Lines starting with '@' ask the test harness to act on
// the proxy (@cut, @blackhole, @restore); the harness answers "ok" on stdin.
const zookeeper = require('node-zookeeper-client');
const readline = require('readline');

const [SCENARIO, DIRECT, PROXIED, P] = process.argv.slice(2);
const WAIT_MS = 20000;
const CreateMode = zookeeper.CreateMode;

const out = (line) => process.stdout.write(line + '\n');

const stdinLines = [];
let stdinWaiter = null;
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  if (stdinWaiter) { const w = stdinWaiter; stdinWaiter = null; w(l); } else stdinLines.push(l);
});
async function harness(req) {
  out('@' + req);
  const ack = stdinLines.length ? stdinLines.shift() : await new Promise((r) => { stdinWaiter = r; });
  if (ack.trim() !== 'ok') throw new Error('harness did not acknowledge ' + req);
}

const errName = (e) => (e && typeof e.getName === 'function' ? e.getName() : String(e));

// Calls fn(cb) and resolves [error, ...results].
const call = (fn) => new Promise((resolve) => fn((...a) => resolve(a)));

async function attempt(label, fn, show) {
  const [err, ...res] = await call(fn);
  out(`${label} -> ${err ? errName(err) : (show ? show(...res) : res[0])}`);
  return err ? null : res;
}

class Events {
  constructor() { this.items = []; this.waiters = []; this.watcher = (e) => this.push(e); }
  push(e) { if (this.waiters.length) this.waiters.shift()(e); else this.items.push(e); }
  next() {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.waiters.splice(this.waiters.indexOf(w), 1); resolve(null); }, WAIT_MS);
      const w = (e) => { clearTimeout(t); resolve(e); };
      this.waiters.push(w);
    });
  }
  async print(label) {
    const e = await this.next();
    out(`${label} -> ${e ? e.getName() + ' ' + e.getPath() : 'none'}`);
  }
  // Waits for a state whose name is in `names`.
  async waitState(names) {
    const end = Date.now() + WAIT_MS;
    while (Date.now() < end) {
      const e = await this.next();
      if (!e) return null;
      if (names.includes(e.getName())) return e.getName();
    }
    return null;
  }
}

async function connect(hosts, timeout) {
  const client = zookeeper.createClient(hosts, { sessionTimeout: timeout, spinDelay: 200, retries: 0 });
  const states = new Events();
  client.on('state', (s) => states.push(s));
  client.connect();
  if (!(await states.waitState(['SYNC_CONNECTED']))) throw new Error('no SYNC_CONNECTED');
  return { client, states };
}

const sorted = (l) => '[' + [...l].sort().join(', ') + ']';
const buf = (s) => Buffer.from(s);
const describe = (results) => '[' + (results || []).map((r) => {
  if (r.err !== undefined) return 'err=' + r.err;
  if (r.path !== undefined) return 'create ' + r.path;
  if (r.stat) return 'version=' + r.stat.version;
  return 'type=' + r.type;
}).join(', ') + ']';

async function basic() {
  const { client: zk } = await connect(DIRECT, 10000);
  out('connect -> ' + zk.getState().getName());
  await attempt(`create ${P}`, (cb) => zk.create(P, cb));
  await attempt(`create ${P}/a`, (cb) => zk.create(P + '/a', buf('v1'), cb));
  await attempt(`create ${P}/a again`, (cb) => zk.create(P + '/a', buf('v1'), cb));
  await attempt(`get ${P}/a`, (cb) => zk.getData(P + '/a', cb),
    (d, st) => `${d} version=${st.version} dataLength=${st.dataLength} numChildren=${st.numChildren}`);
  await attempt(`set ${P}/a v2 version 0`, (cb) => zk.setData(P + '/a', buf('v2'), 0, cb), (st) => st.version);
  await attempt(`stat mzxid>czxid`, (cb) => zk.exists(P + '/a', cb), (st) => Buffer.compare(st.mzxid, st.czxid) > 0);
  await attempt(`set ${P}/a bad version`, (cb) => zk.setData(P + '/a', buf('x'), 7, cb));
  await attempt(`delete ${P}/a bad version`, (cb) => zk.remove(P + '/a', 7, cb), () => 'ok');
  await attempt(`get ${P}/missing`, (cb) => zk.getData(P + '/missing', cb));
  await attempt(`delete ${P}/missing`, (cb) => zk.remove(P + '/missing', cb), () => 'ok');
  await attempt(`exists ${P}/missing`, (cb) => zk.exists(P + '/missing', cb), (st) => st);
  await attempt(`create ${P}/x/y no parent`, (cb) => zk.create(P + '/x/y', cb));

  const ev = new Events();
  await attempt(`get with watch ${P}/a`, (cb) => zk.getData(P + '/a', ev.watcher, cb), (d) => String(d));
  await attempt(`set ${P}/a v3`, (cb) => zk.setData(P + '/a', buf('v3'), cb), (st) => st.version);
  await ev.print('watch event');
  await attempt(`exists with watch ${P}/b`, (cb) => zk.exists(P + '/b', ev.watcher, cb), (st) => st);
  await attempt(`create ${P}/b`, (cb) => zk.create(P + '/b', buf('b'), cb));
  await ev.print('watch event');
  await attempt(`children with watch ${P}`, (cb) => zk.getChildren(P, ev.watcher, cb), sorted);
  await attempt(`create ${P}/c`, (cb) => zk.create(P + '/c', cb));
  await ev.print('watch event');
  await attempt(`exists with watch ${P}/c`, (cb) => zk.exists(P + '/c', ev.watcher, cb), (st) => st !== null);
  await attempt(`delete ${P}/c`, (cb) => zk.remove(P + '/c', cb), () => 'ok');
  await ev.print('watch event');

  await attempt(`create ephemeral ${P}/e`, (cb) => zk.create(P + '/e', null, CreateMode.EPHEMERAL, cb));
  await attempt('ephemeralOwner is session', (cb) => zk.exists(P + '/e', cb),
    (st) => Buffer.compare(st.ephemeralOwner, zk.getSessionId()) === 0);
  await attempt(`create ${P}/seq`, (cb) => zk.create(P + '/seq', cb));
  for (let i = 0; i < 2; i++) {
    await attempt(`create sequential ${P}/seq/s-`, (cb) => zk.create(P + '/seq/s-', null, CreateMode.PERSISTENT_SEQUENTIAL, cb));
  }
  const r = await attempt(`create ephemeral sequential ${P}/seq/e-`,
    (cb) => zk.create(P + '/seq/e-', null, CreateMode.EPHEMERAL_SEQUENTIAL, cb));
  out('suffix is 10 digits -> ' + /\/e-\d{10}$/.test(r ? r[0] : ''));
  await attempt(`children ${P}/seq`, (cb) => zk.getChildren(P + '/seq', cb), sorted);

  let [err, results] = await call((cb) => zk.transaction()
    .create(P + '/m1').setData(P + '/a', buf('m'), 99).create(P + '/m2').commit(cb));
  out(`multi create,set bad version,create -> ${err ? errName(err) : 'ok'} ${describe(results)}`);
  await attempt(`exists ${P}/m1 after failed multi`, (cb) => zk.exists(P + '/m1', cb), (st) => st !== null);
  [err, results] = await call((cb) => zk.transaction()
    .create(P + '/m1').check(P + '/a', 2).setData(P + '/a', buf('m')).remove(P + '/b').commit(cb));
  out(`multi create,check,set,delete -> ${err ? errName(err) : 'ok'} ${describe(results)}`);
  await attempt(`children ${P}`, (cb) => zk.getChildren(P, cb), sorted);
  await attempt(`get ${P}/a`, (cb) => zk.getData(P + '/a', cb), (d) => String(d));
  await attempt(`delete ${P}/a version 3`, (cb) => zk.remove(P + '/a', 3, cb), () => 'ok');
  await attempt(`delete ${P} non-empty`, (cb) => zk.remove(P, cb), () => 'ok');
  zk.close();
  out('close -> ok');
}

async function resume() {
  const { client: zk, states } = await connect(PROXIED, 10000);
  out('connect -> ' + zk.getState().getName());
  const sid = Buffer.from(zk.getSessionId());
  await attempt(`create ${P}`, (cb) => zk.create(P, cb));
  await attempt(`create ephemeral ${P}/eph`, (cb) => zk.create(P + '/eph', null, CreateMode.EPHEMERAL, cb));
  await attempt(`create ${P}/w`, (cb) => zk.create(P + '/w', buf('1'), cb));
  const ev = new Events();
  await attempt(`get with watch ${P}/w`, (cb) => zk.getData(P + '/w', ev.watcher, cb), (d) => String(d));
  await harness('cut');
  out('state after cut -> ' + await states.waitState(['DISCONNECTED']));
  out('state after reconnect -> ' + await states.waitState(['SYNC_CONNECTED', 'EXPIRED']));
  out('same session -> ' + (Buffer.compare(sid, zk.getSessionId()) === 0));
  await attempt(`exists ${P}/eph`, (cb) => zk.exists(P + '/eph', cb), (st) => st !== null);
  await attempt(`set ${P}/w`, (cb) => zk.setData(P + '/w', buf('2'), cb), (st) => st.version);
  await ev.print('watch event after reconnect');
  zk.close();
  out('close -> ok');
}

async function expiry() {
  const { client: w } = await connect(DIRECT, 10000);
  const { client: e, states } = await connect(PROXIED, 4000);
  out('connect watcher -> ' + w.getState().getName());
  out('connect short session -> ' + e.getState().getName() + ' timeout=' + e.getSessionTimeout());
  await attempt(`create ${P}`, (cb) => e.create(P, cb));
  await attempt(`create ephemeral ${P}/eph`, (cb) => e.create(P + '/eph', null, CreateMode.EPHEMERAL, cb));
  const ev = new Events();
  await attempt(`watcher exists with watch ${P}/eph`, (cb) => w.exists(P + '/eph', ev.watcher, cb), (st) => st !== null);
  await harness('blackhole');
  await ev.print('watcher event');
  await attempt(`watcher exists ${P}/eph`, (cb) => w.exists(P + '/eph', cb), (st) => st !== null);
  await harness('restore');
  out('short session observed -> ' + await states.waitState(['EXPIRED']));
  e.close();
  w.close();
  out('close -> ok');
}

// node-zookeeper-client 1.1.3 exposes digest auth (addAuthInfo, no reply callback: the auth packet is queued
// ahead of the following requests) and ACLs (create with ACLs, getACL, setACL).
// Not exposed: containers (CreateMode has no CONTAINER and create always uses op 1), addWatch,
// removeWatches / checkWatches, multiRead (transactions take only writes), whoAmI, getEphemerals,
// getAllChildrenNumber, sync.
async function features() {
  const { ACL, Id, Permission } = zookeeper;
  const acls = (l) => '[' + l.map((a) => `${a.id.scheme}:${a.id.id}:${a.permission}`).join(', ') + ']';
  const showAcl = (l, st) => `${acls(l)} aversion=${st.aversion} version=${st.version}`;
  const { client: zk } = await connect(DIRECT, 10000);
  out('connect -> ' + zk.getState().getName());
  await attempt(`create ${P}`, (cb) => zk.create(P, buf(''), cb));
  await attempt('create creator-all without auth', (cb) => zk.create(P + '/x', buf('x'), ACL.CREATOR_ALL_ACL, cb));
  zk.addAuthInfo('digest', buf('alice:secret'));
  out('addauth digest alice -> sent');
  await attempt(`create ${P}/acl creator-all`, (cb) => zk.create(P + '/acl', buf('a'), ACL.CREATOR_ALL_ACL, cb));
  await attempt(`getACL ${P}/acl`, (cb) => zk.getACL(P + '/acl', cb), showAcl);
  const alice = new ACL(Permission.ALL, new Id('digest', 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E='));
  const next = [alice, new ACL(Permission.READ, new Id('world', 'anyone'))];
  await attempt(`setACL ${P}/acl aversion 5`, (cb) => zk.setACL(P + '/acl', next, 5, cb), (st) => st.aversion);
  await attempt(`setACL ${P}/acl aversion 0`, (cb) => zk.setACL(P + '/acl', next, 0, cb), (st) => st.aversion);
  await attempt(`setACL ${P}/acl invalid scheme`, (cb) => zk.setACL(P + '/acl', [new ACL(Permission.ALL, new Id('nosuch', 'x'))], -1, cb), (st) => st.aversion);
  await attempt(`getACL ${P}/acl after setACL`, (cb) => zk.getACL(P + '/acl', cb), showAcl);
  const { client: other } = await connect(DIRECT, 10000);
  out('connect second session (no auth) -> ' + other.getState().getName());
  await attempt(`second get ${P}/acl`, (cb) => other.getData(P + '/acl', cb), (d) => d.toString());
  await attempt(`second getACL ${P}/acl (masked)`, (cb) => other.getACL(P + '/acl', cb), showAcl);
  await attempt(`second set ${P}/acl`, (cb) => other.setData(P + '/acl', buf('b'), -1, cb), (st) => st.version);
  await attempt(`second create ${P}/acl/c`, (cb) => other.create(P + '/acl/c', buf('c'), cb));
  await attempt(`second setACL ${P}/acl`, (cb) => other.setACL(P + '/acl', ACL.OPEN_ACL_UNSAFE, -1, cb), (st) => st.aversion);
  await attempt(`create ${P}/secret alice only`, (cb) => zk.create(P + '/secret', buf('s'), [alice], cb));
  await attempt(`second get ${P}/secret`, (cb) => other.getData(P + '/secret', cb), (d) => d.toString());
  await attempt(`second getACL ${P}/secret`, (cb) => other.getACL(P + '/secret', cb), showAcl);
  await attempt(`second exists ${P}/secret`, (cb) => other.exists(P + '/secret', cb), (st) => st !== null);
  await attempt(`second getChildren ${P}/secret`, (cb) => other.getChildren(P + '/secret', cb), (l) => sorted(l));
  other.addAuthInfo('digest', buf('alice:wrong'));
  out('second addauth digest alice wrong password -> sent');
  await attempt(`second get ${P}/secret after wrong password`, (cb) => other.getData(P + '/secret', cb), (d) => d.toString());
  other.addAuthInfo('digest', buf('alice:secret'));
  out('second addauth digest alice -> sent');
  await attempt(`second get ${P}/secret after alice`, (cb) => other.getData(P + '/secret', cb), (d) => d.toString());
  await attempt(`second set ${P}/secret version 0`, (cb) => other.setData(P + '/secret', buf('t'), 0, cb), (st) => st.version);
  await attempt(`second transaction create under ${P}/secret`, (cb) => other.transaction().create(P + '/secret/t', buf('')).check(P + '/secret', 1).commit(cb), describe);
  other.close();
  zk.close();
  out('close -> ok');
}

({ basic, resume, expiry, features })[SCENARIO]().then(() => process.exit(0), (err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
