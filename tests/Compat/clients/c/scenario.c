/* Compat scenarios on the official C client (libzookeeper-mt 3.8.0 from Debian).
 * build: gcc -DTHREADED scenario.c -lzookeeper_mt
 * usage: scenario <basic|resume|expiry|features> <direct hosts> <proxied hosts> <prefix>
 * Prints one deterministic transcript line per step. Lines starting with '@' ask the test harness to act on
 * the proxy (@cut, @blackhole, @restore); the harness answers "ok" on stdin. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zookeeper/zookeeper.h>

#define WAIT_S 20
static const char *P;

static void out(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void harness(const char *req) {
    char line[64];
    out("@%s", req);
    if (!fgets(line, sizeof line, stdin) || strncmp(line, "ok", 2) != 0) {
        fprintf(stderr, "harness did not acknowledge %s\n", req);
        exit(2);
    }
}

static const char *rc_name(int rc) {
    switch (rc) {
    case ZOK: return "ZOK";
    case ZSYSTEMERROR: return "ZSYSTEMERROR";
    case ZRUNTIMEINCONSISTENCY: return "ZRUNTIMEINCONSISTENCY";
    case ZCONNECTIONLOSS: return "ZCONNECTIONLOSS";
    case ZOPERATIONTIMEOUT: return "ZOPERATIONTIMEOUT";
    case ZBADARGUMENTS: return "ZBADARGUMENTS";
    case ZINVALIDSTATE: return "ZINVALIDSTATE";
    case ZNONODE: return "ZNONODE";
    case ZNOAUTH: return "ZNOAUTH";
    case ZBADVERSION: return "ZBADVERSION";
    case ZNOCHILDRENFOREPHEMERALS: return "ZNOCHILDRENFOREPHEMERALS";
    case ZNODEEXISTS: return "ZNODEEXISTS";
    case ZNOTEMPTY: return "ZNOTEMPTY";
    case ZSESSIONEXPIRED: return "ZSESSIONEXPIRED";
    case ZCLOSING: return "ZCLOSING";
    case ZNOTHING: return "ZNOTHING";
    case ZSESSIONMOVED: return "ZSESSIONMOVED";
    case ZUNIMPLEMENTED: return "ZUNIMPLEMENTED";
    case ZINVALIDACL: return "ZINVALIDACL";
    case ZAUTHFAILED: return "ZAUTHFAILED";
    case ZNOWATCHER: return "ZNOWATCHER";
    default: { static char b[32]; snprintf(b, sizeof b, "rc=%d", rc); return b; }
    }
}

static const char *type_name(int t) {
    if (t == ZOO_CREATED_EVENT) return "CREATED";
    if (t == ZOO_DELETED_EVENT) return "DELETED";
    if (t == ZOO_CHANGED_EVENT) return "CHANGED";
    if (t == ZOO_CHILD_EVENT) return "CHILD";
    if (t == ZOO_SESSION_EVENT) return "SESSION";
    if (t == ZOO_NOTWATCHING_EVENT) return "NOTWATCHING";
    return "?";
}

static const char *state_name(int s) {
    if (s == ZOO_CONNECTED_STATE) return "CONNECTED";
    if (s == ZOO_CONNECTING_STATE) return "CONNECTING";
    if (s == ZOO_ASSOCIATING_STATE) return "ASSOCIATING";
    if (s == ZOO_EXPIRED_SESSION_STATE) return "EXPIRED_SESSION";
    if (s == ZOO_AUTH_FAILED_STATE) return "AUTH_FAILED";
    if (s == 0) return "CLOSED";
    return "?";
}

/* A queue of events, one per watcher context. */
typedef struct { int type, state; char path[512]; } event_t;
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    event_t ev[64];
    int head, tail;
} queue_t;

