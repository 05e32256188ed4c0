package ui

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// bodyRoutes is every route whose handler decodes a JSON body, with who
// sends it and a body it accepts (a fuzzing seed).
type bodyRoute struct{ method, path, as, seed string }

var bodyRoutes = []bodyRoute{
	{"POST", "/api/login", "", `{"login":"sue","password":"correct horse"}`},
	{"POST", "/api/setup", "", `{"token":"t","login":"boss","name":"Boss","password":"boss-password"}`},
	{"POST", "/api/me/login", "alice", `{}`},
	{"POST", "/api/me/pause", "alice", `{"reason":"Break"}`},
	{"POST", "/api/me/reject", "alice", `{"offer":"o-0001"}`},
	{"POST", "/api/me/pick", "alice", `{"caller":"c2"}`},
	{"PUT", "/api/me/queues", "alice", `{"queues":["sales"]}`},
	{"POST", "/api/callers/c2/reorder", "sue", `{"position":1}`},
	{"POST", "/api/callers/c2/move", "sue", `{"queue":"support","keep_wait":true}`},
	{"POST", "/api/callers/c2/priority", "sue", `{"priority":3}`},
	{"POST", "/api/callers/c2/redirect", "sue", `{"target":"from-internal,2000,1"}`},
	{"POST", "/api/callers/c2/recording", "sue", `{"action":"pause"}`},
	{"POST", "/api/callers/c2/monitor", "sue", `{"mode":"listen"}`},
	{"POST", "/api/me/recording", "alice", `{"caller":"c2","action":"resume"}`},
	{"POST", "/api/agents/bob/login", "sue", `{}`},
	{"POST", "/api/agents/bob/pause", "sue", `{"reason":"Lunch"}`},
	{"PUT", "/api/agents/bob/queues", "sue", `{"queues":[{"queue":"support","penalty":1}]}`},
	{"PUT", "/api/admin/queues/billing", "ada", `{"name":"billing","strategy":"ringall","timeout":15000000000,"musicclass":"default"}`},
	{"PUT", "/api/admin/users/carl", "ada", `{"name":"Carl","role":"supervisor","password":"carl-password"}`},
	{"PUT", "/api/admin/redirect-targets", "ada", `{"targets":["from-internal,2000","ivr,_X."]}`},
}

// The fuzz table keeps up with the API: every operation openapi.json says
// takes a body is in it.
func TestFuzzCoversEveryBody(t *testing.T) {
	var spec struct {
		Paths map[string]map[string]struct {
			RequestBody any `json:"requestBody"`
		} `json:"paths"`
	}
	if err := UnmarshalAPI(openAPISpec, &spec); err != nil {
		t.Fatal(err)
	}
	for path, ops := range spec.Paths {
		// /api/callers/{id}/move matches the table's /api/callers/c2/move.
		re := regexp.MustCompile("^" + regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "[^/]+") + "$")
		for method, op := range ops {
			if op.RequestBody == nil {
				continue
			}
			if !slices.ContainsFunc(bodyRoutes, func(r bodyRoute) bool { return strings.EqualFold(r.method, method) && re.MatchString(r.path) }) {
				t.Errorf("%s %s takes a JSON body and is not in bodyRoutes", strings.ToUpper(method), path)
			}
		}
	}
}

// Any body, on any route that decodes one, is answered with a status below
// 500 and a JSON error naming what is wrong: never a panic, never an
// internal error.
func FuzzAPIRequestBodies(f *testing.F) {
	env := MustTestEnv(f)
	type browser struct{ cookie, csrf string }
	browsers := map[string]browser{"": {}}
	for _, login := range []string{"alice", "sue", "ada"} {
		c := env.MustLogin(f, login)
		u, _ := url.Parse(env.ts.URL)
		var cookie string
		for _, ck := range c.http.Jar.Cookies(u) {
			cookie = ck.Name + "=" + ck.Value
		}
		browsers[login] = browser{cookie, c.csrf}
	}
	for i, r := range bodyRoutes {
		for _, body := range []string{r.seed, "", "null", "[]", "{", `{"x":1}`, strings.Repeat("[", 10000), `{"name":"` + strings.Repeat("é", 500) + `"}`,
			`{"position":1e400}`, `{"queues":[null]}`, `{"targets":[1]}`, `{"password":"\u0000"}`} {
			f.Add(uint8(i), []byte(body))
		}
	}
	handler := env.srv.Handler()
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := bodyRoutes[int(route)%len(bodyRoutes)]
		b := browsers[r.as]
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if b.cookie != "" {
			req.Header.Set("Cookie", b.cookie)
			req.Header.Set(csrfHeader, b.csrf)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s with %q: status %d (%s)", r.method, r.path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var e struct {
				Error string `json:"error"`
			}
			if err := UnmarshalAPI(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%s %s with %q: status %d without a JSON error (%s)", r.method, r.path, body, rec.Code, rec.Body)
			}
		}
		if rec.Code == http.StatusUnauthorized && r.as != "" {
			t.Fatalf("%s %s: the session was refused (%s)", r.method, r.path, rec.Body)
		}
	})
}
