package ui

import "embed"

// staticFiles is the console: plain ES modules and CSS, no build step.
//
//go:embed static
var staticFiles embed.FS
