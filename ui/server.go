package ui

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

// Floor is the running call centre: the application loop that owns the engine.
type Floor interface {
	Snapshot(ctx context.Context) (queue.Snapshot, error)
	// Do applies an engine command (pause, reorder, move, pick, login...) and waits for the result.
	Do(ctx context.Context, in queue.Input) error
	HangupCaller(ctx context.Context, caller queue.CallerID) error
	// RedirectCaller sends a caller to target: "context,exten,priority" or an
	// extension in the queue's default context, if allowed lists it
	// (queue.ErrForbidden otherwise).
	RedirectCaller(ctx context.Context, caller queue.CallerID, target string, allowed queue.RedirectTargets) error
	// Monitor rings the supervisor's phone and, once it answers, puts it
	// on caller's call to listen, whisper or barge (queue.MonitorModes);
	// on a call it is on already it switches mode. StopMonitor takes it
	// off (queue.ErrNotFound if it is not on).
	Monitor(ctx context.Context, caller queue.CallerID, supervisor, mode string) error
	StopMonitor(ctx context.Context, caller queue.CallerID, supervisor string) error
	// Configure makes a configuration change (queue.ConfigureQueue,
	// RemoveQueue, ConfigureAgent, RemoveAgent): validated, kept by save
	// (a Directory write), and only then applied, so a failed save changes
	// nothing.
	Configure(ctx context.Context, in queue.Input, save func(context.Context) error) error
}

// Directory is configuration and history (the store).
type Directory interface {
	// Authenticate returns the user for a correct login and password, and
	// queue.ErrBadCredentials otherwise.
	Authenticate(ctx context.Context, login, password string) (queue.User, error)
	Queues(ctx context.Context) ([]queue.QueueConfig, error)
	PutQueue(ctx context.Context, q queue.QueueConfig) error
	DeleteQueue(ctx context.Context, name string) error
	Users(ctx context.Context) ([]queue.User, error)
	// PutUser creates or replaces a user; password "" keeps the old one.
	PutUser(ctx context.Context, u queue.User, password string) error
	DeleteUser(ctx context.Context, id string) error
	Calls(ctx context.Context, q queue.CallQuery) ([]queue.CallRecord, error)
	// WriteCallsCSV writes the calls q selects as CSV, a header first.
	WriteCallsCSV(ctx context.Context, w io.Writer, q queue.CallQuery) error
	// CallByID is one call record by its ID; queue.ErrNotFound if none.
	CallByID(ctx context.Context, id string) (queue.CallRecord, error)
	QueueStats(ctx context.Context, queueName string, from, to time.Time) ([]queue.QueueInterval, error)
	AgentStats(ctx context.Context, agent queue.AgentID, from, to time.Time) ([]queue.AgentInterval, error)
	// QueueDays and AgentDays are the same summed per day of the site,
	// the days starting in [from, to): what reports by day or week read.
	QueueDays(ctx context.Context, queueName string, from, to time.Time) ([]queue.QueueInterval, error)
	AgentDays(ctx context.Context, agent queue.AgentID, from, to time.Time) ([]queue.AgentInterval, error)

	// Console sessions (session.go). PutSession refuses (ErrNotFound) a
	// user that does not exist; SessionUser answers ErrNotFound for a
	// session that is not there or expired at now, or whose user is gone.
	// Changing a user's password or role, or deleting the user, ends that
	// user's sessions in the same write.
	PutSession(ctx context.Context, s queue.Session) error
	SessionUser(ctx context.Context, id string, now time.Time) (queue.Session, queue.User, error)
	DeleteSession(ctx context.Context, id string) error

	// The admin's list of where supervisors may redirect callers.
	RedirectTargets(ctx context.Context) (queue.RedirectTargets, error)
	PutRedirectTargets(ctx context.Context, ts queue.RedirectTargets) error

	// The audit log of supervisors' and admins' actions; Audit is newest
	// first, at most limit, within [from, to).
	AddAudit(ctx context.Context, e queue.AuditEntry) error
	Audit(ctx context.Context, from, to time.Time, limit int) ([]queue.AuditEntry, error)
}

// User is who is logged in: the part of a queue.User a session carries.
// For an agent, ID is also the queue.AgentID.
type User struct {
	ID   string     `json:"id"`
	Role queue.Role `json:"role"`
	Name string     `json:"name"`
	// Supervises: the queues a supervisor supervises (queue.User).
	Supervises []string `json:"supervises,omitempty"`
}

