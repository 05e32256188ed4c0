package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/bcrypt"

	"stasisq/ari/aritest"
	"stasisq/queue"
	"stasisq/sim"
	"stasisq/store"
)

func init() { extraCommands["demo"] = runDemo }

// demoPassword is every demo login's password, printed at start.
const demoPassword = "demo"

// demoLoad is the share of the simulated agents' time the default arrival
// rate keeps busy: queues form now and then but do not grow without end.
const demoLoad = 0.85

// demoWrapUp is roughly the demo queues' mean wrap-up, for the default rate.
const demoWrapUp = 6 * time.Second

// DemoConfig is the configuration of "stasisq demo".
type DemoConfig struct {
	Listen string
	// Rate is callers per second; 0 picks sim.SustainableRate at demoLoad.
	Rate           float64
	Agents         int
	InitialCallers int
	Seed           uint64 // 0: random traffic
	DB             string // "" uses a file in a temporary directory removed at exit
	LogLevel       string
	// Patience is the callers' mean patience before abandoning.
	Patience time.Duration
	// HumanTalk, when set, is the mean talk time of the people's phones
	// (alice, bob, carol) instead of sim.HumanPhone's: browser tests keep
	// calls short.
	HumanTalk time.Duration
}

// demoLogin is a login the demo creates, printed for whoever runs it.
type demoLogin struct {
	ID, Name string
	Role     queue.Role
}

// demoStaff are the logins without a phone.
var demoStaff = []demoLogin{
	{"sam", "Sam Supervisor", queue.RoleSupervisor},
	{"sue", "Sue Supervisor", queue.RoleSupervisor},
	{"admin", "Administrator", queue.RoleAdmin},
}

