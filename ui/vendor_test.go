package ui

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The console's npm packages are copied into static/vendor by make vendor
// from the versions vendor/package-lock.json pins: the copy says which
// version it is and, where npm has installed the package here, is that
// package's files byte for byte.
func TestVendoredMatchesLockfile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("vendor", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	pinned := lock.Packages["node_modules/sip.js"].Version
	copied, err := os.ReadFile(filepath.Join("static", "vendor", "sip.js", "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(copied)); pinned == "" || got != pinned {
		t.Fatalf("static/vendor/sip.js is %q, the lockfile pins %q: run make vendor", got, pinned)
	}
	installed := filepath.Join("vendor", "node_modules", "sip.js")
	if _, err := os.Stat(installed); err != nil {
		t.Logf("npm has not installed sip.js in ui/vendor (make vendor does): checked the version only")
		return
	}
	n := 0
	err = filepath.WalkDir(filepath.Join(installed, "lib"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") {
			return err
		}
		rel, _ := filepath.Rel(installed, path)
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(filepath.Join("static", "vendor", "sip.js", rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("static/vendor/sip.js/%s differs from npm's: run make vendor", rel)
		}
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("compared %d files: %v", n, err)
	}
}

// Nothing in the console is loaded from another site (a CDN): every import
// and src is a path of our own.
func TestNoCDN(t *testing.T) {
	remote := regexp.MustCompile(`(?:\bfrom\s*|\bimport\s*\(\s*|\bsrc\s*=\s*|\bhref\s*=\s*)["'](?:https?:)?//`)
	n := 0
	err := filepath.WalkDir("static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".html") || strings.HasSuffix(path, ".css")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if m := remote.Find(b); m != nil {
			t.Errorf("%s loads from another site: %s", path, m)
		}
		return nil
	})
	if err != nil || n < 10 {
		t.Fatalf("read %d files: %v", n, err)
	}
	if remote.FindString(`import { x } from "https://cdn.example.com/x.js"`) == "" {
		t.Fatal("the check misses a CDN import")
	}
}
