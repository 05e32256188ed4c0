package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"stasisq/queue"
)

func TestSessions(t *testing.T) {
	ctx := context.Background()
	mustUser := func(t *testing.T, db *DB, id string, role queue.Role, password string) {
		t.Helper()
		if err := db.PutUser(ctx, queue.User{ID: id, Name: id, Role: role}, password); err != nil {
			t.Fatal(err)
		}
	}
	session := func(id, user string, created time.Time) queue.Session {
		return queue.Session{ID: id, User: user, CSRF: "t-" + id, Created: created, Expires: created.Add(12 * time.Hour), From: "127.0.0.1"}
	}
	alive := func(t *testing.T, db *DB, id string, now time.Time) bool {
		t.Helper()
		_, _, err := db.SessionUser(ctx, id, now)
		if err != nil && !errors.Is(err, queue.ErrNotFound) {
			t.Fatalf("SessionUser %s: %v", id, err)
		}
		return err == nil
	}

	t.Run("kept_across_reopen_with_its_user", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "stasisq.db")
		db, err := Open(path, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		mustUser(t, db, "sue", queue.RoleSupervisor, "password1")
		if err := db.PutSession(ctx, session("s1", "sue", t0)); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = MustOpenPath(t, path, testOptions())
		s, u, err := db.SessionUser(ctx, "s1", t0.Add(time.Hour))
		if err != nil || s.CSRF != "t-s1" || u.ID != "sue" || u.Role != queue.RoleSupervisor {
			t.Fatalf("after reopen got=%+v %+v err=%v, want s1 of supervisor sue", s, u, err)
		}
		if alive(t, db, "s1", t0.Add(12*time.Hour)) {
			t.Fatalf("session alive at its expiry")
		}
	})
	t.Run("unknown_user_refused", func(t *testing.T) {
		db := MustOpen(t, testOptions())
		if err := db.PutSession(ctx, session("s1", "nobody", t0)); !errors.Is(err, queue.ErrNotFound) {
			t.Fatalf("session for a user that does not exist: err=%v, want ErrNotFound", err)
		}
	})
	t.Run("ended_by_password_role_and_delete_not_by_name", func(t *testing.T) {
		db := MustOpen(t, testOptions())
		for _, u := range []string{"a", "b", "c", "d", "e"} {
			mustUser(t, db, u, queue.RoleSupervisor, "password1")
			if err := db.PutSession(ctx, session("s-"+u, u, t0)); err != nil {
				t.Fatal(err)
			}
		}
		now := t0.Add(time.Minute)
		mustUser(t, db, "a", queue.RoleSupervisor, "")          // name only: kept
		mustUser(t, db, "b", queue.RoleSupervisor, "password2") // new password: ended
		mustUser(t, db, "c", queue.RoleAdmin, "")               // new role: ended
		if err := db.SetPassword(ctx, "d", "password3"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteUser(ctx, "e"); err != nil {
			t.Fatal(err)
		}
		mustUser(t, db, "e", queue.RoleAdmin, "password1") // re-created: inherits nothing
		for u, want := range map[string]bool{"a": true, "b": false, "c": false, "d": false, "e": false} {
			if got := alive(t, db, "s-"+u, now); got != want {
				t.Errorf("session of %s alive got=%v, want %v", u, got, want)
			}
		}
	})
	t.Run("at_most_MaxSessionsPerUser_oldest_end", func(t *testing.T) {
		db := MustOpen(t, testOptions())
		mustUser(t, db, "sue", queue.RoleSupervisor, "password1")
		mustUser(t, db, "bob", queue.RoleAgent, "password1")
		if err := db.PutSession(ctx, session("bob-1", "bob", t0)); err != nil {
			t.Fatal(err)
		}
		for i := range MaxSessionsPerUser + 3 {
			if err := db.PutSession(ctx, session(fmt.Sprintf("s%02d", i), "sue", t0.Add(time.Duration(i)*time.Second))); err != nil {
				t.Fatal(err)
			}
		}
		now := t0.Add(time.Hour)
		for i := range MaxSessionsPerUser + 3 {
			if got, want := alive(t, db, fmt.Sprintf("s%02d", i), now), i >= 3; got != want {
				t.Errorf("session %d alive got=%v, want %v", i, got, want)
			}
		}
		if !alive(t, db, "bob-1", now) {
			t.Errorf("another user's session ended by sue's logins")
		}
	})
	t.Run("delete_one_and_prune", func(t *testing.T) {
		db := MustOpen(t, testOptions())
		mustUser(t, db, "sue", queue.RoleSupervisor, "password1")
		for i, created := range []time.Time{t0, t0.Add(-13 * time.Hour), t0.Add(-14 * time.Hour)} {
			s := session(fmt.Sprint("s", i), "sue", created)
			// Stored directly: PutSession would already end expired ones.
			if err := db.putSessionRaw(s); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.DeleteSession(ctx, "s0"); err != nil || alive(t, db, "s0", t0) {
			t.Fatalf("DeleteSession: err=%v, or still alive", err)
		}
		if err := db.DeleteSession(ctx, "s0"); err != nil {
			t.Fatalf("deleting an ended session again: %v", err)
		}
		if n, err := db.PruneSessions(ctx, t0); err != nil || n != 2 {
			t.Fatalf("PruneSessions got=%d err=%v, want the 2 expired", n, err)
		}
	})
}
