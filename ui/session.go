package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"stasisq/queue"
)

// Sessions are server-side: the browser's cookie holds a random token, and
// the Directory keeps queue.Session under the token's SHA-256. Logging out
// deletes it, and the store deletes a user's sessions when the password or
// role changes or the user is removed, so an ended session stays ended,
// across restarts and for a login later re-created under the same name.
// Every request reads the session and its user in one transaction (a few
// microseconds in bbolt), so a role change applies at once.

// tokenBytes is the cookie token's length: 256 random bits.
const tokenBytes = 32

type session struct {
	id      string // queue.Session.ID: the token's SHA-256, hex
	csrf    string
	user    User
	expires time.Time
}

type sessions struct {
	dir Directory
	ttl time.Duration
}

func randomToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// errSessionInvalid covers every reason a cookie is refused; the browser
// only needs to log in again.
var errSessionInvalid = errors.New("invalid session")

// create starts a session for u and returns it with its cookie value.
func (s *sessions) create(ctx context.Context, u User, from string, now time.Time) (session, string, error) {
	token := randomToken()
	rec := queue.Session{
		ID: sessionID(token), User: u.ID, CSRF: randomToken(),
		Created: now, Expires: now.Add(s.ttl).Truncate(time.Second), From: from,
	}
	if err := s.dir.PutSession(ctx, rec); err != nil {
		return session{}, "", fmt.Errorf("start session for %s: %w", u.ID, err)
	}
	return session{id: rec.ID, csrf: rec.CSRF, user: u, expires: rec.Expires}, token, nil
}

// get returns the session a cookie value names if the Directory still has
// it, unexpired, and its user still has a role; the user is as the
// Directory has it now.
func (s *sessions) get(ctx context.Context, token string, now time.Time) (session, error) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return session{}, fmt.Errorf("format: %w", errSessionInvalid)
	}
	rec, u, err := s.dir.SessionUser(ctx, sessionID(token), now)
	if errors.Is(err, queue.ErrNotFound) {
		return session{}, fmt.Errorf("ended or expired: %w", errSessionInvalid)
	}
	if err != nil {
		return session{}, err
	}
	if u.Role.Rank() == 0 {
		return session{}, fmt.Errorf("user %s has no role: %w", u.ID, errSessionInvalid)
	}
	return session{id: rec.ID, csrf: rec.CSRF, user: sessionUser(u), expires: rec.Expires}, nil
}

// drop logs one session out.
func (s *sessions) drop(ctx context.Context, ss session) error {
	if err := s.dir.DeleteSession(ctx, ss.id); err != nil {
		return fmt.Errorf("log out %s: %w", ss.user.ID, err)
	}
	return nil
}
