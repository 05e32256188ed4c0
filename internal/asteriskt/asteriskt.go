// Package asteriskt starts private, real Asterisk instances for tests, with
// the asterisk-test script of ../shared/asterisk: each on free ports, with
// the configuration files the test gives, stopped when the test ends (also
// when it fails), its logs kept under artifacts/asterisk/ when it failed.
//
// Where Asterisk comes from: $STASISQ_ASTERISK (an installed prefix, laid
// out as "make install" with --prefix lays it out, or its sbin/asterisk
// binary), else the prebuilt one beside the repository
// (../shared/asterisk). A test that finds neither skips with a message on a
// workstation and fails under CI=true: CI never passes without the real
// thing.
package asteriskt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// EnvAsterisk names an installed Asterisk to test against instead of the
// prebuilt one.
const EnvAsterisk = "STASISQ_ASTERISK"

// Instance is one running Asterisk.
type Instance struct {
	ARIURL      string
	ARIUser     string
	ARIPassword string
	HTTPPort    int
	SIPPort     int
	AMIPort     int
	EntityID    string
	RunDir      string
	Pid         int // Asterisk's process, for CPU figures; 0 when unknown

	script  string
	env     []string
	confDir string
	rtp     string // RTP_START, kept for a restart
}

// Options fix what Start would otherwise pick: a SIP port known before
// the start, for a trunk between two instances.
type Options struct {
	SIPPort int
}

// located is where asterisk-test is and the environment it runs with.
type located struct {
	script string
	env    []string
}

func find() (located, error) {
	script, err := findScript()
	if err != nil {
		return located{}, err
	}
	loc := located{script: script, env: os.Environ()}
	if own := os.Getenv(EnvAsterisk); own != "" {
		prefix := own
		if st, err := os.Stat(own); err == nil && !st.IsDir() {
			prefix = filepath.Dir(filepath.Dir(own)) // .../sbin/asterisk
		}
		if _, err := os.Stat(filepath.Join(prefix, "sbin", "asterisk")); err != nil {
			return located{}, fmt.Errorf("%s=%s: no sbin/asterisk under %s", EnvAsterisk, own, prefix)
		}
		// asterisk-test runs $ASTERISK_TEST_CACHE/asterisk: point it there.
		cache, err := os.MkdirTemp("", "stasisq-own-asterisk-")
		if err != nil {
			return located{}, err
		}
		if err := os.Symlink(prefix, filepath.Join(cache, "asterisk")); err != nil {
			return located{}, err
		}
		loc.env = append(loc.env, "ASTERISK_TEST_CACHE="+cache)
	}
	return loc, nil
}

