// Package queuesconf imports an existing app_queue set-up: queues.conf,
// queuerules.conf and agents.conf, read with Asterisk's own configuration
// syntax (templates, #include, block comments), become queue.QueueConfig and
// queue.AgentConfig values. Whatever cannot be carried over is returned as a
// Warning saying where it was and why, so an import never loses a setting
// silently.
package queuesconf
