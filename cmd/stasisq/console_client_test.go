package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"stasisq/ui"
)

// consoleClient is one user logged in to the web console's JSON API, as the
// browser would be: a session cookie, the CSRF token on every request and
// the page's Origin on state-changing ones.
type consoleClient struct {
	tb   testing.TB
	base string // server URL without the trailing slash
	hc   *http.Client
	csrf string
}

// MustConsoleLogin logs in at base and fails tb unless the server answers
// 200 with a CSRF token.
func MustConsoleLogin(tb testing.TB, base, login, password string) *consoleClient {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	// Its own transport, so its keep-alive connections end with the test
	// instead of idling in http.DefaultTransport.
	tr := &http.Transport{}
	tb.Cleanup(tr.CloseIdleConnections)
	c := &consoleClient{tb: tb, base: base, hc: &http.Client{Jar: jar, Transport: tr, Timeout: waitFor}}
	var sess struct {
		CSRF string `json:"csrf"`
	}
	raw := c.mustDo(http.MethodPost, "/api/login", map[string]string{"login": login, "password": password}, http.StatusOK, &sess)
	if sess.CSRF == "" {
		tb.Fatalf("log in as %s: got=%s, want a CSRF token", login, raw)
	}
	c.csrf = sess.CSRF
	return c
}

// do sends body as JSON (none if nil) and returns the status and the raw
// reply; when the status is 2xx and out is not nil the reply is decoded
// into out. err is for what is not an answer (transport, decoding), so a
// polling loop decides what a status means.
func (c *consoleClient) do(method, path string, body, out any) (status int, raw []byte, err error) {
	var rd io.Reader
	if body != nil {
		b, err := ui.MarshalAPI(body)
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// A browser sends Origin on everything but a same-origin GET or HEAD.
	if method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("Origin", c.base)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err = io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, raw, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 && out != nil {
		if err := ui.UnmarshalAPI(raw, out); err != nil {
			return resp.StatusCode, raw, fmt.Errorf("%s %s: decode %s: %w", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw, nil
}

// mustDo is do that fails the test unless the status is wantStatus.
func (c *consoleClient) mustDo(method, path string, body any, wantStatus int, out any) []byte {
	c.tb.Helper()
	status, raw, err := c.do(method, path, body, out)
	if err != nil {
		c.tb.Fatal(err)
	}
	if status != wantStatus {
		c.tb.Fatalf("%s %s: status got=%d, want %d: %s", method, path, status, wantStatus, raw)
	}
	return raw
}

// mustOK is do that fails the test unless the status is 2xx: for the
// agent's own actions, where which success code is not the point.
func (c *consoleClient) mustOK(method, path string, body, out any) {
	c.tb.Helper()
	status, raw, err := c.do(method, path, body, out)
	if err != nil {
		c.tb.Fatal(err)
	}
	if status/100 != 2 {
		c.tb.Fatalf("%s %s: status got=%d, want 2xx: %s", method, path, status, raw)
	}
}

func (c *consoleClient) mustGet(path string, out any) {
	c.tb.Helper()
	c.mustOK(http.MethodGet, path, nil, out)
}

func (c *consoleClient) mustPost(path string, body any) {
	c.tb.Helper()
	c.mustOK(http.MethodPost, path, body, nil)
}

// cookieHeader is the session's Cookie header, for a websocket dial.
func (c *consoleClient) cookieHeader() string {
	u, err := url.Parse(c.base)
	if err != nil {
		c.tb.Fatalf("parse %s: %v", c.base, err)
	}
	var parts []string
	for _, ck := range c.hc.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}
