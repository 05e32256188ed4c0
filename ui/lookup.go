package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

// Lookup outcomes, as the customer panel shows them.
const (
	LookupMatch    = "match"
	LookupNoMatch  = "no match"
	LookupFailed   = "lookup failed"
	LookupDisabled = "disabled"
)

// LookupField is one labelled line of the customer panel.
type LookupField struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// LookupResult is what GET /api/lookup answers.
type LookupResult struct {
	Number string        `json:"number"`
	Status string        `json:"status"`
	Fields []LookupField `json:"fields"`
}

// lookupClient asks the CRM about a number from the server, so the CRM
// needs no CORS and its address stays private.
type lookupClient struct {
	template string
	timeout  time.Duration
	http     *http.Client
}

func newLookupClient(template string, timeout time.Duration) (*lookupClient, error) {
	if template == "" {
		return nil, nil
	}
	if !strings.Contains(template, "{number}") {
		return nil, fmt.Errorf("ui: lookup URL %q has no {number}", template)
	}
	u, err := url.Parse(strings.ReplaceAll(template, "{number}", "0"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ui: lookup URL %q is not an http(s) URL", template)
	}
	return &lookupClient{template: template, timeout: timeout, http: &http.Client{Timeout: timeout}}, nil
}

func (l *lookupClient) lookup(ctx context.Context, number string) (LookupResult, error) {
	res := LookupResult{Number: number, Status: LookupFailed, Fields: []LookupField{}}
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	target := strings.ReplaceAll(l.template, "{number}", url.QueryEscape(number))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return res, fmt.Errorf("lookup request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := l.http.Do(req)
	if err != nil {
		return res, fmt.Errorf("lookup %s: %w", number, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNoContent {
		res.Status = LookupNoMatch
		return res, nil
	}
	if resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("lookup %s: status %s", number, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	if err != nil {
		return res, fmt.Errorf("lookup %s: read: %w", number, err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		res.Status = LookupNoMatch
		return res, nil
	}
	fields, err := flattenObject(body)
	if err != nil {
		return res, fmt.Errorf("lookup %s: %w", number, err)
	}
	if len(fields) == 0 {
		res.Status = LookupNoMatch
		return res, nil
	}
	res.Status = LookupMatch
	res.Fields = fields
	return res, nil
}

// flattenObject turns a JSON object into labelled fields in the CRM's own
// order (a Go map would lose it); nested values become readable text.
func flattenObject(body []byte) ([]LookupField, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if tok == nil {
			return nil, nil // null: no match
		}
		return nil, errors.New("not a JSON object")
	}
	var out []LookupField
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		key, _ := keyTok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		text := renderValue(v)
		if text == "" {
			continue
		}
		out = append(out, LookupField{Key: key, Label: labelFor(key), Value: text})
	}
	return out, nil
}

func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := renderValue(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		b, _ := json.Marshal(x) // map keys come out sorted: stable
		return strings.NewReplacer(`{`, ``, `}`, ``, `"`, ``, `:`, `: `, `,`, `, `).Replace(string(b))
	}
	return fmt.Sprint(v)
}

// labelFor makes "recent_orders" read "Recent orders".
func labelFor(key string) string {
	s := strings.TrimSpace(strings.NewReplacer("_", " ", "-", " ").Replace(key))
	if s == "" {
		return key
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// lookupNumber is the screen pop. An agent may look up only the numbers
// it can see (its own call, the callers of its queues); supervisors any.
func (s *Server) lookupNumber(c echo.Context) error {
	number := c.QueryParam("number")
	f := fieldErrors{}
	switch {
	case number == "":
		f.add("number", "required")
	case len(number) > 64:
		f.add("number", "at most 64 characters")
	case strings.ContainsAny(number, "\r\n\x00"):
		f.add("number", "may not contain control characters")
	}
	if err := f.err(); err != nil {
		return err
	}
	if s.lookup == nil {
		return c.JSON(http.StatusOK, LookupResult{Number: number, Status: LookupDisabled, Fields: []LookupField{}})
	}
	u, _ := currentUser(c)
	if u.Role.Rank() < queue.RoleSupervisor.Rank() {
		snap, err := s.floorSnapshot(c)
		if err != nil {
			return err
		}
		if !numberVisibleTo(agentView(snap, queue.AgentID(u.ID)), number) {
			return newError(http.StatusForbidden, "you may look up only your callers' numbers")
		}
	}
	res, err := s.lookup.lookup(c.Request().Context(), number)
	if err != nil {
		s.log.Warn("customer lookup failed", "number", number, "err", err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, res)
}

func numberVisibleTo(view queue.Snapshot, number string) bool {
	for _, a := range view.Agents {
		if a.CallerNumber == number {
			return true
		}
	}
	for _, q := range view.Queues {
		for _, cv := range q.Callers {
			if cv.Number == number {
				return true
			}
		}
	}
	return false
}