func parseDemoFlags(args []string, stderr io.Writer) (DemoConfig, error) {
	c := DemoConfig{Listen: "127.0.0.1:8080", Agents: 12, InitialCallers: 6, LogLevel: "info", Patience: 2 * time.Minute}
	fs := flag.NewFlagSet("stasisq demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Listen, "listen", c.Listen, "address of the web console, API and /metrics (port 0 picks a free one)")
	fs.Float64Var(&c.Rate, "rate", 0, "callers arriving per second (Poisson); 0 keeps the simulated agents about 85% busy")
	fs.IntVar(&c.Agents, "agents", c.Agents, "simulated agents, logged in from the start")
	fs.IntVar(&c.InitialCallers, "initial-callers", c.InitialCallers, "callers dialling in at once, so the wallboard has something to show")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the simulated traffic, for a repeatable demo; 0 is random")
	fs.StringVar(&c.DB, "db", "", "bbolt database file; default a temporary one removed at exit")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.DurationVar(&c.Patience, "patience", c.Patience, "callers' mean patience before hanging up unanswered; 0 never")
	fs.DurationVar(&c.HumanTalk, "human-talk", 0, "mean talk time of the logins' phones (alice, bob, carol); 0 keeps the default")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case c.Rate < 0:
		return c, fmt.Errorf("--rate %v: must not be negative", c.Rate)
	case c.Agents < 0 || c.InitialCallers < 0:
		return c, errors.New("--agents and --initial-callers must not be negative")
	case c.Patience < 0 || c.HumanTalk < 0:
		return c, errors.New("--patience and --human-talk must not be negative")
	}
	return c, (&Config{LogLevel: c.LogLevel}).checkLogging()
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseDemoFlags(args, stderr)
	if err != nil {
		return err
	}
	d, err := StartDemo(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	d.PrintWelcome(stdout)
	<-ctx.Done()
	fmt.Fprintln(stderr, "stasisq demo: stopping")
	return d.Close()
}

// Demo is the whole system against an in-process fake Asterisk, with
// simulated callers and agents, a fake CRM, and logins for people to try
// the console. It runs through the same Main as "stasisq serve".
type Demo struct {
	Config DemoConfig
	Main   *Main
	Fake   *aritest.Server
	Stats  *sim.Stats
	Rate   float64 // callers per second actually used

	log      *slog.Logger
	tmpDir   string
	crm      *http.Server
	crmURL   string
	stopSim  context.CancelFunc
	simDone  chan error
	humans   []queue.AgentConfig
	closeErr error
	closed   bool
}

// StartDemo seeds the database, starts the fake Asterisk, the CRM and
// stasisq, waits until stasisq is connected, then starts the traffic.
func StartDemo(ctx context.Context, cfg DemoConfig, stderr io.Writer) (d *Demo, err error) {
	d = &Demo{Config: cfg, humans: sim.HumanAgents()}
	defer func() {
		if err != nil {
			_ = d.Close()
		}
	}()
	m := NewMain()
	m.Stderr = stderr
	m.Config.LogLevel = cfg.LogLevel
	d.log = m.logger()
	m.Logger = d.log
	d.Main = m

	dbPath := cfg.DB
	if dbPath == "" {
		if d.tmpDir, err = os.MkdirTemp("", "stasisq-demo-"); err != nil {
			return d, fmt.Errorf("demo database directory: %w", err)
		}
		dbPath = filepath.Join(d.tmpDir, "stasisq.db")
	}
	simAgents := sim.DemoAgents(cfg.Agents)
	if err := d.seed(ctx, dbPath, simAgents); err != nil {
		return d, err
	}

	ariPassword, err := randomSecret()
	if err != nil {
		return d, err
	}
	d.Fake = aritest.NewServer(aritest.Options{
		User: "stasisq", Password: ariPassword,
		Logger:       d.log.With("component", "fake-asterisk"),
		HistoryLimit: 2000, // the demo runs for hours; keep memory flat
	})
	if err := d.startCRM(); err != nil {
		return d, err
	}

	m.Config.ARIURL = d.Fake.URL()
	m.Config.ARIUser, m.Config.ARIPassword = "stasisq", ariPassword
	m.Config.Listen = cfg.Listen
	m.Config.DB = dbPath
	m.Config.LookupURL = d.crmURL + "?number={number}"
	if err := m.Run(ctx); err != nil {
		return d, err
	}
	select {
	case <-m.App.Ready():
	case <-ctx.Done():
		return d, ctx.Err()
	case <-time.After(30 * time.Second):
		return d, errors.New("demo: stasisq did not connect to the fake Asterisk within 30s")
	}

	phones := sim.DemoPhones(append(append([]queue.AgentConfig(nil), simAgents...), d.humans...))
	if cfg.HumanTalk > 0 {
		for i := len(simAgents); i < len(phones); i++ {
			phones[i].TalkMean = cfg.HumanTalk
		}
	}
	d.Rate = cfg.Rate
	if d.Rate == 0 {
		d.Rate = sim.SustainableRate(sim.DemoPhones(simAgents), demoWrapUp, demoLoad)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	d.Stats = &sim.Stats{}
	s, err := sim.New(sim.Config{
		Server: d.Fake, App: m.Config.App, Queues: sim.DemoQueueNames(),
		Rate: d.Rate, Patience: cfg.Patience, InitialCallers: cfg.InitialCallers,
		Agents: phones, Rand: mrand.New(mrand.NewPCG(seed, seed^0x5eed)),
		Logger: d.log.With("component", "sim"), Stats: d.Stats,
	})
	if err != nil {
		return d, fmt.Errorf("demo traffic: %w", err)
	}
	simCtx, stop := context.WithCancel(context.Background())
	d.stopSim, d.simDone = stop, make(chan error, 1)
	go func() { d.simDone <- s.Run(simCtx) }()
	return d, nil
}

// seed writes the demo's queues and logins. Reusing a --db file overwrites
// them with the demo's, which keeps a second run the same as the first.
func (d *Demo) seed(ctx context.Context, path string, simAgents []queue.AgentConfig) error {
	// The demo's password is printed for all to see: hashing it at full
	// cost would only slow every start down.
	db, err := store.Open(path, store.Options{Logger: d.log.With("component", "store"), BcryptCost: bcrypt.MinCost})
	if err != nil {
		return err
	}
	err = func() error {
		for _, q := range sim.DemoQueues() {
			if err := db.PutQueue(ctx, q); err != nil {
				return fmt.Errorf("demo queue %s: %w", q.Name, err)
			}
		}
		for _, a := range simAgents {
			if err := db.PutAgent(ctx, store.Agent{Config: a, Role: queue.RoleAgent}); err != nil {
				return fmt.Errorf("demo agent %s: %w", a.ID, err)
			}
		}
		for _, l := range d.logins() {
			a := store.Agent{Config: queue.AgentConfig{ID: l.ID, Name: l.Name}, Role: l.Role}
			for _, h := range d.humans {
				if h.ID == l.ID {
					a.Config = h
				}
			}
			if err := db.PutAgent(ctx, a); err != nil {
				return fmt.Errorf("demo login %s: %w", l.ID, err)
			}
			if err := db.SetPassword(ctx, l.ID, demoPassword); err != nil {
				return fmt.Errorf("demo login %s: %w", l.ID, err)
			}
		}
		return nil
	}()
	return errors.Join(err, db.Close())
}

// logins are the people's logins: the human agents, then the staff.
func (d *Demo) logins() []demoLogin {
	out := make([]demoLogin, 0, len(d.humans)+len(demoStaff))
	for _, h := range d.humans {
		out = append(out, demoLogin{ID: h.ID, Name: h.Name, Role: queue.RoleAgent})
	}
	return append(out, demoStaff...)
}

// PrintWelcome tells whoever started the demo where to go and how to log
// in, one fact a line so scripts can read it too.
func (d *Demo) PrintWelcome(w io.Writer) {
	fmt.Fprintf(w, "stasisq demo: open %s/\n", d.Main.URL())
	for _, l := range d.logins() {
		fmt.Fprintf(w, "login %s / %s (%s)\n", l.ID, demoPassword, l.Role)
	}
	fmt.Fprintf(w, "stasisq demo: %d simulated agents, %.2f callers a second into %v; metrics at %s/metrics; ctrl-C stops\n",
		d.Config.Agents, d.Rate, sim.DemoQueueNames(), d.Main.URL())
}

// Close stops the traffic first (hanging up every simulated caller, so the
// store records how their calls ended), then stasisq (which flushes the
// store), then the fake Asterisk and the CRM, and removes a temporary
// database.
func (d *Demo) Close() error {
	if d.closed {
		return d.closeErr
	}
	d.closed = true
	var errs []error
	if d.stopSim != nil {
		d.stopSim()
		select {
		case err := <-d.simDone:
			if err != nil {
				errs = append(errs, fmt.Errorf("demo traffic: %w", err))
			}
		case <-time.After(30 * time.Second):
			errs = append(errs, errors.New("demo traffic did not stop within 30s"))
		}
		d.waitDrained(15 * time.Second)
	}
	if d.Main != nil {
		if err := d.Main.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if d.Fake != nil {
		d.Fake.Close()
	}
	if d.crm != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := d.crm.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("demo CRM: %w", err))
		}
		cancel()
	}
	if d.tmpDir != "" {
		if err := os.RemoveAll(d.tmpDir); err != nil {
			errs = append(errs, fmt.Errorf("remove demo database: %w", err))
		}
	}
	d.closeErr = errors.Join(errs...)
	return d.closeErr
}

