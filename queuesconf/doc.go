// Package queuesconf imports an existing app_queue set-up: queues.conf,
// queuerules.conf and agents.conf, read with Asterisk's own configuration
// syntax (templates, #include, block comments), become queue.QueueConfig and
// queue.AgentConfig values. Whatever cannot be carried over is returned as a
// Warning saying where it was and why, so an import never loses a setting
// silently.
//
// A file of any size is read in bounded memory: a first pass finds the
// sections, templates, #include and (+) and notes where each section's
// lines are; the second reads one section at a time from the files. The
// agents member => lines make go into an AgentBook (in memory, or on disk
// for an import), the notices to a callback (Notices keeps per reason the
// first lines and a count), and PlanEach compares with the database one
// queue or agent at a time through Existing. What stays in memory is the
// queues themselves, the largest section and the templates.
package queuesconf
