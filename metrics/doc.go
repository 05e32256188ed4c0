// Package metrics exposes stasisq's figures to Prometheus: queue and agent
// gauges from each published snapshot, counters from domain events, ARI
// request latency, how late Asterisk's events arrive and how long stasisq
// takes to send a ring, websocket clients and store batching. It uses its own
// registry, so tests and several instances never collide.
package metrics
