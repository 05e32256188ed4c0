package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"stasisq/queue"
	"strings"
	"testing"
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
					if err := json.Unmarshal(body, &e); err != nil || e.Message == "" {
						t.Fatalf("error body got=%s, want JSON with a message", body)
					}
				}
			})
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	env := MustTestEnv(t)
	c := env.anonymous(t)
	login := func(name, password string) (int, http.Header) {
		req, _ := http.NewRequest("POST", env.ts.URL+"/api/login", strings.NewReader(`{"login":"`+name+`","password":"`+password+`"}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	for i := range 5 {
		if status, _ := login("alice", "guess"); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status got=%d, want 401", i+1, status)
		}
	}
	status, h := login("alice", testPassword)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("6th attempt for alice, right password: got=%d Retry-After=%q, want 429 with Retry-After", status, h.Get("Retry-After"))
	}
	// Others at the same address (one office behind NAT) still log in.
	env.MustLogin(t, "sue")
	// Guessing across many names exhausts the address's budget.
	for i := range 15 {
		if status, _ := login(fmt.Sprintf("user%d", i), "guess"); status != http.StatusUnauthorized {
			t.Fatalf("guess %d: status got=%d, want 401", i, status)
		}
	}
	if status, _ := c.do("POST", "/api/login", map[string]string{"login": "bob", "password": testPassword}); status != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures from the address: got=%d, want 429", status)
	}
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
