// Package scripttest runs interaction scripts in the style of etcd-io/raft's
// testdata tests: blocks of one command, a "----" line and the output
// expected, separated by blank lines; a block may open with lines starting
// with "#" that say why. The package under test says what a
// command does and prints; this one compares, or rewrites the file.
package scripttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Run plays the script at path, one command at a time, through run, and
// fails at the first block whose output differs from what the file
// expects. With update it writes what run printed back into the file.
func Run(t *testing.T, path string, update bool, run func(cmd string) []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	blocks := strings.Split(strings.TrimSpace(string(data)), "\n\n")
	for i, block := range blocks {
		lines := strings.Split(block, "\n")
		// Lines starting with # before the command say why; kept as written.
		var comments []string
		for len(lines) > 1 && strings.HasPrefix(lines[0], "#") {
			comments, lines = append(comments, lines[0]), lines[1:]
		}
		cmd := lines[0]
		var want []string
		if len(lines) > 1 && lines[1] == "----" {
			want = lines[2:]
		}
		got := run(cmd)
		if i > 0 {
			out.WriteString("\n\n")
		}
		for _, c := range comments {
			out.WriteString(c + "\n")
		}
		out.WriteString(cmd + "\n----")
		for _, g := range got {
			out.WriteString("\n" + g)
		}
		if !update && strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s: %s\ngot:\n%s\nwant:\n%s", path, cmd, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if update {
		if err := os.WriteFile(path, []byte(out.String()+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// RunDir plays every *.txt script in dir as a subtest of its own, each with
// the runner newRun makes for it (a fresh harness per script).
func RunDir(t *testing.T, dir string, update bool, newRun func(t *testing.T) func(cmd string) []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", dir, err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			Run(t, f, update, newRun(t))
		})
	}
}
