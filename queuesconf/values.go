package queuesconf

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// isTrue and isFalse follow Asterisk's ast_true and ast_false.
func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}

func isFalse(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "no", "false", "n", "f", "0", "off":
		return true
	}
	return false
}

// parseBool accepts Asterisk's yes/no words and nothing else, so that a typo
// is reported instead of read as "no" the way ast_true would.
func parseBool(s string) (bool, bool) {
	switch {
	case isTrue(s):
		return true, true
	case isFalse(s):
		return false, true
	}
	return false, false
}

func parseInt(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

// maxSlug leaves room under queue.ValidName's 64 characters for the "-N"
// uniqueID may add.
const maxSlug = 60

// latinFold spells the Latin letters that do not decompose into a base
// letter and accents.
var latinFold = map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'þ': "th", 'ł': "l", 'ı': "i"}

// slug turns a member name or interface into an agent login the console
// accepts: lower-case ASCII letters and digits with accents dropped
// ("Ålice" is alice, not lice), other runs folded to one dash, at most
// maxSlug characters.
func slug(s string) string {
	var b strings.Builder
	dash := false
	letter := func(t string) {
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteString(t)
	}
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch t, folded := latinFold[r]; {
		case unicode.Is(unicode.Mn, r):
			// an accent of the letter before
		case folded:
			letter(t)
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			letter(string(r))
		default:
			dash = true
		}
	}
	out := b.String()
	if len(out) > maxSlug {
		out = strings.TrimRight(out[:maxSlug], "-")
	}
	return out
}

// splitArgs splits a member line as AST_STANDARD_APP_ARGS does: on commas,
// except inside double quotes or after a backslash, with the quotes and
// backslashes removed and fields trimmed.
func splitArgs(s string) []string {
	var fields []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == ',' && !quoted:
			fields = append(fields, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(fields, strings.TrimSpace(cur.String()))
}
