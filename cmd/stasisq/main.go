package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"stasisq/ari"
	"stasisq/callflow"
	"stasisq/internal/cli"
	"stasisq/internal/httpserver"
	"stasisq/metrics"
	"stasisq/queue"
	"stasisq/store"
	"stasisq/ui"
	"stasisq/webphone"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first ctrl-C shuts down cleanly; a second one, should that hang,
	// kills the process as usual.
	go func() {
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "stasisq:", err)
		os.Exit(1)
	}
}

const usage = `usage: stasisq <command> [flags]

commands:
  serve    run stasisq against Asterisk (ARI)
  user     add, list, remove logins and set passwords (the first admin)
  import   bring an app_queue queues.conf across
  demo     run everything against an in-process fake Asterisk
  load     push simulated callers through simulated agents and print figures
  sidebyside  measure stasisq against app_queue on your Asterisk (asterisk-conf/*-bench.conf)

"stasisq <command> --help" lists a command's flags.`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		m := NewMain()
		m.Stderr = stderr
		if err := m.ParseFlags(ctx, args[1:]); err != nil {
			return err
		}
		if err := m.Run(ctx); err != nil {
			return errors.Join(err, m.Close())
		}
		fmt.Fprintf(stderr, "stasisq listening on %s (ARI %s, app %s)\n", m.URL(), m.asteriskList(), m.Config.App)
		<-ctx.Done()
		return m.Close()
	case "user":
		return runUser(ctx, args[1:], stdin, stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "load":
		return runLoad(ctx, args[1:], stdout, stderr)
	case "sidebyside":
		return runSideBySide(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// The store is the web console's Directory: they meet
// through the interfaces ui declares, with the domain's types.
var _ ui.Directory = (*store.DB)(nil)

// Config is the process configuration of "stasisq serve".
type Config struct {
	ARIURL      string
	ARIUser     string
	ARIPassword string
	App         string
	Listen      string
	DB          string
	LogLevel    string
	LogFormat   string // text or json
	LookupURL   string
	// PauseReasons an agent picks from when pausing, comma-separated.
	PauseReasons string
	QueueLog     string // optional queue_log file
	// ARIPasswordFile holds the ARI password (first line), so that it is
	// not in ps; it wins over ARIPassword.
	ARIPasswordFile string
	TLSCert         string
	TLSKey          string
	// SecureCookies: "" means on with TLS (behind a TLS proxy say "true").
	SecureCookies  string
	AllowedOrigins string // comma-separated scheme://host[:port]
	AllowedHosts   string // comma-separated host names the console answers to
	TrustedProxies string // comma-separated addresses or CIDRs
	MetricsListen  string // "" serves /metrics on Listen
	// PhoneWSURL is Asterisk's SIP websocket as browsers reach it, for the
	// console's phone; "" derives it from ARIURL (http://h:8088 ->
	// ws://h:8088/ws), "none" turns browser phones off.
	PhoneWSURL  string
	PhoneCodecs string // the browser phones' endpoints' allow list
	// Asterisks ("NAME=URL") and AsteriskDials ("NAME=TEMPLATE") are
	// --asterisk and --asterisk-dial as given; Servers, resolved from them
	// by ParseFlags (or set by a test), are the Asterisk servers stasisq
	// drives instead of the one at ARIURL.
	Asterisks     []string
	AsteriskDials []string
	Servers       []AsteriskServer
}

// Main is "stasisq serve" as a value: ParseFlags, Run, URL, Close, so tests
// run the real program in-process (benbjohnson/wtf's cmd/wtfd).
type Main struct {
	Config Config
	Stderr io.Writer
	// Logger overrides the one built from Config.LogLevel (tests).
	Logger *slog.Logger
	// Publish adds sinks for the domain events (tests, load figures).
	Publish []func([]queue.Event)
	// Observer receives call-flow timings (load figures).
	Observer callflow.Observer
	// OnARIEvent sees every ARI event as it arrives (tests record them),
	// of the types stasisq reads and ExtraARIEvents.
	OnARIEvent     func(ari.Event)
	ExtraARIEvents []string
	// NoPhoneReason, when set, turns browser phones off and is what their
	// consoles show (the demo has no SIP server).
	NoPhoneReason string

	DB  *store.DB
	ARI *ari.Client // the first (or only) server's
	// ARIs are every server's clients, in the order given.
	ARIs    []*ari.Client
	App     *callflow.App
	UI      *ui.Server
	Metrics *metrics.Metrics

	web      *httpserver.Server
	metrics  *httpserver.Server // nil: /metrics is on web
	cancel   context.CancelFunc
	appDone  chan error
	queueLog *os.File
	setup    string // the first-run token, when no administrator can log in

	closeOnce sync.Once
	closeErr  error
}

// NewMain returns a Main with the default configuration.
func NewMain() *Main {
	return &Main{
		Config: Config{
			ARIURL:       "http://127.0.0.1:8088",
			ARIUser:      "stasisq",
			App:          "stasisq",
			Listen:       "127.0.0.1:8080",
			DB:           "stasisq.db",
			LogLevel:     "info",
			LogFormat:    "text",
			PauseReasons: "Break,Lunch,Training,Meeting,Admin",
		},
		Stderr: os.Stderr,
	}
}

// ParseFlags reads flags, each defaulting to its STASISQ_* environment
// variable (--ari-url is STASISQ_ARI_URL).
func (m *Main) ParseFlags(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("stasisq serve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	str := func(p *string, name, usage string) {
		env := "STASISQ_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			*p = v
		}
		fs.StringVar(p, name, *p, usage+" ($"+env+")")
	}
	c := &m.Config
	str(&c.ARIURL, "ari-url", "Asterisk HTTP base URL (ARI lives under /ari)")
	str(&c.ARIUser, "ari-user", "ARI user (ari.conf)")
	str(&c.ARIPassword, "ari-password", "ARI password")
	str(&c.App, "app", "Stasis application name, as in Stasis(<app>,<queue>)")
	str(&c.Listen, "listen", "address of the web console, API and /metrics")
	str(&c.DB, "db", "bbolt database file")
	str(&c.LogLevel, "log-level", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "text or json")
	str(&c.PauseReasons, "pause-reasons", "comma-separated reasons agents pick from when pausing")
	str(&c.LookupURL, "lookup-url", "customer lookup shown to agents, e.g. http://crm/lookup?number={number}")
	str(&c.QueueLog, "queue-log", "also write Asterisk queue_log lines to this file (created 0640: it holds callers' numbers)")
	str(&c.ARIPasswordFile, "ari-password-file", "file holding the ARI password (preferred: a flag shows in ps)")
	str(&c.TLSCert, "tls-cert", "PEM certificate: serve HTTPS (browser phones need it off localhost); re-read when it changes")
	str(&c.TLSKey, "tls-key", "PEM private key for --tls-cert")
	str(&c.SecureCookies, "secure-cookies", "true or false: session cookie only over HTTPS (default: true with --tls-cert; say true behind a TLS proxy)")
	str(&c.AllowedOrigins, "allowed-origins", "comma-separated other origins (https://wall.example.com) allowed to call the API")
	str(&c.AllowedHosts, "allowed-hosts", "comma-separated host names the console answers to (DNS rebinding); default: any, or only IPs and localhost on loopback")
	str(&c.TrustedProxies, "trusted-proxies", "comma-separated proxy addresses or CIDRs whose X-Forwarded-For names the client")
	str(&c.MetricsListen, "metrics-listen", "serve /metrics on this address only, not on --listen")
	str(&c.PhoneWSURL, "phone-ws-url", "Asterisk's SIP websocket as agents' browsers reach it, e.g. wss://pbx.example.com:8089/ws (default: the ARI host's ws://.../ws; none: no browser phones)")
	str(&c.PhoneCodecs, "phone-codecs", "codecs of the browser phones' PJSIP endpoints (default ulaw,alaw; opus,ulaw,alaw where Asterisk has codec_opus)")
	list := func(p *[]string, name, usage string) {
		env := "STASISQ_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			*p = strings.Fields(v)
		}
		fs.Var(listFlag{p}, name, usage+" ($"+env+", separated by spaces)")
	}
	list(&c.Asterisks, "asterisk", "NAME=URL of one of several Asterisk servers, repeatable; instead of --ari-url. Passwords: $STASISQ_ARI_PASSWORD_<NAME> or NAME=password lines in --ari-password-file")
	list(&c.AsteriskDials, "asterisk-dial", "NAME=TEMPLATE: how server NAME reaches a device on another server, repeatable; {device} the device's resource, {interface} the whole device, {server} its server (default PJSIP/{device}@to-{server})")
	passwordGiven := false
	if err := fs.Parse(args); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { passwordGiven = passwordGiven || f.Name == "ari-password" })
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.ARIURL == "" || c.App == "" || c.DB == "" {
		return errors.New("--ari-url, --app and --db must not be empty")
	}
	if passwordGiven {
		fmt.Fprintln(m.Stderr, "stasisq: warning: --ari-password shows in ps; use --ari-password-file or $STASISQ_ARI_PASSWORD")
	}
	if len(c.Asterisks) > 0 {
		servers, err := c.asteriskServers(os.LookupEnv, m.Stderr)
		if err != nil {
			return err
		}
		c.Servers = servers
	} else if len(c.AsteriskDials) > 0 {
		return errors.New("--asterisk-dial needs --asterisk")
	} else if c.ARIPasswordFile != "" {
		pw, err := cli.ReadSecretFile(c.ARIPasswordFile)
		if err != nil {
			return fmt.Errorf("--ari-password-file: %w", err)
		}
		c.ARIPassword = pw
	}
	if _, err := c.secureCookies(); err != nil {
		return err
	}
	if _, err := cli.ParsePrefixes(c.TrustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	return cli.CheckLogging(c.LogLevel, c.LogFormat)
}

