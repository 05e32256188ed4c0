package ari

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"stasisq/internal/groundtruth"
)

type docParam struct {
	Name          string `json:"name"`
	ParamType     string `json:"paramType"`
	Required      bool   `json:"required"`
	AllowMultiple bool   `json:"allowMultiple"`
	DataType      string `json:"dataType"`
}

type docOperation struct {
	HTTPMethod    string     `json:"httpMethod"`
	Nickname      string     `json:"nickname"`
	ResponseClass string     `json:"responseClass"`
	Parameters    []docParam `json:"parameters"`
}

type docProperty struct {
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

type docModel struct {
	ID         string                 `json:"id"`
	SubTypes   []string               `json:"subTypes"`
	Properties map[string]docProperty `json:"properties"`
}

// apiDocs is the part of the api-docs the conformance tests read.
type apiDocs struct {
	routes map[string]map[string]docOperation // path template -> HTTP method -> operation
	models map[string]docModel
}

// MustAPIDocs loads the api-docs, skipping the test when they are absent
// (they live outside the repository) unless CI=true, where absence fails.
func MustAPIDocs(tb testing.TB) *apiDocs {
	tb.Helper()
	apiDocsDir := groundtruth.APIDocs(tb)
	files, _ := filepath.Glob(filepath.Join(apiDocsDir, "*.json"))
	if len(files) == 0 {
		tb.Fatalf("no api-docs in %s", apiDocsDir)
	}
	docs := &apiDocs{routes: map[string]map[string]docOperation{}, models: map[string]docModel{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var doc struct {
			APIs []struct {
				Path       string         `json:"path"`
				Operations []docOperation `json:"operations"`
			} `json:"apis"`
			Models map[string]docModel `json:"models"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			tb.Fatalf("parse %s: %v", f, err)
		}
		for _, api := range doc.APIs {
			if docs.routes[api.Path] == nil {
				docs.routes[api.Path] = map[string]docOperation{}
			}
			for _, op := range api.Operations {
				docs.routes[api.Path][op.HTTPMethod] = op
			}
		}
		for name, m := range doc.Models {
			docs.models[name] = m
		}
	}
	if len(docs.routes) == 0 || len(docs.models) == 0 {
		tb.Fatalf("api-docs in %s hold no routes or models", apiDocsDir)
	}
	return docs
}

// recordedRequest is what the client sent, as a server saw it.
type recordedRequest struct {
	Method  string
	RawPath string // escaped, without the query, e.g. "/ari/channels/a%2Fb/answer"
	Query   url.Values
	Body    map[string]any // top-level keys of a JSON body, nil when none
}

// matchRoute finds the api-docs path template for an actual path. Literal
// segments beat {parameters}: POST /channels/create is "create", not
// originateWithId.
func (d *apiDocs) matchRoute(rawPath string) (string, error) {
	p, ok := strings.CutPrefix(rawPath, "/ari")
	if !ok {
		return "", fmt.Errorf("path %s is not under /ari", rawPath)
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return "", fmt.Errorf("path %s: %w", rawPath, err)
		}
		segs[i] = u
	}
	best, bestLiterals := "", -1
	for tmpl := range d.routes {
		tsegs := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(tsegs) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i, t := range tsegs {
			switch {
			case strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}"):
				ok = ok && segs[i] != ""
			case t == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = tmpl, literals
		}
	}
	if best == "" {
		return "", fmt.Errorf("no api-docs route matches %s", rawPath)
	}
	return best, nil
}

// check returns why req does not agree with the api-docs, or nil. It gives
// the matched template so callers can compare it with what the client
// reported.
func (d *apiDocs) check(req recordedRequest) (string, error) {
	tmpl, err := d.matchRoute(req.RawPath)
	if err != nil {
		return "", err
	}
	op, ok := d.routes[tmpl][req.Method]
	if !ok {
		return tmpl, fmt.Errorf("%s %s: api-docs route %s has no %s", req.Method, req.RawPath, tmpl, req.Method)
	}
	params := map[string]docParam{}
	for _, p := range op.Parameters {
		params[p.Name] = p
	}
	var problems []string
	for name, values := range req.Query {
		p, ok := params[name]
		switch {
		case !ok || p.ParamType != "query":
			problems = append(problems, fmt.Sprintf("query parameter %q is not declared", name))
		case len(values) > 1 && !p.AllowMultiple:
			problems = append(problems, fmt.Sprintf("query parameter %q sent %d times", name, len(values)))
		}
	}
	// A lone object body parameter the body does not name is the body
	// itself: eventFilter's "filter" is {"allowed":[...]} (its notes), as
	// against originate's "variables", sent as {"variables":{...}}.
	var bodyParams []docParam
	for _, p := range op.Parameters {
		if p.ParamType == "body" {
			bodyParams = append(bodyParams, p)
		}
	}
	whole := false
	if len(bodyParams) == 1 && bodyParams[0].DataType == "object" {
		_, named := req.Body[bodyParams[0].Name]
		whole = !named
	}
	for name := range req.Body {
		if whole {
			break
		}
		if p, ok := params[name]; !ok || p.ParamType != "body" {
			problems = append(problems, fmt.Sprintf("body parameter %q is not declared", name))
		}
	}
	for _, p := range op.Parameters {
		if !p.Required {
			continue
		}
		switch p.ParamType {
		case "query":
			if _, ok := req.Query[p.Name]; !ok {
				problems = append(problems, fmt.Sprintf("required query parameter %q missing", p.Name))
			}
		case "body":
			if _, ok := req.Body[p.Name]; !ok {
				problems = append(problems, fmt.Sprintf("required body parameter %q missing", p.Name))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return tmpl, fmt.Errorf("%s %s (%s %s): %s", req.Method, req.RawPath, op.Nickname, tmpl, strings.Join(problems, "; "))
	}
	return tmpl, nil
}
