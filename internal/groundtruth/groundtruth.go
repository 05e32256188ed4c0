// Package groundtruth finds what real Asterisk said — its ARI api-docs and the
// recorded event transcripts — which live beside the repository (../shared/ari)
// and must not be copied into it. Tests that need them skip with a clear
// message when they are absent, except under CI=true, where absence fails.
package groundtruth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvDir overrides where the ground truth is looked for.
const EnvDir = "STASISQ_SHARED_ARI"

// Find returns the directory holding api-docs/ and transcripts/: $STASISQ_SHARED_ARI,
// else ../shared/ari beside the module root (found by walking up from the
// working directory to go.mod), else /work/shared/ari.
func Find() (string, error) {
	var tried []string
	try := func(dir string) bool {
		tried = append(tried, dir)
		_, err := os.Stat(filepath.Join(dir, "api-docs", "events.json"))
		return err == nil
	}
	if dir := os.Getenv(EnvDir); dir != "" {
		if try(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("%s=%s has no api-docs/events.json", EnvDir, dir)
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				if cand := filepath.Join(dir, "..", "shared", "ari"); try(cand) {
					return filepath.Clean(cand), nil
				}
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if try("/work/shared/ari") {
		return "/work/shared/ari", nil
	}
	return "", errors.New("ARI ground truth (api-docs, transcripts) not found in " + fmt.Sprint(tried) + "; set " + EnvDir)
}

// Dir is Find for tests: it skips the test when the ground truth is absent,
// and fails it when CI=true, so CI never passes without checking conformance.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%v (required when CI=true)", err)
		}
		tb.Skipf("%v: conformance with real Asterisk not checked", err)
	}
	return dir
}

// APIDocs is Dir(tb)/api-docs.
func APIDocs(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(Dir(tb), "api-docs")
}