static void q_init(queue_t *q) { memset(q, 0, sizeof *q); pthread_mutex_init(&q->mu, NULL); pthread_cond_init(&q->cv, NULL); }

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh;
    queue_t *q = ctx;
    pthread_mutex_lock(&q->mu);
    if (q->tail - q->head < 64) {
        event_t *e = &q->ev[q->tail++ % 64];
        e->type = type;
        e->state = state;
        snprintf(e->path, sizeof e->path, "%s", path ? path : "");
    }
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* Next event matching (type, state) (state -1 = any); 0 on timeout. */
static int q_wait(queue_t *q, int type, int state, event_t *got) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += WAIT_S;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->head < q->tail) {
            event_t e = q->ev[q->head++ % 64];
            if ((type == 0 || e.type == type) && (state == -1 || e.state == state)) {
                *got = e;
                pthread_mutex_unlock(&q->mu);
                return 1;
            }
        }
        if (pthread_cond_timedwait(&q->cv, &q->mu, &dl) == ETIMEDOUT) {
            pthread_mutex_unlock(&q->mu);
            return 0;
        }
    }
}

/* Next node event. The C client also hands session events (CONNECTING, CONNECTED) to every watcher that is
 * still registered, so those are skipped here. */
static void next_event(queue_t *q, const char *label) {
    event_t e;
    int got;
    while ((got = q_wait(q, 0, -1, &e)) && e.type == ZOO_SESSION_EVENT) {
    }
    if (got) out("%s -> %s %s", label, type_name(e.type), e.path);
    else out("%s -> none", label);
}

static char path_buf[1024];
static const char *pth(const char *suffix) { snprintf(path_buf, sizeof path_buf, "%s%s", P, suffix); return path_buf; }

static zhandle_t *connect_to(const char *hosts, int timeout, queue_t *q) {
    zhandle_t *zh = zookeeper_init(hosts, watcher, timeout, 0, q, 0);
    event_t e;
    if (!zh || !q_wait(q, ZOO_SESSION_EVENT, ZOO_CONNECTED_STATE, &e)) { fprintf(stderr, "connect failed\n"); exit(3); }
    return zh;
}

