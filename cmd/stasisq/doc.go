// Command stasisq runs the stasisq ARI queue application: "serve" against a
// real Asterisk, "demo" against the in-process fake, and "import" to bring an
// app_queue queues.conf across. The application loop that owns the engine
// lives here, next to the wiring.
package main
