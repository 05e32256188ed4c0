package ui

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"stasisq/queue"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type route struct {
	method, path string
	body         any
}

// Every route group with the least role it needs.
var routesByRole = []struct {
	name  string
	min   queue.Role
	route route
}{
	{"session", queue.RoleAgent, route{"GET", "/api/session", nil}},
	{"snapshot", queue.RoleAgent, route{"GET", "/api/snapshot", nil}},
	{"lookup", queue.RoleAgent, route{"GET", "/api/lookup?number=5551001", nil}},
	{"me ready", queue.RoleAgent, route{"POST", "/api/me/ready", nil}},
	{"me stats", queue.RoleAgent, route{"GET", "/api/me/stats", nil}},
	{"queues", queue.RoleSupervisor, route{"GET", "/api/queues", nil}},
	{"agents", queue.RoleSupervisor, route{"GET", "/api/agents", nil}},
	{"calls", queue.RoleSupervisor, route{"GET", "/api/calls", nil}},
	{"queue stats", queue.RoleSupervisor, route{"GET", "/api/stats/queues/sales", nil}},
	{"agent stats", queue.RoleSupervisor, route{"GET", "/api/stats/agents/bob", nil}},
	{"reorder", queue.RoleSupervisor, route{"POST", "/api/callers/c2/reorder", map[string]any{"position": 1}}},
	{"hangup", queue.RoleSupervisor, route{"POST", "/api/callers/c2/hangup", nil}},
	{"pause other agent", queue.RoleSupervisor, route{"POST", "/api/agents/bob/pause", map[string]any{"reason": "Break"}}},
	{"agent queues", queue.RoleSupervisor, route{"PUT", "/api/agents/bob/queues", map[string]any{"queues": []any{}}}},
	{"admin meta", queue.RoleAdmin, route{"GET", "/api/admin/meta", nil}},
	{"admin queues", queue.RoleAdmin, route{"GET", "/api/admin/queues", nil}},
	{"admin put queue", queue.RoleAdmin, route{"PUT", "/api/admin/queues/billing", map[string]any{"strategy": "rrmemory"}}},
	{"admin delete queue", queue.RoleAdmin, route{"DELETE", "/api/admin/queues/support", nil}},
	{"admin users", queue.RoleAdmin, route{"GET", "/api/admin/users", nil}},
	{"admin delete user", queue.RoleAdmin, route{"DELETE", "/api/admin/users/bob", nil}},
}

func TestAuthorizationByRole(t *testing.T) {
	roles := []struct {
		login string
		role  queue.Role
	}{{"", ""}, {"alice", queue.RoleAgent}, {"sue", queue.RoleSupervisor}, {"ada", queue.RoleAdmin}}
	for _, r := range routesByRole {
		for _, who := range roles {
			name := r.name + "/" + string(who.role)
			if who.login == "" {
				name = r.name + "/anonymous"
			}
			t.Run(name, func(t *testing.T) {
				env := MustTestEnv(t)
				var c *apiClient
				if who.login == "" {
					c = env.anonymous(t)
				} else {
					c = env.MustLogin(t, who.login)
				}
				status, body := c.do(r.route.method, r.route.path, r.route.body)
				var want int
				switch {
				case who.login == "":
					want = http.StatusUnauthorized
				case who.role.Rank() < r.min.Rank():
					want = http.StatusForbidden
				}
				if want != 0 && status != want {
					t.Fatalf("status got=%d, want %d (%s)", status, want, body)
				}
				if want == 0 && (status == http.StatusUnauthorized || status == http.StatusForbidden || status >= 500) {
					t.Fatalf("status got=%d, want success (%s)", status, body)
				}
				if want != 0 {
					var e Error
					if err := UnmarshalAPI(body, &e); err != nil || e.Message == "" {
						t.Fatalf("error body got=%s, want JSON with a message", body)
					}
				}
			})
		}
	}
}

