package ui

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestStaticConsole(t *testing.T) {
	env := MustTestEnv(t)
	tests := []struct {
		path, wantType, wantBody string
	}{
		{"/", "text/html", `src="/static/app.js"`},
		{"/wall", "text/html", `id="live-assertive"`},
		{"/static/app.js", "javascript", "import"},
		{"/static/style.css", "text/css", "body.wall"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(env.ts.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), tt.wantType) || !strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("got %d %q (%d bytes), want 200 %s containing %q", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), tt.wantType, tt.wantBody)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Fatalf("CSP got=%q, want default-src 'self'", csp)
			}
		})
	}
	resp, err := http.Get(env.ts.URL + "/static/nope.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("missing file: got=%d, want 404", resp.StatusCode)
	}
}

// The browser tests find elements by these data-testid values; renaming
// one breaks them, so the list is pinned here.
func TestStableTestIDs(t *testing.T) {
	want := []string{
		"login-form", "login-user", "login-password", "login-submit", "login-error", "signout", "disconnected-banner", "live-assertive",
		"state-pill", "ready-button", "pause-button", "pause-reason", "agent-login-button", "agent-logout-button", "queue-toggle",
		"call-card", "caller-number", "caller-name", "customer-panel", "customer-status", "reject-button", "done-button",
		"waiting-caller", "pick-button", "today-calls",
		"queue-tile", "queue-waiting", "queue-longest", "caller-card", "caller-menu", "move-queue", "move-button", "priority-input",
		"priority-button", "redirect-input", "redirect-button", "hangup-button",
		"agent-row", "agent-state", "agent-pause", "agent-pause-reason", "agent-unpause", "agent-logout", "agent-login", "agent-edit-queues",
		"agent-queue-editor", "agent-queues-save", "day-chart", "current-interval",
		"admin-queues", "new-queue", "edit-queue", "delete-queue", "queue-form", "save-queue",
		"admin-users", "new-user", "edit-user", "delete-user", "user-form", "save-user",
	}
	var all strings.Builder
	entries, err := staticFiles.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := staticFiles.ReadFile("static/" + e.Name())
		all.Write(b)
	}
	src := all.String()
	for _, id := range want {
		if !regexp.MustCompile(`(data-testid[=:'"\s]+|dataset\.testid = ')` + regexp.QuoteMeta(id) + `['"]`).MatchString(src) {
			t.Errorf("data-testid %q is gone from ui/static", id)
		}
	}
	for _, attr := range []string{"callerId", "position", "agentId", "state", "queue"} {
		if !strings.Contains(src, "dataset."+attr) && !strings.Contains(src, attr+":") {
			t.Errorf("data-%s is gone from ui/static", attr)
		}
	}
}
