package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"stasisq/ari"
	"stasisq/internal/asteriskt"
	"stasisq/internal/sidebyside"
)

// "stasisq sidebyside" against an Asterisk holding asterisk-conf's bench
// files: both sides served every caller and the table says so, with
// Asterisk's CPU measured; against one without them it stops before the
// run, saying which files are missing.
func TestAsteriskSideBySideCommand(t *testing.T) {
	bin := MustBuildStasisq(t)
	files, err := sidebyside.AsteriskFiles(filepath.Join("..", "..", "asterisk-conf"))
	if err != nil {
		t.Fatal(err)
	}
	ast := asteriskt.Start(t, files)
	pw := filepath.Join(t.TempDir(), "ari-password")
	if err := os.WriteFile(pw, []byte(ast.ARIPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	args := []string{"--ari-url", ast.ARIURL, "--ari-user", ast.ARIUser, "--ari-password-file", pw,
		"--asterisk-pid", strconv.Itoa(ast.Pid), "--stasisq", bin, "--scenarios", "light", "--callers", "3"}
	if err := runSideBySide(ctx, args, &out, &errOut); err != nil {
		t.Fatalf("sidebyside: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	t.Logf("sidebyside printed:\n%s", out.String())
	for _, sys := range []string{"app_queue", "stasisq"} {
		row := regexp.MustCompile(`(?m)^light\s+` + sys + `\s+3/3\s.*\s(\d+)% / (\d+)%\s`)
		if !row.MatchString(out.String()) {
			t.Errorf("no row saying light through %s served 3/3:\n%s", sys, out.String())
		}
	}
	// Three rings (one per caller), each of its parts counted.
	parts := regexp.MustCompile(`(?m)^light through stasisq, from its /metrics: Asterisk's event delivery p50/p99 ≤ [0-9.]+/[0-9.]+ ms \(\d+\); stasisq, input to originate p50/p99 ≤ [0-9.]+/[0-9.]+ ms \(3\); originate request p50/p99 ≤ [0-9.]+/[0-9.]+ ms \(3\); REST requests per caller served [0-9.]+: ([A-Z]+ [^ ]+ [0-9.]+, )*POST /channels/\{channelId\} 1.00(, [A-Z]+ [^ ]+ [0-9.]+)*$`)
	if !parts.MatchString(out.String()) {
		t.Errorf("no line of stasisq's rings in parts, 3 rings each:\n%s", out.String())
	}
	if strings.Contains(errOut.String(), "not measured") {
		t.Errorf("Asterisk's CPU was not measured:\n%s", errOut.String())
	}

	// Ctrl-C in the middle of a run, once callers wait: no caller is left
	// in Asterisk (left to themselves, 60 callers on 20 agents talking 3 s
	// take 9 s and more).
	c, err := ari.NewClient(ari.Config{URL: ast.ARIURL, User: ast.ARIUser, Password: ast.ARIPassword, App: "sbs-check"})
	if err != nil {
		t.Fatal(err)
	}
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		for stopCtx.Err() == nil {
			// A caller is two channels, an agent leg two more.
			if chans, err := c.ListChannels(stopCtx); err == nil && len(chans) >= 100 {
				stop()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	args = []string{"--ari-url", ast.ARIURL, "--ari-user", ast.ARIUser, "--ari-password-file", pw,
		"--asterisk-pid", strconv.Itoa(ast.Pid), "--stasisq", bin, "--scenarios", "saturation", "--callers", "60"}
	if err := runSideBySide(stopCtx, args, &out, &errOut); !errors.Is(err, context.Canceled) {
		t.Fatalf("sidebyside stopped half-way: %v, want context canceled", err)
	}
	// Left alone they go too, seconds later (100 channels when the command
	// returns without hanging them up): so within half a second.
	pollUntil(t, 500*time.Millisecond, "no channel left after the stopped run", func() (bool, string) {
		chans, err := c.ListChannels(ctx)
		return err == nil && len(chans) == 0, fmt.Sprint(len(chans), " channels, ", err)
	})

	bare := asteriskt.Start(t, nil)
	out.Reset()
	errOut.Reset()
	args = []string{"--ari-url", bare.ARIURL, "--ari-user", bare.ARIUser, "--ari-password-file", pw,
		"--asterisk-pid", "0", "--stasisq", bin, "--scenarios", "light", "--callers", "1"}
	if err := os.WriteFile(pw, []byte(bare.ARIPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	err = runSideBySide(ctx, args, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "extensions-bench.conf") {
		t.Fatalf("sidebyside on an Asterisk without the bench files: %v, want an error naming them", err)
	}
	t.Logf("without the bench files: %v", err)
	if out.Len() != 0 {
		t.Errorf("a failed pre-flight printed a table:\n%s", out.String())
	}
}

// --rounds: how many times each scenario runs; fewer than one is refused
// by name before anything connects.
func TestSideBySideRoundsFlag(t *testing.T) {
	t.Setenv("STASISQ_ARI_PASSWORD", "pw")
	var stderr bytes.Buffer
	c, err := parseSideBySideFlags([]string{"--rounds", "3"}, &stderr)
	if err != nil || c.rounds != 3 {
		t.Errorf("--rounds 3: rounds %d, err %v; want 3, no error", c.rounds, err)
	}
	if c, err := parseSideBySideFlags(nil, &stderr); err != nil || c.rounds != 1 {
		t.Errorf("no --rounds: rounds %d, err %v; want 1", c.rounds, err)
	}
	if _, err := parseSideBySideFlags([]string{"--rounds", "0"}, &stderr); err == nil || !strings.Contains(err.Error(), "--rounds 0") {
		t.Errorf("--rounds 0: %v, want an error naming --rounds 0", err)
	}
}