// The throttle as a script of attempts at given times: who may try when.
func TestLoginThrottle(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	type step struct {
		at       time.Duration
		addr     string
		login    string
		right    bool          // the password was right: the charge is given back
		wantWait time.Duration // 0: allowed
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"free_attempts_then_doubling_delays", []step{
			{0, "a", "ada", false, 0}, {0, "a", "ada", false, 0}, {0, "a", "ada", false, 0},
			{0, "a", "ada", false, 0},           // 4th: allowed, the next waits 1 s
			{0, "a", "ada", false, time.Second}, // refused, nothing charged
			{time.Second, "a", "ada", false, 0}, // 5th: next waits 2 s
			{2 * time.Second, "a", "ada", false, time.Second},
			{3 * time.Second, "a", "ada", false, 0}, // 6th: next waits 4 s
			{6 * time.Second, "a", "ada", false, time.Second},
		}},
		{"a_guesser_elsewhere_never_delays_the_user", []step{
			{0, "evil", "ada", false, 0}, {0, "evil", "ada", false, 0}, {0, "evil", "ada", false, 0},
			{0, "evil", "ada", false, 0}, {0, "evil", "ada", false, time.Second},
			{0, "office", "ada", true, 0},
			{0, "office", "ada", true, 0},
		}},
		{"success_gives_the_charge_back", []step{
			{0, "a", "bob", false, 0}, {0, "a", "bob", false, 0}, {0, "a", "bob", false, 0},
			{0, "a", "bob", true, 0}, // right at last: forgiven
			{0, "a", "bob", false, 0}, {0, "a", "bob", false, 0}, {0, "a", "bob", false, 0},
			{0, "a", "bob", false, 0}, {0, "a", "bob", false, time.Second},
		}},
		{"one_address_many_logins_spends_its_bucket", append(func() []step {
			var s []step
			for i := range 30 {
				s = append(s, step{0, "a", fmt.Sprint("u", i), false, 0})
			}
			return s
		}(),
			step{0, "a", "sue", true, 2 * time.Second}, // the address failed: refused, as throttled
			step{2 * time.Second, "a", "sue", true, 0}, // a token back after 2 s
			step{2 * time.Second, "b", "sue", true, 0}, // another address is untouched
		)},
		{"letters_case_is_one_login", []step{
			{0, "a", "Ada", false, 0}, {0, "a", "ADA", false, 0}, {0, "a", "ada", false, 0},
			{0, "a", "aDa", false, 0}, {0, "a", "ada", false, time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLoginThrottle()
			for i, st := range tt.steps {
				at, wait := l.begin(t0.Add(st.at), st.addr, st.login)
				if wait != st.wantWait {
					t.Fatalf("step %d (%+v): wait got=%v, want %v", i, st, wait, st.wantWait)
				}
				if wait == 0 && st.right {
					l.succeeded(at)
				}
			}
		})
	}
}

