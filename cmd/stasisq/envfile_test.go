package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The sample environment file must only name variables that serve reads,
// with values serve accepts: a typo there would be silently ignored by
// systemd and leave stasisq on a default.
func TestSampleEnvironmentFileMatchesFlags(t *testing.T) {
	f, err := os.Open("../../asterisk-conf/stasisq.env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// serve's --help names each flag's variable as "($STASISQ_X)".
	var usage strings.Builder
	probe := NewMain()
	probe.Stderr = &usage
	if err := probe.ParseFlags(context.Background(), []string{"--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: got=%v, want flag.ErrHelp", err)
	}
	known := map[string]bool{}
	for _, line := range strings.Split(usage.String(), "\n") {
		if _, rest, ok := strings.Cut(line, "($"); ok {
			name, _, _ := strings.Cut(rest, ")")
			known[name] = true
		}
	}
	if len(known) < 5 {
		t.Fatalf("found %d STASISQ_ variables in serve's usage, want the flag list: %q", len(known), usage.String())
	}
	sc := bufio.NewScanner(f)
	set := 0
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "#"))
		name, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "STASISQ_") || strings.Contains(name, " ") {
			continue
		}
		if !known[name] {
			t.Errorf("stasisq.env:%d: %s is not a serve flag's variable", n, name)
		}
		if strings.HasSuffix(name, "_FILE") {
			// A secret file the sample names: this machine has none there.
			value = filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(value, []byte("from-the-file\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		t.Setenv(name, value)
		set++
	}
	if set == 0 {
		t.Fatal("no STASISQ_ variables in stasisq.env")
	}
	if err := NewMain().ParseFlags(context.Background(), nil); err != nil {
		t.Errorf("serve refuses the sample environment: %v", err)
	}
}

// The sample systemd unit passes systemd's own checker (unknown or
// misspelt directives, a hardening option this systemd lacks, a bad
// ExecStart); its ExecStart is pointed at this test's binary, as the
// checker wants the program to exist, and its EnvironmentFile at the
// sample's.
func TestSampleServiceUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze not found (required when CI=true): apt-get install systemd")
		}
		t.Skip("systemd-analyze not found: apt-get install systemd")
	}
	unit, err := os.ReadFile("../../asterisk-conf/stasisq.service")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env, err := filepath.Abs("../../asterisk-conf/stasisq.env")
	if err != nil {
		t.Fatal(err)
	}
	text := string(unit)
	for _, m := range [][2]string{
		{"ExecStart=/usr/local/bin/stasisq serve", "ExecStart=" + self + " serve"},
		{"EnvironmentFile=/etc/stasisq/stasisq.env", "EnvironmentFile=" + env},
	} {
		if !strings.Contains(text, m[0]) {
			t.Fatalf("the sample unit has no %q (the README installs it so)", m[0])
		}
		text = strings.Replace(text, m[0], m[1], 1)
	}
	path := filepath.Join(t.TempDir(), "stasisq.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	// verify also reports on the units it pulls in (network-online.target
	// and the like) on a machine with no running systemd; only lines about
	// this file count.
	var ours []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "stasisq.service") {
			ours = append(ours, line)
		}
	}
	if err != nil || len(ours) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, strings.Join(ours, "\n"))
	}
}
