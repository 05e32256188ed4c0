package ui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"stasisq/queue"
	"strconv"
	"strings"
	"sync"
	"time"
)

// UserLookup is an optional Directory method: one user by id, or an error
// wrapping ErrNotFound when there is none. A Directory without it has every
// session check read the whole user list (Users), at most once per user
// every few seconds.
type UserLookup interface {
	User(ctx context.Context, id string) (queue.User, error)
}

// minSessionKey is the shortest Options.SessionKey accepted: an HMAC-SHA256
// key shorter than its output weakens it.
const minSessionKey = 32

// sessionCookieVersion starts every cookie value, so that a format change
// refuses old cookies instead of misreading them.
const sessionCookieVersion = "v1"

type session struct {
	id      string // random; names the session for logout
	csrf    string // derived from id and the key, so no server state holds it
	user    User
	expires time.Time
}

// sessions are signed cookies, not server state: a restart (or a second
// server with the same key) keeps everyone logged in. The cookie carries
// the session id, user id, role and expiry under an HMAC-SHA256; what the
// server keeps is only what must survive a valid signature: logged-out
// session ids until they would have expired, and a short cache of the
// Directory's answer about each user, so that a deleted user loses access
// and a changed role applies to open sessions.
type sessions struct {
	key     []byte
	ttl     time.Duration
	recheck time.Duration // how long a Directory answer about a user is trusted
	dir     Directory

	mu      sync.Mutex
	revoked map[string]time.Time // session id -> its expiry
	users   map[string]knownUser
}

type knownUser struct {
	user    User
	exists  bool
	checked time.Time
}

func newSessions(key []byte, ttl time.Duration, dir Directory) (*sessions, error) {
	if key == nil {
		// Without a persisted key sessions last as long as the process.
		key = make([]byte, minSessionKey)
		_, _ = rand.Read(key) // crypto/rand.Read never fails
	}
	if len(key) < minSessionKey {
		return nil, fmt.Errorf("ui: Options.SessionKey has %d bytes, want at least %d", len(key), minSessionKey)
	}
	return &sessions{
		key: append([]byte(nil), key...), ttl: ttl, recheck: 5 * time.Second, dir: dir,
		revoked: map[string]time.Time{}, users: map[string]knownUser{},
	}, nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) mac(purpose, data string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *sessions) csrfFor(id string) string { return s.mac("csrf", id) }

// create starts a session for u and returns it with its cookie value.
func (s *sessions) create(u User, now time.Time) (session, string) {
	ss := session{id: randomToken(), user: u, expires: now.Add(s.ttl).Truncate(time.Second)}
	ss.csrf = s.csrfFor(ss.id)
	s.remember(u.ID, &u, now)
	return ss, s.encode(ss)
}

// encode is v1.<session id>.<expiry unix>.<role>.<user id, base64url>.<mac>:
// every field is free of dots, and the MAC covers all before it.
func (s *sessions) encode(ss session) string {
	body := strings.Join([]string{
		sessionCookieVersion, ss.id, strconv.FormatInt(ss.expires.Unix(), 10), string(ss.user.Role),
		base64.RawURLEncoding.EncodeToString([]byte(ss.user.ID)),
	}, ".")
	return body + "." + s.mac("session", body)
}

// errSessionInvalid covers every reason a cookie is refused; the browser
// only needs to log in again.
var errSessionInvalid = errors.New("invalid session")