// secureCookies is --secure-cookies, on with TLS when not given.
func (c *Config) secureCookies() (bool, error) {
	if c.SecureCookies == "" {
		return c.TLSCert != "", nil
	}
	v, err := strconv.ParseBool(c.SecureCookies)
	if err != nil {
		return false, fmt.Errorf("--secure-cookies %q: want true or false", c.SecureCookies)
	}
	return v, nil
}

// phoneWebsocketURL is the browser phones' SIP websocket: given, or the
// ARI host's /ws (Asterisk serves both on its HTTP server); "" for none.
func phoneWebsocketURL(given, ariURL string) (string, error) {
	switch given {
	case "none":
		return "", nil
	case "":
		u, err := url.Parse(ariURL)
		if err != nil {
			return "", fmt.Errorf("--ari-url %q: %w", ariURL, err)
		}
		scheme := "ws"
		if u.Scheme == "https" {
			scheme = "wss"
		}
		return scheme + "://" + u.Host + "/ws", nil
	}
	u, err := url.Parse(given)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return "", fmt.Errorf("--phone-ws-url %q: want ws://host:port/path or wss://..., or none", given)
	}
	return given, nil
}

func (m *Main) logger() *slog.Logger {
	if m.Logger != nil {
		return m.Logger
	}
	return cli.Logger(m.Stderr, m.Config.LogLevel, m.Config.LogFormat)
}

