package sidebyside

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"stasisq/internal/asteriskt"
)

// setUp is a private Asterisk with the bench's files and stasisq, built
// from this tree, as its own process.
func setUp(b *testing.B) *Bench {
	files, err := AsteriskFiles(filepath.Join("..", "..", "asterisk-conf"))
	if err != nil {
		b.Fatal(err)
	}
	ast := asteriskt.Start(b, files)
	if ast.Pid == 0 {
		b.Fatal("no asterisk.pid in Asterisk's run directory")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "stasisq")
	build := exec.Command("go", "build", "-o", bin, "stasisq/cmd/stasisq")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build stasisq: %v\n%s", err, out)
	}
	be, err := Start(context.Background(), Target{ARIURL: ast.ARIURL, ARIUser: ast.ARIUser, ARIPassword: ast.ARIPassword,
		AsteriskPid: ast.Pid, Stasisq: bin, Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := be.Close(); err != nil {
			b.Logf("stop stasisq: %v", err)
		}
		out, err := os.ReadFile(be.LogPath)
		if err != nil {
			return
		}
		if keep := os.Getenv("SBS_STASISQ_LOG"); keep != "" {
			// For a person looking into a run: stasisq's log kept.
			if err := os.WriteFile(keep, out, 0o600); err != nil {
				b.Logf("keep stasisq's log in %s: %v", keep, err)
			}
		}
		if b.Failed() {
			b.Logf("stasisq's log:\n%s", out)
		}
	})
	return be
}

// BenchmarkSideBySide (make bench-asterisk) runs every scenario through
// app_queue and then through stasisq on one Asterisk, prints the table and,
// last, the saturation summary line. It runs once whatever b.N is.
// SBS_SCENARIOS=burst,… and SBS_SYSTEMS=stasisq (or app_queue) run a part;
// SBS_ROUNDS=3 runs each scenario three times (the summary takes medians).
func BenchmarkSideBySide(b *testing.B) {
	be := setUp(b)
	scenarios := Scenarios()
	if s := os.Getenv("SBS_SCENARIOS"); s != "" {
		var keep []Scenario
		for _, sc := range scenarios {
			if listed(s, sc.Name) {
				keep = append(keep, sc)
			}
		}
		scenarios = keep
	}
	be.Systems = onlySystems(be.Systems) // one side: no summary line, which needs both
	if s := os.Getenv("SBS_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("SBS_ROUNDS=%q: want a number of rounds, 1 or more", s)
		}
		be.Rounds = n
	}
	if _, err := be.RunAll(context.Background(), scenarios, os.Stdout, func(s string) { b.Log(s) }); err != nil {
		b.Fatal(err)
	}
}

// onlySystems is systems cut to those SBS_SYSTEMS lists (all when unset).
func onlySystems(systems []System) []System {
	only := os.Getenv("SBS_SYSTEMS")
	if only == "" {
		return systems
	}
	var keep []System
	for _, sys := range systems {
		if listed(only, sys.Name) {
			keep = append(keep, sys)
		}
	}
	return keep
}

// listed reports whether name is one of the comma-separated list (an
// SBS_* variable).
func listed(list, name string) bool {
	return strings.Contains(","+list+",", ","+name+",")
}
