package aritest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
)

// Dynamic configuration (PUT/DELETE /asterisk/config/dynamic/...): the fake
// keeps objects as a memory sorcery wizard does and answers with their
// fields, as Asterisk does; it knows no defaults, so it returns only what
// was put.

type configTuple struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

func configKey(class, typ, id string) string { return class + "/" + typ + "/" + id }

func (s *Server) routeConfig(m string, seg []string, p params) reply {
	if len(seg) != 3 {
		return errReply(http.StatusNotFound, "Resource not found")
	}
	key := configKey(seg[0], seg[1], seg[2])
	switch m {
	case http.MethodPut:
		var body struct {
			Fields []configTuple `json:"fields"`
		}
		if raw, ok := p.raw["fields"]; ok {
			if err := json.Unmarshal(raw, &body.Fields); err != nil {
				return errReply(http.StatusBadRequest, "Fields must be a list of ConfigTuples")
			}
		}
		obj := map[string]string{}
		for _, f := range body.Fields {
			if f.Attribute == "" {
				return errReply(http.StatusBadRequest, "Could not create object")
			}
			obj[f.Attribute] = f.Value
		}
		s.configObjects[key] = obj
		out := make([]configTuple, 0, len(obj))
		for _, f := range body.Fields {
			out = append(out, f)
		}
		return okReply(out)
	case http.MethodDelete:
		if _, ok := s.configObjects[key]; !ok {
			return errReply(http.StatusNotFound, "Object not found")
		}
		delete(s.configObjects, key)
		return reply{status: http.StatusNoContent}
	}
	return errReply(http.StatusMethodNotAllowed, "Method not allowed")
}

// ConfigObject returns a dynamic configuration object put over ARI.
func (s *Server) ConfigObject(class, objectType, id string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.configObjects[configKey(class, objectType, id)]
	return maps.Clone(obj), ok
}

// ConfigObjects lists the keys (class/type/id) of every object put.
func (s *Server) ConfigObjects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.configObjects {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ForgetConfigObjects drops every dynamic object, as an Asterisk restart
// empties a memory wizard.
func (s *Server) ForgetConfigObjects() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.configObjects)
}
