package queuesconf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Warning is an option that could not be carried over, and why.
type Warning struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Section string `json:"section,omitempty"`
	Option  string `json:"option,omitempty"`
	Value   string `json:"value,omitempty"`
	Reason  string `json:"reason"`
}

func (w Warning) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:", w.File, w.Line)
	if w.Section != "" {
		fmt.Fprintf(&b, " [%s]", w.Section)
	}
	if w.Option != "" {
		fmt.Fprintf(&b, " %s=%s", w.Option, w.Value)
	}
	b.WriteString(": ")
	b.WriteString(w.Reason)
	return b.String()
}

// Options tunes how configuration files are read.
type Options struct {
	// Include reads a file by path. Paths of #include are resolved against
	// the including file's directory before Include sees them. Nil means
	// os.ReadFile.
	Include func(path string) ([]byte, error)
}

func (o Options) read(path string) ([]byte, error) {
	if o.Include != nil {
		return o.Include(path)
	}
	return os.ReadFile(path)
}

// variable is one "name = value" or "name => value" line.
type variable struct {
	Name, Value string
	File        string
	Line        int
}

// section is one [name] of an Asterisk configuration file.
type section struct {
	Name     string
	File     string
	Line     int
	Template bool
	Vars     []variable
	bases    []*section // templates inherited from, in order
}

func (s *section) warn(v variable, reason string) Warning {
	return Warning{File: v.File, Line: v.Line, Section: s.Name, Option: v.Name, Value: v.Value, Reason: reason}
}

// config is a parsed file with its includes: sections in file order.
// Templates are kept, so that later sections can inherit from them, but
// Sections() leaves them out, as Asterisk's modules never see them.
type config struct {
	all      []*section
	warnings []Warning
}

// Sections returns the non-template sections in file order.
func (c *config) Sections() []*section {
	var out []*section
	for _, s := range c.all {
		if !s.Template {
			out = append(out, s)
		}
	}
	return out
}

// fileLine is where a line of a configuration file is.
type fileLine struct {
	file string
	line int
}

// definingSections maps every line to the section it was written in: the
// first in file order holding it (a section inheriting a template's lines
// comes after the template).
func (c *config) definingSections() map[fileLine]*section {
	out := map[fileLine]*section{}
	for _, s := range c.all {
		for _, v := range s.Vars {
			if _, seen := out[fileLine{v.File, v.Line}]; !seen {
				out[fileLine{v.File, v.Line}] = s
			}
		}
	}
	return out
}

// find is the last section called name, in any case: Asterisk compares
// category names without case.
func (c *config) find(name string) *section {
	for i := len(c.all) - 1; i >= 0; i-- {
		if strings.EqualFold(c.all[i].Name, name) {
			return c.all[i]
		}
	}
	return nil
}

// maxIncludeDepth bounds nesting even when paths differ, as Asterisk does.
const maxIncludeDepth = 32

// parser follows main/config.c's text loader: comments, block comments,
// categories with template options, #include and variables.
type parser struct {
	opts    Options
	cfg     *config
	current *section // where variables go; an #include starts in it
	stack   []string // files being read, for loop detection
}

