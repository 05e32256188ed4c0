// Package ari is stasisq's own client for the Asterisk REST Interface: typed
// REST calls that take a context and keep Asterisk's error message, and one
// events websocket that decodes every event type in Asterisk's events.json,
// reconnects with capped backoff, and tells the application when it must
// resynchronise.
package ari