// Run opens the database, loads the configuration into a new engine,
// connects to ARI and starts the HTTP server; it returns once everything is
// started. Close stops it.
func (m *Main) Run(ctx context.Context) error {
	log := m.logger()
	opts := store.Options{Logger: log.With("component", "store")}
	if m.Config.QueueLog != "" {
		f, err := os.OpenFile(m.Config.QueueLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return fmt.Errorf("open queue_log: %w", err)
		}
		m.queueLog = f
		opts.QueueLog = f
	}
	m.Metrics = metrics.New()
	opts.OnCommit = m.Metrics.ObserveStoreBatch
	db, err := store.Open(m.Config.DB, opts)
	if err != nil {
		return err
	}
	m.DB = db

	phoneSecret, err := db.PhoneSecret(ctx)
	if err != nil {
		return err
	}
	phoneARI := m.Config.ARIURL
	if len(m.Config.Servers) > 0 {
		phoneARI = m.Config.Servers[0].URL // browser phones are on the first
	}
	phoneWS, err := phoneWebsocketURL(m.Config.PhoneWSURL, phoneARI)
	if err != nil {
		return err
	}
	if m.NoPhoneReason != "" {
		phoneWS = ""
	}

	runTag := callflow.NewRunTag()
	engine := queue.NewEngine(queue.Options{OfferPrefix: runTag + "-"})
	if err := callflow.LoadConfiguration(ctx, log, db, engine); err != nil {
		return err
	}

	servers := m.Config.Servers
	if len(servers) == 0 {
		servers = []AsteriskServer{{URL: m.Config.ARIURL, User: m.Config.ARIUser, Password: m.Config.ARIPassword}}
	}
	var flowServers []callflow.Server
	m.ARIs = nil
	for _, s := range servers {
		clientLog := log.With("component", "ari")
		if s.Name != "" {
			clientLog = clientLog.With("server", s.Name)
		}
		c, err := ari.NewClient(ari.Config{
			URL:       s.URL,
			User:      s.User,
			Password:  s.Password,
			App:       m.Config.App,
			Logger:    clientLog,
			OnRequest: m.Metrics.ObserveARIRequest,
			OnEvent:   m.onARIEvent(s.Name),
		})
		if err != nil {
			if s.Name != "" {
				return fmt.Errorf("ARI client of %s: %w", s.Name, err)
			}
			return fmt.Errorf("ARI client: %w", err)
		}
		m.ARIs = append(m.ARIs, c)
		flowServers = append(flowServers, callflow.Server{Name: s.Name, ARI: c, Dial: s.Dial})
	}
	m.ARI = m.ARIs[0]
	m.App, err = callflow.New(callflow.Config{
		Servers:   flowServers,
		App:       m.Config.App,
		Engine:    engine,
		Record:    db.Record,
		LoadState: db.LoadState,
		// The web console is built after the loop it serves: its sink
		// looks it up when the first events come (Run starts the loop
		// last).
		Publish: append([]func([]queue.Event){m.Metrics.ObserveEvents, func(evs []queue.Event) { m.UI.Publish(evs) }}, m.Publish...),
		Snapshot: func(s queue.Snapshot) {
			m.Metrics.ObserveSnapshot(s)
			m.Metrics.SetARIConnected(m.ariConnected())
			if len(m.Config.Servers) > 0 {
				m.Metrics.SetServersConnected(m.App.Servers())
			}
			m.Metrics.SetWebsocketClients(m.UI.Clients())
			m.UI.PublishSnapshot(s)
		},
		Logger:         log.With("component", "flow"),
		RunTag:         runTag,
		Observer:       m.Observer,
		ExtraEvents:    m.ExtraARIEvents,
		PhoneSecret:    phoneSecret,
		PhoneOptions:   webphone.Options{Codecs: m.Config.PhoneCodecs},
		RingDispatched: m.Metrics.ObserveRingDispatch,
	})
	if err != nil {
		return err
	}
	if m.setup, err = firstRunToken(ctx, db); err != nil {
		return err
	}
	secure, err := m.Config.secureCookies()
	if err != nil {
		return err
	}
	proxies, err := cli.ParsePrefixes(m.Config.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	m.UI, err = ui.New(ui.Options{
		Floor:          m.App,
		Directory:      db,
		Logger:         log.With("component", "ui"),
		LookupURL:      m.Config.LookupURL,
		PauseReasons:   cli.SplitList(m.Config.PauseReasons),
		SetupToken:     m.setup,
		SecureCookies:  secure,
		AllowedOrigins: cli.SplitList(m.Config.AllowedOrigins),
		TrustedProxies: proxies,
		Phone:          ui.PhoneConfig{WebsocketURL: phoneWS, NoPhoneReason: m.NoPhoneReason, Secret: phoneSecret},
		Recordings:     m.App,
		Servers:        serverNames(m.Config.Servers),
	})
	if err != nil {
		return fmt.Errorf("web console: %w", err)
	}
	webLog := log.With("component", "http")
	m.web, err = httpserver.Listen(httpserver.Config{
		Addr: m.Config.Listen, TLSCert: m.Config.TLSCert, TLSKey: m.Config.TLSKey,
		Uncapped: proxies, AllowedHosts: cli.SplitList(m.Config.AllowedHosts), Logger: webLog,
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", httpserver.Healthz)
	// Without the ARI events websocket stasisq hears of no caller; with
	// several servers, one connected is enough to take calls.
	mux.Handle("/readyz", httpserver.Readyz(func() error {
		if !m.ariConnected() {
			if len(m.ARIs) > 1 {
				return errors.New("no Asterisk server's ARI websocket is connected")
			}
			return errors.New("ARI websocket not connected")
		}
		return nil
	}))
	mux.Handle("/", m.UI.Handler())
	if m.Config.MetricsListen == "" {
		mux.Handle("/metrics", m.Metrics.Handler())
	} else {
		if m.metrics, err = httpserver.Listen(httpserver.Config{Addr: m.Config.MetricsListen, Logger: webLog}); err != nil {
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		only := http.NewServeMux()
		only.Handle("/metrics", m.Metrics.Handler())
		m.metrics.Serve(only, webLog)
	}
	m.web.Serve(mux, webLog)

	if m.setup != "" {
		// The one secret stasisq prints: whoever reads the log at first start
		// is whoever installed it, and the address works once, only while no
		// administrator exists, and dies with the process.
		log.Info("no administrator can log in yet: open this address in a browser to create one (it works once), or use \"stasisq user add\" while serve is stopped", "url", m.SetupURL())
	}

	appCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.appDone = make(chan error, 1)
	go func() { m.appDone <- m.App.Run(appCtx) }()
	go m.App.RunRetention(appCtx, db, callflow.RetentionInterval)
	return nil
}

// configureQueue stores q and configures it on the floor, as the web
// console's admin API does (callflow.App.Configure), for the load test and
// tests.
func (m *Main) configureQueue(ctx context.Context, q queue.QueueConfig) error {
	return m.App.Configure(ctx, queue.ConfigureQueue{Config: q}, func(ctx context.Context) error { return m.DB.PutQueue(ctx, q) })
}

// configureUser is configureQueue for a login: stored, and its agent
// configured on the floor when it takes calls.
func (m *Main) configureUser(ctx context.Context, u queue.User, password string) error {
	var change queue.Input = queue.RemoveAgent{Agent: queue.AgentID(u.ID)}
	if u.Agent.Device != "" {
		cfg := u.Agent
		cfg.ID, cfg.Name = u.ID, u.Name
		change = queue.ConfigureAgent{Config: cfg}
	}
	return m.App.Configure(ctx, change, func(ctx context.Context) error { return m.DB.PutUser(ctx, u, password) })
}

// firstRunToken is a random token for the first administrator's setup
// address when no administrator can log in, and "" otherwise.
func firstRunToken(ctx context.Context, db *store.DB) (string, error) {
	if ok, err := db.AdminCanLogIn(ctx); ok || err != nil {
		return "", err
	}
	return rand.Text(), nil // 26 base32 characters, 130 bits
}

// SetupURL is the first-run address serve logged, "" when an administrator
// could already log in at start.
func (m *Main) SetupURL() string {
	if m.setup == "" {
		return ""
	}
	return m.URL() + "/setup?token=" + m.setup
}

// URL is the base URL of the web console (Listen may be ":0" in tests).
func (m *Main) URL() string {
	if m.web == nil {
		return ""
	}
	return m.web.URL()
}

// MetricsURL is where /metrics is served.
func (m *Main) MetricsURL() string {
	if m.metrics != nil {
		return m.metrics.URL() + "/metrics"
	}
	return m.URL() + "/metrics"
}

// Close stops the web server (closing its websockets itself: Shutdown does
// not), then the application loop (which leaves waiting callers resumable),
// then the database.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	var errs []error
	if m.UI != nil {
		m.UI.Close() // its websockets: Shutdown does not close hijacked connections
	}
	for _, srv := range []*httpserver.Server{m.web, m.metrics} {
		if srv == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		cancel()
	}
	if m.cancel != nil {
		m.cancel()
		<-m.appDone
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	if m.queueLog != nil {
		// The store has written its last lines: a failed close may have
		// lost them.
		if err := m.queueLog.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close queue_log: %w", err))
		}
	}
	return errors.Join(errs...)
}

// onARIEvent is the ARI client's event hook for server: Asterisk's
// delivery delay to /metrics, then the tests' OnARIEvent.
func (m *Main) onARIEvent(server string) func(ari.Event) {
	return func(ev ari.Event) {
		// The client's own Connected and Disconnected name no application.
		if ev.Application() != "" {
			if ts := ev.Timestamp(); !ts.IsZero() {
				m.Metrics.ObserveARIEventDelay(server, time.Since(ts))
			}
		}
		if m.OnARIEvent != nil {
			m.OnARIEvent(ev)
		}
	}
}
