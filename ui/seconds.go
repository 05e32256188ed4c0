package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// The JSON API and the websocket speak durations in seconds, as queues.conf
// does (timeout=15 is "timeout": 15), with fractions down to the
// nanosecond. The domain and the store keep time.Duration. This file is the
// one place that converts: it walks a value by its type, so every
// time.Duration at any depth is converted and nothing else changes; a
// subtree without durations is handed to encoding/json whole.

var durationType = reflect.TypeOf(time.Duration(0))

// MarshalAPI is json.Marshal with durations as seconds: what the API sends.
func MarshalAPI(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeValue(&buf, reflect.ValueOf(v)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalAPI is json.Unmarshal reading durations as seconds, for Go
// clients of the API.
func UnmarshalAPI(data []byte, v any) error {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || !hasDuration(t.Elem()) {
		return json.Unmarshal(data, v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return err
	}
	x, err := secondsToNanos(x, t.Elem(), "")
	if err != nil {
		return err
	}
	raw, err := json.Marshal(x)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// formatSeconds writes ns nanoseconds as exact decimal seconds: 15, 0.5,
// 1.000000001.
func formatSeconds(buf []byte, ns int64) []byte {
	if ns < 0 {
		buf = append(buf, '-')
		if ns == math.MinInt64 {
			return append(buf, "9223372036.854775808"...)
		}
		ns = -ns
	}
	buf = strconv.AppendInt(buf, ns/1e9, 10)
	if frac := ns % 1e9; frac != 0 {
		digits := strconv.AppendInt(nil, frac+1e9, 10)[1:] // 9 digits, leading zeros kept
		buf = append(buf, '.')
		buf = append(buf, bytes.TrimRight(digits, "0")...)
	}
	return buf
}

// maxSeconds is the largest duration time.Duration holds, in seconds.
const maxSeconds = float64(math.MaxInt64) / 1e9

// parseSeconds reads a JSON number of seconds as a duration.
func parseSeconds(n json.Number) (time.Duration, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("must be a number of seconds")
	}
	if math.Abs(f) >= maxSeconds {
		return 0, fmt.Errorf("must be under %.0f seconds", maxSeconds)
	}
	return time.Duration(math.Round(f * 1e9)), nil
}

func encodeValue(buf *bytes.Buffer, v reflect.Value) error {
	if !v.IsValid() {
		buf.WriteString("null")
		return nil
	}
	t := v.Type()
	if t == durationType {
		buf.Write(formatSeconds(nil, v.Int()))
		return nil
	}
	if !hasDuration(t) {
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return err
		}
		buf.Write(b)
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		return encodeValue(buf, v.Elem())
	case reflect.Struct:
		buf.WriteByte('{')
		first := true
		for _, f := range structFields(t) {
			fv, err := v.FieldByIndexErr(f.index)
			if err != nil { // through a nil embedded pointer: absent, as in encoding/json
				continue
			}
			if f.omitEmpty && isEmptyValue(fv) {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			name, _ := json.Marshal(f.name)
			buf.Write(name)
			buf.WriteByte(':')
			if err := encodeValue(buf, fv); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeValue(buf, v.Index(i)); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case reflect.Map:
		if v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("encode %s: only string-keyed maps hold durations here", t)
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			name, _ := json.Marshal(k.String())
			buf.Write(name)
			buf.WriteByte(':')
			if err := encodeValue(buf, v.MapIndex(k)); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	}
	return fmt.Errorf("encode %s: unsupported kind %s", t, t.Kind())
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// secondsToNanos rewrites, in a JSON value decoded with UseNumber, every
// number that lands in a time.Duration of t from seconds to nanoseconds, so
// that a strict json decode into t follows. path names the field for errors.
func secondsToNanos(x any, t reflect.Type, path string) (any, error) {
	if t == durationType {
		n, ok := x.(json.Number)
		if !ok {
			if x == nil {
				return x, nil
			}
			return nil, fieldErrors{path: "must be a number of seconds"}.err()
		}
		d, err := parseSeconds(n)
		if err != nil {
			return nil, fieldErrors{path: err.Error()}.err()
		}
		return json.Number(strconv.FormatInt(int64(d), 10)), nil
	}
	if !hasDuration(t) || t.Kind() == reflect.Interface {
		return x, nil
	}
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch t.Kind() {
	case reflect.Pointer:
		return secondsToNanos(x, t.Elem(), path)
	case reflect.Struct:
		m, ok := x.(map[string]any)
		if !ok {
			return x, nil // the strict decode names the type error
		}
		fields := structFields(t)
		for k, val := range m {
			f, ok := fieldNamed(fields, k)
			if !ok {
				continue // the strict decode refuses unknown fields
			}
			conv, err := secondsToNanos(val, f.typ, join(f.name))
			if err != nil {
				return nil, err
			}
			m[k] = conv
		}
		return m, nil
	case reflect.Slice, reflect.Array:
		list, ok := x.([]any)
		if !ok {
			return x, nil
		}
		for i, val := range list {
			conv, err := secondsToNanos(val, t.Elem(), path)
			if err != nil {
				return nil, err
			}
			list[i] = conv
		}
		return list, nil
	case reflect.Map:
		m, ok := x.(map[string]any)
		if !ok {
			return x, nil
		}
		for k, val := range m {
			conv, err := secondsToNanos(val, t.Elem(), join(k))
			if err != nil {
				return nil, err
			}
			m[k] = conv
		}
		return m, nil
	}
	return x, nil
}

// fieldNamed finds a field as encoding/json does: the exact name first,
// then one that differs only in case.
func fieldNamed(fields []apiField, key string) (apiField, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return apiField{}, false
}

type apiField struct {
	name      string
	index     []int
	omitEmpty bool
	typ       reflect.Type
}

var fieldCache sync.Map // reflect.Type -> []apiField

// structFields lists t's fields as encoding/json names them.
func structFields(t reflect.Type) []apiField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]apiField)
	}
	var out []apiField
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			continue // its fields are promoted and listed on their own
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, apiField{name: name, index: f.Index, omitEmpty: strings.Contains(","+opts+",", ",omitempty,"), typ: f.Type})
	}
	fieldCache.Store(t, out)
	return out
}

var durationCache sync.Map // reflect.Type -> bool

// hasDuration says whether a value of t may hold a time.Duration: an
// interface may hold anything; a type that encodes itself is opaque.
func hasDuration(t reflect.Type) bool {
	if d, ok := durationCache.Load(t); ok {
		return d.(bool)
	}
	d := findDuration(t, map[reflect.Type]bool{})
	durationCache.Store(t, d)
	return d
}

var marshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()

func findDuration(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == durationType {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return false
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return findDuration(t.Elem(), seen)
	case reflect.Struct:
		for _, f := range structFields(t) {
			if findDuration(f.typ, seen) {
				return true
			}
		}
	}
	return false
}

// apiJSON is Echo's JSON serializer for this API: c.JSON writes durations as
// seconds.
type apiJSON struct{}

func (apiJSON) Serialize(c echo.Context, i any, indent string) error {
	b, err := MarshalAPI(i)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	if indent != "" {
		var out bytes.Buffer
		if err := json.Indent(&out, b, "", indent); err != nil {
			return fmt.Errorf("indent response: %w", err)
		}
		b = out.Bytes()
	}
	b = append(b, '\n')
	_, err = c.Response().Write(b)
	return err
}

func (apiJSON) Deserialize(c echo.Context, i any) error { return decodeJSON(c, i) }
