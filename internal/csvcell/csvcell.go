// Package csvcell keeps text written into CSV files from being run as a
// formula by the spreadsheet that opens them (CSV injection), while phone
// numbers such as +441234 stay as they are.
package csvcell

import "strings"

// Safe is s with a leading ' when a spreadsheet would take it for a
// formula (=, +, -, @, tab, CR first), unless it is a phone number.
func Safe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if strings.Trim(s, "+0123456789*#") == "" {
		return s
	}
	return "'" + s
}
