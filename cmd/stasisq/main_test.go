package main

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestParseFlagsEnvironment(t *testing.T) {
	t.Setenv("STASISQ_ARI_URL", "http://pbx:8088")
	t.Setenv("STASISQ_ARI_PASSWORD", "from-env")
	m := NewMain()
	if err := m.ParseFlags(context.Background(), []string{"--app", "myapp", "--db", "/tmp/x.db", "--ari-url", "http://flag:8088"}); err != nil {
		t.Fatal(err)
	}
	if m.Config.ARIURL != "http://flag:8088" {
		t.Errorf("ARIURL=%q, want the flag to win over the environment", m.Config.ARIURL)
	}
	if m.Config.ARIPassword != "from-env" || m.Config.App != "myapp" || m.Config.DB != "/tmp/x.db" {
		t.Errorf("config=%+v", m.Config)
	}
	if err := NewMain().ParseFlags(context.Background(), []string{"extra"}); err == nil {
		t.Error("stray argument accepted")
	}
}

func TestParseFlagsLoggingAndPauseReasons(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		reasons []string
		json    bool
	}{
		{name: "defaults", reasons: []string{"Break", "Lunch", "Training", "Meeting", "Admin"}},
		{name: "json logs", args: []string{"--log-format", "json"}, json: true, reasons: []string{"Break", "Lunch", "Training", "Meeting", "Admin"}},
		{name: "own reasons, spaces and empties dropped", args: []string{"--pause-reasons", " Coaching ,, Outbound "}, reasons: []string{"Coaching", "Outbound"}},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: true},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMain()
			var out strings.Builder
			m.Stderr = &out
			err := m.ParseFlags(context.Background(), tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err: got=%v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if got := m.Config.pauseReasons(); !slices.Equal(got, tc.reasons) {
				t.Errorf("pause reasons: got=%q, want %q", got, tc.reasons)
			}
			m.logger().Info("hello")
			if got := strings.HasPrefix(out.String(), "{"); got != tc.json {
				t.Errorf("JSON log line: got=%v, want %v (%q)", got, tc.json, out.String())
			}
		})
	}
}

func TestParseImportFlags(t *testing.T) {
	c, err := parseImportFlags([]string{"/etc/asterisk/queues.conf", "--queuerules", "r.conf", "--db", "x.db", "--dry-run"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.QueuesConf != "/etc/asterisk/queues.conf" || c.QueueRules != "r.conf" || c.DB != "x.db" || !c.DryRun {
		t.Errorf("got=%+v", c)
	}
}
