package queuesconf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// The UTF-8 check reads a file in 64 KiB pieces: a letter cut by a piece's
// end is still one letter, and a stray byte anywhere makes the file
// Latin-1.
func TestValidUTF8AcrossPieces(t *testing.T) {
	const piece = 64 << 10
	pad := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name string
		text string
		want bool
	}{
		{"ascii", pad(3 * piece), true},
		{"é cut by the first piece", pad(piece-1) + "é" + pad(10), true},
		{"€ cut after one byte", pad(piece-1) + "€", true},
		{"€ cut after two bytes", pad(piece-2) + "€" + pad(piece), true},
		{"😀 cut after three bytes", pad(piece-3) + "😀", true},
		{"Latin-1 é at a cut", pad(piece-1) + "\xe9" + pad(10), false},
		{"Latin-1 é at the very end", pad(piece) + "\xe9", false},
		{"a letter cut by the end of the file", pad(10) + "\xe2\x82", false},
		{"empty", "", true},
	} {
		got, err := validUTF8(bytes.NewReader([]byte(tc.text)), int64(len(tc.text)))
		if err != nil || got != tc.want {
			t.Errorf("%s: validUTF8 = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

// A section's lines are read back from the file in the second pass: lines
// after an #include go to the section current then, (+) adds to one above,
// += appends to the section's last line of that name, and a byte order
// mark at the start of an included file is not part of its first line.
func TestSectionsReadBackFromTheirSpans(t *testing.T) {
	files := map[string]string{
		"/q.conf":   "[a]\nx=1\n#include inc.conf\ny=2\n[b]\nz=3\n[a](+)\nx+=9 ; appended\n;-- a block\n[c]\n--;w=4\n",
		"/inc.conf": "\ufeffi=5\n",
	}
	cfg, err := loadConfig("/q.conf", Options{Include: func(p string) ([]byte, error) { return []byte(files[p]), nil }})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, s := range cfg.Sections() {
		for _, v := range s.Vars {
			got[s.Name] = append(got[s.Name], fmt.Sprintf("%s=%s@%s:%d", v.Name, v.Value, v.File[1:], v.Line))
		}
	}
	want := map[string][]string{
		"a": {"x=19@q.conf:2", "i=5@inc.conf:1", "y=2@q.conf:4", "w=4@q.conf:11"},
		"b": {"z=3@q.conf:6"},
	}
	if len(cfg.Sections()) != 2 || strings.Join(got["a"], " ") != strings.Join(want["a"], " ") || strings.Join(got["b"], " ") != strings.Join(want["b"], " ") {
		t.Errorf("sections read back: %v, want %v", got, want)
	}
}
