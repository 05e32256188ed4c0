package ui

import (
	"context"
	"net/http"
	"net/url"
	"stasisq/queue"
	"strings"
	"testing"
	"time"
)

func testKey(b byte) []byte { return []byte(strings.Repeat(string([]byte{b}), minSessionKey)) }

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

func TestSessionSurvivesRestartWithSameKey(t *testing.T) {
	first := MustTestEnv(t, func(o *Options) { o.SessionKey = testKey(1) })
	sue := first.MustLogin(t, "sue")
	cookie := MustSessionCookie(t, sue)

	t.Run("new_server_same_key_accepts_cookie_and_token", func(t *testing.T) {
		second := MustTestEnv(t, func(o *Options) { o.SessionKey = testKey(1) })
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
	})
	t.Run("new_server_other_key_refuses_cookie", func(t *testing.T) {
		other := MustTestEnv(t, func(o *Options) { o.SessionKey = testKey(2) })
		c := withCookie(t, other, cookie, sue.csrf)
		if status, _ := c.do("GET", "/api/queues", nil); status != http.StatusUnauthorized {
			t.Fatalf("cookie signed with another key: got=%d, want 401", status)
		}
	})
	t.Run("new_server_without_key_refuses_cookie", func(t *testing.T) {
		other := MustTestEnv(t)
		c := withCookie(t, other, cookie, sue.csrf)
		if status, _ := c.do("GET", "/api/queues", nil); status != http.StatusUnauthorized {
			t.Fatalf("cookie from a keyed server on a random-key one: got=%d, want 401", status)
		}
	})
}

func TestTamperedSessionCookieRefused(t *testing.T) {
	env := MustTestEnv(t, func(o *Options) { o.SessionKey = testKey(1) })
	bob := env.MustLogin(t, "bob")
	cookie := MustSessionCookie(t, bob)
	fields := strings.Split(cookie, ".")
	if len(fields) != 6 || fields[3] != string(queue.RoleAgent) {
		t.Fatalf("cookie got=%q, want v1.<id>.<expiry>.agent.<user>.<mac>", cookie)
	}
	with := func(i int, v string) string {
		f := append([]string(nil), fields...)
		f[i] = v
		return strings.Join(f, ".")
	}
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name  string
		value string
	}{
		{"role_raised_to_admin", with(3, string(queue.RoleAdmin))},
		{"user_changed_to_ada", with(4, "YWRh")},
		{"expiry_pushed_out", with(2, "99999999999")},
		{"session_id_changed", with(1, flip(fields[1]))},
		{"signature_changed", with(5, flip(fields[5]))},
		{"signature_missing", strings.Join(fields[:5], ".")},
		{"garbage", "not-a-session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := withCookie(t, env, tt.value, bob.csrf)
			if status, _ := c.do("GET", "/api/session", nil); status != http.StatusUnauthorized {
				t.Fatalf("GET /api/session: got=%d, want 401", status)
			}
			if status, _ := c.do("GET", "/api/admin/users", nil); status != http.StatusUnauthorized {
				t.Fatalf("GET /api/admin/users: got=%d, want 401", status)
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
	env := MustTestEnv(t, func(o *Options) { o.SessionKey = testKey(1) })
	// A cookie issued a whole session lifetime ago, signed with the right key.
	ss, value := env.srv.auth.create(User{ID: "sue", Role: queue.RoleSupervisor}, time.Now().Add(-sessionTTL-time.Second))
	c := withCookie(t, env, value, ss.csrf)
	if status, _ := c.do("GET", "/api/queues", nil); status != http.StatusUnauthorized {
		t.Fatalf("expired cookie: got=%d, want 401", status)
	}
	// The same login a minute ago is still good: only the expiry refused it.
	ss, value = env.srv.auth.create(User{ID: "sue", Role: queue.RoleSupervisor}, time.Now().Add(-time.Minute))
	c = withCookie(t, env, value, ss.csrf)
	if status, body := c.do("GET", "/api/queues", nil); status != http.StatusOK {
		t.Fatalf("fresh cookie: got=%d, want 200 (%s)", status, body)
	}
}

func TestLoggedOutCookieReplayRefused(t *testing.T) {
	env := MustTestEnv(t, func(o *Options) { o.SessionKey = testKey(1) })
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

func TestSessionRecheckedAgainstDirectory(t *testing.T) {
	env := MustTestEnv(t, func(o *Options) { o.SessionKey = testKey(1) })
	env.srv.auth.recheck = 0 // ask the Directory on every request
	bob := env.MustLogin(t, "bob")
	sue := env.MustLogin(t, "sue")
	ctx := context.Background()

	// Deleted behind the server's back (another process, an import).
	if err := env.dir.DeleteUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if status, _ := bob.do("GET", "/api/snapshot", nil); status != http.StatusUnauthorized {
		t.Fatalf("deleted user's session: got=%d, want 401", status)
	}
	// Demoted: the cookie says supervisor, the Directory now says agent.
	if err := env.dir.PutUser(ctx, queue.User{ID: "sue", Name: "Sue", Role: queue.RoleAgent}, ""); err != nil {
		t.Fatal(err)
	}
	if status, _ := sue.do("GET", "/api/queues", nil); status != http.StatusForbidden {
		t.Fatalf("demoted user on a supervisor route: got=%d, want 403", status)
	}
}

func TestSessionKeyTooShortRefused(t *testing.T) {
	_, err := New(Options{Floor: &fakeFloor{}, Directory: newFakeDirectory(), SessionKey: []byte("short")})
	if err == nil || !strings.Contains(err.Error(), "SessionKey") {
		t.Fatalf("got err=%v, want an error naming SessionKey", err)
	}
}