// loginFrom posts a login from a given loopback source address.
func loginFrom(tb testing.TB, base, source, login, password string, header http.Header) int {
	tb.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 10 * time.Second}
	req, err := http.NewRequest("POST", base+"/api/login", strings.NewReader(`{"login":"`+login+`","password":"`+password+`"}`))
	if err != nil {
		tb.Fatal(err)
	}
	maps.Copy(req.Header, header)
	resp, err := hc.Do(req)
	if err != nil {
		tb.Fatalf("login from %s: %v", source, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Issue 14's measure: 12 wrong passwords for the admin from 127.0.0.2 do
// not keep the admin out on 127.0.0.1.
func TestWrongPasswordsElsewhereDoNotLockTheAdminOut(t *testing.T) {
	env := MustTestEnv(t)
	refused := 0
	for range 12 {
		switch status := loginFrom(t, env.ts.URL, "127.0.0.2", "ada", "guess", nil); status {
		case http.StatusTooManyRequests:
			refused++
		case http.StatusUnauthorized:
		default:
			t.Fatalf("wrong password: got=%d, want 401 or 429", status)
		}
	}
	if refused == 0 {
		t.Fatalf("12 quick wrong passwords from one address: none throttled")
	}
	if status := loginFrom(t, env.ts.URL, "127.0.0.2", "ada", testPassword, nil); status != http.StatusTooManyRequests {
		t.Fatalf("right password from the guessing address: got=%d, want 429", status)
	}
	if status := loginFrom(t, env.ts.URL, "127.0.0.1", "ada", testPassword, nil); status != http.StatusOK {
		t.Fatalf("right password from another address: got=%d, want 200", status)
	}
}

// A hundred parallel guesses: the charge comes before the check, so only
// the free attempts reach the password check.
func TestParallelGuessesChargedBeforeTheCheck(t *testing.T) {
	env := MustTestEnv(t)
	before := env.dir.authCalls.Load()
	var wg sync.WaitGroup
	var ok, throttled atomic.Int32
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch loginFrom(t, env.ts.URL, "127.0.0.3", "ada", fmt.Sprint("guess", i), nil) {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusTooManyRequests:
				throttled.Add(1)
			}
		}()
	}
	wg.Wait()
	checked := env.dir.authCalls.Load() - before
	if checked > freeAttempts+1 {
		t.Fatalf("passwords checked got=%d of 100 parallel guesses, want at most %d", checked, freeAttempts+1)
	}
	if int(throttled.Load()) != 100-int(checked) {
		t.Fatalf("throttled got=%d, want the %d not checked", throttled.Load(), 100-checked)
	}
	if ok.Load() != 0 {
		t.Fatalf("a wrong guess logged in")
	}
	// The right password among the next guesses is refused too: the
	// guessing address waits, whatever it sends.
	if status := loginFrom(t, env.ts.URL, "127.0.0.3", "ada", testPassword, nil); status != http.StatusTooManyRequests {
		t.Fatalf("right password straight after the burst: got=%d, want 429", status)
	}
	t.Logf("100 parallel guesses: %d checked, %d throttled", checked, throttled.Load())
}

