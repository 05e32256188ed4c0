package callflow

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// The event filter lists exactly the events handleEvent has a case for:
// one missing would never reach the loop, one extra costs Asterisk for
// nothing.
func TestEventTypesAreHandled(t *testing.T) {
	src, err := os.ReadFile("flow.go")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)func \(a \*App\) handleEvent\(server string, ev ari\.Event\) \{(.*?)\n\}\n`).FindSubmatch(src)
	if body == nil {
		t.Fatal("handleEvent not found in flow.go")
	}
	var handled []string
	for _, m := range regexp.MustCompile(`case \*ari\.(\w+):`).FindAllSubmatch(body[1], -1) {
		if name := string(m[1]); name != "Connected" && name != "Disconnected" { // the client's own, not Asterisk's
			handled = append(handled, name)
		}
	}
	slices.Sort(handled)
	listed := slices.Sorted(slices.Values(EventTypes))
	if !slices.Equal(handled, listed) {
		t.Fatalf("handleEvent handles %v, EventTypes lists %v", handled, listed)
	}
}
