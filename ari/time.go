package ari

import (
	"bytes"
	"fmt"
	"time"
)

// TimeLayout is how Asterisk writes every date in ARI: milliseconds and a
// numeric zone without a colon, e.g. "2026-11-20T10:11:12.345+0000", which
// time.RFC3339 cannot parse.
const TimeLayout = "2006-01-02T15:04:05.000-0700"

// Time is a time.Time that reads and writes Asterisk's date format, so a
// decoded event re-encodes to the same text.
type Time struct {
	time.Time
}

// MarshalJSON writes Asterisk's layout; the zero time is written as "" so that
// a struct built without a time does not claim year 1.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	b := make([]byte, 0, len(TimeLayout)+2)
	b = append(b, '"')
	b = t.AppendFormat(b, TimeLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts Asterisk's layout and, to be lenient with fakes and
// proxies, RFC 3339; null and "" give the zero time.
func (t *Time) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		*t = Time{}
		return nil
	}
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return fmt.Errorf("ari time %.40q: not a JSON string", data)
	}
	s := string(data[1 : len(data)-1])
	if s == "" {
		*t = Time{}
		return nil
	}
	for _, layout := range []string{TimeLayout, time.RFC3339Nano} {
		if parsed, err := time.Parse(layout, s); err == nil {
			*t = Time{parsed}
			return nil
		}
	}
	return fmt.Errorf("ari time %q: want layout %s", s, TimeLayout)
}
