package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"stasisq/queue"
)

// An agent blind-transfers the caller from the desk phone (SIPp sends
// REFER to 200, as the phone's Transfer key does): Asterisk swaps a Local
// channel to 200@agents into stasisq's bridge in place of the agent's leg.
// The call ends for the queue (transferred), the agent is free, and the
// caller talks on with the target, an echo, until it hangs up.
func TestAsteriskBlindTransferFromThePhone(t *testing.T) {
	e, obs := MustStartAsteriskEnv(t, map[string]string{"pjsip.conf": asteriskPJSIP})
	x := transferFromThePhone(t, e, obs, "transfer-blind.xml", "-key", "target", "200")
	if x.Exten != "200" || x.Context != "agents" {
		t.Errorf("transferred to %s@%s, want 200@agents (the REFER's target in the phone's context)", x.Exten, x.Context)
	}
	e.waitAgent("alice", queue.AgentAvailable)

	// The agent's SIP leg is gone; the caller is bridged with the target.
	pollUntil(t, waitFor, "the caller bridged with the transfer target", func() (bool, string) {
		names := map[string]string{} // channel id -> name
		for _, ch := range obs.channels() {
			id, name, _ := strings.Cut(ch, " ")
			names[id] = name
		}
		for _, b := range obs.bridges() {
			if !slices.Contains(b.Channels, "c01") {
				continue
			}
			var others []string
			for _, id := range b.Channels {
				if id != "c01" {
					others = append(others, names[id])
				}
			}
			return len(others) == 1 && strings.HasPrefix(others[0], "Local/200@agents"), strings.Join(others, ", ")
		}
		return false, "the caller is in no bridge"
	})
	obs.listenAgain("c01")
	obs.say("c01", "tt-monkeys")
	pollUntil(t, waitFor, "the caller hears the target's echo", func() (bool, string) {
		return obs.heard("c01") > 0, ""
	})
	if _, n := leftReason(e, "c01"); n != 1 {
		t.Errorf("caller left the queue %d times, want once (answered)", n)
	}
	obs.hangup("c01")
	e.waitAsteriskClean(obs)
	if c, ok := completed(e, "c01"); !ok || c.By != queue.PartyTransfer {
		t.Errorf("call completed %+v, want once, by transfer", c)
	}
}

// deskDialplan is the agent's desk phone's own context for the transfer
// tests: 201 rings a colleague (an echo) through Dial, as a consultation
// call does, so both of the phone's calls are bridged when it transfers.
const deskDialplan = `
[desk]
exten => 200,1,Answer()
 same => n,Echo()
exten => 201,1,Dial(Local/201@agents)
`

// An agent completes an attended transfer from the desk phone: while the
// queue call is up the phone has a consultation call to 201 (a colleague,
// Dial'd), then REFERs the queue call with Replaces naming the
// consultation. Asterisk joins the caller to the colleague, ends both of
// the phone's legs, and the queue call ends as transferred. (SIPp makes the
// consultation call first, before the queue call arrives: one phone
// scenario cannot learn another dialog's tags mid-call, and Asterisk's
// transfer does not care which call came first.)
func TestAsteriskAttendedTransferFromThePhone(t *testing.T) {
	pjsip := strings.ReplaceAll(asteriskPJSIP, "context = agents", "context = desk")
	e, obs := MustStartAsteriskEnv(t, map[string]string{
		"pjsip.conf":      pjsip,
		"extensions.conf": asteriskDialplan + deskDialplan,
	})
	dir := t.TempDir()
	dialogLog := filepath.Join(dir, "consult.log")
	consult := sipp(t, e.ast, "-sf", sippScenario(t, "consult.xml"), "-s", "201", "-key", "user", "1001", "-au", "1001", "-ap", "phone-1001",
		"-cid_str", "consult-%u-%p", "-trace_logs", "-log_file", dialogLog, "-m", "1", "-p", strconv.Itoa(freeUDPPort(t)))
	// SIPp's own output is read only once it has exited (consultDone).
	var consultOut bytes.Buffer
	consult.Stdout, consult.Stderr = &consultOut, &consultOut
	if err := consult.Start(); err != nil {
		t.Fatalf("start the consultation call: %v", err)
	}
	consultDone := make(chan error, 1)
	go func() { consultDone <- consult.Wait() }()
	t.Cleanup(func() {
		_ = consult.Process.Kill()
		<-consultDone
	})
	var dialog []string
	pollUntil(t, waitFor, "the consultation call answered", func() (bool, string) {
		b, _ := os.ReadFile(dialogLog)
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 4 && f[0] == "DIALOG" {
				dialog = f[1:]
				return true, ""
			}
		}
		return false, string(b)
	})
	inject := filepath.Join(dir, "replaces.csv")
	if err := os.WriteFile(inject, []byte("SEQUENTIAL\n"+strings.Join(dialog, ";")+";\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	x := transferFromThePhone(t, e, obs, "transfer-attended.xml", "-key", "target", "201", "-inf", inject)
	t.Logf("transfer: %+v", x)
	if !strings.HasPrefix(x.Attended, "LINK|") {
		t.Errorf("transfer %+v: want an attended one linking the caller's bridge to the colleague's (LINK|chan|chan)", x)
	}
	e.waitAgent("alice", queue.AgentAvailable)
	select {
	case err := <-consultDone:
		consultDone <- err
		if err != nil {
			t.Errorf("consultation call: %v\n%s", err, consultOut.String())
		}
	case <-time.After(waitFor):
		t.Errorf("the consultation leg was not ended by the transfer")
	}

	// The phone is out of it; the caller talks to the colleague.
	pollUntil(t, waitFor, "the phone's legs gone", func() (bool, string) {
		chans := obs.channels()
		return !slices.ContainsFunc(chans, func(c string) bool { return strings.Contains(c, "PJSIP/1001") }), strings.Join(chans, ", ")
	})
	obs.listenAgain("c01")
	obs.say("c01", "tt-monkeys")
	pollUntil(t, waitFor, "the caller hears the colleague's echo", func() (bool, string) {
		return obs.heard("c01") > 0, strings.Join(obs.channels(), ", ")
	})
	obs.hangup("c01")
	e.waitAsteriskClean(obs)
	if c, ok := completed(e, "c01"); !ok || c.By != queue.PartyTransfer {
		t.Errorf("call completed %+v, want once, by transfer", c)
	}
}

// transferFromThePhone registers the agent's desk phone 1001 running SIPp
// scenario (with more of SIPp's arguments), puts a caller through to it and
// returns the transfer the phone made.
func transferFromThePhone(t *testing.T, e *testEnv, obs *observer, scenario string, args ...string) queue.CallerTransferred {
	t.Helper()
	mustRegisterPhone(t, e.ast, "1001", "phone-1001", append([]string{"-sf", sippScenario(t, scenario), "-s", "1001", "-m", "1"}, args...)...)
	e.asteriskQueue("support", nil)
	e.MustAgent("alice", "PJSIP/1001", "support")
	obs.call("support", "c01")
	e.waitConnected("c01", "alice")
	e.waitEvent("c01", "call_transferred")
	for _, ev := range e.events.all() {
		if x, ok := ev.(queue.CallerTransferred); ok {
			return x
		}
	}
	t.Fatal("no transfer event")
	return queue.CallerTransferred{}
}

// sippScenario is the path of one of testdata/sipp's scenarios.
func sippScenario(tb testing.TB, name string) string {
	tb.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "sipp", name))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
