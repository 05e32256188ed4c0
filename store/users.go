package store

import (
	"context"
	"fmt"

	"stasisq/queue"
)

// The store as the web console's Directory of logins: queue.User in and
// out, the password hashed here and never returned.

func (a Agent) user() queue.User {
	return queue.User{ID: a.Config.ID, Name: a.Config.Name, Role: a.Role, Agent: a.Config, Supervises: a.Supervises}
}

// Authenticate returns the user for a correct login and password, and
// queue.ErrBadCredentials for anything else (an unknown login included).
func (db *DB) Authenticate(ctx context.Context, login, password string) (queue.User, error) {
	a, err := db.CheckPassword(ctx, login, password)
	if err != nil {
		return queue.User{}, err
	}
	return a.user(), nil
}

// Users returns every login, by id.
func (db *DB) Users(ctx context.Context) ([]queue.User, error) {
	agents, err := db.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]queue.User, len(agents))
	for i, a := range agents {
		out[i] = a.user()
	}
	return out, nil
}

// User returns one login; an error wrapping queue.ErrNotFound if there is none.
func (db *DB) User(ctx context.Context, id string) (queue.User, error) {
	a, err := db.GetAgent(ctx, id)
	if err != nil {
		return queue.User{}, err
	}
	return a.user(), nil
}

// PutUser creates or replaces a login and, unless password is "", sets its
// password, in one transaction: no login is ever stored half-made.
func (db *DB) PutUser(ctx context.Context, u queue.User, password string) error {
	a := Agent{Config: u.Agent, Role: u.Role, Supervises: u.Supervises}
	a.Config.ID, a.Config.Name = u.ID, u.Name
	if password != "" {
		hash, err := db.HashPassword(password)
		if err != nil {
			return fmt.Errorf("put user %s: %w", u.ID, err)
		}
		a.PasswordHash = hash
	}
	return db.PutAgent(ctx, a)
}

// DeleteUser removes a login; an error wrapping queue.ErrNotFound if there
// is none.
func (db *DB) DeleteUser(ctx context.Context, id string) error { return db.DeleteAgent(ctx, id) }

// AdminCanLogIn reports whether some administrator has a password: without
// one, nobody can reach the console's admin pages ("stasisq serve" then
// offers the first-run setup address).
func (db *DB) AdminCanLogIn(ctx context.Context) (bool, error) {
	agents, err := db.Agents(ctx)
	if err != nil {
		return false, fmt.Errorf("look for an administrator: %w", err)
	}
	for _, a := range agents {
		if a.Role == queue.RoleAdmin && len(a.PasswordHash) > 0 {
			return true, nil
		}
	}
	return false, nil
}
