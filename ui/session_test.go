package ui

import (
	"context"
	"net/http"
	"net/url"
	"stasisq/queue"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// MustSessionCookie returns the session cookie value a logged-in client holds.
func MustSessionCookie(tb testing.TB, c *apiClient) string {
	tb.Helper()
	u, err := url.Parse(c.base)
	if err != nil {
		tb.Fatal(err)
	}
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	tb.Fatalf("no %s cookie in the jar", sessionCookie)
	return ""
}

// withCookie is a browser holding exactly this session cookie and token.
func withCookie(tb testing.TB, env *testEnv, value, csrf string) *apiClient {
	tb.Helper()
	c := env.anonymous(tb)
	u, _ := url.Parse(env.ts.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: value, Path: "/"}})
	c.csrf = csrf
	return c
}

// onDirectory "restarts" the server: a new one on the same Directory.
func onDirectory(d *fakeDirectory) func(*Options) { return func(o *Options) { o.Directory = d } }

func TestSessionSurvivesRestart(t *testing.T) {
	first := MustTestEnv(t)
	sue := first.MustLogin(t, "sue")
	cookie := MustSessionCookie(t, sue)
	loggedOut := first.MustLogin(t, "sue")
	loggedOutCookie := MustSessionCookie(t, loggedOut)
	if status, body := loggedOut.do("POST", "/api/logout", nil); status != http.StatusNoContent {
		t.Fatalf("logout: got=%d, want 204 (%s)", status, body)
	}

	second := MustTestEnv(t, onDirectory(first.dir))
	c := withCookie(t, second, cookie, sue.csrf)
	if status, body := c.do("GET", "/api/queues", nil); status != http.StatusOK {
		t.Fatalf("GET with the old cookie: got=%d, want 200 (%s)", status, body)
	}
	if status, body := c.do("POST", "/api/agents/bob/unpause", nil); status != http.StatusNoContent {
		t.Fatalf("POST with the old CSRF token: got=%d, want 204 (%s)", status, body)
	}
	if got := len(second.floor.takeInputs()); got != 1 {
		t.Fatalf("inputs reaching the new server's floor got=%d, want 1", got)
	}
	replay := withCookie(t, second, loggedOutCookie, loggedOut.csrf)
	if status, _ := replay.do("GET", "/api/queues", nil); status != http.StatusUnauthorized {
		t.Fatalf("logged-out cookie after a restart: got=%d, want 401", status)
	}
	other := MustTestEnv(t) // another database knows no such session
	if status, _ := withCookie(t, other, cookie, sue.csrf).do("GET", "/api/queues", nil); status != http.StatusUnauthorized {
		t.Fatalf("cookie on a server with another directory: got=%d, want 401", status)
	}
}

func TestForgedSessionCookieRefused(t *testing.T) {
	env := MustTestEnv(t)
	bob := env.MustLogin(t, "bob")
	cookie := MustSessionCookie(t, bob)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name  string
		value string
	}{
		{"first_character_changed", flip(cookie, 0)},
		{"last_character_changed", flip(cookie, len(cookie)-1)},
		{"truncated", cookie[:len(cookie)-1]},
		{"extended", cookie + "A"},
		{"the_session_id_itself", sessionID(cookie)}, // what the database holds is no cookie
		{"garbage", "not-a-session"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := withCookie(t, env, tt.value, bob.csrf)
			if status, _ := c.do("GET", "/api/session", nil); status != http.StatusUnauthorized {
				t.Fatalf("GET /api/session: got=%d, want 401", status)
			}
		})
	}
	t.Run("untouched_cookie_still_works", func(t *testing.T) {
		c := withCookie(t, env, cookie, bob.csrf)
		if status, body := c.do("GET", "/api/session", nil); status != http.StatusOK {
			t.Fatalf("GET /api/session: got=%d, want 200 (%s)", status, body)
		}
	})
}