static void do_create(zhandle_t *zh, const char *label, const char *path, const char *data, int flags, char *created, int createdlen) {
    char buf[1024] = "";
    int rc = zoo_create(zh, path, data, data ? (int)strlen(data) : -1, &ZOO_OPEN_ACL_UNSAFE, flags, buf, sizeof buf);
    if (rc == ZOK) out("%s %s -> %s", label, path, buf); else out("%s %s -> %s", label, path, rc_name(rc));
    if (created) snprintf(created, createdlen, "%s", rc == ZOK ? buf : "");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void print_children(const char *label, int rc, struct String_vector *v) {
    if (rc != ZOK) { out("%s -> %s", label, rc_name(rc)); return; }
    qsort(v->data, v->count, sizeof(char *), cmp_str);
    char line[4096];
    int n = snprintf(line, sizeof line, "%s -> [", label);
    for (int i = 0; i < v->count; i++) n += snprintf(line + n, sizeof line - n, "%s%s", i ? ", " : "", v->data[i]);
    out("%s]", line);
    deallocate_String_vector(v);
}

static void basic(const char *hosts) {
    queue_t conn, ev;
    q_init(&conn);
    q_init(&ev);
    zhandle_t *zh = connect_to(hosts, 10000, &conn);
    out("connect -> %s", state_name(zoo_state(zh)));
    char p[1024], q[1024], r[1024];
    snprintf(p, sizeof p, "%s", P);
    snprintf(q, sizeof q, "%s/a", P);
    do_create(zh, "create", p, "", 0, NULL, 0);
    do_create(zh, "create", q, "v1", 0, NULL, 0);
    do_create(zh, "create again", q, "v1", 0, NULL, 0);
    char buf[256];
    int len = sizeof buf - 1;
    struct Stat st;
    int rc = zoo_get(zh, q, 0, buf, &len, &st);
    buf[len < 0 ? 0 : len] = 0;
    out("get %s -> %s %s version=%d dataLength=%d numChildren=%d", q, rc_name(rc), buf, st.version, st.dataLength, st.numChildren);
    rc = zoo_set2(zh, q, "v2", 2, 0, &st);
    out("set %s v2 version 0 -> %s version=%d", q, rc_name(rc), st.version);
    zoo_exists(zh, q, 0, &st);
    out("stat mzxid>czxid -> %s", st.mzxid > st.czxid ? "true" : "false");
    out("set %s bad version -> %s", q, rc_name(zoo_set(zh, q, "x", 1, 7)));
    out("delete %s bad version -> %s", q, rc_name(zoo_delete(zh, q, 7)));
    len = sizeof buf;
    out("get %s -> %s", pth("/missing"), rc_name(zoo_get(zh, pth("/missing"), 0, buf, &len, &st)));
    out("delete %s -> %s", pth("/missing"), rc_name(zoo_delete(zh, pth("/missing"), -1)));
    out("exists %s -> %s", pth("/missing"), rc_name(zoo_exists(zh, pth("/missing"), 0, &st)));
    do_create(zh, "create no parent", pth("/x/y"), "", 0, NULL, 0);

    len = sizeof buf - 1;
    rc = zoo_wget(zh, q, watcher, &ev, buf, &len, &st);
    buf[len < 0 ? 0 : len] = 0;
    out("get with watch %s -> %s %s", q, rc_name(rc), buf);
    rc = zoo_set2(zh, q, "v3", 2, -1, &st);
    out("set %s v3 -> %s version=%d", q, rc_name(rc), st.version);
    next_event(&ev, "watch event");
    snprintf(r, sizeof r, "%s/b", P);
    out("exists with watch %s -> %s", r, rc_name(zoo_wexists(zh, r, watcher, &ev, &st)));
    do_create(zh, "create", r, "b", 0, NULL, 0);
    next_event(&ev, "watch event");
    struct String_vector kids;
    char label[1200];
    snprintf(label, sizeof label, "children with watch %s", P);
    rc = zoo_wget_children(zh, P, watcher, &ev, &kids);
    print_children(label, rc, &kids);
    snprintf(r, sizeof r, "%s/c", P);
    do_create(zh, "create", r, "", 0, NULL, 0);
    next_event(&ev, "watch event");
    out("exists with watch %s -> %s", r, rc_name(zoo_wexists(zh, r, watcher, &ev, &st)));
    out("delete %s -> %s", r, rc_name(zoo_delete(zh, r, -1)));
    next_event(&ev, "watch event");

    snprintf(r, sizeof r, "%s/e", P);
    do_create(zh, "create ephemeral", r, "", ZOO_EPHEMERAL, NULL, 0);
    zoo_exists(zh, r, 0, &st);
    out("ephemeralOwner is session -> %s", st.ephemeralOwner == zoo_client_id(zh)->client_id ? "true" : "false");
    snprintf(r, sizeof r, "%s/seq", P);
    do_create(zh, "create", r, "", 0, NULL, 0);
    snprintf(r, sizeof r, "%s/seq/s-", P);
    do_create(zh, "create sequential", r, "", ZOO_SEQUENCE, NULL, 0);
    do_create(zh, "create sequential", r, "", ZOO_SEQUENCE, NULL, 0);
    char created[1024];
    snprintf(r, sizeof r, "%s/seq/e-", P);
    do_create(zh, "create ephemeral sequential", r, "", ZOO_SEQUENCE | ZOO_EPHEMERAL, created, sizeof created);
    const char *dash = strrchr(created, '-');
    int digits = dash && strlen(dash + 1) == 10 && strspn(dash + 1, "0123456789") == 10;
    out("suffix is 10 digits -> %s", digits ? "true" : "false");
    snprintf(label, sizeof label, "children %s/seq", P);
    snprintf(r, sizeof r, "%s/seq", P);
    print_children(label, zoo_get_children(zh, r, 0, &kids), &kids);

    char m1[1024], m2[1024], b[1024], out1[1024], out2[1024];
    snprintf(m1, sizeof m1, "%s/m1", P);
    snprintf(m2, sizeof m2, "%s/m2", P);
    snprintf(b, sizeof b, "%s/b", P);
    zoo_op_t ops[4];
    zoo_op_result_t res[4];
    struct Stat mst;
    zoo_create_op_init(&ops[0], m1, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, out1, sizeof out1);
    zoo_set_op_init(&ops[1], q, "m", 1, 99, &mst);
    zoo_create_op_init(&ops[2], m2, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, out2, sizeof out2);
    rc = zoo_multi(zh, 3, ops, res);
    out("multi create,set bad version,create -> %s [%s, %s, %s]", rc_name(rc), rc_name(res[0].err), rc_name(res[1].err), rc_name(res[2].err));
    out("exists %s after failed multi -> %s", m1, rc_name(zoo_exists(zh, m1, 0, &st)));
    zoo_create_op_init(&ops[0], m1, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, out1, sizeof out1);
    zoo_check_op_init(&ops[1], q, 2);
    zoo_set_op_init(&ops[2], q, "m", 1, -1, &mst);
    zoo_delete_op_init(&ops[3], b, -1);
    rc = zoo_multi(zh, 4, ops, res);
    out("multi create,check,set,delete -> %s [%s %s, %s, %s version=%d, %s]", rc_name(rc), rc_name(res[0].err), out1,
        rc_name(res[1].err), rc_name(res[2].err), mst.version, rc_name(res[3].err));
    snprintf(label, sizeof label, "children %s", P);
    print_children(label, zoo_get_children(zh, P, 0, &kids), &kids);
    len = sizeof buf - 1;
    rc = zoo_get(zh, q, 0, buf, &len, &st);
    buf[len < 0 ? 0 : len] = 0;
    out("get %s -> %s %s", q, rc_name(rc), buf);
    out("delete %s version 3 -> %s", q, rc_name(zoo_delete(zh, q, 3)));
    out("delete %s non-empty -> %s", P, rc_name(zoo_delete(zh, P, -1)));
    out("close -> %s", rc_name(zookeeper_close(zh)));
}

static void resume(const char *hosts) {
    queue_t conn, ev;
    q_init(&conn);
    q_init(&ev);
    zhandle_t *zh = connect_to(hosts, 10000, &conn);
    out("connect -> %s", state_name(zoo_state(zh)));
    int64_t sid = zoo_client_id(zh)->client_id;
    char eph[1024], w[1024], buf[64];
    snprintf(eph, sizeof eph, "%s/eph", P);
    snprintf(w, sizeof w, "%s/w", P);
    do_create(zh, "create", P, "", 0, NULL, 0);
    do_create(zh, "create ephemeral", eph, "", ZOO_EPHEMERAL, NULL, 0);
    do_create(zh, "create", w, "1", 0, NULL, 0);
    int len = sizeof buf - 1;
    struct Stat st;
    int rc = zoo_wget(zh, w, watcher, &ev, buf, &len, &st);
    buf[len < 0 ? 0 : len] = 0;
    out("get with watch %s -> %s %s", w, rc_name(rc), buf);
    harness("cut");
    event_t e;
    out("state after cut -> %s", q_wait(&conn, ZOO_SESSION_EVENT, ZOO_CONNECTING_STATE, &e) ? state_name(e.state) : "none");
    int got = q_wait(&conn, ZOO_SESSION_EVENT, -1, &e);
    out("state after reconnect -> %s", got ? state_name(e.state) : "none");
    out("same session -> %s", zoo_client_id(zh)->client_id == sid ? "true" : "false");
    out("exists %s -> %s", eph, rc_name(zoo_exists(zh, eph, 0, &st)));
    rc = zoo_set2(zh, w, "2", 1, -1, &st);
    out("set %s -> %s version=%d", w, rc_name(rc), st.version);
    next_event(&ev, "watch event after reconnect");
    out("close -> %s", rc_name(zookeeper_close(zh)));
}

static void expiry(const char *direct, const char *proxied) {
    queue_t wc, ec, ev;
    q_init(&wc);
    q_init(&ec);
    q_init(&ev);
    zhandle_t *w = connect_to(direct, 10000, &wc);
    zhandle_t *e = connect_to(proxied, 4000, &ec);
    out("connect watcher -> %s", state_name(zoo_state(w)));
    out("connect short session -> %s timeout=%d", state_name(zoo_state(e)), zoo_recv_timeout(e));
    char eph[1024];
    snprintf(eph, sizeof eph, "%s/eph", P);
    do_create(e, "create", P, "", 0, NULL, 0);
    do_create(e, "create ephemeral", eph, "", ZOO_EPHEMERAL, NULL, 0);
    struct Stat st;
    out("watcher exists with watch %s -> %s", eph, rc_name(zoo_wexists(w, eph, watcher, &ev, &st)));
    harness("blackhole");
    next_event(&ev, "watcher event");
    out("watcher exists %s -> %s", eph, rc_name(zoo_exists(w, eph, 0, &st)));
    harness("restore");
    event_t x;
    out("short session observed -> %s", q_wait(&ec, ZOO_SESSION_EVENT, ZOO_EXPIRED_SESSION_STATE, &x) ? state_name(x.state) : "none");
    out("short session exists %s -> %s", P, rc_name(zoo_exists(e, P, 0, &st)));
    zookeeper_close(e);
    out("close -> %s", rc_name(zookeeper_close(w)));
}

/* Completion of an async call (zoo_add_auth, zoo_async): rc and the returned string. */
typedef struct { pthread_mutex_t mu; pthread_cond_t cv; int done, rc; char value[1024]; } done_t;
static void done_init(done_t *d) { memset(d, 0, sizeof *d); pthread_mutex_init(&d->mu, NULL); pthread_cond_init(&d->cv, NULL); }
static void done_signal(done_t *d, int rc, const char *value) {
    pthread_mutex_lock(&d->mu);
    d->rc = rc;
    snprintf(d->value, sizeof d->value, "%s", value ? value : "");
    d->done = 1;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}
static void void_done(int rc, const void *data) { done_signal((done_t *)data, rc, NULL); }
static void string_done(int rc, const char *value, const void *data) { done_signal((done_t *)data, rc, value); }
static const char *done_wait(done_t *d, char *buf, size_t len) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += WAIT_S;
    pthread_mutex_lock(&d->mu);
    while (!d->done && pthread_cond_timedwait(&d->cv, &d->mu, &dl) != ETIMEDOUT) {
    }
    if (d->done) snprintf(buf, len, "%s%s%s", rc_name(d->rc), d->value[0] ? " " : "", d->value);
    else snprintf(buf, len, "no completion");
    pthread_mutex_unlock(&d->mu);
    return buf;
}

