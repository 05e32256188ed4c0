package queuesconf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
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

// variable is one "name = value" or "name => value" line.
type variable struct {
	Name, Value string
	File        string
	Line        int
	owner       *section // the section whose lines hold it: another when inherited
}

// section is one [name] of an Asterisk configuration file.
type section struct {
	Name     string
	File     string
	Line     int
	Template bool
	// Vars are its lines, inherited ones first; filled by config.read (all
	// of them at once by loadConfig), so that a big file is held one
	// section at a time.
	Vars  []variable
	spans []span     // where its lines are: the bases' spans, then its own
	bases []*section // templates inherited from, in order
	// inherited says another section copied its lines: a notice at one of
	// them is given once, not once per section holding it.
	inherited bool
}

func (s *section) warn(v variable, reason string) Warning {
	return Warning{File: v.File, Line: v.Line, Section: s.Name, Option: v.Name, Value: v.Value, Reason: reason}
}

// span is a run of lines of one file that belong to one section, without
// section headers or directives (the first pass handled those).
type span struct {
	file       *confFile
	start, end int64 // byte offsets, end excluded
	line       int   // number of the first line
	depth      int   // block comments open where it starts
	owner      *section
}

// confFile is one file read, kept open for the second pass.
type confFile struct {
	path   string
	data   io.ReaderAt
	close  func() error
	latin1 bool // not UTF-8: each byte is its letter
}

// config is a parsed file with its includes: sections in file order.
// Templates are kept, so that later sections can inherit from them, but
// Sections() leaves them out, as Asterisk's modules never see them.
//
// A file is read in two passes, so that one of any size is held one
// section at a time: the first finds sections, templates, #include and
// (+) and notes where each section's lines are; read gives a section's
// lines, replaying them from the files.
type config struct {
	all      []*section
	warnings []Warning
	files    []*confFile
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

// close closes the files the config was read from.
func (c *config) close() {
	for _, f := range c.files {
		if f.close != nil {
			// Read-only files: closing cannot lose anything.
			_ = f.close()
		}
	}
	c.files = nil
}

// read fills sec.Vars from the files.
func (c *config) read(sec *section) error {
	if sec.Vars != nil || len(sec.spans) == 0 {
		return nil
	}
	vars := []variable{}
	var buf []byte
	for _, sp := range sec.spans {
		n := sp.end - sp.start
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := sp.file.data.ReadAt(buf, sp.start); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s: %w", sp.file.path, err)
		}
		depth, lineno := sp.depth, sp.line
		for pos := 0; pos < len(buf); lineno++ {
			next := len(buf)
			if i := bytes.IndexByte(buf[pos:], '\n'); i >= 0 {
				next = pos + i + 1
			}
			line := trimLine(buf[pos:next], sp.start+int64(pos))
			pos = next
			text, nd := stripComments(sp.file.decode(line), depth)
			depth = nd
			name, value, appendValue, ok := splitVariable(strings.TrimSpace(text))
			if !ok {
				continue // the first pass warned
			}
			if appendValue {
				if i := lastVar(vars, name); i >= 0 {
					vars[i].Value += value
					continue
				}
			}
			vars = append(vars, variable{Name: name, Value: value, File: sp.file.path, Line: lineno, owner: sp.owner})
		}
	}
	sec.Vars = vars
	return nil
}

// release lets a read section's lines go.
func (sec *section) release() { sec.Vars = nil }

func lastVar(vars []variable, name string) int {
	for i := len(vars) - 1; i >= 0; i-- {
		if strings.EqualFold(vars[i].Name, name) {
			return i
		}
	}
	return -1
}

// splitVariable reads "name = value", "name => value" and "name += value".
func splitVariable(text string) (name, value string, appendValue, ok bool) {
	eq := strings.IndexByte(text, '=')
	if eq < 0 || text == "" || text[0] == '[' || text[0] == '#' {
		return "", "", false, false
	}
	name, value = text[:eq], text[eq+1:]
	if strings.HasSuffix(name, "+") {
		appendValue = true
		name = name[:len(name)-1]
	} else if strings.HasPrefix(value, ">") {
		value = value[1:]
	}
	return strings.TrimSpace(name), strings.TrimSpace(value), appendValue, true
}

func (f *confFile) decode(line []byte) string {
	if !f.latin1 {
		return string(line)
	}
	runes := make([]rune, len(line))
	for i, c := range line {
		runes[i] = rune(c)
	}
	return string(runes)
}

// fileLine is where a line of a configuration file is.
type fileLine struct {
	file string
	line int
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
	open    *span    // the lines being gathered for current
}

