package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

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
	e := MustStartEnv(t)
	if err := e.main.Close(); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ login, role string }{{"root", "admin"}, {"sue", "supervisor"}} {
		if out, err := userCmd(t, u.login+"-password\n", "add", u.login, "--role", u.role, "--password-stdin", "--db", e.main.Config.DB); err != nil {
			t.Fatalf("user add %s: %v (%s)", u.login, err, out)
		}
	}
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
	e := MustStartEnv(t)
	if err := e.main.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := userCmd(t, "root-password\n", "add", "root", "--role", "admin", "--password-stdin", "--db", e.main.Config.DB); err != nil {
		t.Fatalf("user add: %v (%s)", err, out)
	}
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
