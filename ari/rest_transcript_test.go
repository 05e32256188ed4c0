package ari

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRESTTranscriptRepliesRoundTrip decodes every reply body Asterisk sent
// in the recorded REST logs into the Go type of the operation's api-docs
// responseClass and checks nothing is lost on re-encoding.
func TestRESTTranscriptRepliesRoundTrip(t *testing.T) {
	docs := MustAPIDocs(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*.rest.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no REST transcripts in testdata (err %v)", err)
	}
	decoded := 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			for i, line := range MustLines(t, file) {
				var rec struct {
					Method   string          `json:"method"`
					Path     string          `json:"path"`
					Status   int             `json:"status"`
					Response json.RawMessage `json:"response"`
				}
				if err := json.Unmarshal(line, &rec); err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				if rec.Status < 200 || rec.Status > 299 || len(rec.Response) == 0 || string(rec.Response) == "null" {
					continue
				}
				u, err := url.Parse(rec.Path)
				if err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				tmpl, err := docs.matchRoute(u.EscapedPath())
				if err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				class := docs.routes[tmpl][rec.Method].ResponseClass
				goType, ok := goTypeForClass(class)
				if !ok {
					t.Errorf("line %d: %s %s replies %s, which has no Go type", i+1, rec.Method, tmpl, class)
					continue
				}
				v := reflect.New(goType)
				if err := json.Unmarshal(rec.Response, v.Interface()); err != nil {
					t.Errorf("line %d: decode %s: %v", i+1, class, err)
					continue
				}
				again, err := json.Marshal(v.Interface())
				if err != nil {
					t.Fatal(err)
				}
				var want, got any
				_ = json.Unmarshal(rec.Response, &want)
				_ = json.Unmarshal(again, &got)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("line %d: %s re-encoded differs\n got=%s\nwant %s", i+1, class, again, rec.Response)
				}
				decoded++
			}
		})
	}
	if decoded == 0 {
		t.Fatal("no REST reply decoded")
	}
}

func goTypeForClass(class string) (reflect.Type, bool) {
	if elem, ok := strings.CutPrefix(class, "List["); ok {
		inner, ok := goTypeForClass(strings.TrimSuffix(elem, "]"))
		if !ok {
			return nil, false
		}
		return reflect.SliceOf(inner), true
	}
	v, ok := modelTypes[class]
	if !ok {
		return nil, false
	}
	return reflect.TypeOf(v), true
}