// loadConfig reads path and everything it includes, every section's
// lines with it.
func loadConfig(path string, opts Options) (*config, error) {
	cfg, err := indexConfig(path, opts)
	if err != nil {
		return nil, err
	}
	defer cfg.close()
	for _, s := range cfg.all {
		if err := cfg.read(s); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// indexConfig is the first pass: the sections of path and its includes,
// with where their lines are. The caller closes the config.
func indexConfig(path string, opts Options) (*config, error) {
	p := &parser{opts: opts, cfg: &config{}}
	if err := p.load(path); err != nil {
		p.cfg.close()
		return nil, err
	}
	return p.cfg, nil
}

func (o Options) open(path string) (*confFile, int64, error) {
	if o.Include != nil {
		data, err := o.Include(path)
		if err != nil {
			return nil, 0, err
		}
		return &confFile{path: path, data: bytes.NewReader(data)}, int64(len(data)), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return &confFile{path: path, data: f, close: f.Close}, st.Size(), nil
}

// validUTF8 reads the file once to tell UTF-8 from Latin-1: Asterisk
// passes bytes through, so a Latin-1 name must be decoded, not mangled.
func validUTF8(r io.ReaderAt, size int64) (bool, error) {
	const chunk = 64 << 10
	buf := make([]byte, chunk+utf8.UTFMax)
	carry := 0 // the start of a letter cut by the last chunk's end
	for off := int64(0); off < size; {
		n, err := r.ReadAt(buf[carry:carry+chunk], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		if n == 0 {
			break
		}
		off += int64(n)
		b := buf[:carry+n]
		cut := 0
		if off < size {
			cut = trailingPartial(b)
		}
		if !utf8.Valid(b[:len(b)-cut]) {
			return false, nil
		}
		carry = copy(buf, b[len(b)-cut:])
	}
	return carry == 0 || utf8.Valid(buf[:carry]), nil
}

// trailingPartial is how many bytes at the end of b start a letter that
// goes on past b.
func trailingPartial(b []byte) int {
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if utf8.FullRune(b[len(b)-i:]) {
				return 0
			}
			return i
		}
	}
	return 0
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
	f, size, err := p.opts.open(clean)
	if err != nil {
		return fmt.Errorf("read %s: %w", clean, err)
	}
	p.cfg.files = append(p.cfg.files, f)
	f.path = clean
	valid, err := validUTF8(f.data, size)
	if err != nil {
		return fmt.Errorf("read %s: %w", clean, err)
	}
	if !valid {
		// Older files were written in Latin-1: each byte is its letter.
		f.latin1 = true
		p.cfg.warnings = append(p.cfg.warnings, Warning{File: clean, Line: 1,
			Reason: "the file is not UTF-8; it was read as Latin-1 (ISO 8859-1)"})
	}
	p.stack = append(p.stack, clean)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()

	// Each file has its own cursor: after an #include, the including file
	// goes on adding to the section it was in, as Asterisk does.
	cur := p.current
	depth := 0 // nesting of ;-- --; block comments
	br := bufio.NewReaderSize(io.NewSectionReader(f.data, 0, size), 64<<10)
	var offset int64
	lineno := 0
	p.openSpan(cur, f, 0, 1, 0)
	for {
		raw, rerr := br.ReadBytes('\n')
		if len(raw) == 0 {
			if rerr != nil && !errors.Is(rerr, io.EOF) {
				return fmt.Errorf("read %s: %w", clean, rerr)
			}
			break
		}
		lineno++
		start := offset
		offset += int64(len(raw))
		line := trimLine(raw, start)
		text, nd := stripComments(f.decode(line), depth)
		depth = nd
		text = strings.TrimSpace(text)
		if text != "" && text[0] != '[' && text[0] != '#' {
			if !strings.Contains(text, "=") {
				p.cfg.warnings = append(p.cfg.warnings, Warning{File: clean, Line: lineno, Value: text,
					Reason: "line has no '=' and is ignored, as Asterisk ignores it"})
			} else if cur == nil {
				name, _, _, _ := splitVariable(text)
				return fmt.Errorf("%s:%d: %q is outside any [section]", clean, lineno, name)
			}
		}
		if text == "" || text[0] != '[' && text[0] != '#' {
			continue
		}
		// A header or a directive ends the span being gathered; the lines
		// after it start a new one, in whichever section is then current.
		p.closeSpan(start)
		p.current = cur
		if err := p.line(clean, lineno, text); err != nil {
			return err
		}
		cur = p.current
		p.openSpan(cur, f, offset, lineno+1, depth)
	}
	p.closeSpan(offset)
	if depth > 0 {
		p.cfg.warnings = append(p.cfg.warnings, Warning{File: clean, Line: max(lineno, 1),
			Reason: "block comment ;-- is never closed with --;"})
	}
	p.current = cur
	return nil
}

// trimLine is a line without its line end and, at the start of a file,
// without a UTF-8 byte order mark (editors on Windows write one; Asterisk's
// loader skips it too).
func trimLine(raw []byte, offset int64) []byte {
	line := bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("\n")), []byte("\r"))
	if offset == 0 {
		line = bytes.TrimPrefix(line, []byte("\ufeff"))
	}
	return line
}

func (p *parser) openSpan(owner *section, f *confFile, offset int64, lineno, depth int) {
	p.open = &span{file: f, start: offset, line: lineno, depth: depth, owner: owner}
}

// closeSpan ends the open span before offset and gives it to its section.
func (p *parser) closeSpan(offset int64) {
	sp := p.open
	p.open = nil
	if sp == nil || sp.owner == nil || offset <= sp.start {
		return
	}
	sp.end = offset
	sp.owner.spans = append(sp.owner.spans, *sp)
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

// line handles a header or a directive; variables are read by config.read.
func (p *parser) line(file string, lineno int, text string) error {
	if text[0] == '[' {
		return p.category(file, lineno, text)
	}
	return p.directive(file, lineno, text)
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
				// The base's lines as they are now: lines added to it
				// later with (+) are not inherited, as in Asterisk.
				sec.spans = append(sec.spans, base.spans...)
				sec.bases = append(sec.bases, base)
				base.inherited = true
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
