// Package demo is "stasisq demo": the whole system against the in-process
// fake Asterisk, with simulated callers and agents (package sim), a fake CRM
// for the screen pop, and logins for people to try the console.
//
// It seeds its database before stasisq opens it and stops the traffic
// before stasisq, so that every simulated call ends recorded and the fake
// Asterisk is left empty.
package demo