static const char *add_auth(zhandle_t *zh, const char *cred) {
    static char buf[1200];
    done_t d;
    done_init(&d);
    int rc = zoo_add_auth(zh, "digest", cred, (int)strlen(cred), void_done, &d);
    if (rc != ZOK) return rc_name(rc);
    return done_wait(&d, buf, sizeof buf);
}

static void print_acl(const char *label, int rc, struct ACL_vector *acl, struct Stat *st) {
    if (rc != ZOK) { out("%s -> %s", label, rc_name(rc)); return; }
    char line[4096];
    int n = snprintf(line, sizeof line, "%s -> [", label);
    for (int i = 0; i < acl->count; i++)
        n += snprintf(line + n, sizeof line - n, "%s%s:%s:%d", i ? ", " : "", acl->data[i].id.scheme, acl->data[i].id.id, acl->data[i].perms);
    out("%s] aversion=%d version=%d", line, st->aversion, st->version);
    deallocate_ACL_vector(acl);
}

static void get_acl(zhandle_t *zh, const char *label, const char *path) {
    struct ACL_vector acl;
    struct Stat st;
    char l[1200];
    snprintf(l, sizeof l, "%s %s", label, path);
    int rc = zoo_get_acl(zh, path, &acl, &st);
    print_acl(l, rc, &acl, &st);
}

