package webphone

import (
	"fmt"
	"testing"

	"stasisq/queue"
)

func TestPassword(t *testing.T) {
	a, b := []byte("secret one"), []byte("secret two")
	p := Password(a, "alice")
	if p != Password(a, "alice") {
		t.Fatal("the same secret and agent give two passwords")
	}
	if len(p) != 22 { // 128 bits, base64url without padding
		t.Errorf("password %q: got length %d, want 22", p, len(p))
	}
	for _, other := range []string{Password(a, "bob"), Password(b, "alice"), Password(a, "alice2")} {
		if other == p {
			t.Errorf("another agent or secret gives alice's password %q", p)
		}
	}
}

func TestObjects(t *testing.T) {
	secret := []byte("s")
	objs := Objects(secret, queue.AgentConfig{ID: "alice", Name: "Alice Smith"}, Options{})
	var types []string
	fields := map[string]map[string]string{}
	for _, o := range objs {
		types = append(types, o.Type)
		if o.ID != "stasisq-alice" {
			t.Errorf("%s id got=%q, want stasisq-alice", o.Type, o.ID)
		}
		fields[o.Type] = map[string]string{}
		for _, f := range o.Fields {
			fields[o.Type][f.Attribute] = f.Value
		}
	}
	if got := fmt.Sprint(types); got != "[auth aor endpoint]" {
		t.Fatalf("order got=%s, want auth, aor, endpoint (the endpoint names the others)", got)
	}
	tests := []struct{ typ, attr, want string }{
		{"auth", "username", "stasisq-alice"},
		{"auth", "password", Password(secret, "alice")},
		{"aor", "max_contacts", "1"},
		{"aor", "remove_existing", "yes"},
		{"endpoint", "webrtc", "yes"},
		{"endpoint", "auth", "stasisq-alice"},
		{"endpoint", "aors", "stasisq-alice"},
		{"endpoint", "allow", "ulaw,alaw"},
		{"endpoint", "context", DefaultContext},
		{"endpoint", "direct_media", "no"},
		{"endpoint", "callerid", "Alice Smith <stasisq-alice>"},
	}
	for _, tt := range tests {
		if got := fields[tt.typ][tt.attr]; got != tt.want {
			t.Errorf("%s %s got=%q, want %q", tt.typ, tt.attr, got, tt.want)
		}
	}
	custom := Objects(secret, queue.AgentConfig{ID: "bob"}, Options{Codecs: "opus,ulaw", Context: "phones"})
	for _, f := range custom[2].Fields {
		if (f.Attribute == "allow" && f.Value != "opus,ulaw") || (f.Attribute == "context" && f.Value != "phones") {
			t.Errorf("options not applied: %s=%s", f.Attribute, f.Value)
		}
	}
}
