package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"stasisq/ari/aritest"
	"stasisq/queue"
	"stasisq/sim"
	"stasisq/store"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Password is every demo login's password, printed at start.
const Password = "demo"

// load is the share of the simulated agents' time the default arrival
// rate keeps busy: queues form now and then but do not grow without end.
const load = 0.85

// wrapUp is roughly the demo queues' mean wrap-up, for the default rate.
const wrapUp = 6 * time.Second

// Config is the configuration of "stasisq demo".
type Config struct {
	Listen string
	// Rate is callers per second; 0 picks sim.SustainableRate at load.
	Rate           float64
	Agents         int
	InitialCallers int
	Seed           uint64 // 0: random traffic
	DB             string // "" uses a file in a temporary directory removed at exit
	LogLevel       string
	// Patience is the callers' mean patience before abandoning.
	Patience time.Duration
	// InitialCallbacks of the initial callers ask for a callback at once;
	// CallbackShare of the others do after a few seconds' wait (sim).
	InitialCallbacks int
	CallbackShare    float64
	// HistoryDays is how many days before today a new database is given
	// (writeHistory), so that Reports and Calls have a past; 0 none.
	HistoryDays int
	// HumanTalk, when set, is the mean talk time of the people's phones
	// (alice, bob, carol) instead of sim.HumanPhone's: browser tests keep
	// calls short.
	HumanTalk time.Duration
}

// Login is a login the demo creates, printed for whoever runs it.
type Login struct {
	ID, Name string
	Role     queue.Role
}

// staff are the logins without a phone.
var staff = []Login{
	{"sam", "Sam Supervisor", queue.RoleSupervisor},
	{"sue", "Sue Supervisor", queue.RoleSupervisor},
	{"admin", "Administrator", queue.RoleAdmin},
}

// Stasisq is the stasisq a demo runs.
type Stasisq interface {
	URL() string
	Snapshot(ctx context.Context) (queue.Snapshot, error)
	Close() error
}

// Settings are what the demo asks of the stasisq it runs.
type Settings struct {
	ARIURL, ARIUser, ARIPassword, App string
	Listen, DB, LookupURL             string
}

// Serve starts stasisq with the demo's settings and returns once it has
// connected to the fake Asterisk and reconciled.
type Serve func(ctx context.Context, s Settings) (Stasisq, error)

// The fake Asterisk's ARI user and the application the callers dial into.
const (
	ariUser = "stasisq"
	App     = "stasisq"
)

