package main

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"stasisq/internal/cli"
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
			if got := cli.SplitList(m.Config.PauseReasons); !slices.Equal(got, tc.reasons) {
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

func TestParseFlagsSecrets(t *testing.T) {
	dir := t.TempDir()
	pwFile := dir + "/pw"
	emptyFile := dir + "/empty"
	if err := os.WriteFile(pwFile, []byte("from-file\nsecond line ignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(emptyFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantErr  string // in the error; "" for none
		wantPW   string
		wantWarn bool
		secure   bool
	}{
		{name: "file_wins_over_flag", args: []string{"--ari-password", "on-argv", "--ari-password-file", pwFile}, wantPW: "from-file", wantWarn: true},
		{name: "flag_warns_it_shows_in_ps", args: []string{"--ari-password", "on-argv"}, wantPW: "on-argv", wantWarn: true},
		{name: "missing_file", args: []string{"--ari-password-file", dir + "/nope"}, wantErr: "--ari-password-file"},
		{name: "empty_file", args: []string{"--ari-password-file", emptyFile}, wantErr: "empty"},
		{name: "secure_cookies_follow_tls", args: []string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, secure: true},
		{name: "secure_cookies_behind_a_tls_proxy", args: []string{"--secure-cookies", "true"}, secure: true},
		{name: "secure_cookies_not_a_bool", args: []string{"--secure-cookies", "sometimes"}, wantErr: "--secure-cookies"},
		{name: "trusted_proxies", args: []string{"--trusted-proxies", "10.0.0.1, 192.168.0.0/16"}},
		{name: "trusted_proxies_bad", args: []string{"--trusted-proxies", "10.0.0.1,proxy.lan"}, wantErr: `"proxy.lan"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMain()
			var out strings.Builder
			m.Stderr = &out
			err := m.ParseFlags(context.Background(), tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err=%v, want one mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantPW != "" && m.Config.ARIPassword != tt.wantPW {
				t.Errorf("ARI password got=%q, want %q", m.Config.ARIPassword, tt.wantPW)
			}
			if got := strings.Contains(out.String(), "shows in ps"); got != tt.wantWarn {
				t.Errorf("warning about ps got=%v, want %v (%q)", got, tt.wantWarn, out.String())
			}
			if secure, _ := m.Config.secureCookies(); secure != tt.secure {
				t.Errorf("secure cookies got=%v, want %v", secure, tt.secure)
			}
		})
	}
}
