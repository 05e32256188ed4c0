package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFlagsSeveralAsterisks(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "ari.pass")
	if err := os.WriteFile(pwFile, []byte("shared-secret\nb=secret-of-b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string // the servers, %+v without passwords' values checked apart
		pw      map[string]string
		wantErr string
		warn    string
	}{
		{
			name: "two servers, passwords from the environment",
			args: []string{"--asterisk", "a=http://10.0.0.1:8088", "--asterisk", "b=http://ari-b@10.0.0.2:8088", "--asterisk-dial", "b=IAX2/to-{server}/{device}"},
			env:  map[string]string{"STASISQ_ARI_PASSWORD_A": "pa", "STASISQ_ARI_PASSWORD": "shared"},
			want: "a http://10.0.0.1:8088 stasisq ; b http://ari-b@10.0.0.2:8088 ari-b IAX2/to-{server}/{device}",
			pw:   map[string]string{"a": "pa", "b": "shared"},
		},
		{
			name: "from the environment, a dashed name",
			env:  map[string]string{"STASISQ_ASTERISK": "east-1=http://10.0.0.1:8088  west=https://10.0.0.2:8089", "STASISQ_ARI_PASSWORD_EAST_1": "pe"},
			want: "east-1 http://10.0.0.1:8088 stasisq ; west https://10.0.0.2:8089 stasisq",
			pw:   map[string]string{"east-1": "pe", "west": ""},
		},
		{
			name: "a password file: NAME= lines and a shared one",
			args: []string{"--asterisk", "a=http://h1:8088", "--asterisk", "b=http://h2:8088", "--ari-password-file", pwFile},
			want: "a http://h1:8088 stasisq ; b http://h2:8088 stasisq",
			pw:   map[string]string{"a": "shared-secret", "b": "secret-of-b"},
		},
		{name: "no name", args: []string{"--asterisk", "http://h1:8088"}, wantErr: "want NAME=URL"},
		{name: "bad name", args: []string{"--asterisk", "A=http://h1:8088"}, wantErr: "lower-case"},
		{name: "twice", args: []string{"--asterisk", "a=http://h1:8088", "--asterisk", "a=http://h2:8088"}, wantErr: `"a" given twice`},
		{name: "not http", args: []string{"--asterisk", "a=ws://h1:8088"}, wantErr: "http:// or https://"},
		{name: "dial for no server", args: []string{"--asterisk", "a=http://h1:8088", "--asterisk-dial", "b=PJSIP/{device}@x"}, wantErr: `no --asterisk named "b"`},
		{name: "dial naming no device", args: []string{"--asterisk", "a=http://h1:8088", "--asterisk-dial", "a=PJSIP/trunk"}, wantErr: "names no {device}"},
		{name: "dial alone", args: []string{"--asterisk-dial", "a=PJSIP/{device}@x"}, wantErr: "needs --asterisk"},
		{
			name: "a password in a URL is taken, with a warning that does not repeat it",
			args: []string{"--asterisk", "a=http://u:hunter2@h1:8088"},
			want: "a http://u:hunter2@h1:8088 u",
			pw:   map[string]string{"a": ""},
			warn: "a password in the URL shows in ps",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"STASISQ_ASTERISK", "STASISQ_ARI_PASSWORD", "STASISQ_ARI_PASSWORD_A", "STASISQ_ARI_PASSWORD_EAST_1"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			m := NewMain()
			var stderr strings.Builder
			m.Stderr = &stderr
			err := m.ParseFlags(context.Background(), tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, s := range m.Config.Servers {
				parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", s.Name, s.URL, s.User, s.Dial)))
				if want := tc.pw[s.Name]; s.Password != want {
					t.Errorf("%s's password %q, want %q", s.Name, s.Password, want)
				}
			}
			if got := strings.Join(parts, " ; "); got != tc.want {
				t.Errorf("servers\n got %s\nwant %s", got, tc.want)
			}
			if !strings.Contains(stderr.String(), tc.warn) {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.warn)
			}
			if strings.Contains(stderr.String(), "hunter2") {
				t.Errorf("stderr repeats the password: %q", stderr.String())
			}
		})
	}
}
