package ui

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test closes its servers and sockets: no goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
