package queue

import (
	"errors"
	"testing"
)

func TestMatchExten(t *testing.T) {
	tests := []struct {
		pattern, exten string
		want           bool
	}{
		{"2000", "2000", true},
		{"2000", "20001", false},
		{"_X.", "5", false}, // '.' is one or more: _X. needs two digits, as in Asterisk
		{"_X.", "", false},
		{"_X.", "55", true},
		{"_X!", "5", true},
		{"_2XXX", "2999", true},
		{"_2XXX", "29999", false},
		{"_2XXX", "3999", false},
		{"_NXX", "199", false},
		{"_NXX", "299", true},
		{"_ZX", "09", false},
		{"_[1-3]5", "25", true},
		{"_[1-3]5", "45", false},
		{"_[13]5", "35", true},
		{"_9.", "900123", true},
		{"_9.", "8", false},
		{"_.", "anything", true},
		{"_X.", "12a", true}, // '.' takes anything after the first
		{"_555-1212", "5551212", true},
		{"_[", "1", false}, // not a pattern: matches nothing
	}
	for _, tt := range tests {
		if got := MatchExten(tt.pattern, tt.exten); got != tt.want {
			t.Errorf("MatchExten(%q, %q) got=%v, want %v", tt.pattern, tt.exten, got, tt.want)
		}
	}
}

func TestRedirectTargets(t *testing.T) {
	ts, err := ParseRedirectTargets([]string{"from-internal, 2000", "", "  ivr,_X. ", "voicemail,_5XXX"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3 || ts[0] != (RedirectTarget{"from-internal", "2000"}) || ts[1] != (RedirectTarget{"ivr", "_X."}) {
		t.Fatalf("parsed %v", ts)
	}
	for _, c := range []struct {
		ctx, exten string
		want       bool
	}{
		{"from-internal", "2000", true},
		{"from-internal", "2001", false},
		{"ivr", "34", true},
		{"voicemail", "5001", true},
		{"voicemail", "6001", false},
		{"outbound", "900123456", false}, // the toll-fraud case
		{"IVR", "34", false},             // contexts are case-sensitive in Asterisk
	} {
		if got := ts.Allows(c.ctx, c.exten); got != c.want {
			t.Errorf("Allows(%s,%s) got=%v, want %v", c.ctx, c.exten, got, c.want)
		}
	}
	if (RedirectTargets{}).Allows("from-internal", "2000") {
		t.Errorf("an empty list allows a redirect")
	}
	_, err = ParseRedirectTargets([]string{"ok,1", "nocomma", "a b,1", "ctx,1,1", "ctx,_[", "ctx,${X}"})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 5 {
		t.Fatalf("bad entries: err=%v, want 5 field errors", err)
	}
}