// loadConfig reads path and everything it includes.
func loadConfig(path string, opts Options) (*config, error) {
	p := &parser{opts: opts, cfg: &config{}}
	if err := p.load(path); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

func (p *parser) load(path string) error {
	clean := filepath.Clean(path)
	for _, f := range p.stack {
		if f == clean {
			chain := append(append([]string{}, p.stack...), clean)
			return fmt.Errorf("include loop: %s", strings.Join(chain, " -> "))
		}
	}
	if len(p.stack) >= maxIncludeDepth {
		return fmt.Errorf("read %s: includes nested deeper than %d", clean, maxIncludeDepth)
	}
	data, err := p.opts.read(clean)
	if err != nil {
		return fmt.Errorf("read %s: %w", clean, err)
	}
	p.stack = append(p.stack, clean)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()

	// Each file has its own cursor: after an #include, the including file
	// goes on adding to the section it was in, as Asterisk does.
	cur := p.current
	depth := 0 // nesting of ;-- --; block comments
	// A UTF-8 byte order mark (editors on Windows write one) is not part of
	// the first line; Asterisk's loader skips it too.
	text := strings.TrimPrefix(string(data), "\ufeff")
	if !utf8.ValidString(text) {
		// Older files were written in Latin-1: each byte is its letter.
		runes := make([]rune, len(data))
		for i, c := range data {
			runes[i] = rune(c)
		}
		text = string(runes)
		p.cfg.warnings = append(p.cfg.warnings, Warning{File: clean, Line: 1,
			Reason: "the file is not UTF-8; it was read as Latin-1 (ISO 8859-1)"})
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, raw := range lines {
		lineno := i + 1
		text, nd := stripComments(raw, depth)
		depth = nd
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		p.current = cur
		if err := p.line(clean, lineno, text); err != nil {
			return err
		}
		cur = p.current
	}
	if depth > 0 {
		p.cfg.warnings = append(p.cfg.warnings, Warning{File: clean, Line: len(lines),
			Reason: "block comment ;-- is never closed with --;"})
	}
	p.current = cur
	return nil
}

// stripComments removes ; comments and ;-- --; block comments from one line,
// given how deep in block comments the line starts, and turns \; into ;.
// A ";---" run (three dashes or more) is an ordinary comment, not a block:
// decorative rulers are common in real files.
func stripComments(line string, depth int) (string, int) {
	var out strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		if depth > 0 {
			if c == ';' && i >= 2 && line[i-1] == '-' && line[i-2] == '-' {
				depth--
				continue
			}
			if c == ';' && strings.HasPrefix(line[i:], ";--") && !strings.HasPrefix(line[i:], ";---") {
				depth++
				i += 2
			}
			continue
		}
		switch {
		case c == '\\' && i+1 < len(line) && line[i+1] == ';':
			out.WriteByte(';')
			i++
		case c == ';' && strings.HasPrefix(line[i:], ";--") && !strings.HasPrefix(line[i:], ";---"):
			depth++
			i += 2
		case c == ';':
			return out.String(), depth
		default:
			out.WriteByte(c)
		}
	}
	return out.String(), depth
}

func (p *parser) line(file string, lineno int, text string) error {
	switch text[0] {
	case '[':
		return p.category(file, lineno, text)
	case '#':
		return p.directive(file, lineno, text)
	}
	eq := strings.IndexByte(text, '=')
	if eq < 0 {
		p.cfg.warnings = append(p.cfg.warnings, Warning{File: file, Line: lineno, Value: text,
			Reason: "line has no '=' and is ignored, as Asterisk ignores it"})
		return nil
	}
	name, value := text[:eq], text[eq+1:]
	appendValue := false
	if strings.HasSuffix(name, "+") {
		appendValue = true
		name = name[:len(name)-1]
	} else if strings.HasPrefix(value, ">") {
		value = value[1:]
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if p.current == nil {
		return fmt.Errorf("%s:%d: %q is outside any [section]", file, lineno, name)
	}
	if appendValue {
		for i := len(p.current.Vars) - 1; i >= 0; i-- {
			if strings.EqualFold(p.current.Vars[i].Name, name) {
				p.current.Vars[i].Value += value
				return nil
			}
		}
	}
	p.current.Vars = append(p.current.Vars, variable{Name: name, Value: value, File: file, Line: lineno})
	return nil
}

// category handles "[name]", "[name](!)", "[name](tpl1,tpl2)", "[name](!,tpl)"
// and "[name](+)": templates' variables come first, in the order listed.
func (p *parser) category(file string, lineno int, text string) error {
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return fmt.Errorf("%s:%d: no closing ']' in %q", file, lineno, text)
	}
	name := strings.TrimSpace(text[1:end])
	if name == "" {
		return fmt.Errorf("%s:%d: empty section name", file, lineno)
	}
	rest := strings.TrimSpace(text[end+1:])
	sec := &section{Name: name, File: file, Line: lineno}
	if rest != "" && rest[0] != '(' {
		// Asterisk's loader ignores what follows the ']' unless it opens
		// template options.
		p.cfg.warnings = append(p.cfg.warnings, Warning{File: file, Line: lineno, Section: name, Value: rest,
			Reason: fmt.Sprintf("text after [%s] is ignored, as Asterisk ignores it", name)})
		rest = ""
	}
	if rest != "" {
		closing := strings.IndexByte(rest, ')')
		if closing < 0 {
			return fmt.Errorf("%s:%d: no closing ')' in %q", file, lineno, text)
		}
		for _, opt := range strings.Split(rest[1:closing], ",") {
			opt = strings.TrimSpace(opt)
			switch opt {
			case "":
			case "!":
				sec.Template = true
			case "+":
				existing := p.cfg.find(name)
				if existing == nil {
					return fmt.Errorf("%s:%d: [%s](+) adds to a section that does not exist", file, lineno, name)
				}
				p.current = existing
				return nil
			default:
				base := p.cfg.find(opt)
				if base == nil {
					return fmt.Errorf("%s:%d: [%s] inherits from %q, which is not defined above it", file, lineno, name, opt)
				}
				sec.Vars = append(sec.Vars, base.Vars...)
				sec.bases = append(sec.bases, base)
			}
		}
	}
	p.cfg.all = append(p.cfg.all, sec)
	p.current = sec
	return nil
}

func (p *parser) directive(file string, lineno int, text string) error {
	word, arg, _ := strings.Cut(text[1:], " ")
	if w, a, ok := strings.Cut(text[1:], "\t"); ok && len(w) < len(word) {
		word, arg = w, a
	}
	arg = strings.TrimSpace(arg)
	if len(arg) >= 2 && (arg[0] == '"' && arg[len(arg)-1] == '"' || arg[0] == '<' && arg[len(arg)-1] == '>') {
		arg = arg[1 : len(arg)-1]
	}
	switch strings.ToLower(word) {
	case "include", "tryinclude":
		if arg == "" {
			p.cfg.warnings = append(p.cfg.warnings, Warning{File: file, Line: lineno, Option: "#" + word,
				Reason: fmt.Sprintf("#%s names no file and is ignored, as Asterisk ignores it", word)})
			return nil
		}
		target := arg
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(file), target)
		}
		targets := []string{target}
		if strings.ContainsAny(target, "*?[") && p.opts.Include == nil {
			matches, err := filepath.Glob(target)
			if err != nil {
				return fmt.Errorf("%s:%d: #%s %q: %w", file, lineno, word, arg, err)
			}
			targets = matches
		}
		for _, t := range targets {
			err := p.load(t)
			if err != nil && strings.EqualFold(word, "tryinclude") && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("%s:%d: #%s %q: %w", file, lineno, word, arg, err)
			}
		}
		return nil
	case "exec":
		p.cfg.warnings = append(p.cfg.warnings, Warning{File: file, Line: lineno, Option: "#exec", Value: arg,
			Reason: "#exec runs a program at load time; the importer does not run programs, so its output is not imported"})
		return nil
	default:
		p.cfg.warnings = append(p.cfg.warnings, Warning{File: file, Line: lineno, Option: "#" + word, Value: arg,
			Reason: fmt.Sprintf("unknown directive #%s is ignored, as Asterisk ignores it", word)})
		return nil
	}
}

// unusedTemplates reports each template that no section inherits from,
// directly or through other templates: Asterisk's modules never see its
// options, so neither does the importer.
func unusedTemplates(cfg *config) []Warning {
	used := map[*section]bool{}
	var mark func(s *section)
	mark = func(s *section) {
		for _, b := range s.bases {
			if !used[b] {
				used[b] = true
				mark(b)
			}
		}
	}
	for _, s := range cfg.Sections() {
		mark(s)
	}
	var ws []Warning
	for _, s := range cfg.all {
		if s.Template && !used[s] {
			ws = append(ws, Warning{File: s.File, Line: s.Line, Section: s.Name,
				Reason: "template [" + s.Name + "](!) is used by no section; its options are not imported, as Asterisk never applies them"})
		}
	}
	return ws
}