// findScript looks for asterisk-test beside the module root, then in
// /work/shared.
func findScript() (string, error) {
	var tried []string
	try := func(p string) bool {
		tried = append(tried, p)
		st, err := os.Stat(p)
		return err == nil && !st.IsDir()
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				if p := filepath.Join(dir, "..", "shared", "asterisk", "asterisk-test"); try(p) {
					return filepath.Clean(p), nil
				}
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if p := "/work/shared/asterisk/asterisk-test"; try(p) {
		return p, nil
	}
	return "", fmt.Errorf("no real Asterisk: asterisk-test not found in %v", tried)
}

// Start runs an Asterisk whose configuration is the base one of
// asterisk-test with conf's files (name → contents, markers such as
// @SIP_PORT@ replaced) laid over it. It skips tb when there is no Asterisk
// to run (fails under CI=true) and fails it when one does not start.
func Start(tb testing.TB, conf map[string]string) *Instance {
	tb.Helper()
	return StartWith(tb, conf, Options{})
}

// StartWith is Start with opts.
func StartWith(tb testing.TB, conf map[string]string, opts Options) *Instance {
	tb.Helper()
	loc, err := find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%v (required when CI=true)", err)
		}
		tb.Skipf("%v: set %s or put the prebuilt one in ../shared/asterisk", err, EnvAsterisk)
	}
	confDir := tb.TempDir()
	for name, text := range conf {
		if err := os.WriteFile(filepath.Join(confDir, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	run := filepath.Join(tb.TempDir(), "ast")
	args := []string{"start", run, "--conf", confDir}
	if opts.SIPPort != 0 {
		args = append(args, "--sip-port", strconv.Itoa(opts.SIPPort))
	}
	inst := &Instance{script: loc.script, env: loc.env, confDir: confDir}
	inst.start(tb, run, args)
	tb.Cleanup(func() {
		stop := exec.Command(loc.script, "stop", inst.RunDir)
		stop.Env = loc.env
		if out, err := stop.CombinedOutput(); err != nil {
			tb.Errorf("stop Asterisk: %v: %s", err, out)
		}
		keepLogs(tb, inst.RunDir, tb.Failed())
	})
	return inst
}

// Kill kills Asterisk with SIGKILL, as a crash or a power cut takes a box
// away: it hangs up no channel and tells nobody.
func (i *Instance) Kill(tb testing.TB) {
	tb.Helper()
	if i.Pid == 0 {
		tb.Fatal("kill Asterisk: its pid is unknown")
	}
	if err := syscall.Kill(i.Pid, syscall.SIGKILL); err != nil {
		tb.Fatalf("kill Asterisk %d: %v", i.Pid, err)
	}
	for range 100 {
		if syscall.Kill(i.Pid, 0) != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Its pid file would make "stop" wait on a pid that may be reused.
	if err := os.Remove(filepath.Join(i.RunDir, "pid")); err != nil && !errors.Is(err, os.ErrNotExist) {
		tb.Fatal(err)
	}
}

// Restart starts a killed instance again with the same configuration,
// ports and run directory (its ARI URL does not change).
func (i *Instance) Restart(tb testing.TB) {
	tb.Helper()
	i.start(tb, i.RunDir, []string{"start", i.RunDir, "--conf", i.confDir,
		"--http-port", strconv.Itoa(i.HTTPPort), "--sip-port", strconv.Itoa(i.SIPPort),
		"--ami-port", strconv.Itoa(i.AMIPort), "--rtp-start", i.rtp})
}

// start runs asterisk-test with args and reads what it printed into i.
func (i *Instance) start(tb testing.TB, run string, args []string) {
	tb.Helper()
	// Files, not pipes: Asterisk, started in the background by the script,
	// may keep the script's descriptors, and exec would wait for a pipe's
	// last writer, that is for Asterisk to exit.
	outFile := filepath.Join(i.confDir, "start.out")
	out, err := os.Create(outFile)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(i.script, args...)
	cmd.Env = i.env
	cmd.Stdout, cmd.Stderr = out, out
	runErr := cmd.Run()
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
	printed, err := os.ReadFile(outFile)
	if err != nil {
		tb.Fatal(err)
	}
	// The start file must not be copied into the next start's etc.
	if err := os.Remove(outFile); err != nil {
		tb.Fatal(err)
	}
	if runErr != nil {
		keepLogs(tb, run, true)
		tb.Fatalf("start Asterisk: %v\n%s", runErr, printed)
	}
	stdout := bytes.NewReader(printed)
	inst := i
	vars := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vars[k] = v
		}
	}
	inst.ARIURL, inst.ARIUser, inst.ARIPassword = vars["ARI_URL"], vars["ARI_USER"], vars["ARI_PASSWORD"]
	inst.HTTPPort, _ = strconv.Atoi(vars["HTTP_PORT"])
	inst.SIPPort, _ = strconv.Atoi(vars["SIP_PORT"])
	inst.AMIPort, _ = strconv.Atoi(vars["AMI_PORT"])
	inst.EntityID, inst.RunDir, inst.rtp = vars["ENTITY_ID"], vars["RUNDIR"], vars["RTP_START"]
	// asterisk-test's ASTERISK_PID is the shell that started Asterisk;
	// Asterisk's own pid is in its run directory.
	if raw, err := os.ReadFile(filepath.Join(inst.RunDir, "run", "asterisk.pid")); err == nil {
		inst.Pid, _ = strconv.Atoi(strings.TrimSpace(string(raw)))
	}
	if inst.ARIURL == "" || inst.RunDir == "" {
		tb.Fatalf("asterisk-test start printed no ARI_URL/RUNDIR: %q", printed)
	}
}

// CLI runs an Asterisk CLI command and returns its output.
func (i *Instance) CLI(tb testing.TB, command string) string {
	tb.Helper()
	cmd := exec.Command(i.script, "cli", i.RunDir, command)
	cmd.Env = i.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("asterisk -rx %q: %v: %s", command, err, out)
	}
	return string(out)
}

// Log is the text of one of the instance's log files (messages.log,
// full.log, queue_log) so far.
func (i *Instance) Log(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(i.RunDir, "log", name))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	return string(b), err
}

// keepLogs copies the instance's logs and console output to
// artifacts/asterisk/<test>/ at the module root when failed.
func keepLogs(tb testing.TB, run string, failed bool) {
	if !failed || run == "" {
		return
	}
	root, err := moduleRoot()
	if err != nil {
		tb.Logf("Asterisk logs not kept: %v", err)
		return
	}
	dst := filepath.Join(root, "artifacts", "asterisk", strings.ReplaceAll(tb.Name(), "/", "_"))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		tb.Logf("Asterisk logs not kept: %v", err)
		return
	}
	files, _ := filepath.Glob(filepath.Join(run, "log", "*"))
	files = append(files, filepath.Join(run, "console.out"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a log Asterisk never wrote
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			tb.Logf("keep %s: %v", f, err)
		}
	}
	tb.Logf("Asterisk logs kept in %s", dst)
}

func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("no go.mod above " + wd)
		}
	}
}