func TestExpiredSessionRefused(t *testing.T) {
	env := MustTestEnv(t)
	ctx := context.Background()
	sue := User{ID: "sue", Role: queue.RoleSupervisor}
	// A login a whole session lifetime ago.
	ss, value, err := env.srv.auth.create(ctx, sue, "127.0.0.1", time.Now().Add(-sessionTTL-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := withCookie(t, env, value, ss.csrf).do("GET", "/api/queues", nil); status != http.StatusUnauthorized {
		t.Fatalf("expired session: got=%d, want 401", status)
	}
	// The same login a minute ago is still good: only the expiry refused it.
	ss, value, err = env.srv.auth.create(ctx, sue, "127.0.0.1", time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if status, body := withCookie(t, env, value, ss.csrf).do("GET", "/api/queues", nil); status != http.StatusOK {
		t.Fatalf("fresh session: got=%d, want 200 (%s)", status, body)
	}
}

func TestLoggedOutCookieReplayRefused(t *testing.T) {
	env := MustTestEnv(t)
	sue := env.MustLogin(t, "sue")
	cookie := MustSessionCookie(t, sue)
	other := env.MustLogin(t, "sue") // a second tab or machine, its own session
	if status, body := sue.do("POST", "/api/logout", nil); status != http.StatusNoContent {
		t.Fatalf("logout: got=%d, want 204 (%s)", status, body)
	}
	replay := withCookie(t, env, cookie, sue.csrf)
	if status, _ := replay.do("GET", "/api/queues", nil); status != http.StatusUnauthorized {
		t.Fatalf("cookie replayed after logout: got=%d, want 401", status)
	}
	if status, body := other.do("GET", "/api/queues", nil); status != http.StatusOK {
		t.Fatalf("the user's other session: got=%d, want 200 (%s)", status, body)
	}
}

// Each way a session ends, through the admin API: the cookie is refused at
// once, the user's open websocket is closed with statusSessionEnded, and a
// login re-created under the same name does not inherit the old cookie.
func TestSessionsEnd(t *testing.T) {
	type change struct {
		method, path string
		body         any
	}
	agentBody := func(role queue.Role, password string) map[string]any {
		b := map[string]any{"name": "Sue", "role": role, "password": password}
		if role == queue.RoleAgent {
			b["agent"] = map[string]any{"device": "PJSIP/1009", "queues": []map[string]any{{"queue": "sales"}}}
		}
		return b
	}
	tests := []struct {
		name   string
		change change
		// recreate the user afterwards (as admin): the old cookie must stay dead
		recreate bool
		// the user's other session survives (only logout ends one session)
		otherSurvives bool
	}{
		{name: "logout", change: change{"POST", "/api/logout", nil}, otherSurvives: true},
		{name: "password_changed", change: change{"PUT", "/api/admin/users/sue", agentBody(queue.RoleSupervisor, "another good one")}},
		{name: "role_changed", change: change{"PUT", "/api/admin/users/sue", agentBody(queue.RoleAgent, "")}},
		{name: "deleted_and_recreated_as_admin", change: change{"DELETE", "/api/admin/users/sue", nil}, recreate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := MustTestEnv(t)
			ada := env.MustLogin(t, "ada")
			sue := env.MustLogin(t, "sue")
			other := env.MustLogin(t, "sue")
			cookie := MustSessionCookie(t, sue)
			ws := env.MustDial(t, sue, dialOptions{})
			ws.next()

			actor := ada
			if tt.change.path == "/api/logout" {
				actor = sue
			}
			if status, body := actor.do(tt.change.method, tt.change.path, tt.change.body); status >= 300 {
				t.Fatalf("%s %s: got=%d (%s)", tt.change.method, tt.change.path, status, body)
			}
			if tt.recreate {
				if status, body := ada.do("PUT", "/api/admin/users/sue", agentBody(queue.RoleAdmin, testPassword)); status != http.StatusOK {
					t.Fatalf("re-create sue: got=%d (%s)", status, body)
				}
			}
			if status, _ := withCookie(t, env, cookie, sue.csrf).do("GET", "/api/session", nil); status != http.StatusUnauthorized {
				t.Fatalf("the ended session's cookie: got=%d, want 401", status)
			}
			wantOther := http.StatusUnauthorized
			if tt.otherSurvives {
				wantOther = http.StatusOK
			}
			if status, _ := other.do("GET", "/api/session", nil); status != wantOther {
				t.Fatalf("the user's other session: got=%d, want %d", status, wantOther)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for {
				_, _, err := ws.conn.Read(ctx)
				if err == nil {
					continue // events queued before the close
				}
				if got := websocket.CloseStatus(err); got != statusSessionEnded {
					t.Fatalf("open websocket: got=%v (status %d), want closed with %d", err, got, statusSessionEnded)
				}
				break
			}
		})
	}
}

// A browser logged in as one user logs in as another: no CSRF refusal, the
// first session ends, the new one works.
func TestLoginAsSomeoneElse(t *testing.T) {
	env := MustTestEnv(t)
	c := env.MustLogin(t, "bob")
	first := MustSessionCookie(t, c)
	c.csrf = "" // the login page has no token to send
	status, body := c.do("POST", "/api/login", loginRequest{Login: "sue", Password: testPassword})
	if status != http.StatusOK {
		t.Fatalf("second login in the same browser: got=%d, want 200 (%s)", status, body)
	}
	if !strings.Contains(string(body), `"id":"sue"`) {
		t.Fatalf("second login answered %s, want sue's session", body)
	}
	if status, _ := withCookie(t, env, first, "").do("GET", "/api/session", nil); status != http.StatusUnauthorized {
		t.Fatalf("the first session after logging in as someone else: got=%d, want 401", status)
	}
}
