package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"stasisq/ari"
	"stasisq/callflow"
)

// AsteriskServer is one Asterisk of --asterisk NAME=URL, resolved: its ARI
// user and password found, its dial template for the devices of the others.
type AsteriskServer struct {
	Name, URL      string
	User, Password string
	Dial           string
}

// listFlag is a repeatable flag; its environment variable holds the values
// separated by white space (URLs and dial templates have none).
type listFlag struct{ values *[]string }

func (l listFlag) String() string {
	if l.values == nil {
		return ""
	}
	return strings.Join(*l.values, " ")
}

func (l listFlag) Set(v string) error {
	*l.values = append(*l.values, v)
	return nil
}

// asteriskServers resolves --asterisk, --asterisk-dial and the passwords.
// Each server's password is, first found: $STASISQ_ARI_PASSWORD_<NAME>
// (upper case, - as _), a "NAME=password" line of --ari-password-file,
// the shared password (--ari-password, $STASISQ_ARI_PASSWORD, the file's
// first other line). Its user is the URL's (http://user@host:8088), else
// --ari-user.
func (c *Config) asteriskServers(lookupEnv func(string) (string, bool), warn io.Writer) ([]AsteriskServer, error) {
	if len(c.Asterisks) == 0 {
		return nil, nil
	}
	var out []AsteriskServer
	seen := map[string]bool{}
	for _, v := range c.Asterisks {
		name, raw, ok := strings.Cut(v, "=")
		if !ok || raw == "" {
			return nil, fmt.Errorf("--asterisk %q: want NAME=URL, e.g. a=http://10.0.0.1:8088", ari.RedactURL(v))
		}
		if !callflow.ServerName.MatchString(name) {
			return nil, fmt.Errorf("--asterisk %q: the name %q: want lower-case letters, digits, - and _ (at most 32), starting with a letter or digit", ari.RedactURL(v), name)
		}
		if seen[name] {
			return nil, fmt.Errorf("--asterisk: %q given twice", name)
		}
		seen[name] = true
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--asterisk %s: want an http:// or https:// URL, got %q", name, ari.RedactURL(raw))
		}
		srv := AsteriskServer{Name: name, URL: raw, User: c.ARIUser}
		if u.User != nil {
			srv.User = u.User.Username()
			if _, has := u.User.Password(); has {
				fmt.Fprintf(warn, "stasisq: warning: --asterisk %s: a password in the URL shows in ps; use $STASISQ_ARI_PASSWORD_%s or --ari-password-file\n", name, envName(name))
			}
		}
		out = append(out, srv)
	}
	dials := map[string]string{}
	for _, v := range c.AsteriskDials {
		name, tmpl, ok := strings.Cut(v, "=")
		if !ok || tmpl == "" {
			return nil, fmt.Errorf("--asterisk-dial %q: want NAME=TEMPLATE, e.g. a=PJSIP/{device}@to-{server}", v)
		}
		if !seen[name] {
			return nil, fmt.Errorf("--asterisk-dial %q: no --asterisk named %q", v, name)
		}
		if !strings.Contains(tmpl, "{device}") && !strings.Contains(tmpl, "{interface}") {
			return nil, fmt.Errorf("--asterisk-dial %q: the template names no {device} or {interface}", v)
		}
		dials[name] = tmpl
	}
	var fromFile map[string]string
	if c.ARIPasswordFile != "" {
		shared, byName, err := readPasswordFile(c.ARIPasswordFile, seen)
		if err != nil {
			return nil, fmt.Errorf("--ari-password-file: %w", err)
		}
		fromFile = byName
		if shared != "" {
			c.ARIPassword = shared
		}
	}
	for i := range out {
		s := &out[i]
		s.Dial = dials[s.Name]
		switch pw, env := fromFile[s.Name], "STASISQ_ARI_PASSWORD_"+envName(s.Name); {
		case lookup(lookupEnv, env) != "":
			s.Password = lookup(lookupEnv, env)
		case pw != "":
			s.Password = pw
		default:
			s.Password = c.ARIPassword
		}
	}
	return out, nil
}

func lookup(lookupEnv func(string) (string, bool), name string) string {
	v, _ := lookupEnv(name)
	return v
}

// envName is a server name as it is in an environment variable's name.
func envName(server string) string {
	return strings.ToUpper(strings.ReplaceAll(server, "-", "_"))
}

// readPasswordFile reads a password file: "NAME=password" lines for the
// servers named, and at most one other line, the shared password.
func readPasswordFile(path string, names map[string]bool) (shared string, byName map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	byName = map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" {
			continue
		}
		if name, pw, ok := strings.Cut(text, "="); ok && names[name] {
			if pw == "" {
				return "", nil, fmt.Errorf("%s:%d: the password of %s is empty", path, line, name)
			}
			byName[name] = pw
			continue
		}
		if shared != "" {
			// Never the line itself: it is a password.
			return "", nil, fmt.Errorf("%s:%d: a second line that is not NAME=password for a server of --asterisk", path, line)
		}
		shared = text
	}
	if err := sc.Err(); err != nil {
		return "", nil, fmt.Errorf("read %s: %w", path, err)
	}
	if shared == "" && len(byName) == 0 {
		return "", nil, errors.New(path + ": no password in it")
	}
	return shared, byName, nil
}

// ariConnected reports whether any server's events websocket is up.
func (m *Main) ariConnected() bool {
	for _, c := range m.ARIs {
		if c.Connected() {
			return true
		}
	}
	return false
}

// serverNames are the servers' names; nil for the one of --ari-url.
func serverNames(servers []AsteriskServer) []string {
	var out []string
	for _, s := range servers {
		out = append(out, s.Name)
	}
	return out
}

// asteriskList says which Asterisk servers serve talks to, for people:
// URLs with any password in them hidden.
func (m *Main) asteriskList() string {
	if len(m.Config.Servers) == 0 {
		return ari.RedactURL(m.Config.ARIURL)
	}
	parts := make([]string, len(m.Config.Servers))
	for i, s := range m.Config.Servers {
		parts[i] = s.Name + "=" + ari.RedactURL(s.URL)
	}
	return strings.Join(parts, " ")
}
