package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"stasisq/queue"
)

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stasisq.db")
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i, action := range []string{"a0", "a1", "a2", "a3"} {
		// Two in the same nanosecond keep their order.
		at := at(time.Duration(i/2*2) * time.Minute)
		if err := db.AddAudit(ctx, queue.AuditEntry{At: at, User: "sue", Action: action, Status: 204}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = MustOpenPath(t, path, testOptions())
	actions := func(from, to time.Time, limit int) []string {
		t.Helper()
		es, err := db.Audit(ctx, from, to, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Action)
		}
		return out
	}
	tests := []struct {
		name     string
		from, to time.Time
		limit    int
		want     []string
	}{
		{"all_newest_first", at(-time.Hour), at(time.Hour), 10, []string{"a3", "a2", "a1", "a0"}},
		{"limit", at(-time.Hour), at(time.Hour), 3, []string{"a3", "a2", "a1"}},
		{"to_excluded", at(-time.Hour), at(2 * time.Minute), 10, []string{"a1", "a0"}},
		{"from_included", at(2 * time.Minute), at(time.Hour), 10, []string{"a3", "a2"}},
		{"none_in_range", at(time.Hour), at(2 * time.Hour), 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := actions(tt.from, tt.to, tt.limit)
			if len(got) != len(tt.want) {
				t.Fatalf("got=%v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got=%v, want %v", got, tt.want)
				}
			}
		})
	}
}