static void get_data(zhandle_t *zh, const char *label, const char *path) {
    char buf[256];
    int len = sizeof buf - 1;
    struct Stat st;
    int rc = zoo_get(zh, path, 0, buf, &len, &st);
    buf[len < 0 ? 0 : len] = 0;
    if (rc == ZOK) out("%s %s -> %s", label, path, buf); else out("%s %s -> %s", label, path, rc_name(rc));
}

/* Prints every event the queue holds now (session events skipped). */
static void drain(queue_t *q, const char *label) {
    char line[4096];
    int n = snprintf(line, sizeof line, "%s -> [", label), first = 1;
    pthread_mutex_lock(&q->mu);
    while (q->head < q->tail) {
        event_t e = q->ev[q->head++ % 64];
        if (e.type == ZOO_SESSION_EVENT) continue;
        n += snprintf(line + n, sizeof line - n, "%s%s %s", first ? "" : ", ", type_name(e.type), e.path);
        first = 0;
    }
    pthread_mutex_unlock(&q->mu);
    out("%s]", line);
}

/* libzookeeper-mt 3.8.0 exposes digest auth (zoo_add_auth), ACLs (zoo_create with an ACL vector, zoo_get_acl,
 * zoo_set_acl), containers (ZOO_CONTAINER with zoo_create / zoo_create2 and in a multi), removeWatches
 * (zoo_remove_watches, zoo_remove_all_watches) and sync (zoo_async).
 * Not exposed: addWatch (no persistent / persistent-recursive watches in the 3.8 C API), checkWatches as a
 * call of its own, multiRead (zoo_multi takes only create/delete/set/check), whoAmI, getEphemerals,
 * getAllChildrenNumber. */
