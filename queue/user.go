package queue

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Role is what a login may do. Each role may do everything the one before
// it may: an agent takes calls, a supervisor also watches and steers the
// floor, an admin also edits queues and users.
type Role string

const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Rank orders the roles: 1 agent, 2 supervisor, 3 admin, 0 not a role.
func (r Role) Rank() int {
	switch r {
	case RoleAgent:
		return 1
	case RoleSupervisor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r.Rank() > 0 }

// AtLeast reports whether r may do what min may.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.Rank() >= min.Rank() }

// User is a login as the console's admin pages edit it: who, what it may
// do, and, for one who takes calls, its agent settings (Agent.Device is
// empty for a supervisor or admin who is not also an agent). For an agent,
// ID is also its AgentID.
type User struct {
	ID    string      `json:"id"`
	Name  string      `json:"name"`
	Role  Role        `json:"role"`
	Agent AgentConfig `json:"agent"`
	// Supervises are the queues whose calls a supervisor may listen to,
	// whisper into, join and control the recording of; none: every
	// queue. Admins supervise every queue.
	Supervises []string `json:"supervises,omitempty"`
}

// SupervisesQueue reports whether u may supervise the calls of queue q.
func (u User) SupervisesQueue(q string) bool {
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleSupervisor:
		return len(u.Supervises) == 0 || slices.Contains(u.Supervises, q)
	}
	return false
}

// Password lengths a login's password must keep to: bcrypt reads only the
// first 72 bytes, so a longer one would be silently cut.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 72
)

// namePattern is what a login or queue name may be: it appears in URLs and
// in Asterisk's dialplan arguments.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// NameRule says what ValidName accepts, for messages.
const NameRule = "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"

// ValidName reports whether s may be a login or a queue's name.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// CheckPassword says what is wrong with a new password, "" when nothing.
func CheckPassword(p string) string {
	switch {
	case p == "":
		return "required"
	case len(p) < MinPasswordLength:
		return fmt.Sprintf("at least %d characters", MinPasswordLength)
	case len(p) > MaxPasswordLength:
		return fmt.Sprintf("at most %d bytes", MaxPasswordLength)
	}
	return ""
}

// Session is a console login as the store keeps it: server-side, so that a
// logout, a changed password or role, or the user's removal ends it for
// good, across restarts too.
type Session struct {
	// ID is the SHA-256 (hex) of the token in the browser's cookie: whoever
	// reads the database cannot use it to log in.
	ID      string    `json:"id"`
	User    string    `json:"user"`
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	From    string    `json:"from"` // client address at login
}

// AuditEntry is one thing a supervisor or admin did, as the store keeps it
// for admins to read: who, from where, what (the API route), to whom (the
// route's parameters) and how it ended. Never a password.
type AuditEntry struct {
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Role   Role      `json:"role"`
	From   string    `json:"from"`
	Action string    `json:"action"` // e.g. "POST /api/callers/:id/redirect"
	Target string    `json:"target"` // e.g. "id=c01"
	Detail string    `json:"detail,omitempty"`
	Status int       `json:"status"`
}
