// Package store persists stasisq's configuration, call records, interval
// statistics and the state needed to resume after a crash, in bbolt, through
// one group-committing writer.
package store