// waitDrained waits until stasisq has heard every simulated caller hang up
// and has hung up their agents, so the store closes every call record and
// the fake Asterisk is left empty; the hangups reach stasisq over its
// websocket after the simulation has returned.
func (d *Demo) waitDrained(timeout time.Duration) {
	if d.Main == nil || d.Main.App == nil || d.Fake == nil {
		return
	}
	deadline := time.Now().Add(timeout)
	var calls, channels int
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		snap, err := d.Main.App.Snapshot(ctx)
		cancel()
		if err != nil {
			d.log.Warn("demo: stasisq snapshot while stopping", "err", err)
			return
		}
		calls = 0
		for _, q := range snap.Queues {
			calls += len(q.Callers) + q.RealTime.InProgress
		}
		channels = len(d.Fake.ChannelIDs())
		if calls == 0 && channels == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.log.Warn("demo: calls still up when stopping", "calls", calls, "channels", channels)
}

// startCRM serves the fake customer database on its own loopback port: the
// console's lookup URL must be known before stasisq's listener exists.
func (d *Demo) startCRM() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo CRM: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /demo/crm", serveDemoCRM)
	d.crm = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	d.crmURL = "http://" + ln.Addr().String() + "/demo/crm"
	go func() {
		if err := d.crm.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("demo CRM", "err", err)
		}
	}()
	return nil
}

// crmCustomer is what the fake CRM knows of a number, in the order the
// agent's customer panel shows it.
type crmCustomer struct {
	Name         string   `json:"name"`
	Account      string   `json:"account"`
	Tier         string   `json:"tier"`
	CustomerFor  string   `json:"customer_since"`
	RecentOrders []string `json:"recent_orders"`
	Notes        string   `json:"notes"`
}

var (
	crmTiers  = []string{"Standard", "Standard", "Plus", "Business", "Enterprise"}
	crmThings = []string{"Router X2", "Mesh kit (3)", "Fibre upgrade", "Spare power supply", "Annual support plan", "Smart plug pack", "Wi-Fi extender", "Laptop dock"}
	crmStates = []string{"delivered", "shipped", "processing", "returned"}
	crmNotes  = []string{
		"Prefers e-mail follow-up.",
		"Called twice last week about a late delivery.",
		"Asked about moving to an annual plan.",
		"VIP: offer priority replacement.",
		"Disputed last invoice; resolved with a credit.",
		"Speaks Spanish; English is fine too.",
	}
)

// demoCustomer makes up a stable profile for a number: the same caller
// always gets the same customer, under the name its caller id shows.
func demoCustomer(number string) crmCustomer {
	h := fnv.New64a()
	_, _ = h.Write([]byte(number))
	seed := h.Sum64()
	r := mrand.New(mrand.NewPCG(seed, seed>>7|1))
	c := crmCustomer{
		Name:        sim.CallerName(number), // the name the simulated caller presents
		Account:     fmt.Sprintf("ACC-%06d", r.IntN(1000000)),
		Tier:        crmTiers[r.IntN(len(crmTiers))],
		CustomerFor: fmt.Sprint(2012 + r.IntN(14)),
		Notes:       crmNotes[r.IntN(len(crmNotes))],
	}
	for i := range 1 + r.IntN(3) {
		c.RecentOrders = append(c.RecentOrders, fmt.Sprintf("#%d %s (%s)", 48000+r.IntN(2000)+i, crmThings[r.IntN(len(crmThings))], crmStates[r.IntN(len(crmStates))]))
	}
	return c
}

func serveDemoCRM(w http.ResponseWriter, r *http.Request) {
	number := r.URL.Query().Get("number")
	if number == "" {
		http.Error(w, "number required", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(demoCustomer(number))
}

func randomSecret() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}
