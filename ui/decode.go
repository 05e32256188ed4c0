package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

const maxBody = 1 << 20

// decodeJSON reads the request body into v, refusing unknown fields and
// wrong types field by field; durations arrive in seconds (seconds.go). An
// empty body leaves v as it is, so actions whose body is optional accept
// none.
func decodeJSON(c echo.Context, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return newError(http.StatusRequestEntityTooLarge, "request body too large")
		}
		return newError(http.StatusBadRequest, "read body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if t := reflect.TypeOf(v); t.Kind() == reflect.Pointer && hasDuration(t.Elem()) {
		gen := json.NewDecoder(bytes.NewReader(body))
		gen.UseNumber()
		var x any
		if err := gen.Decode(&x); err != nil {
			return newError(http.StatusBadRequest, "invalid JSON: %v", err)
		}
		if x, err = secondsToNanos(x, t.Elem(), ""); err != nil {
			return err
		}
		if gen.More() {
			return newError(http.StatusBadRequest, "invalid JSON: more than one value in the body")
		}
		if body, err = json.Marshal(x); err != nil {
			return newError(http.StatusBadRequest, "invalid JSON: %v", err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if dec.More() {
			return newError(http.StatusBadRequest, "invalid JSON: more than one value in the body")
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			return newError(http.StatusBadRequest, "invalid JSON: the body must be a JSON object")
		}
		return &Error{Status: http.StatusUnprocessableEntity, Message: "invalid input",
			Fields: map[string]string{field: "must be " + describeType(typeErr.Type.Kind().String())}}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return &Error{Status: http.StatusUnprocessableEntity, Message: "invalid input",
			Fields: map[string]string{name: "unknown field"}}
	}
	return newError(http.StatusBadRequest, "invalid JSON: %v", err)
}

func describeType(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}

// timeRange reads ?from=&to= (RFC 3339 or YYYY-MM-DD in the server's zone);
// the default is today so far.
// The years a report may ask about.
const minYear, maxYear = 2000, 2200

func (s *Server) timeRange(c echo.Context) (from, to time.Time, err error) {
	now := time.Now().In(s.loc)
	from = startOfDay(now)
	to = now
	f := fieldErrors{}
	parse := func(name string, dst *time.Time, endOfDay bool) {
		v := c.QueryParam(name)
		if v == "" {
			return
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			*dst = t
			return
		}
		if t, err := time.ParseInLocation(time.DateOnly, v, s.loc); err == nil {
			if endOfDay {
				t = t.AddDate(0, 0, 1)
			}
			*dst = t
			return
		}
		f.add(name, "must be RFC 3339 (2006-01-02T15:04:05Z) or a date (2006-01-02)")
	}
	parse("from", &from, false)
	parse("to", &to, true)
	// Dates far outside what a call centre keeps overflow what the store
	// and JSON encode (year 9999 + a day is year 10000).
	for _, d := range []struct {
		name string
		t    time.Time
	}{{"from", from}, {"to", to}} {
		if d.t.Year() < minYear || d.t.Year() > maxYear {
			f.add(d.name, fmt.Sprintf("must be between %d and %d", minYear, maxYear))
		}
	}
	if len(f) == 0 && !to.After(from) {
		f.add("to", "must be after from")
	}
	return from, to, f.queryErr()
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func intParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fieldErrors{name: fmt.Sprintf("must be a whole number from %d to %d", lo, hi)}.queryErr()
	}
	return n, nil
}