// Demo is the whole system against an in-process fake Asterisk, with
// simulated callers and agents, a fake CRM, and logins for people to try
// the console. stasisq itself is started by the Serve given to Start: the
// same program as "stasisq serve".
type Demo struct {
	Config  Config
	Stasisq Stasisq
	Fake    *aritest.Server
	Stats   *sim.Stats
	Rate    float64 // callers per second actually used

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

// Start seeds the database, starts the fake Asterisk, the CRM and
// stasisq, waits until stasisq is connected, then starts the traffic.
func Start(ctx context.Context, cfg Config, log *slog.Logger, serve Serve) (d *Demo, err error) {
	d = &Demo{Config: cfg, humans: sim.HumanAgents()}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.Close())
		}
	}()
	d.log = log

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
		User: ariUser, Password: ariPassword,
		Logger:       d.log.With("component", "fake-asterisk"),
		HistoryLimit: 2000, // the demo runs for hours; keep memory flat
	})
	if err := d.startCRM(); err != nil {
		return d, err
	}

	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	d.Stasisq, err = serve(readyCtx, Settings{
		ARIURL: d.Fake.URL(), ARIUser: ariUser, ARIPassword: ariPassword, App: App,
		Listen: cfg.Listen, DB: dbPath, LookupURL: d.crmURL + "?number={number}",
	})
	if err != nil {
		return d, fmt.Errorf("demo: start stasisq against the fake Asterisk: %w", err)
	}

	phones := sim.DemoPhones(append(append([]queue.AgentConfig(nil), simAgents...), d.humans...))
	if cfg.HumanTalk > 0 {
		for i := len(simAgents); i < len(phones); i++ {
			phones[i].TalkMean = cfg.HumanTalk
		}
	}
	d.Rate = cfg.Rate
	if d.Rate == 0 {
		d.Rate = sim.SustainableRate(sim.DemoPhones(simAgents), wrapUp, load)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	d.Stats = &sim.Stats{}
	s, err := sim.New(sim.Config{
		Server: d.Fake, App: App, Queues: sim.DemoQueueNames(),
		Rate: d.Rate, Patience: cfg.Patience, InitialCallers: cfg.InitialCallers,
		InitialCallbacks: cfg.InitialCallbacks, CallbackShare: cfg.CallbackShare, CallbackAfter: 8 * time.Second,
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
		// Supervisors may send a demo caller to any extension of the
		// callers' context; a real install starts with an empty list.
		if err := db.PutRedirectTargets(ctx, queue.RedirectTargets{{Context: "from-callers", Exten: "_X!"}}); err != nil {
			return fmt.Errorf("demo redirect targets: %w", err)
		}
		for _, a := range simAgents {
			if err := db.PutAgent(ctx, store.Agent{Config: a, Role: queue.RoleAgent}); err != nil {
				return fmt.Errorf("demo agent %s: %w", a.ID, err)
			}
		}
		if err := d.seedHistory(ctx, db, simAgents); err != nil {
			return err
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
			if err := db.SetPassword(ctx, l.ID, Password); err != nil {
				return fmt.Errorf("demo login %s: %w", l.ID, err)
			}
		}
		return nil
	}()
	return errors.Join(err, db.Close())
}

// seedHistory gives a database with no calls before today the demo's past
// (writeHistory), lived by the simulated agents and the people's logins;
// a --db file that has one keeps it.
func (d *Demo) seedHistory(ctx context.Context, db *store.DB, simAgents []queue.AgentConfig) error {
	if d.Config.HistoryDays <= 0 {
		return nil
	}
	now := time.Now()
	y, m, day := now.Date()
	earlier, err := db.Calls(ctx, queue.CallQuery{To: time.Date(y, m, day, 0, 0, 0, 0, time.Local), Limit: 1})
	if err != nil {
		return fmt.Errorf("demo history: %w", err)
	}
	if len(earlier) > 0 {
		return nil
	}
	seed := d.Config.Seed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	st, err := writeHistory(now, d.Config.HistoryDays, time.Local, sim.DemoQueues(), append(slices.Clone(simAgents), d.humans...), mrand.New(mrand.NewPCG(seed, seed^0x415)), db.Record)
	if err != nil {
		return err
	}
	if err := db.Flush(ctx); err != nil {
		return fmt.Errorf("demo history: %w", err)
	}
	d.log.Info("demo history written", "days", st.Days, "calls", st.Calls, "answered", st.Answered, "took", time.Since(now).Round(time.Millisecond))
	return nil
}

// logins are the people's logins: the human agents, then the staff.
func (d *Demo) logins() []Login {
	out := make([]Login, 0, len(d.humans)+len(staff))
	for _, h := range d.humans {
		out = append(out, Login{ID: h.ID, Name: h.Name, Role: queue.RoleAgent})
	}
	return append(out, staff...)
}

// PrintWelcome tells whoever started the demo where to go and how to log
// in, one fact a line so scripts can read it too.
func (d *Demo) PrintWelcome(w io.Writer) {
	fmt.Fprintf(w, "stasisq demo: open %s/\n", d.Stasisq.URL())
	for _, l := range d.logins() {
		fmt.Fprintf(w, "login %s / %s (%s)\n", l.ID, Password, l.Role)
	}
	fmt.Fprintf(w, "stasisq demo: %d simulated agents, %.2f callers a second into %v; metrics at %s/metrics; ctrl-C stops\n",
		d.Config.Agents, d.Rate, sim.DemoQueueNames(), d.Stasisq.URL())
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
	if d.Stasisq != nil {
		if err := d.Stasisq.Close(); err != nil {
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
	if d.Stasisq == nil || d.Fake == nil {
		return
	}
	deadline := time.Now().Add(timeout)
	var calls, channels int
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		snap, err := d.Stasisq.Snapshot(ctx)
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
	mux.HandleFunc("GET /demo/crm", ServeCRM)
	d.crm = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	d.crmURL = "http://" + ln.Addr().String() + "/demo/crm"
	go func() {
		if err := d.crm.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("demo CRM", "err", err)
		}
	}()
	return nil
}

func randomSecret() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}