// decode verifies a cookie value's signature and expiry; it says nothing yet
// about revocation or the user.
func (s *sessions) decode(value string, now time.Time) (session, error) {
	i := strings.LastIndexByte(value, '.')
	if i < 0 {
		return session{}, errSessionInvalid
	}
	body, sig := value[:i], value[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac("session", body))) {
		return session{}, fmt.Errorf("signature: %w", errSessionInvalid)
	}
	f := strings.Split(body, ".")
	if len(f) != 5 || f[0] != sessionCookieVersion || f[1] == "" {
		return session{}, fmt.Errorf("format: %w", errSessionInvalid)
	}
	exp, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return session{}, fmt.Errorf("expiry: %w", errSessionInvalid)
	}
	uid, err := base64.RawURLEncoding.DecodeString(f[4])
	if err != nil || len(uid) == 0 {
		return session{}, fmt.Errorf("user: %w", errSessionInvalid)
	}
	ss := session{id: f[1], user: User{ID: string(uid), Role: queue.Role(f[3])}, expires: time.Unix(exp, 0)}
	if !now.Before(ss.expires) {
		return session{}, fmt.Errorf("expired: %w", errSessionInvalid)
	}
	ss.csrf = s.csrfFor(ss.id)
	return ss, nil
}

// get returns the session a cookie value names, if it is signed, unexpired,
// not logged out, and its user still exists; the user is as the Directory
// has it now (a changed role or name applies at once).
func (s *sessions) get(ctx context.Context, value string, now time.Time) (session, error) {
	ss, err := s.decode(value, now)
	if err != nil {
		return session{}, err
	}
	s.mu.Lock()
	_, revoked := s.revoked[ss.id]
	s.mu.Unlock()
	if revoked {
		return session{}, fmt.Errorf("logged out: %w", errSessionInvalid)
	}
	u, ok, err := s.lookup(ctx, ss.user.ID, now)
	if err != nil {
		return session{}, err
	}
	if !ok || u.Role.Rank() == 0 {
		return session{}, fmt.Errorf("user %s gone: %w", ss.user.ID, errSessionInvalid)
	}
	ss.user = u
	return ss, nil
}

// lookup asks the Directory about a user, or trusts an answer younger than
// recheck. When the Directory fails, an older answer is used rather than
// logging everyone out over a transient error.
func (s *sessions) lookup(ctx context.Context, id string, now time.Time) (User, bool, error) {
	s.mu.Lock()
	k, cached := s.users[id]
	s.mu.Unlock()
	if cached && now.Sub(k.checked) < s.recheck {
		return k.user, k.exists, nil
	}
	u, ok, err := s.fetch(ctx, id)
	if err != nil {
		if cached {
			return k.user, k.exists, nil
		}
		return User{}, false, fmt.Errorf("check session user %s: %w", id, err)
	}
	if ok {
		s.remember(id, &u, now)
	} else {
		s.remember(id, nil, now)
	}
	return u, ok, nil
}

func (s *sessions) fetch(ctx context.Context, id string) (User, bool, error) {
	if l, ok := s.dir.(UserLookup); ok {
		r, err := l.User(ctx, id)
		if errors.Is(err, queue.ErrNotFound) {
			return User{}, false, nil
		}
		if err != nil {
			return User{}, false, err
		}
		return sessionUser(r), true, nil
	}
	all, err := s.dir.Users(ctx)
	if err != nil {
		return User{}, false, err
	}
	for _, r := range all {
		if r.ID == id {
			return sessionUser(r), true, nil
		}
	}
	return User{}, false, nil
}

func (s *sessions) remember(id string, u *User, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.users) > 10000 {
		for k, v := range s.users {
			if now.Sub(v.checked) >= s.recheck {
				delete(s.users, k)
			}
		}
	}
	if u == nil {
		s.users[id] = knownUser{checked: now}
		return
	}
	s.users[id] = knownUser{user: *u, exists: true, checked: now}
}

// drop logs a session out: its id is refused until the cookie would have
// expired anyway.
func (s *sessions) drop(ss session, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, exp := range s.revoked {
		if !now.Before(exp) {
			delete(s.revoked, id)
		}
	}
	s.revoked[ss.id] = ss.expires
}

// updateUser applies an admin's edit to the user's open sessions at once,
// or ends them when the user is deleted (u == nil).
func (s *sessions) updateUser(id string, u *User) {
	s.remember(id, u, time.Now())
}
