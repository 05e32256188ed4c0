package ui

import (
	"encoding/json"
	"reflect"

	"net/http"
	"regexp"
	"stasisq/queue"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes keeps the documentation in step with the API:
// every /api route is documented with its method, and nothing else is.
func TestOpenAPICoversRoutes(t *testing.T) {
	env := MustTestEnv(t)
	status, body := env.anonymous(t).do("GET", "/api/openapi.json", nil)
	if status != http.StatusOK {
		t.Fatalf("status got=%d, want 200", status)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := UnmarshalAPI(body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	param := regexp.MustCompile(`:([a-z]+)`)
	served := map[string]bool{}
	for _, r := range env.srv.echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") || strings.HasSuffix(r.Path, "*") || r.Method == "echo_route_not_found" {
			continue
		}
		served[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("route %s is not in openapi.json", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("openapi.json documents %s, which is not served", k)
		}
	}
}

// TestOpenAPISchemasMatchTypes keeps the documented objects in step with the
// Go types the API encodes: the same fields, and every duration documented
// as a number of seconds (seconds.go), the one unit the API uses.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	types := map[string]any{
		"QueueConfig":   queue.QueueConfig{},
		"PenaltyRule":   queue.PenaltyRule{},
		"AgentConfig":   queue.AgentConfig{},
		"Membership":    queue.Membership{},
		"CallerView":    queue.CallerView{},
		"QueueView":     queue.QueueView{},
		"RealTime":      queue.RealTime{},
		"AgentView":     queue.AgentView{},
		"Snapshot":      queue.Snapshot{},
		"CallRecord":    queue.CallRecord{},
		"QueueInterval": queue.QueueInterval{},
		"AgentInterval": queue.AgentInterval{},
	}
	for name, v := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("openapi.json has no schema %s", name)
			continue
		}
		fields := map[string]apiField{}
		for _, f := range structFields(reflect.TypeOf(v)) {
			fields[f.name] = f
			p, ok := s.Properties[f.name]
			if !ok {
				t.Errorf("schema %s lacks %s", name, f.name)
				continue
			}
			if f.typ == durationType && (p.Type != "number" || !strings.Contains(p.Description, "seconds")) {
				t.Errorf("schema %s.%s got type=%q description=%q, want a number of seconds", name, f.name, p.Type, p.Description)
			}
		}
		for prop := range s.Properties {
			if _, ok := fields[prop]; !ok {
				t.Errorf("schema %s documents %s, which %T does not have", name, prop, v)
			}
		}
	}
	if strings.Contains(string(openAPISpec), "nanosecond") {
		t.Error("openapi.json still speaks of nanoseconds")
	}
}

type schema struct {
	Properties map[string]struct {
		Type        string `json:"type"`
		Description string `json:"description"`
	} `json:"properties"`
}
