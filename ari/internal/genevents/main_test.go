package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"stasisq/internal/groundtruth"
)

// TestGeneratedFileIsCurrent fails when events_gen.go was edited by hand or
// the generator changed without `go generate ./ari`.
func TestGeneratedFileIsCurrent(t *testing.T) {
	docs := filepath.Join(groundtruth.APIDocs(t), "events.json")
	models, err := readModels(docs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(models)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "events_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("ari/events_gen.go differs from the generator's output: run `go generate ./ari`")
	}
}

func TestGoName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"duration_ms", "DurationMs"},
		{"cause_txt", "CauseTxt"},
		{"channel_ids", "ChannelIDs"},
		{"old_video_source_id", "OldVideoSourceID"},
		{"target_uri", "TargetURI"},
		{"dialstring", "Dialstring"},
	}
	for _, tt := range tests {
		if got := goName(tt.in); got != tt.want {
			t.Errorf("goName(%q) got=%q, want %q", tt.in, got, tt.want)
		}
	}
}
