// Package demo is "stasisq demo": the whole system against the in-process
// fake Asterisk, with simulated callers and agents (package sim), a fake CRM
// for the screen pop, and logins for people to try the console.
//
// It seeds its database before stasisq opens it and stops the traffic
// before stasisq, so that every simulated call ends recorded and the fake
// Asterisk is left empty.
//
// A new database is also given a past (history.go): weeks of calls lived in
// virtual time by the same engine and store as live ones, so the reports
// have something to show. The past ends before today's midnight and leaves
// no caller waiting and no agent logged in, so the live demo starts from
// the same state with or without it.
package demo
