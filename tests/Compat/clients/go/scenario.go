// Compat scenarios on go-zookeeper (Debian golang-github-samuel-go-zookeeper-dev; sends 44-byte ConnectRequests).
// build: GO111MODULE=off GOPATH=/usr/share/gocode go build -o scenario-go scenario.go
// usage: scenario-go <basic|resume|expiry|features|tls> <direct hosts> <proxied hosts> <prefix>
// Prints one deterministic transcript line per step. Lines starting with '@' ask the test harness to act on the
// proxy (@cut, @blackhole, @restore); the harness answers "ok" on stdin.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"log"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/samuel/go-zookeeper/zk"
)

var (
	P     string
	stdin = bufio.NewReader(os.Stdin)
	acl   = zk.WorldACL(zk.PermAll)
)

const wait = 20 * time.Second

func out(format string, a ...interface{}) { fmt.Printf(format+"\n", a...) }

func harness(req string) {
	out("@%s", req)
	line, err := stdin.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ok" {
		log.Fatalf("harness did not acknowledge %s", req)
	}
}

func res(v interface{}, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(v)
}

func connect(hosts string, timeout time.Duration) (*zk.Conn, <-chan zk.Event) {
	c, ev, err := zk.Connect([]string{hosts}, timeout, zk.WithLogger(log.New(os.Stderr, "zk ", 0)))
	if err != nil {
		log.Fatal(err)
	}
	if waitState(ev, zk.StateHasSession) == nil {
		log.Fatal("no session")
	}
	return c, ev
}

// waitState drains session events until one in `want` arrives.
func waitState(ev <-chan zk.Event, want ...zk.State) *zk.State {
	deadline := time.After(wait)
	for {
		select {
		case e := <-ev:
			for _, w := range want {
				if e.State == w {
					s := e.State
					return &s
				}
			}
		case <-deadline:
			return nil
		}
	}
}

func stateName(s *zk.State) string {
	if s == nil {
		return "none"
	}
	return s.String()
}

func nextEvent(label string, ch <-chan zk.Event) {
	select {
	case e := <-ch:
		out("%s -> %s %s", label, e.Type, e.Path)
	case <-time.After(wait):
		out("%s -> none", label)
	}
}

func sorted(l []string, err error) string {
	if err != nil {
		return err.Error()
	}
	c := append([]string(nil), l...)
	sort.Strings(c)
	return "[" + strings.Join(c, ", ") + "]"
}

