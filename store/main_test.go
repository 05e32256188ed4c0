package store

import (
	"testing"

	"go.uber.org/goleak"
)

// Every DB a test opens must stop its writer and pruner on Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
