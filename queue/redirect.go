package queue

import (
	"fmt"
	"strings"
)

// RedirectTarget is one place a supervisor may send a waiting caller: a
// dialplan context and an extension, which may be an Asterisk pattern
// (_X., _NXX, _[1-5]!, _. for any). The admin keeps the list; anything not
// on it is refused, because a redirect to an arbitrary context is a
// redirect to wherever the dialplan can dial out (toll fraud).
type RedirectTarget struct {
	Context string `json:"context"`
	Exten   string `json:"exten"`
}

func (t RedirectTarget) String() string { return t.Context + "," + t.Exten }

// RedirectTargets is the admin's allow-list.
type RedirectTargets []RedirectTarget

// Allows reports whether a redirect to exten in context is on the list.
func (ts RedirectTargets) Allows(context, exten string) bool {
	for _, t := range ts {
		if t.Context == context && MatchExten(t.Exten, exten) {
			return true
		}
	}
	return false
}

// MaxRedirectTargets bounds the list (it is read on every redirect).
const MaxRedirectTargets = 200

// ParseRedirectTargets reads the allow-list as the admin writes it, one
// "context,exten" per entry; blank entries are skipped. Errors name the
// entry (1-based) and what is wrong with it.
func ParseRedirectTargets(lines []string) (RedirectTargets, error) {
	var out RedirectTargets
	var fs []FieldError
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		field := fmt.Sprintf("targets[%d]", i)
		ctx, exten, ok := strings.Cut(line, ",")
		ctx, exten = strings.TrimSpace(ctx), strings.TrimSpace(exten)
		switch {
		case !ok || ctx == "" || exten == "":
			fs = append(fs, FieldError{Field: field, Message: fmt.Sprintf("%q: want context,extension (or an extension pattern such as _X.)", truncate(line))})
			continue
		case strings.Contains(exten, ","):
			fs = append(fs, FieldError{Field: field, Message: fmt.Sprintf("%q: a priority is not part of a target (redirects go to priority 1 or the one given)", truncate(line))})
			continue
		}
		if msg := checkAsteriskWord(ctx, MaxAsteriskName); msg != "" {
			fs = append(fs, FieldError{Field: field, Message: "context: " + msg})
			continue
		}
		if msg := checkExten(exten); msg != "" {
			fs = append(fs, FieldError{Field: field, Message: "extension: " + msg})
			continue
		}
		out = append(out, RedirectTarget{Context: ctx, Exten: exten})
	}
	if len(out) > MaxRedirectTargets {
		fs = append(fs, FieldError{Field: "targets", Message: fmt.Sprintf("at most %d", MaxRedirectTargets)})
	}
	if len(fs) > 0 {
		return nil, &ValidationError{Fields: fs}
	}
	return out, nil
}

func checkExten(e string) string {
	if len(e) > MaxAsteriskName {
		return fmt.Sprintf("at most %d characters", MaxAsteriskName)
	}
	if strings.HasPrefix(e, "_") {
		if _, ok := compileExten(e[1:]); !ok {
			return fmt.Sprintf("%q is not an Asterisk pattern (X Z N [..] . ! and digits)", truncate(e))
		}
		return ""
	}
	for _, r := range e {
		if !strings.ContainsRune("0123456789*#+-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", r) {
			return fmt.Sprintf("%q holds %q", truncate(e), r)
		}
	}
	return ""
}

// MatchExten reports whether exten matches pattern as Asterisk's dialplan
// does: a pattern starting with _ has X (0-9), Z (1-9), N (2-9), [a-z0-9]
// sets, . (one or more of anything) and ! (zero or more); anything else
// matches only itself. Asterisk ignores '-' in both.
func MatchExten(pattern, exten string) bool {
	exten = strings.ReplaceAll(exten, "-", "")
	if !strings.HasPrefix(pattern, "_") {
		return strings.ReplaceAll(pattern, "-", "") == exten
	}
	p, ok := compileExten(pattern[1:])
	if !ok {
		return false
	}
	return matchTokens(p, exten)
}

type extenToken struct {
	set  string // characters matched; "" with rest
	rest byte   // '.' one or more of anything, '!' zero or more
}

func compileExten(p string) ([]extenToken, bool) {
	var out []extenToken
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '-':
		case c == 'X' || c == 'x':
			out = append(out, extenToken{set: "0123456789"})
		case c == 'Z' || c == 'z':
			out = append(out, extenToken{set: "123456789"})
		case c == 'N' || c == 'n':
			out = append(out, extenToken{set: "23456789"})
		case c == '.' || c == '!':
			if i != len(p)-1 {
				return nil, false // only at the end, as Asterisk uses them
			}
			out = append(out, extenToken{rest: c})
		case c == '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 2 {
				return nil, false
			}
			var set strings.Builder
			body := p[i+1 : i+end]
			for j := 0; j < len(body); j++ {
				if j+2 < len(body) && body[j+1] == '-' {
					for r := body[j]; r <= body[j+2]; r++ {
						set.WriteByte(r)
					}
					j += 2
					continue
				}
				set.WriteByte(body[j])
			}
			out = append(out, extenToken{set: set.String()})
			i += end
		case strings.IndexByte("0123456789*#+", c) >= 0:
			out = append(out, extenToken{set: string(c)})
		default:
			return nil, false
		}
	}
	return out, true
}

func matchTokens(p []extenToken, s string) bool {
	for _, t := range p {
		if t.rest != 0 {
			return len(s) > 0 || t.rest == '!'
		}
		if len(s) == 0 || !strings.ContainsRune(t.set, rune(s[0])) {
			return false
		}
		s = s[1:]
	}
	return len(s) == 0
}