func describe(rs []zk.MultiResponse) string {
	s := []string{}
	for _, r := range rs {
		switch {
		case r.Error != nil:
			s = append(s, "error("+r.Error.Error()+")")
		case r.String != "":
			s = append(s, "create "+r.String)
		case r.Stat != nil:
			s = append(s, fmt.Sprintf("version=%d", r.Stat.Version))
		default:
			s = append(s, "ok")
		}
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func basic(hosts string) {
	c, _ := connect(hosts, 10*time.Second)
	out("connect -> %s", c.State())
	out("create %s -> %s", P, res(c.Create(P, nil, 0, acl)))
	out("create %s/a -> %s", P, res(c.Create(P+"/a", []byte("v1"), 0, acl)))
	out("create %s/a again -> %s", P, res(c.Create(P+"/a", []byte("v1"), 0, acl)))
	d, st, err := c.Get(P + "/a")
	out("get %s/a -> %s %s version=%d dataLength=%d numChildren=%d", P, res("ok", err), d, st.Version, st.DataLength, st.NumChildren)
	st, err = c.Set(P+"/a", []byte("v2"), 0)
	out("set %s/a v2 version 0 -> %s version=%d", P, res("ok", err), st.Version)
	_, st, _ = c.Exists(P + "/a")
	out("stat mzxid>czxid -> %v", st.Mzxid > st.Czxid)
	_, err = c.Set(P+"/a", []byte("x"), 7)
	out("set %s/a bad version -> %s", P, res("ok", err))
	out("delete %s/a bad version -> %s", P, res("ok", c.Delete(P+"/a", 7)))
	_, _, err = c.Get(P + "/missing")
	out("get %s/missing -> %s", P, res("ok", err))
	out("delete %s/missing -> %s", P, res("ok", c.Delete(P+"/missing", -1)))
	ok, _, err := c.Exists(P + "/missing")
	out("exists %s/missing -> %s", P, res(ok, err))
	out("create %s/x/y no parent -> %s", P, res(c.Create(P+"/x/y", nil, 0, acl)))

	d, _, ch, err := c.GetW(P + "/a")
	out("get with watch %s/a -> %s %s", P, res("ok", err), d)
	st, err = c.Set(P+"/a", []byte("v3"), -1)
	out("set %s/a v3 -> %s version=%d", P, res("ok", err), st.Version)
	nextEvent("watch event", ch)
	ok, _, ch, err = c.ExistsW(P + "/b")
	out("exists with watch %s/b -> %s", P, res(ok, err))
	out("create %s/b -> %s", P, res(c.Create(P+"/b", []byte("b"), 0, acl)))
	nextEvent("watch event", ch)
	kids, _, ch, err := c.ChildrenW(P)
	out("children with watch %s -> %s", P, sorted(kids, err))
	out("create %s/c -> %s", P, res(c.Create(P+"/c", nil, 0, acl)))
	nextEvent("watch event", ch)
	ok, _, ch, err = c.ExistsW(P + "/c")
	out("exists with watch %s/c -> %s", P, res(ok, err))
	out("delete %s/c -> %s", P, res("ok", c.Delete(P+"/c", -1)))
	nextEvent("watch event", ch)

	out("create ephemeral %s/e -> %s", P, res(c.Create(P+"/e", nil, zk.FlagEphemeral, acl)))
	_, st, _ = c.Exists(P + "/e")
	out("ephemeralOwner is session -> %v", st.EphemeralOwner == c.SessionID())
	out("create %s/seq -> %s", P, res(c.Create(P+"/seq", nil, 0, acl)))
	for i := 0; i < 2; i++ {
		out("create sequential %s/seq/s- -> %s", P, res(c.Create(P+"/seq/s-", nil, zk.FlagSequence, acl)))
	}
	name, err := c.Create(P+"/seq/e-", nil, zk.FlagSequence|zk.FlagEphemeral, acl)
	out("create ephemeral sequential %s/seq/e- -> %s", P, res(name, err))
	out("suffix is 10 digits -> %v", regexp.MustCompile(`/e-\d{10}$`).MatchString(name))
	out("children %s/seq -> %s", P, sorted(childrenOf(c, P+"/seq")))

	rs, err := c.Multi(&zk.CreateRequest{Path: P + "/m1", Acl: acl},
		&zk.SetDataRequest{Path: P + "/a", Data: []byte("m"), Version: 99},
		&zk.CreateRequest{Path: P + "/m2", Acl: acl})
	out("multi create,set bad version,create -> %s %s", res("ok", err), describe(rs))
	ok, _, err = c.Exists(P + "/m1")
	out("exists %s/m1 after failed multi -> %s", P, res(ok, err))
	rs, err = c.Multi(&zk.CreateRequest{Path: P + "/m1", Acl: acl},
		&zk.CheckVersionRequest{Path: P + "/a", Version: 2},
		&zk.SetDataRequest{Path: P + "/a", Data: []byte("m"), Version: -1},
		&zk.DeleteRequest{Path: P + "/b", Version: -1})
	out("multi create,check,set,delete -> %s %s", res("ok", err), describe(rs))
	out("children %s -> %s", P, sorted(childrenOf(c, P)))
	d, _, err = c.Get(P + "/a")
	out("get %s/a -> %s %s", P, res("ok", err), d)
	out("delete %s/a version 3 -> %s", P, res("ok", c.Delete(P+"/a", 3)))
	out("delete %s non-empty -> %s", P, res("ok", c.Delete(P, -1)))
	c.Close()
	out("close -> ok")
}

func childrenOf(c *zk.Conn, p string) ([]string, error) {
	k, _, err := c.Children(p)
	return k, err
}

func resume(hosts string) {
	c, ev := connect(hosts, 10*time.Second)
	out("connect -> %s", c.State())
	sid := c.SessionID()
	out("create %s -> %s", P, res(c.Create(P, nil, 0, acl)))
	out("create ephemeral %s/eph -> %s", P, res(c.Create(P+"/eph", nil, zk.FlagEphemeral, acl)))
	out("create %s/w -> %s", P, res(c.Create(P+"/w", []byte("1"), 0, acl)))
	d, _, ch, err := c.GetW(P + "/w")
	out("get with watch %s/w -> %s %s", P, res("ok", err), d)
	harness("cut")
	out("state after cut -> %s", stateName(waitState(ev, zk.StateDisconnected)))
	out("state after reconnect -> %s", stateName(waitState(ev, zk.StateHasSession, zk.StateExpired)))
	out("same session -> %v", c.SessionID() == sid)
	ok, _, err := c.Exists(P + "/eph")
	out("exists %s/eph -> %s", P, res(ok, err))
	st, err := c.Set(P+"/w", []byte("2"), -1)
	out("set %s/w -> %s version=%d", P, res("ok", err), st.Version)
	nextEvent("watch event after reconnect", ch)
	c.Close()
	out("close -> ok")
}

func expiry(direct, proxied string) {
	w, _ := connect(direct, 10*time.Second)
	e, eev := connect(proxied, 4*time.Second)
	out("connect watcher -> %s", w.State())
	out("connect short session -> %s", e.State())
	out("create %s -> %s", P, res(e.Create(P, nil, 0, acl)))
	out("create ephemeral %s/eph -> %s", P, res(e.Create(P+"/eph", nil, zk.FlagEphemeral, acl)))
	ok, _, ch, err := w.ExistsW(P + "/eph")
	out("watcher exists with watch %s/eph -> %s", P, res(ok, err))
	harness("blackhole")
	nextEvent("watcher event", ch)
	ok, _, err = w.Exists(P + "/eph")
	out("watcher exists %s/eph -> %s", P, res(ok, err))
	harness("restore")
	out("short session observed -> %s", stateName(waitState(eev, zk.StateExpired)))
	e.Close()
	w.Close()
	out("close -> ok")
}

func acls(l []zk.ACL) string {
	s := make([]string, len(l))
	for i, a := range l {
		s[i] = fmt.Sprintf("%s:%s:%d", a.Scheme, a.ID, a.Perms)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func getACL(c *zk.Conn, path string) string {
	l, st, err := c.GetACL(path)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%s aversion=%d version=%d", acls(l), st.Aversion, st.Version)
}

func getData(c *zk.Conn, path string) string {
	d, _, err := c.Get(path)
	return res(string(d), err)
}

// go-zookeeper exposes digest auth (AddAuth), ACLs (Create with ACLs, AuthACL = creator-all, DigestACL, GetACL,
// SetACL) and Sync.
// Not exposed: containers (no container flag; Create always sends op 1, where 3.8.0 makes flags 4 a plain
// persistent node), addWatch, removeWatches / checkWatches, multiRead (Multi takes only writes), whoAmI,
// getEphemerals, getAllChildrenNumber.
func features(hosts string) {
	c, _ := connect(hosts, 10*time.Second)
	out("connect -> %s", c.State())
	out("create %s -> %s", P, res(c.Create(P, []byte(""), 0, acl)))
	out("create creator-all without auth -> %s", res(c.Create(P+"/x", []byte("x"), 0, zk.AuthACL(zk.PermAll))))
	out("addauth digest alice -> %s", res("ok", c.AddAuth("digest", []byte("alice:secret"))))
	out("create %s/acl creator-all -> %s", P, res(c.Create(P+"/acl", []byte("a"), 0, zk.AuthACL(zk.PermAll))))
	out("getACL %s/acl -> %s", P, getACL(c, P+"/acl"))
	alice := zk.DigestACL(zk.PermAll, "alice", "secret")
	out("digest acl made by go-zk -> %s", acls(alice))
	next := append(append([]zk.ACL{}, alice...), zk.WorldACL(zk.PermRead)...)
	setACL := func(c *zk.Conn, path string, l []zk.ACL, v int32) string {
		st, err := c.SetACL(path, l, v)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprint(st.Aversion)
	}
	out("setACL %s/acl aversion 5 -> %s", P, setACL(c, P+"/acl", next, 5))
	out("setACL %s/acl aversion 0 -> %s", P, setACL(c, P+"/acl", next, 0))
	out("setACL %s/acl invalid scheme -> %s", P, setACL(c, P+"/acl", []zk.ACL{{Perms: zk.PermAll, Scheme: "nosuch", ID: "x"}}, -1))
	out("getACL %s/acl after setACL -> %s", P, getACL(c, P+"/acl"))
	other, _ := connect(hosts, 10*time.Second)
	out("connect second session (no auth) -> %s", other.State())
	out("second get %s/acl -> %s", P, getData(other, P+"/acl"))
	out("second getACL %s/acl (masked) -> %s", P, getACL(other, P+"/acl"))
	_, err := other.Set(P+"/acl", []byte("b"), -1)
	out("second set %s/acl -> %s", P, res("ok", err))
	out("second create %s/acl/c -> %s", P, res(other.Create(P+"/acl/c", []byte("c"), 0, acl)))
	out("second setACL %s/acl -> %s", P, setACL(other, P+"/acl", acl, -1))
	out("create %s/secret alice only -> %s", P, res(c.Create(P+"/secret", []byte("s"), 0, alice)))
	out("second get %s/secret -> %s", P, getData(other, P+"/secret"))
	out("second getACL %s/secret -> %s", P, getACL(other, P+"/secret"))
	ok, _, err := other.Exists(P + "/secret")
	out("second exists %s/secret -> %s", P, res(ok, err))
	out("second addauth digest alice wrong password -> %s", res("ok", other.AddAuth("digest", []byte("alice:wrong"))))
	out("second get %s/secret after wrong password -> %s", P, getData(other, P+"/secret"))
	out("second addauth digest alice -> %s", res("ok", other.AddAuth("digest", []byte("alice:secret"))))
	out("second get %s/secret after alice -> %s", P, getData(other, P+"/secret"))
	st, err := other.Set(P+"/secret", []byte("t"), 0)
	if err == nil {
		out("second set %s/secret version 0 -> %d", P, st.Version)
	} else {
		out("second set %s/secret version 0 -> %s", P, err)
	}
	out("sync %s/secret -> %s", P, res(c.Sync(P+"/secret")))
	out("get %s/secret after sync -> %s", P, getData(c, P+"/secret"))
	out("sync %s/missing -> %s", P, res(c.Sync(P+"/missing")))
	other.Close()
	c.Close()
	out("close -> ok")
}

func main() {
	if len(os.Args) < 5 {
		log.Fatal("usage: scenario-go <scenario> <direct> <proxied> <prefix>")
	}
	P = os.Args[4]
	switch os.Args[1] {
	case "basic":
		basic(os.Args[2])
	case "resume":
		resume(os.Args[3])
	case "expiry":
		expiry(os.Args[2], os.Args[3])
	case "features":
		features(os.Args[2])
	case "tls":
		tlsScenario(os.Args[2])
	default:
		log.Fatalf("unknown scenario %s", os.Args[1])
	}
}

// tlsConnect connects through a TLS dialer (go-zookeeper has no TLS of its own: WithDialer lets the caller wrap
// the socket) with the certificate ZKGW_TLS_DIR/<cert>.pem and .key, trusting ca.pem; cert "" dials plaintext.
// Nil when no session comes within waitFor.
func tlsConnect(hosts, cert string, waitFor time.Duration) *zk.Conn {
	logger := zk.WithLogger(log.New(os.Stderr, "zk ", 0))
	var dialer zk.Dialer = net.DialTimeout
	if cert != "" {
		dir := os.Getenv("ZKGW_TLS_DIR")
		pair, err := tls.LoadX509KeyPair(dir+"/"+cert+".pem", dir+"/"+cert+".key")
		if err != nil {
			log.Fatal(err)
		}
		caPem, err := os.ReadFile(dir + "/ca.pem")
		if err != nil {
			log.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caPem)
		config := &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: roots, ServerName: "localhost"}
		dialer = func(network, address string, timeout time.Duration) (net.Conn, error) {
			return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, network, address, config)
		}
	}
	c, ev, err := zk.Connect([]string{hosts}, 10*time.Second, logger, zk.WithDialer(dialer))
	if err != nil {
		log.Fatal(err)
	}
	deadline := time.After(waitFor)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c
			}
		case <-deadline:
			c.Close()
			return nil
		}
	}
}