func sessionUser(u queue.User) User {
	return User{ID: u.ID, Role: u.Role, Name: u.Name, Supervises: u.Supervises}
}

// Options configures New.
type Options struct {
	Floor     Floor
	Directory Directory
	Logger    *slog.Logger
	// Servers names the Asterisk servers when stasisq drives several
	// (an agent's phone is on one of them); nil with one.
	Servers []string
	// LookupURL is the customer-information URL, {number} replaced by the
	// caller's number, e.g. http://crm/lookup?number={number}; "" disables.
	LookupURL      string
	LookupTimeout  time.Duration
	PauseReasons   []string
	SecureCookies  bool
	AllowedOrigins []string // extra origins (scheme://host[:port]) allowed besides the server's own
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (for the login throttle and the logs); from anyone else
	// the header is ignored.
	TrustedProxies []netip.Prefix
	Location       *time.Location
	// SetupToken, when set, lets POST /api/setup create the first
	// administrator, once (see setup.go); "" when one exists.
	SetupToken string
	// Phone is the console's browser phone (phone.go).
	Phone PhoneConfig
	// Recordings serves and deletes call recordings; nil without Asterisk.
	Recordings Recordings
}

// sessionTTL is how long a login lasts: a working day and then some.
const sessionTTL = 12 * time.Hour

// Server is the web interface: API, websocket hub and static console.
type Server struct {
	opts   Options
	log    *slog.Logger
	echo   *echo.Echo
	hub    *Hub
	auth   *sessions
	limit  *loginThrottle
	lookup *lookupClient
	loc    *time.Location

	setupMu    sync.Mutex
	setupToken string // the first-run token until it is used
}

// New builds the Echo instance and starts the Hub.
func New(opts Options) (*Server, error) {
	if opts.Floor == nil {
		return nil, errors.New("ui: Options.Floor is required")
	}
	if opts.Directory == nil {
		return nil, errors.New("ui: Options.Directory is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.LookupTimeout <= 0 {
		opts.LookupTimeout = 2 * time.Second
	}
	for i, o := range opts.AllowedOrigins {
		opts.AllowedOrigins[i] = strings.TrimRight(strings.ToLower(o), "/")
	}
	lookup, err := newLookupClient(opts.LookupURL, opts.LookupTimeout)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:       opts,
		log:        opts.Logger,
		auth:       &sessions{dir: opts.Directory, ttl: sessionTTL},
		limit:      newLoginThrottle(),
		lookup:     lookup,
		loc:        opts.Location,
		setupToken: opts.SetupToken,
	}
	s.hub = newHub(hubConfig{log: opts.Logger})
	s.echo = s.routes()
	return s, nil
}

// Handler is the whole web interface.
func (s *Server) Handler() http.Handler { return s.echo }

// Publish hands domain events to the websocket hub. It never blocks.
func (s *Server) Publish(events []queue.Event) { s.hub.Publish(events) }

// PublishSnapshot gives the websocket clients the floor as the application
// loop last saw it, in order with the events it published (the loop does
// so every second).
func (s *Server) PublishSnapshot(snap queue.Snapshot) { s.hub.PublishSnapshot(snap) }

// Close closes every websocket and stops the hub; http.Server.Shutdown does
// not close hijacked connections.
func (s *Server) Close() { s.hub.Close() }

