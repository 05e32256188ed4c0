package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "usage: stasisq serve|demo|import")
	os.Exit(2)
}
