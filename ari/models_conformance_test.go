package ari

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var (
	timeType    = reflect.TypeFor[Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
)

// jsonFields lists a struct's JSON names with their Go types, following
// embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			for name, sub := range jsonFields(f.Type) {
				out[name] = sub
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f
	}
	return out
}

// modelNameOf is the api-docs model name registered for a Go struct type.
func modelNameOf(t reflect.Type) (string, bool) {
	for name, v := range modelTypes {
		if reflect.TypeOf(v) == t {
			return name, true
		}
	}
	for name, newEvent := range eventTypes {
		if reflect.TypeOf(newEvent()).Elem() == t {
			return name, true
		}
	}
	return "", false
}

// compatible says whether Go type goType can hold api-docs type docType.
func compatible(docType string, goType reflect.Type) error {
	if goType.Kind() == reflect.Pointer {
		goType = goType.Elem()
	}
	if elem, ok := strings.CutPrefix(docType, "List["); ok {
		if goType.Kind() != reflect.Slice || goType == rawJSONType {
			return fmt.Errorf("api-docs %s needs a slice, Go has %s", docType, goType)
		}
		return compatible(strings.TrimSuffix(elem, "]"), goType.Elem())
	}
	ok := false
	switch docType {
	case "string":
		ok = goType.Kind() == reflect.String
	case "int", "long":
		ok = goType.Kind() >= reflect.Int && goType.Kind() <= reflect.Int64
	case "boolean":
		ok = goType.Kind() == reflect.Bool
	case "double":
		ok = goType.Kind() == reflect.Float64 || goType.Kind() == reflect.Float32
	case "Date":
		ok = goType == timeType
	case "object":
		ok = goType.Kind() == reflect.Map || goType == rawJSONType || goType.Kind() == reflect.Interface
	default:
		name, registered := modelNameOf(goType)
		if !registered || name != docType {
			return fmt.Errorf("api-docs model %s, Go has %s (registered as %q)", docType, goType, name)
		}
		return nil
	}
	if !ok {
		return fmt.Errorf("api-docs %s, Go has %s", docType, goType)
	}
	return nil
}

// docProperties are a model's properties with those it inherits: every
// event also has Message's (type, asterisk_id) and Event's (application,
// timestamp).
func (d *apiDocs) docProperties(model string, isEvent bool) (map[string]docProperty, error) {
	m, ok := d.models[model]
	if !ok {
		return nil, fmt.Errorf("api-docs have no model %s", model)
	}
	props := map[string]docProperty{}
	for k, v := range m.Properties {
		props[k] = v
	}
	if isEvent {
		for _, base := range []string{"Message", "Event"} {
			for k, v := range d.models[base].Properties {
				props[k] = v
			}
		}
	}
	return props, nil
}

// checkStruct compares one Go struct with its api-docs model, both ways.
func (d *apiDocs) checkStruct(model string, goType reflect.Type, isEvent bool) []string {
	props, err := d.docProperties(model, isEvent)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	fields := jsonFields(goType)
	for name, f := range fields {
		p, ok := props[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s.%s: json %q is not in api-docs model %s", goType.Name(), f.Name, name, model))
			continue
		}
		if err := compatible(p.Type, f.Type); err != nil {
			problems = append(problems, fmt.Sprintf("%s.%s (%q): %v", goType.Name(), f.Name, name, err))
		}
	}
	for name := range props {
		if _, ok := fields[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s: api-docs property %q of %s has no Go field", goType.Name(), name, model))
		}
	}
	return problems
}

func TestModelsMatchAPIDocs(t *testing.T) {
	docs := MustAPIDocs(t)
	for name, v := range modelTypes {
		t.Run(name, func(t *testing.T) {
			for _, p := range docs.checkStruct(name, reflect.TypeOf(v), false) {
				t.Error(p)
			}
		})
	}
}

func TestEventsMatchAPIDocs(t *testing.T) {
	docs := MustAPIDocs(t)
	for name, newEvent := range eventTypes {
		t.Run(name, func(t *testing.T) {
			for _, p := range docs.checkStruct(name, reflect.TypeOf(newEvent()).Elem(), true) {
				t.Error(p)
			}
		})
	}
}

func TestEveryAPIDocsEventHasAGoType(t *testing.T) {
	docs := MustAPIDocs(t)
	want := append([]string(nil), docs.models["Event"].SubTypes...)
	if len(want) == 0 {
		t.Fatal("api-docs Event model lists no subTypes")
	}
	sort.Strings(want)
	for _, name := range want {
		newEvent, ok := eventTypes[name]
		if !ok {
			t.Errorf("event %s in events.json has no Go type registered", name)
			continue
		}
		if got := newEvent().EventType(); got != name {
			t.Errorf("eventTypes[%q]().EventType() got=%q, want %q", name, got, name)
		}
	}
	if got := EventTypes(); !reflect.DeepEqual(got, want) {
		t.Errorf("EventTypes() got=%v, want %v", got, want)
	}
}

// TestModelChecker shows the field checker can fail.
func TestModelChecker(t *testing.T) {
	docs := MustAPIDocs(t)
	type misspelled struct {
		ID   string `json:"id"`
		Nmae string `json:"nmae"`
	}
	type wrongType struct {
		Name  string `json:"name"`
		State int    `json:"state"`
	}
	tests := []struct {
		name  string
		model string
		typ   reflect.Type
		want  []string
	}{
		{"ours", "DeviceState", reflect.TypeFor[DeviceState](), nil},
		{"misspelled field", "DeviceState", reflect.TypeFor[misspelled](), []string{`json "nmae" is not in`, `"name" of DeviceState has no Go field`}},
		{"wrong type", "DeviceState", reflect.TypeFor[wrongType](), []string{`api-docs string, Go has int`}},
		{"wrong model", "Playback", reflect.TypeFor[DeviceState](), []string{`is not in api-docs model Playback`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(docs.checkStruct(tt.model, tt.typ, false), "\n")
			if len(tt.want) == 0 && got != "" {
				t.Errorf("got=%s, want no problems", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got=%q, want a problem containing %q", got, w)
				}
			}
		})
	}
}
