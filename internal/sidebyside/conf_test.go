package sidebyside

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The bench's files in asterisk-conf, which a site includes to run
// "stasisq sidebyside" on its own Asterisk, are what the bench uses.
func TestShippedBenchFilesAreTheBenchs(t *testing.T) {
	for file, want := range map[string]string{
		"extensions-bench.conf": Dialplan,
		"queues-bench.conf":     QueuesConf("aq", "2"),
	} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "asterisk-conf", file))
		if err != nil {
			t.Fatal(err)
		}
		var body []string
		for _, l := range strings.Split(string(raw), "\n") {
			if !strings.HasPrefix(l, ";") {
				body = append(body, l)
			}
		}
		if got := strings.Join(body, "\n"); got != want {
			t.Errorf("asterisk-conf/%s without its comments:\n%s\nwant:\n%s", file, got, want)
		}
	}
}
