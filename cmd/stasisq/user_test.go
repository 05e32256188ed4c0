package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stasisq/queue"
	"stasisq/store"
)

// userCmd runs "stasisq user ARGS..." with stdin and returns what it printed.
func userCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), append([]string{"user"}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

// The user commands on a database file, one step after another, each with
// what it must print or refuse.
func TestUserCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "stasisq.db")
	steps := []struct {
		name    string
		stdin   string
		args    []string
		want    string // in the output, or in the error when wantErr
		wantErr bool
	}{
		{"add an administrator", "root-password\n", []string{"add", "root", "--role", "admin", "--password-stdin", "--db", db}, "added root (admin)", false},
		{"flags before the login", "sam-password\n", []string{"add", "--db", db, "--role", "supervisor", "--name", "Sam Smith", "--password-stdin", "sam"}, "added sam (supervisor)", false},
		{"the same login twice", "root-password\n", []string{"add", "root", "--role", "admin", "--password-stdin", "--db", db}, "already exists", true},
		{"an unknown role", "x-password\n", []string{"add", "x", "--role", "boss", "--password-stdin", "--db", db}, `--role "boss"`, true},
		{"a login the console cannot address", "x-password\n", []string{"add", "a/b", "--role", "agent", "--password-stdin", "--db", db}, "1 to 64 letters", true},
		{"a short password", "short\n", []string{"add", "x", "--role", "agent", "--password-stdin", "--db", db}, "at least 8 characters", true},
		{"no password source off a terminal", "", []string{"add", "x", "--role", "agent", "--db", db}, "--password-stdin", true},
		{"list", "", []string{"list", "--db", db}, "sam    supervisor  Sam Smith", false},
		{"change a password", "new-root-password\r\n", []string{"passwd", "root", "--password-stdin", "--db", db}, "password of root changed", false},
		{"the password of nobody", "whatever-password\n", []string{"passwd", "nobody", "--password-stdin", "--db", db}, "not found", true},
		{"remove", "", []string{"remove", "sam", "--db", db}, "removed sam", false},
		{"remove again", "", []string{"remove", "sam", "--db", db}, "not found", true},
		{"an unknown command", "", []string{"rename", "root", "--db", db}, `unknown user command "rename"`, true},
	}
	for _, s := range steps {
		out, err := userCmd(t, s.stdin, s.args...)
		switch {
		case s.wantErr && err == nil:
			t.Errorf("%s: got no error (%q), want one with %q", s.name, out, s.want)
		case s.wantErr && !strings.Contains(err.Error(), s.want):
			t.Errorf("%s: got error %q, want %q in it", s.name, err, s.want)
		case !s.wantErr && err != nil:
			t.Errorf("%s: %v (%s)", s.name, err, out)
		case !s.wantErr && !strings.Contains(out, s.want):
			t.Errorf("%s: got %q, want %q in it", s.name, out, s.want)
		}
	}
	d, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	u, err := d.Authenticate(context.Background(), "root", "new-root-password")
	if err != nil || u.Role != queue.RoleAdmin {
		t.Errorf("root with its new password: got %+v, %v; want the administrator", u, err)
	}
	if _, err := d.Authenticate(context.Background(), "root", "root-password"); !errors.Is(err, queue.ErrBadCredentials) {
		t.Errorf("root with its old password: got=%v, want bad credentials", err)
	}
}

// While serve holds the database the commands say so, and where to go.
func TestUserCommandWhileServeHoldsTheDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "stasisq.db")
	held, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, err = userCmd(t, "root-password\n", "add", "root", "--role", "admin", "--password-stdin", "--db", db)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "manage users in the console") {
		t.Fatalf("got=%v, want the lock named and the console pointed to", err)
	}
}

// The first administrator from the command line: "user add root --role
// admin --password-stdin", then serve, then root logs in; serve offers no
// setup address any more.
func TestFirstAdminFromTheCommandLine(t *testing.T) {
	e := MustStartEnvWithUsers(t, "root:admin")
	m := e.MustRunMain()
	MustConsoleLogin(t, m.URL(), "root", "root-password")
	if got := m.SetupURL(); got != "" {
		t.Errorf("setup address with an administrator: got %q, want none", got)
	}
}

