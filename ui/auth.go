package ui

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"stasisq/queue"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

const (
	sessionCookie = "stasisq_session"
	csrfHeader    = "X-CSRF-Token"
	userKey       = "ui.user"
	sessionKey    = "ui.session"
)

// loadSession puts the logged-in user, if any, on the context.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			ctx, cancel := requestContext(c)
			ss, err := s.auth.get(ctx, ck.Value, time.Now())
			cancel()
			switch {
			case err == nil:
				c.Set(sessionKey, ss)
				c.Set(userKey, ss.user)
			case !errors.Is(err, errSessionInvalid):
				// The Directory could not say who this is: no user, so 401.
				s.log.Warn("session check", "err", err)
			}
		}
		return next(c)
	}
}

func currentUser(c echo.Context) (User, bool) {
	u, ok := c.Get(userKey).(User)
	return u, ok
}

func currentSession(c echo.Context) (session, bool) {
	ss, ok := c.Get(sessionKey).(session)
	return ss, ok
}

// csrf refuses a state-changing request without the session's token in the
// X-CSRF-Token header. A cross-site form cannot set a header, and a
// cross-site script cannot read the token. The login itself has no session
// yet, so it is protected by the origin check instead.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if !s.originAllowed(c.Request()) {
			return newError(http.StatusForbidden, "cross-origin request refused")
		}
		ss, ok := currentSession(c)
		if !ok || c.Path() == "/api/login" {
			// requireRole answers 401 without a session; a login (also as
			// someone else, from a browser still holding a session) proves
			// itself with the password, and the origin check above keeps
			// other sites from logging a browser in.
			return next(c)
		}
		got := c.Request().Header.Get(csrfHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) != 1 {
			return newError(http.StatusForbidden, "missing or wrong CSRF token: reload the page")
		}
		return next(c)
	}
}

// originAllowed accepts a request without an Origin header (not a browser,
// or a same-origin GET) or one from this server or an allowed origin.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	o := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, allowed := range s.opts.AllowedOrigins {
		if o == allowed {
			return true
		}
	}
	return false
}

func (s *Server) requireRole(min queue.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, ok := currentUser(c)
			if !ok {
				return newError(http.StatusUnauthorized, "log in first")
			}
			if u.Role.Rank() < min.Rank() {
				return newError(http.StatusForbidden, "your role (%s) may not do this", u.Role)
			}
			return next(c)
		}
	}
}

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type sessionResponse struct {
	User          User     `json:"user"`
	CSRF          string   `json:"csrf"`
	PauseReasons  []string `json:"pause_reasons"`
	LookupEnabled bool     `json:"lookup_enabled"`
	Timezone      string   `json:"timezone"`
}

func (s *Server) sessionResponse(ss session) sessionResponse {
	reasons := s.opts.PauseReasons
	if reasons == nil {
		reasons = []string{}
	}
	return sessionResponse{User: ss.user, CSRF: ss.csrf, PauseReasons: reasons, LookupEnabled: s.lookup != nil, Timezone: s.loc.String()}
}

func (s *Server) login(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := fieldErrors{}
	if req.Login == "" {
		f.add("login", "required")
	}
	if req.Password == "" {
		f.add("password", "required")
	}
	if len(req.Login) > 128 {
		f.add("login", "too long")
	}
	if len(req.Password) > 72 {
		f.add("password", "too long") // bcrypt reads no further
	}
	if err := f.err(); err != nil {
		return err
	}
	now := time.Now()
	from := c.RealIP()
	// Charged before the password is checked, so parallel guesses cannot
	// all get through; a correct password gives the charge back.
	attempt, wait := s.limit.begin(now, from, req.Login)
	if wait > 0 {
		s.log.Warn("login throttled", "login", req.Login, "from", from, "retry_after", wait.Round(time.Second))
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		return newError(http.StatusTooManyRequests, "too many failed logins from your address: try again in %s", wait.Round(time.Second))
	}
	// bcrypt's deliberate CPU time, which a busy machine stretches, is not
	// the store's: the store's 5 s start after it, or a correct password
	// would be refused as "did not answer in time" (seen under load in CI).
	found, err := s.opts.Directory.Authenticate(c.Request().Context(), req.Login, req.Password)
	if err != nil {
		if errors.Is(err, queue.ErrBadCredentials) {
			s.log.Warn("login failed", "login", req.Login, "from", from)
		} else {
			s.limit.succeeded(attempt) // not a guess: the store failed
		}
		return err
	}
	s.limit.succeeded(attempt)
	u := sessionUser(found)
	if u.Role.Rank() == 0 {
		return newError(http.StatusForbidden, "this user has no role")
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if old, ok := currentSession(c); ok {
		// Logging in as someone else (or again) on this browser ends the
		// session it had.
		if err := s.auth.drop(ctx, old); err != nil {
			return err
		}
		s.hub.endSession(old.id)
	}
	ss, value, err := s.auth.create(ctx, u, c.RealIP(), now)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   s.opts.SecureCookies || c.Request().TLS != nil,
		Expires:  ss.expires,
	})
	s.log.Info("login", "user", u.ID, "role", u.Role, "from", c.RealIP())
	return c.JSON(http.StatusOK, s.sessionResponse(ss))
}

func (s *Server) logout(c echo.Context) error {
	if ss, ok := currentSession(c); ok {
		ctx, cancel := requestContext(c)
		defer cancel()
		if err := s.auth.drop(ctx, ss); err != nil {
			return err
		}
		s.hub.endSession(ss.id)
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.opts.SecureCookies || c.Request().TLS != nil,
	})
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) session(c echo.Context) error {
	ss, _ := currentSession(c)
	return c.JSON(http.StatusOK, s.sessionResponse(ss))
}
