package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"stasisq/queue"
)

// Agent is one login. Users and agents are one bucket: a supervisor or admin
// is an Agent record that may have no device and no queues.
type Agent struct {
	Config       queue.AgentConfig `json:"config"`
	Role         queue.Role        `json:"role"`
	PasswordHash []byte            `json:"password_hash,omitempty"`
	// Supervises: a supervisor's queues (queue.User.Supervises).
	Supervises []string `json:"supervises,omitempty"`
}

// PutQueue creates or replaces a queue's configuration.
func (db *DB) PutQueue(ctx context.Context, c queue.QueueConfig) error {
	if err := db.PutConfiguration(ctx, []queue.QueueConfig{c}, nil); err != nil {
		return fmt.Errorf("put %w", err)
	}
	return nil
}

// PutConfiguration writes queues and logins in one transaction: every one
// of them or, on any error, none (an import is all or nothing). A login
// with an empty Role keeps the stored one (a new login is an agent); one
// with no PasswordHash keeps the stored hash.
func (db *DB) PutConfiguration(ctx context.Context, queues []queue.QueueConfig, agents []Agent) error {
	raws := make([][]byte, len(queues)) // marshalled before the transaction
	for i, c := range queues {
		if c.Name == "" {
			return fmt.Errorf("queue: %w", &queue.ValidationError{Fields: []queue.FieldError{{Field: "name", Message: "required"}}})
		}
		raw, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("queue %s: %w", c.Name, err)
		}
		raws[i] = raw
	}
	for i := range agents {
		a := &agents[i]
		var fields []queue.FieldError
		if a.Config.ID == "" {
			fields = append(fields, queue.FieldError{Field: "id", Message: "required"})
		}
		if a.Role != "" && !a.Role.Valid() {
			fields = append(fields, queue.FieldError{Field: "role", Message: fmt.Sprintf("%q is not one of agent, supervisor, admin", a.Role)})
		}
		if len(fields) > 0 {
			return fmt.Errorf("agent %s: %w", a.Config.ID, &queue.ValidationError{Fields: fields})
		}
	}
	// In key order: bbolt inserts into one in-memory node until the commit
	// splits it, so keys in random order cost a copy of the node each
	// (quadratic; 130,000 agents took 10 s), in order an append.
	qorder := sortedIndex(len(queues), func(i int) string { return queues[i].Name })
	aorder := sortedIndex(len(agents), func(i int) string { return agents[i].Config.ID })
	return db.update(ctx, func(tx *bolt.Tx) error {
		for _, i := range qorder {
			c := queues[i]
			if err := tx.Bucket(bucketQueues).Put([]byte(c.Name), raws[i]); err != nil {
				return fmt.Errorf("queue %s: %w", c.Name, err)
			}
		}
		b := tx.Bucket(bucketAgents)
		// Keys in order fill pages to the end: full pages halve what the
		// commit allocates and writes for a big import (bbolt's default
		// leaves them half empty for later inserts in between).
		b.FillPercent = 0.9
		for _, i := range aorder {
			a := agents[i]
			old, err := getAgent(b, a.Config.ID)
			if a.Role == "" {
				// No role given: a login kept (an import's agent who is
				// also a supervisor) keeps its own, a new one is an agent.
				a.Role = queue.RoleAgent
				if err == nil {
					a.Role = old.Role
				}
			}
			if err == nil {
				if a.PasswordHash == nil {
					a.PasswordHash = old.PasswordHash
				}
				// A new password or role ends the login's sessions: a
				// leaked password stops working, a demoted supervisor
				// stops seeing the floor.
				if a.Role != old.Role || !bytes.Equal(a.PasswordHash, old.PasswordHash) {
					if _, err := deleteUserSessions(tx, a.Config.ID); err != nil {
						return fmt.Errorf("agent %s: end sessions: %w", a.Config.ID, err)
					}
				}
			}
			if err := putAgent(b, a); err != nil {
				return fmt.Errorf("agent %s: %w", a.Config.ID, err)
			}
		}
		return nil
	})
}

// sortedIndex is 0..n-1 ordered by key(i), as bbolt orders keys.
func sortedIndex(n int, key func(int) string) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int { return strings.Compare(key(x), key(y)) }) // a repeated key: the last one given wins, as before
	return idx
}

// DeleteQueue removes a queue's configuration; ErrNotFound if there is none.
func (db *DB) DeleteQueue(ctx context.Context, name string) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketQueues)
		if b.Get([]byte(name)) == nil {
			return queue.ErrNotFound
		}
		return b.Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("delete queue %s: %w", name, err)
	}
	return nil
}

// Queue returns one queue's configuration.
func (db *DB) Queue(ctx context.Context, name string) (queue.QueueConfig, error) {
	var c queue.QueueConfig
	err := db.view(ctx, func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketQueues).Get([]byte(name))
		if raw == nil {
			return queue.ErrNotFound
		}
		return json.Unmarshal(raw, &c)
	})
	if err != nil {
		return queue.QueueConfig{}, fmt.Errorf("queue %s: %w", name, err)
	}
	return c, nil
}

// Queues returns every queue's configuration, by name.
func (db *DB) Queues(ctx context.Context) ([]queue.QueueConfig, error) {
	var out []queue.QueueConfig
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQueues).ForEach(func(k, v []byte) error {
			var c queue.QueueConfig
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode queue %s: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	return out, nil
}

// PutAgent creates or replaces a login. An empty Role means RoleAgent. A nil
// PasswordHash keeps the stored one, so that editing an agent's settings does
// not wipe its password; use SetPassword to change it.
func (db *DB) PutAgent(ctx context.Context, a Agent) error {
	if err := db.PutConfiguration(ctx, nil, []Agent{a}); err != nil {
		return fmt.Errorf("put %w", err)
	}
	return nil
}

func putAgent(b *bolt.Bucket, a Agent) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return b.Put([]byte(a.Config.ID), raw)
}