// TLS against a secure client port: <hosts> is 127.0.0.1:<secureClientPort> (TlsScenarios). An x509 ACL lets the
// same certificate in and not another; an untrusted certificate and a plaintext client do not connect.
func tlsScenario(hosts string) {
	me := "CN=client,OU=test,O=zkgw"
	c := tlsConnect(hosts, "client", wait)
	if c == nil {
		log.Fatal("no session over TLS")
	}
	out("connect over TLS -> CONNECTED")
	out("create %s -> %s", P, res(c.Create(P, nil, 0, acl)))
	out("create %s/data -> %s", P, res(c.Create(P+"/data", []byte("v1"), 0, acl)))
	out("get %s/data -> %s", P, getData(c, P+"/data"))
	mine := []zk.ACL{{Perms: zk.PermAll, Scheme: "x509", ID: me}}
	out("create %s/mine x509 acl -> %s", P, res(c.Create(P+"/mine", []byte("secret"), 0, mine)))
	out("getACL %s/mine -> %s", P, getACL(c, P+"/mine"))
	out("get %s/mine -> %s", P, getData(c, P+"/mine"))
	out("create %s/bad x509 acl -> %s", P, res(c.Create(P+"/bad", nil, 0, []zk.ACL{{Perms: zk.PermAll, Scheme: "x509", ID: "CN=x,=broken"}})))

	if other := tlsConnect(hosts, "other", wait); other == nil {
		out("other connect -> not connected")
	} else {
		out("other connect -> CONNECTED")
		out("other get %s/mine -> %s", P, getData(other, P+"/mine"))
		_, err := other.Set(P+"/mine", []byte("x"), -1)
		out("other set %s/mine -> %s", P, res("ok", err))
		out("other get %s/data -> %s", P, getData(other, P+"/data"))
		other.Close()
	}
	if admin := tlsConnect(hosts, "admin", wait); admin == nil {
		out("admin connect -> not connected")
	} else {
		out("admin connect -> CONNECTED")
		out("admin get %s/mine -> %s", P, getData(admin, P+"/mine"))
		admin.Close()
	}
	if rogue := tlsConnect(hosts, "rogue", 5*time.Second); rogue == nil {
		out("untrusted certificate (same subject) connect -> not connected")
	} else {
		out("untrusted certificate (same subject) connect -> connected")
		rogue.Close()
	}
	if plain := tlsConnect(hosts, "", 5*time.Second); plain == nil {
		out("plaintext client on the secure port connect -> not connected")
	} else {
		out("plaintext client on the secure port connect -> connected")
		plain.Close()
	}
	for _, p := range []string{P + "/mine", P + "/data", P} {
		out("delete %s -> %s", p, res("ok", c.Delete(p, -1)))
	}
	c.Close()
	out("close -> ok")
}
