package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// bucketSessions: session id (queue.Session.ID) -> JSON queue.Session.
var bucketSessions = []byte("sessions")

// MaxSessionsPerUser bounds what one login can keep open (browsers, phones,
// a script logging in in a loop): the oldest beyond it end.
const MaxSessionsPerUser = 20

// PutSession stores a new console session for an existing user, ending
// that user's expired sessions and the oldest beyond MaxSessionsPerUser in
// the same transaction.
func (db *DB) PutSession(ctx context.Context, s queue.Session) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("put session of %s: %w", s.User, err)
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAgents).Get([]byte(s.User)) == nil {
			return queue.ErrNotFound
		}
		b := tx.Bucket(bucketSessions)
		var mine []queue.Session
		if err := eachSession(b, func(o queue.Session) error {
			if o.User != s.User {
				return nil
			}
			if !s.Created.Before(o.Expires) {
				return b.Delete([]byte(o.ID))
			}
			mine = append(mine, o)
			return nil
		}); err != nil {
			return err
		}
		sort.Slice(mine, func(i, j int) bool { return mine[i].Created.Before(mine[j].Created) })
		for len(mine) >= MaxSessionsPerUser {
			if err := b.Delete([]byte(mine[0].ID)); err != nil {
				return err
			}
			mine = mine[1:]
		}
		return b.Put([]byte(s.ID), raw)
	})
	if err != nil {
		return fmt.Errorf("put session of %s: %w", s.User, err)
	}
	return nil
}

// SessionUser returns a session that has not expired at now and its user,
// read in one transaction; an error wrapping queue.ErrNotFound when there
// is no such session (never was, logged out, ended, expired) or its user
// is gone.
func (db *DB) SessionUser(ctx context.Context, id string, now time.Time) (queue.Session, queue.User, error) {
	var s queue.Session
	var a Agent
	err := db.view(ctx, func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketSessions).Get([]byte(id))
		if raw == nil {
			return queue.ErrNotFound
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		if !now.Before(s.Expires) {
			return queue.ErrNotFound
		}
		var err error
		a, err = getAgent(tx.Bucket(bucketAgents), s.User)
		return err
	})
	if err != nil {
		return queue.Session{}, queue.User{}, fmt.Errorf("session: %w", err)
	}
	return s, a.user(), nil
}

// DeleteSession ends one session (logout); ending one that is not there is
// not an error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	err := db.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Delete([]byte(id)) })
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user and says how many.
func (db *DB) DeleteUserSessions(ctx context.Context, user string) (int, error) {
	var n int
	err := db.update(ctx, func(tx *bolt.Tx) error {
		var err error
		n, err = deleteUserSessions(tx, user)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete sessions of %s: %w", user, err)
	}
	return n, nil
}

// PruneSessions deletes sessions expired at now.
func (db *DB) PruneSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		return eachSession(b, func(s queue.Session) error {
			if now.Before(s.Expires) {
				return nil
			}
			n++
			return b.Delete([]byte(s.ID))
		})
	})
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return n, nil
}

func deleteUserSessions(tx *bolt.Tx, user string) (int, error) {
	b := tx.Bucket(bucketSessions)
	n := 0
	err := eachSession(b, func(s queue.Session) error {
		if s.User != user {
			return nil
		}
		n++
		return b.Delete([]byte(s.ID))
	})
	return n, err
}

// eachSession calls fn for every session; fn may delete the one it is
// given (the keys are collected first: bbolt's cursor skips after a
// delete). An undecodable record is deleted: it could never log anyone in.
func eachSession(b *bolt.Bucket, fn func(queue.Session) error) error {
	var all [][]byte
	if err := b.ForEach(func(k, _ []byte) error {
		all = append(all, bytes.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range all {
		var s queue.Session
		if err := json.Unmarshal(b.Get(k), &s); err != nil || s.ID != string(k) {
			if err := b.Delete(k); err != nil {
				return err
			}
			continue
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}