static void features(const char *hosts) {
    queue_t conn, conn2, ev, marker;
    q_init(&conn);
    q_init(&conn2);
    q_init(&ev);
    q_init(&marker);
    zhandle_t *zh = connect_to(hosts, 10000, &conn);
    out("connect -> %s", state_name(zoo_state(zh)));
    char acl[1024], secret[1024], box[1024], w[1024], buf[1200];
    snprintf(acl, sizeof acl, "%s/acl", P);
    snprintf(secret, sizeof secret, "%s/secret", P);
    snprintf(box, sizeof box, "%s/box", P);
    snprintf(w, sizeof w, "%s/w", P);
    do_create(zh, "create", P, "", 0, NULL, 0);
    int rc = zoo_create(zh, pth("/x"), "x", 1, &ZOO_CREATOR_ALL_ACL, 0, buf, sizeof buf);
    out("create creator-all without auth -> %s", rc_name(rc));
    out("addauth digest alice -> %s", add_auth(zh, "alice:secret"));
    rc = zoo_create(zh, acl, "a", 1, &ZOO_CREATOR_ALL_ACL, 0, buf, sizeof buf);
    out("create %s creator-all -> %s %s", acl, rc_name(rc), rc == ZOK ? buf : "");
    get_acl(zh, "getACL", acl);
    struct ACL two[2] = {{ZOO_PERM_ALL, {"digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="}}, {ZOO_PERM_READ, {"world", "anyone"}}};
    struct ACL_vector next = {2, two};
    out("setACL %s aversion 5 -> %s", acl, rc_name(zoo_set_acl(zh, acl, 5, &next)));
    out("setACL %s aversion 0 -> %s", acl, rc_name(zoo_set_acl(zh, acl, 0, &next)));
    struct ACL bad[1] = {{ZOO_PERM_ALL, {"nosuch", "x"}}};
    struct ACL_vector badv = {1, bad};
    out("setACL %s invalid scheme -> %s", acl, rc_name(zoo_set_acl(zh, acl, -1, &badv)));
    get_acl(zh, "getACL after setACL", acl);
    zhandle_t *other = connect_to(hosts, 10000, &conn2);
    out("connect second session (no auth) -> %s", state_name(zoo_state(other)));
    get_data(other, "second get", acl);
    get_acl(other, "second getACL (masked)", acl);
    out("second set %s -> %s", acl, rc_name(zoo_set(other, acl, "b", 1, -1)));
    do_create(other, "second create", pth("/acl/c"), "c", 0, NULL, 0);
    out("second setACL %s -> %s", acl, rc_name(zoo_set_acl(other, acl, -1, &ZOO_OPEN_ACL_UNSAFE)));
    struct ACL_vector onlyAlice = {1, two};
    rc = zoo_create(zh, secret, "s", 1, &onlyAlice, 0, buf, sizeof buf);
    out("create %s alice only -> %s", secret, rc_name(rc));
    get_data(other, "second get", secret);
    get_acl(other, "second getACL", secret);
    struct Stat st;
    out("second exists %s -> %s", secret, rc_name(zoo_exists(other, secret, 0, &st)));
    out("second addauth digest alice wrong password -> %s", add_auth(other, "alice:wrong"));
    get_data(other, "second get after wrong password", secret);
    out("second addauth digest alice -> %s", add_auth(other, "alice:secret"));
    get_data(other, "second get after alice", secret);

    char created[1024] = "";
    rc = zoo_create2(zh, box, "k", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_CONTAINER, created, sizeof created, &st);
    out("create2 container %s -> %s %s ephemeralOwner=%lld numChildren=%d dataLength=%d", box, rc_name(rc), created,
        (long long)st.ephemeralOwner, st.numChildren, st.dataLength);
    rc = zoo_exists(zh, box, 0, &st);
    out("stat container %s -> %s ephemeralOwner=%lld numChildren=%d", box, rc_name(rc), (long long)st.ephemeralOwner, st.numChildren);
    do_create(zh, "create", pth("/box/item"), "i", 0, NULL, 0);
    do_create(zh, "create container again", box, "k", ZOO_CONTAINER, NULL, 0);
    /* No container inside zoo_multi: 3.8.0 answers it with a create2 result (type 15, with Stat), which
     * libzookeeper 3.8.0's deserialize_multi does not know (assertion `entry' failed, the process aborts). */

    do_create(zh, "create", w, "0", 0, NULL, 0);
    int len = sizeof buf - 1;
    rc = zoo_wget(zh, w, watcher, &ev, buf, &len, &st);
    out("get with watch %s -> %s", w, rc_name(rc));
    struct String_vector kids;
    rc = zoo_wget_children(zh, w, watcher, &ev, &kids);
    if (rc == ZOK) deallocate_String_vector(&kids);
    out("children with watch %s -> %s", w, rc_name(rc));
    out("remove_watches %s data -> %s", w, rc_name(zoo_remove_watches(zh, w, ZWATCHTYPE_DATA, watcher, &ev, 0)));
    out("remove_watches %s data again -> %s", w, rc_name(zoo_remove_watches(zh, w, ZWATCHTYPE_DATA, watcher, &ev, 0)));
    out("set %s -> %s", w, rc_name(zoo_set(zh, w, "1", 1, -1)));
    do_create(zh, "create", pth("/w/c"), "", 0, NULL, 0);
    next_event(&ev, "watch event");
    rc = zoo_wexists(zh, w, watcher, &ev, &st);
    out("exists with watch %s -> %s", w, rc_name(rc));
    out("remove_all_watches %s any -> %s", w, rc_name(zoo_remove_all_watches(zh, w, ZWATCHTYPE_ANY, 0)));
    out("remove_all_watches %s any again -> %s", w, rc_name(zoo_remove_all_watches(zh, w, ZWATCHTYPE_ANY, 0)));
    out("remove_watches %s child (none) -> %s", pth("/w/c"), rc_name(zoo_remove_watches(zh, pth("/w/c"), ZWATCHTYPE_CHILD, watcher, &ev, 0)));
    out("set %s after removes -> %s", w, rc_name(zoo_set(zh, w, "2", 1, -1)));
    out("exists with watch %s -> %s", pth("/marker"), rc_name(zoo_wexists(zh, pth("/marker"), watcher, &marker, &st)));
    do_create(zh, "create", pth("/marker"), "", 0, NULL, 0);
    next_event(&marker, "marker event");
    drain(&ev, "removed watcher got");

    done_t d;
    done_init(&d);
    rc = zoo_async(zh, w, string_done, &d);
    out("sync %s -> %s", w, rc == ZOK ? done_wait(&d, buf, sizeof buf) : rc_name(rc));
    done_init(&d);
    rc = zoo_async(zh, pth("/missing"), string_done, &d);
    out("sync %s -> %s", pth("/missing"), rc == ZOK ? done_wait(&d, buf, sizeof buf) : rc_name(rc));
    zookeeper_close(other);
    out("close -> %s", rc_name(zookeeper_close(zh)));
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: %s <scenario> <direct> <proxied> <prefix>\n", argv[0]); return 2; }
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    P = argv[4];
    if (!strcmp(argv[1], "basic")) basic(argv[2]);
    else if (!strcmp(argv[1], "resume")) resume(argv[3]);
    else if (!strcmp(argv[1], "expiry")) expiry(argv[2], argv[3]);
    else if (!strcmp(argv[1], "features")) features(argv[2]);
    else { fprintf(stderr, "unknown scenario %s\n", argv[1]); return 2; }
    return 0;
}