// X-Forwarded-For names the client only when the peer is a trusted proxy.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	xff := func(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }
	t.Run("untrusted_peer_header_ignored", func(t *testing.T) {
		env := MustTestEnv(t)
		// Each guess claims another address; all are charged to the peer.
		for i := range 6 {
			loginFrom(t, env.ts.URL, "127.0.0.4", "ada", "guess", xff(fmt.Sprintf("203.0.113.%d", i)))
		}
		if status := loginFrom(t, env.ts.URL, "127.0.0.4", "ada", testPassword, xff("203.0.113.99")); status != http.StatusTooManyRequests {
			t.Fatalf("a forged X-Forwarded-For dodged the throttle: got=%d, want 429", status)
		}
	})
	t.Run("trusted_proxy_header_names_the_client", func(t *testing.T) {
		env := MustTestEnv(t, func(o *Options) { o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.5/32")} })
		for range 6 {
			loginFrom(t, env.ts.URL, "127.0.0.5", "ada", "guess", xff("203.0.113.1"))
		}
		if status := loginFrom(t, env.ts.URL, "127.0.0.5", "ada", testPassword, xff("203.0.113.1")); status != http.StatusTooManyRequests {
			t.Fatalf("the guessing client behind the proxy: got=%d, want 429", status)
		}
		if status := loginFrom(t, env.ts.URL, "127.0.0.5", "ada", testPassword, xff("203.0.113.2")); status != http.StatusOK {
			t.Fatalf("another client behind the same proxy: got=%d, want 200", status)
		}
	})
}

func TestLoginCookie(t *testing.T) {
	tests := []struct {
		name       string
		secure     bool
		wantSecure bool
	}{{"plain http", false, false}, {"behind TLS proxy", true, true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := MustTestEnv(t, func(o *Options) { o.SecureCookies = tt.secure })
			resp, err := http.Post(env.ts.URL+"/api/login", "application/json", strings.NewReader(`{"login":"sue","password":"`+testPassword+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var ck *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == sessionCookie {
					ck = c
				}
			}
			if ck == nil {
				t.Fatalf("no session cookie")
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure != tt.wantSecure {
				t.Fatalf("cookie got HttpOnly=%v SameSite=%v Secure=%v, want true Strict %v", ck.HttpOnly, ck.SameSite, ck.Secure, tt.wantSecure)
			}
		})
	}
}

func TestWrongPasswordAndLogout(t *testing.T) {
	env := MustTestEnv(t)
	c := env.anonymous(t)
	status, body := c.do("POST", "/api/login", map[string]string{"login": "nobody", "password": "x"})
	if status != http.StatusUnauthorized || !strings.Contains(string(body), "wrong login or password") {
		t.Fatalf("unknown user: got=%d %s, want 401 wrong login or password", status, body)
	}
	sue := env.MustLogin(t, "sue")
	if status, _ := sue.do("GET", "/api/queues", nil); status != http.StatusOK {
		t.Fatalf("before logout: got=%d, want 200", status)
	}
	if status, body := sue.do("POST", "/api/logout", nil); status != http.StatusNoContent {
		t.Fatalf("logout: got=%d, want 204 (%s)", status, body)
	}
	if status, _ := sue.do("GET", "/api/queues", nil); status != http.StatusUnauthorized {
		t.Fatalf("after logout: got=%d, want 401", status)
	}
}

func TestCSRF(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		noToken bool
		want    int
	}{
		{"no token", nil, true, http.StatusForbidden},
		{"wrong token", map[string]string{csrfHeader: "forged"}, false, http.StatusForbidden},
		{"right token", nil, false, http.StatusNoContent},
		{"right token, foreign origin", map[string]string{"Origin": "http://evil.example"}, false, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := MustTestEnv(t)
			c := env.MustLogin(t, "sue")
			if tt.noToken {
				c.csrf = ""
			}
			status, body := c.doHeaders("POST", "/api/agents/bob/unpause", nil, tt.headers)
			if status != tt.want {
				t.Fatalf("status got=%d, want %d (%s)", status, tt.want, body)
			}
			got := len(env.floor.takeInputs())
			if wantInputs := map[bool]int{true: 1, false: 0}[tt.want == http.StatusNoContent]; got != wantInputs {
				t.Fatalf("inputs reaching the floor got=%d, want %d", got, wantInputs)
			}
		})
	}
}

func TestLoginFromForeignOriginRefused(t *testing.T) {
	env := MustTestEnv(t, func(o *Options) { o.AllowedOrigins = []string{"https://wall.example.com"} })
	c := env.anonymous(t)
	status, _ := c.doHeaders("POST", "/api/login", map[string]string{"login": "sue", "password": testPassword}, map[string]string{"Origin": "http://evil.example"})
	if status != http.StatusForbidden {
		t.Fatalf("foreign origin: got=%d, want 403", status)
	}
	status, _ = c.doHeaders("POST", "/api/login", map[string]string{"login": "sue", "password": testPassword}, map[string]string{"Origin": "https://wall.example.com"})
	if status != http.StatusOK {
		t.Fatalf("allowed origin: got=%d, want 200", status)
	}
}

func TestDeletedUserLosesSession(t *testing.T) {
	env := MustTestEnv(t)
	bob := env.MustLogin(t, "bob")
	ada := env.MustLogin(t, "ada")
	if status, body := ada.do("DELETE", "/api/admin/users/bob", nil); status != http.StatusNoContent {
		t.Fatalf("delete: got=%d, want 204 (%s)", status, body)
	}
	if status, _ := bob.do("GET", "/api/snapshot", nil); status != http.StatusUnauthorized {
		t.Fatalf("deleted user's session: got=%d, want 401", status)
	}
}
