// Command stasisq runs the stasisq ARI queue application: "serve" against a
// real Asterisk, "demo" against the in-process fake, "import" to bring an
// app_queue queues.conf across and "load" for figures. It only parses flags
// and wires the packages together; the application loop is package callflow.
package main
