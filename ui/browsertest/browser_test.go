// Package browsertest drives the web console in Debian's headless Chromium
// against the real binary: "stasisq demo" with its fake Asterisk,
// simulated callers, demo logins and fake CRM. The scenarios are Node
// scripts on playwright-core (*.mjs here); this Go test builds the binary,
// starts the demo, runs each script against it and reports what they saw.
//
// Needs /usr/bin/chromium, node and node_modules/playwright-core
// (scripts/setup-test-deps installs them); without them the test skips,
// except under CI=true where it fails. Screenshots go to artifacts/browser/
// at the repository root, and of every open page when a scenario fails.
//
// A script also runs by hand against a demo started with the flags below:
//
//	STASISQ_URL=http://127.0.0.1:8080 node wallboard_reorder.mjs
package browsertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const chromium = "/usr/bin/chromium"

// demoArgs make the floor the scenarios need: no simulated agents and no
// arrivals, so the initial callers wait in their queues for the test's
// people (alice, bob) and keep their order unless someone changes it;
// patient callers, so none leaves mid-scenario; short calls for alice; a
// fixed seed.
var demoArgs = []string{"--listen", "127.0.0.1:0", "--agents", "0", "--rate", "0",
	"--initial-callers", "12", "--patience", "0", "--human-talk", "8s", "--seed", "6", "--log-level", "warn"}

// scenarios run in this order against one demo: the reorder needs the
// callers still waiting, and the agent's call leaves alice logged in.
var scenarios = []struct{ name, script string }{
	{"login redirect", "login_redirect.mjs"},
	{"admin redirect targets", "admin_redirect_targets.mjs"},
	{"admin queue seconds", "admin_queue_seconds.mjs"},
	{"wallboard reorder", "wallboard_reorder.mjs"},
	{"wallboard queue editor", "wallboard_queue_editor.mjs"},
	{"supervisor pause", "supervisor_pause.mjs"},
	{"agent call", "agent_call.mjs"},
	{"call recording", "call_recording.mjs"},
	{"reports", "reports.mjs"},
	{"console navigation", "console_navigation.mjs"},
}

// mustBrowserSetup finds node, makes the screenshots' directory and builds
// the binary.
func mustBrowserSetup(t *testing.T) (node, artifacts, bin string) {
	t.Helper()
	node = MustBrowserTools(t)
	root := MustModuleRoot(t)
	artifacts = filepath.Join(root, "artifacts", "browser")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	return node, artifacts, MustBuildStasisq(t, root)
}

func TestConsoleInBrowser(t *testing.T) {
	node, artifacts, bin := mustBrowserSetup(t)
	url := MustStartDemo(t, bin, append(demoArgs, "--db", filepath.Join(t.TempDir(), "demo.db"))...)
	t.Logf("demo on %s, screenshots in %s", url, artifacts)

	tmp := t.TempDir() // Chromium's throwaway profiles
	for _, sc := range scenarios {
		ok := t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, sc.script)
			cmd.Env = append(os.Environ(), "STASISQ_URL="+url, "STASISQ_ARTIFACTS="+artifacts, "TMPDIR="+tmp)
			cmd.WaitDelay = 5 * time.Second
			if err := runLogged(t, cmd, "node"); err != nil {
				t.Fatalf("node %s: %v", sc.script, err)
			}
		})
		if !ok {
			// The floor the next scenario expects may not be there.
			break
		}
	}
}

// TestCallbackInBrowser runs the callback scenario against a demo of its
// own, whose first caller asks for a callback at once: on the main demo a
// callback would change the floor the other scenarios expect.
func TestCallbackInBrowser(t *testing.T) {
	node, artifacts, bin := mustBrowserSetup(t)
	url := MustStartDemo(t, bin, "--listen", "127.0.0.1:0", "--agents", "0", "--rate", "0", "--initial-callers", "12",
		"--initial-callbacks", "1", "--patience", "0", "--seed", "6", "--log-level", "warn", "--history-days", "0",
		"--db", filepath.Join(t.TempDir(), "demo.db"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "callback_wallboard.mjs")
	cmd.Env = append(os.Environ(), "STASISQ_URL="+url, "STASISQ_ARTIFACTS="+artifacts, "TMPDIR="+t.TempDir())
	cmd.WaitDelay = 5 * time.Second
	if err := runLogged(t, cmd, "node"); err != nil {
		t.Fatalf("node callback_wallboard.mjs: %v", err)
	}
}

// MustBrowserTools returns the node binary, or skips (fails under CI=true)
// when Chromium, node or playwright-core is missing.
func MustBrowserTools(tb testing.TB) string {
	tb.Helper()
	missing := func(what string) {
		tb.Helper()
		msg := fmt.Sprintf("browser tests need %s; run scripts/setup-test-deps", what)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	if _, err := os.Stat(chromium); err != nil {
		missing(chromium + " (apt-get install chromium)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core", "package.json")); err != nil {
		missing("ui/browsertest/node_modules/playwright-core (npm install in ui/browsertest)")
	}
	return node
}

// MustModuleRoot is the directory of go.mod, two levels up from here.
func MustModuleRoot(tb testing.TB) string {
	tb.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		tb.Fatalf("module root %s: %v", root, err)
	}
	return root
}

// MustBuildStasisq builds ./cmd/stasisq into a temporary directory. Without
// -race: the binary is the stage here, not what is checked for races.
func MustBuildStasisq(tb testing.TB, root string) string {
	tb.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			tb.Fatalf("no go command to build stasisq with: %v", err)
		}
	}
	bin := filepath.Join(tb.TempDir(), "stasisq")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./cmd/stasisq")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/stasisq: %v\n%s", err, out)
	}
	return bin
}

var demoURL = regexp.MustCompile(`^stasisq demo: open (http://\S+?)/?$`)

// MustStartDemo starts "stasisq demo" with args, logs its output, waits
// for the URL it prints, and stops it with SIGINT when the test ends,
// failing if it does not exit cleanly.
func MustStartDemo(tb testing.TB, bin string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"demo"}, args...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tb.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start demo: %v", err)
	}
	urls := make(chan string, 1)
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		logLines(tb, stdout, "demo", func(line string) {
			if m := demoURL.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		})
	}()
	go func() {
		defer readers.Done()
		logLines(tb, stderr, "demo", nil)
	}()
	exited := make(chan error, 1)
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		exited <- cmd.Wait()
	}()
	tb.Cleanup(func() {
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
			tb.Errorf("interrupt demo: %v", err)
		}
		select {
		case err := <-exited:
			if err != nil {
				tb.Errorf("demo after SIGINT: %v, want a clean exit", err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			tb.Errorf("demo still running 30s after SIGINT; killed")
		}
	})
	select {
	case u := <-urls:
		return u
	case err := <-exited:
		exited <- err
		tb.Fatalf("demo exited before printing its URL: %v", err)
	case <-time.After(60 * time.Second):
		tb.Fatal("demo printed no URL within 60s")
	}
	return ""
}

// logLines copies r to the test log line by line, calling see on each.
func logLines(tb testing.TB, r io.Reader, prefix string, see func(string)) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		line := s.Text()
		if see != nil {
			see(line)
		}
		tb.Logf("%s: %s", prefix, strings.TrimRight(line, "\r"))
	}
}

// runLogged runs cmd with its output in the test log as it comes.
func runLogged(tb testing.TB, cmd *exec.Cmd, prefix string) error {
	tb.Helper()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	done := make(chan struct{})
	go func() {
		defer close(done)
		logLines(tb, pr, prefix, nil)
	}()
	err := cmd.Run()
	pw.Close()
	<-done
	return err
}