// Clients is the number of connected websocket clients.
func (s *Server) Clients() int { return s.hub.Clients() }

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.JSONSerializer = apiJSON{}
	e.HidePort = true
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = clientAddress(s.opts.TrustedProxies)
	e.Use(securityHeaders(phoneOrigin(s.opts.Phone.WebsocketURL)), s.loadSession, s.csrf)

	api := e.Group("/api")
	api.GET("/openapi.json", s.openAPI)
	api.POST("/login", s.login)
	api.POST("/setup", s.setup)
	api.POST("/logout", s.logout)

	authed := api.Group("", s.requireRole(queue.RoleAgent))
	authed.GET("/session", s.session)
	authed.GET("/ws", s.websocket)
	authed.GET("/snapshot", s.snapshot)
	authed.GET("/lookup", s.lookupNumber)

	me := authed.Group("/me")
	me.POST("/login", s.meLogin)
	me.POST("/logout", s.meLogout)
	me.POST("/ready", s.meReady)
	me.POST("/pause", s.mePause)
	me.POST("/done", s.meDone)
	me.POST("/reject", s.meReject)
	me.POST("/pick", s.mePick)
	me.GET("/queues", s.myQueues)
	me.PUT("/queues", s.meQueues)
	me.GET("/stats", s.meStats)
	me.GET("/phone", s.mePhone)
	me.POST("/recording", s.meRecording)

	sup := api.Group("", s.requireRole(queue.RoleSupervisor), s.auditActions)
	sup.GET("/queues", s.listQueues)
	sup.GET("/queues/:name", s.getQueue)
	sup.GET("/agents", s.listAgents)
	sup.GET("/agents/:id", s.getAgent)
	sup.GET("/calls", s.listCalls)
	sup.GET("/stats/queues", s.allQueueStats)
	sup.GET("/stats/queues/:name", s.queueStats)
	sup.GET("/stats/agents/:id", s.agentStats)
	sup.GET("/reports/queues", s.queueReport)
	sup.GET("/reports/agents", s.agentReport)
	sup.POST("/callers/:id/reorder", s.reorderCaller)
	sup.POST("/callers/:id/move", s.moveCaller)
	sup.POST("/callers/:id/priority", s.setCallerPriority)
	sup.POST("/callers/:id/hangup", s.hangupCaller)
	sup.POST("/callers/:id/redirect", s.redirectCaller)
	sup.POST("/callers/:id/recording", s.controlRecording)
	sup.POST("/callers/:id/monitor", s.monitorCall)
	sup.DELETE("/callers/:id/monitor", s.leaveCall)
	sup.GET("/calls/:id/recording", s.recordingFile)
	sup.POST("/agents/:id/login", s.agentLogin)
	sup.POST("/agents/:id/pause", s.agentPause)
	sup.POST("/agents/:id/unpause", s.agentUnpause)
	sup.POST("/agents/:id/logout", s.agentLogout)
	sup.PUT("/agents/:id/queues", s.agentQueues)

	adm := api.Group("/admin", s.requireRole(queue.RoleAdmin), s.auditActions)
	adm.GET("/meta", s.adminMeta)
	adm.GET("/queues", s.adminQueues)
	adm.PUT("/queues/:name", s.adminPutQueue)
	adm.DELETE("/queues/:name", s.adminDeleteQueue)
	adm.GET("/users", s.adminUsers)
	adm.PUT("/users/:id", s.adminPutUser)
	adm.DELETE("/users/:id", s.adminDeleteUser)
	adm.GET("/redirect-targets", s.adminRedirectTargets)
	adm.PUT("/redirect-targets", s.adminPutRedirectTargets)
	adm.GET("/audit", s.adminAudit)
	adm.DELETE("/calls/:id/recording", s.deleteRecording)

	api.Any("/*", func(c echo.Context) error { return newError(http.StatusNotFound, "no such API route") })

	static, _ := fs.Sub(staticFiles, "static")
	fileServer := http.FileServer(http.FS(static))
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", noCache(fileServer))))
	for _, page := range []string{"/", "/login", "/setup", "/agent", "/wall", "/calls", "/reports", "/admin"} {
		e.GET(page, s.indexPage)
	}
	return e
}

func (s *Server) indexPage(c echo.Context) error {
	b, err := staticFiles.ReadFile("static/index.html")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.HTMLBlob(http.StatusOK, b)
}

// noCache makes the browser revalidate embedded files: they change with
// each build, and revalidation is cheap on the LAN.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// securityHeaders: the page may connect to itself and, for the browser
// phone, to Asterisk's SIP websocket (phone, an origin, or "").
func securityHeaders(phone string) echo.MiddlewareFunc {
	connect := "'self'"
	if phone != "" {
		connect += " " + phone
	}
	csp := "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src " + connect + "; frame-ancestors 'none'"
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", csp)
			return next(c)
		}
	}
}

// clientAddress is the peer's address, or the one X-Forwarded-For gives
// when the peer (and each hop before it) is a trusted proxy: without a
// trusted proxy, the header would let anyone dodge the login throttle.
func clientAddress(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// requestContext bounds a request's calls into the call centre, so a stuck
// app loop answers 503 instead of hanging the browser.
func requestContext(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), 5*time.Second)
}