// The first-run path: serve on a database with no administrator offers a
// setup address; its token creates one administrator, once.
func TestFirstRunSetup(t *testing.T) {
	e := MustStartEnv(t)
	setup := e.main.SetupURL()
	u, err := url.Parse(setup)
	if err != nil || u.Path != "/setup" || u.Query().Get("token") == "" {
		t.Fatalf("setup address: got %q, want /setup?token=...", setup)
	}
	token := u.Query().Get("token")
	if status := httpStatus(t, setup); status != http.StatusOK {
		t.Fatalf("GET the setup page: got=%d, want 200", status)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &consoleClient{tb: t, base: e.main.URL(), hc: &http.Client{Jar: jar, Timeout: waitFor}}
	body := func(tok, login, pw string) map[string]string {
		return map[string]string{"token": tok, "login": login, "name": "The Boss", "password": pw}
	}
	c.mustDo(http.MethodPost, "/api/setup", body("wrong", "boss", "boss-password"), http.StatusForbidden, nil)
	c.mustDo(http.MethodPost, "/api/setup", body(token, "boss", "short"), http.StatusUnprocessableEntity, nil)
	c.mustDo(http.MethodPost, "/api/setup", body(token, "boss", "boss-password"), http.StatusNoContent, nil)
	boss := MustConsoleLogin(t, e.main.URL(), "boss", "boss-password")
	var users []queue.User
	boss.mustGet("/api/admin/users", &users)
	if len(users) != 1 || users[0].ID != "boss" || users[0].Role != queue.RoleAdmin || users[0].Name != "The Boss" {
		t.Errorf("users after the setup: got %+v, want only boss, an admin", users)
	}
	c.mustDo(http.MethodPost, "/api/setup", body(token, "boss2", "boss-password"), http.StatusGone, nil)

	if err := e.main.Close(); err != nil {
		t.Fatal(err)
	}
	if got := e.MustRunMain().SetupURL(); got != "" {
		t.Errorf("setup address after the setup: got %q, want none", got)
	}
}

// A new install runs import and "user add" before the service's first
// start has made /var/lib/stasisq: they make the database's directory
// (0700, it holds password hashes); "user list" and a dry run make nothing.
func TestNewInstallMakesTheDatabaseDirectory(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "queues.conf")
	if err := os.WriteFile(conf, []byte("[support]\nmember => PJSIP/1001,0,Ann\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mode := func(dir string) (os.FileMode, bool) {
		fi, err := os.Stat(dir)
		if err != nil {
			return 0, false
		}
		return fi.Mode().Perm(), true
	}

	dry := filepath.Join(root, "dry", "lib", "stasisq.db")
	MustImport(t, []string{conf, "--dry-run", "--db", dry})
	if _, made := mode(filepath.Dir(dry)); made {
		t.Errorf("a dry run made %s", filepath.Dir(dry))
	}
	if _, err := userCmd(t, "", "list", "--db", filepath.Join(root, "list", "stasisq.db")); err == nil {
		t.Error("user list on a database that does not exist: no error")
	}
	if _, made := mode(filepath.Join(root, "list")); made {
		t.Error("user list made the database's directory")
	}

	imported := filepath.Join(root, "var", "lib", "stasisq", "stasisq.db")
	MustImport(t, []string{conf, "--db", imported})
	if m, ok := mode(filepath.Dir(imported)); !ok || m != 0o700 {
		t.Errorf("import made %s with mode %v (made %v), want 0700", filepath.Dir(imported), m, ok)
	}
	added := filepath.Join(root, "other", "stasisq.db")
	if out, err := userCmd(t, "root-password\n", "add", "root", "--role", "admin", "--password-stdin", "--db", added); err != nil {
		t.Fatalf("user add into a directory that does not exist yet: %v (%s)", err, out)
	}
	if m, ok := mode(filepath.Dir(added)); !ok || m != 0o700 {
		t.Errorf("user add made %s with mode %v (made %v), want 0700", filepath.Dir(added), m, ok)
	}
	if out, err := userCmd(t, "", "list", "--db", added); err != nil || !strings.Contains(out, "root") {
		t.Errorf("user list after add: %q, %v", out, err)
	}
}

// An import while serve holds the database says so and what to do, and a
// dry run still works beside it.
func TestImportWhileServeHoldsTheDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stasisq.db")
	conf := filepath.Join(dir, "queues.conf")
	if err := os.WriteFile(conf, []byte("[support]\nmember => PJSIP/1001,0,Ann\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	held, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	err = runImport(context.Background(), []string{conf, "--db", db}, io.Discard, io.Discard)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "stop it for the import") {
		t.Fatalf("got %v, want the lock named and what to do", err)
	}
	if out := MustImport(t, []string{conf, "--dry-run", "--db", db}); !strings.Contains(out, "new       queue support") {
		t.Fatalf("dry run beside serve:\n%s", out)
	}
}