func getAgent(b *bolt.Bucket, id string) (Agent, error) {
	raw := b.Get([]byte(id))
	if raw == nil {
		return Agent{}, queue.ErrNotFound
	}
	var a Agent
	if err := json.Unmarshal(raw, &a); err != nil {
		return Agent{}, fmt.Errorf("decode agent %s: %w", id, err)
	}
	return a, nil
}

// SetPassword stores a bcrypt hash of password for an existing login.
// HashPassword is password's bcrypt hash at the store's cost, for an
// Agent's PasswordHash: a login and its password written by one PutAgent
// are one transaction.
func (db *DB) HashPassword(password string) ([]byte, error) {
	if password == "" {
		return nil, &queue.ValidationError{Fields: []queue.FieldError{{Field: "password", Message: "required"}}}
	}
	cost := db.opts.BcryptCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	return bcrypt.GenerateFromPassword([]byte(password), cost)
}

func (db *DB) SetPassword(ctx context.Context, id, password string) error {
	if password == "" {
		return fmt.Errorf("set password of %s: %w", id, &queue.ValidationError{Fields: []queue.FieldError{{Field: "password", Message: "required"}}})
	}
	// Hash outside the transaction: bcrypt is deliberately slow and the
	// writer must not wait on it.
	hash, err := db.HashPassword(password)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", id, err)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAgents)
		a, err := getAgent(b, id)
		if err != nil {
			return err
		}
		a.PasswordHash = hash
		if _, err := deleteUserSessions(tx, id); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return putAgent(b, a)
	})
	if err != nil {
		return fmt.Errorf("set password of %s: %w", id, err)
	}
	return nil
}

// dummyHash is compared against when a login does not exist (or has no
// password), so that a wrong login takes as long to refuse as a wrong
// password: it is made at the store's own cost, once.
func (db *DB) dummyHash() []byte {
	db.dummyOnce.Do(func() {
		h, err := db.HashPassword("stasisq timing equaliser")
		if err != nil {
			// Only an impossible cost fails; a cost-10 hash still equalises
			// the default.
			h, _ = bcrypt.GenerateFromPassword([]byte("stasisq timing equaliser"), bcrypt.DefaultCost)
		}
		db.dummy = h
	})
	return db.dummy
}

// CheckPassword returns the login if password matches its hash, else
// ErrBadCredentials.
func (db *DB) CheckPassword(ctx context.Context, id, password string) (Agent, error) {
	a, err := db.GetAgent(ctx, id)
	if errors.Is(err, queue.ErrNotFound) || (err == nil && len(a.PasswordHash) == 0) {
		_ = bcrypt.CompareHashAndPassword(db.dummyHash(), []byte(password)) // the answer is no either way
		return Agent{}, queue.ErrBadCredentials
	}
	if err != nil {
		return Agent{}, err
	}
	if bcrypt.CompareHashAndPassword(a.PasswordHash, []byte(password)) != nil {
		return Agent{}, queue.ErrBadCredentials
	}
	return a, nil
}

// DeleteAgent removes a login; ErrNotFound if there is none.
func (db *DB) DeleteAgent(ctx context.Context, id string) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAgents)
		if b.Get([]byte(id)) == nil {
			return queue.ErrNotFound
		}
		// Its sessions go with it: a login re-created under the same name
		// does not inherit the old one's cookies.
		if _, err := deleteUserSessions(tx, id); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return b.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("delete agent %s: %w", id, err)
	}
	return nil
}

// GetAgent returns one login.
func (db *DB) GetAgent(ctx context.Context, id string) (Agent, error) {
	var a Agent
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		a, err = getAgent(tx.Bucket(bucketAgents), id)
		return err
	})
	if err != nil {
		return Agent{}, fmt.Errorf("agent %s: %w", id, err)
	}
	return a, nil
}

// AgentConfigs returns the agent settings of every login, by id (the
// call flow's ConfigSource).
func (db *DB) AgentConfigs(ctx context.Context) ([]queue.AgentConfig, error) {
	agents, err := db.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]queue.AgentConfig, len(agents))
	for i, a := range agents {
		out[i] = a.Config
	}
	return out, nil
}

// Agents returns every login, by id.
func (db *DB) Agents(ctx context.Context) ([]Agent, error) {
	var out []Agent
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAgents).ForEach(func(k, v []byte) error {
			var a Agent
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode agent %s: %w", k, err)
			}
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Config.ID < out[j].Config.ID })
	return out, nil
}

// keyRedirectTargets holds, in the meta bucket, the admin's list of where
// supervisors may redirect callers (JSON queue.RedirectTargets).
var keyRedirectTargets = []byte("redirect_targets")

// RedirectTargets returns the admin's redirect allow-list; none stored is
// an empty list (every redirect refused).
func (db *DB) RedirectTargets(ctx context.Context) (queue.RedirectTargets, error) {
	var out queue.RedirectTargets
	err := db.view(ctx, func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketMeta).Get(keyRedirectTargets)
		if raw == nil {
			return nil
		}
		return json.Unmarshal(raw, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("redirect targets: %w", err)
	}
	return out, nil
}

// PutRedirectTargets replaces the redirect allow-list.
func (db *DB) PutRedirectTargets(ctx context.Context, ts queue.RedirectTargets) error {
	raw, err := json.Marshal(ts)
	if err != nil {
		return fmt.Errorf("put redirect targets: %w", err)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyRedirectTargets, raw) })
	if err != nil {
		return fmt.Errorf("put redirect targets: %w", err)
	}
	return nil
}
