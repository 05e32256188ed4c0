package ari

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// MustEventTranscripts returns every event transcript in testdata (the
// .rest.jsonl files are REST logs, not events).
func MustEventTranscripts(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".rest.jsonl") {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no event transcripts in testdata")
	}
	return out
}

// MustLines returns the non-empty lines of a file.
func MustLines(tb testing.TB, path string) [][]byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 8<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			lines = append(lines, append([]byte(nil), line...))
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

func TestTranscriptEventsRoundTrip(t *testing.T) {
	total := 0
	for _, file := range MustEventTranscripts(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			for i, line := range MustLines(t, file) {
				total++
				ev, err := DecodeEvent(line)
				if err != nil {
					t.Fatalf("line %d: DecodeEvent: %v", i+1, err)
				}
				if raw, ok := ev.(*RawEvent); ok {
					t.Fatalf("line %d: got=*RawEvent(%s), want a typed event", i+1, raw.Type)
				}
				var head struct{ Type string }
				if err := json.Unmarshal(line, &head); err != nil {
					t.Fatal(err)
				}
				if got, want := reflect.TypeOf(ev).Elem().Name(), head.Type; got != want {
					t.Errorf("line %d: Go type got=%s, want %s", i+1, got, want)
				}
				if ev.EventType() != head.Type {
					t.Errorf("line %d: EventType() got=%s, want %s", i+1, ev.EventType(), head.Type)
				}
				if ev.Timestamp().IsZero() || ev.Application() == "" {
					t.Errorf("line %d: Timestamp()=%v Application()=%q, want both set", i+1, ev.Timestamp(), ev.Application())
				}
				again, err := json.Marshal(ev)
				if err != nil {
					t.Fatalf("line %d: re-encode: %v", i+1, err)
				}
				var want, got map[string]any
				if err := json.Unmarshal(line, &want); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(again, &got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("line %d: re-encoded %s differs\n got=%s\nwant %s", i+1, head.Type, again, line)
				}
			}
		})
	}
	if total == 0 {
		t.Fatal("no events read")
	}
}
