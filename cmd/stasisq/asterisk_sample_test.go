package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"stasisq/internal/asteriskt"
)

// TestAsteriskSampleConf: a real Asterisk runs the files of asterisk-conf/
// themselves, only their ports moved to free ones (and the ARI password,
// which the sample says to change, set to the one asterisk-test checks
// with); a caller dialling 100
// from-callers is answered by an agent on the sample's desk phone 1001
// (SIPp, registered with the sample's credentials); with stasisq down the
// same number takes the sample's fallback, which answers the caller.
func TestAsteriskSampleConf(t *testing.T) {
	conf := map[string]string{}
	for name, moves := range map[string][][2]string{
		"http.conf":       {{"bindport = 8088", "bindport = @HTTP_PORT@"}},
		"pjsip.conf":      {{"bind = 0.0.0.0:5060", "bind = 127.0.0.1:@SIP_PORT@"}},
		"ari.conf":        {{"password = change-me-please", "password = stasisq"}},
		"extensions.conf": nil,
		"sorcery.conf":    nil,
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", "asterisk-conf", name))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, m := range moves {
			if !strings.Contains(text, m[0]) {
				t.Fatalf("asterisk-conf/%s has no %q: the test moves that port", name, m[0])
			}
			text = strings.Replace(text, m[0], m[1], 1)
		}
		conf[name] = text
	}
	phone := iniValue(t, readSample(t, "pjsip.conf"), "1001", "password")

	ast := asteriskt.Start(t, conf)
	// The sample must load as written: no warning about its own files
	// (a ';' inside NoOp(...) once cut a line short).
	msgs, err := ast.Log("messages.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(msgs, "\n") {
		for name := range conf {
			if strings.Contains(line, name) && (strings.Contains(line, "WARNING") || strings.Contains(line, "ERROR")) {
				t.Errorf("Asterisk on the sample %s: %s", name, line)
			}
		}
	}
	obs := mustObserve(t, ast)
	e := &testEnv{tb: t, ast: ast, dir: t.TempDir(), events: &eventLog{}, logs: &logRecorder{}}
	e.MustRunMain()
	mustRegisterPhone(t, ast, "1001", phone)
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "PJSIP/1001", "support")

	obs.dial("Local/100@from-callers", "c01")
	e.waitConnected("c01", "alice")
	e.endCall(obs, "c01", "alice")

	if err := e.main.Close(); err != nil {
		t.Fatal(err)
	}
	obs.dial("Local/100@from-callers", "c02")
	pollUntil(t, waitFor, "the fallback answering the caller and speaking", func() (bool, string) {
		obs.mu.Lock()
		answered := obs.arrived["o-c02"]
		obs.mu.Unlock()
		return answered && obs.heard("c02") > 0, fmt.Sprintf("answered %v, heard %d", answered, obs.heard("c02"))
	})
}

func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "asterisk-conf", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// iniValue is key's value in the first section named section (with or
// without a template) of an Asterisk config that has it.
func iniValue(t *testing.T, text, section, key string) string {
	t.Helper()
	head := regexp.MustCompile(`^\[` + regexp.QuoteMeta(section) + `\]`)
	in := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			in = head.MatchString(line)
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if in && ok && strings.TrimSpace(k) == key {
			v, _, _ = strings.Cut(v, ";")
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in [%s]", key, section)
	return ""
}
