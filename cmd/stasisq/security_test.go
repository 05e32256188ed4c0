package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"stasisq/internal/httpserver/tlstest"
)

// MustStartEnvWithUsers is MustStartEnv whose serve is stopped so that
// "stasisq user add" can add each login:role (password login-password), as
// an operator would; the test starts serve again with MustRunMain.
func MustStartEnvWithUsers(t *testing.T, users ...string) *testEnv {
	t.Helper()
	e := MustStartEnv(t)
	if err := e.main.Close(); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		login, role, _ := strings.Cut(u, ":")
		if out, err := userCmd(t, login+"-password\n", "add", login, "--role", role, "--password-stdin", "--db", e.main.Config.DB); err != nil {
			t.Fatalf("user add %s: %v (%s)", login, err, out)
		}
	}
	return e
}

// sessionStatus is what base answers GET /api/session with for exactly
// this Cookie header (a browser that kept its cookie across a restart).
func sessionStatus(tb testing.TB, base, cookie string) int {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/session", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Cookie", cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s/api/session: %v", base, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Sessions live in the database: a restart keeps a live one and does not
// bring back a logged-out one; a password changed from the command line
// while serve is stopped ends the user's sessions.
func TestSessionsAcrossRestarts(t *testing.T) {
	e := MustStartEnvWithUsers(t, "root:admin", "sue:supervisor")
	m := e.MustRunMain()
	root := MustConsoleLogin(t, m.URL(), "root", "root-password")
	sue := MustConsoleLogin(t, m.URL(), "sue", "sue-password")
	gone := MustConsoleLogin(t, m.URL(), "sue", "sue-password")
	rootCookie, sueCookie, goneCookie := root.cookieHeader(), sue.cookieHeader(), gone.cookieHeader()
	gone.mustDo(http.MethodPost, "/api/logout", nil, http.StatusNoContent, nil)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = e.MustRunMain()
	for _, tt := range []struct {
		who, cookie string
		want        int
	}{{"root", rootCookie, 200}, {"sue", sueCookie, 200}, {"sue logged out", goneCookie, 401}} {
		if got := sessionStatus(t, m.URL(), tt.cookie); got != tt.want {
			t.Errorf("after a restart, %s's cookie: got=%d, want %d", tt.who, got, tt.want)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	if out, err := userCmd(t, "sue-new-password\n", "passwd", "sue", "--password-stdin", "--db", e.main.Config.DB); err != nil {
		t.Fatalf("user passwd: %v (%s)", err, out)
	}
	m = e.MustRunMain()
	if got := sessionStatus(t, m.URL(), sueCookie); got != http.StatusUnauthorized {
		t.Errorf("sue's cookie after her password changed: got=%d, want 401", got)
	}
	if got := sessionStatus(t, m.URL(), rootCookie); got != http.StatusOK {
		t.Errorf("root's cookie after sue's password changed: got=%d, want 200", got)
	}
	MustConsoleLogin(t, m.URL(), "sue", "sue-new-password")
}

// postLoginFrom posts a login from a loopback source address and returns
// the status and how long the answer took.
func postLoginFrom(tb testing.TB, base, source, login, password string) (int, time.Duration) {
	tb.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	tr := &http.Transport{DialContext: d.DialContext}
	defer tr.CloseIdleConnections()
	body := strings.NewReader(`{"login":"` + login + `","password":"` + password + `"}`)
	start := time.Now()
	resp, err := (&http.Client{Transport: tr, Timeout: waitFor}).Post(base+"/api/login", "application/json", body)
	if err != nil {
		tb.Fatalf("login from %s: %v", source, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// No login oracle by timing (issue 14): with the store's real bcrypt cost,
// refusing a login that does not exist takes about as long as refusing a
// wrong password for one that does.
func TestUnknownLoginCostsAsMuchAsAKnownOne(t *testing.T) {
	e := MustStartEnvWithUsers(t, "root:admin")
	m := e.MustRunMain()
	postLoginFrom(t, m.URL(), "127.0.3.1", "warm", "up-the-dummy-hash") // the dummy hash is made once
	const n = 6
	var known, unknown time.Duration
	for i := range n {
		// Each from its own address: the throttle is not what is measured.
		s1, d1 := postLoginFrom(t, m.URL(), fmt.Sprintf("127.0.1.%d", i+1), "root", "wrong-password")
		s2, d2 := postLoginFrom(t, m.URL(), fmt.Sprintf("127.0.2.%d", i+1), "nobody", "wrong-password")
		if s1 != http.StatusUnauthorized || s2 != http.StatusUnauthorized {
			t.Fatalf("wrong logins answered %d and %d, want 401 both", s1, s2)
		}
		known, unknown = known+d1, unknown+d2
	}
	known, unknown = known/n, unknown/n
	ratio := float64(max(known, unknown)) / float64(min(known, unknown))
	t.Logf("mean time to refuse: known login %v, unknown %v (ratio %.2f)", known.Round(time.Millisecond), unknown.Round(time.Millisecond), ratio)
	if ratio > 2 {
		t.Fatalf("known %v vs unknown %v: ratio %.2f, want within 2x", known, unknown, ratio)
	}
}

// syncBuffer is stderr shared between serve's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// "stasisq serve" exposed, as its flags set it up: HTTPS from certificate
// files with Secure cookies, /metrics only on its own address, the ARI
// password from a file (not argv), queue_log created 0640, and the
// password nowhere in what it prints.
func TestServeExposed(t *testing.T) {
	e := MustStartEnvWithUsers(t, "root:admin")
	dir := t.TempDir()
	certPath, keyPath, pool := tlstest.WriteSelfSigned(t, dir, "stasisq-test")
	pwFile := filepath.Join(dir, "ari-password")
	if err := os.WriteFile(pwFile, []byte(testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	queueLog := filepath.Join(dir, "queue_log")
	metricsAddr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve",
			"--ari-url", e.fake.URL(), "--ari-user", testUser, "--ari-password-file", pwFile, "--app", testApp,
			"--db", e.main.Config.DB, "--listen", "127.0.0.1:0", "--tls-cert", certPath, "--tls-key", keyPath,
			"--metrics-listen", metricsAddr, "--queue-log", queueLog, "--log-level", "debug",
		}, strings.NewReader(""), io.Discard, stderr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if strings.Contains(stderr.String(), testPassword) {
			t.Errorf("the ARI password is in serve's output:\n%s", stderr.String())
		}
	}()
	var base string
	deadline := time.Now().Add(waitFor)
	for base == "" && time.Now().Before(deadline) {
		if _, rest, ok := strings.Cut(stderr.String(), "stasisq listening on "); ok {
			base, _, _ = strings.Cut(rest, " ")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("serve's address %q, want https (stderr: %s)", base, stderr.String())
	}
	hc := &http.Client{Timeout: waitFor, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(u string) int {
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	// Ready means connected to ARI: with the password from the file.
	for get(base+"/readyz") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("never ready: the ARI password from the file did not work? (stderr: %s)", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := hc.Post(base+"/api/login", "application/json", strings.NewReader(`{"login":"root","password":"root-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "stasisq_session" {
			cookie = c
		}
	}
	if resp.StatusCode != http.StatusOK || cookie == nil || !cookie.Secure || !cookie.HttpOnly {
		t.Fatalf("login over HTTPS: status %d cookie %+v, want 200 and a Secure, HttpOnly session cookie", resp.StatusCode, cookie)
	}
	if got := get(base + "/metrics"); got == http.StatusOK {
		t.Errorf("/metrics on the console's address with --metrics-listen: got=%d, want it absent", got)
	}
	if got := httpStatus(t, "http://"+metricsAddr+"/metrics"); got != http.StatusOK {
		t.Errorf("/metrics on --metrics-listen: got=%d, want 200", got)
	}
	fi, err := os.Stat(queueLog)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode&0o007 != 0 || mode&0o600 != 0o600 {
		t.Errorf("queue_log mode %v, want 0640 (umask permitting): others must not read callers' numbers", mode)
	}
}

// freeAddr is a loopback address with a port nobody listens on.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
