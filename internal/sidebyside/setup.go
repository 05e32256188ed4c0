package sidebyside

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Agents is how many Local agents each side has.
const Agents = 20

// App is the Stasis application the bench dialplan sends stasisq's callers
// to: not "stasisq", so that a site's own stasisq, connected to the same
// Asterisk, never sees them.
const App = "stasisq-bench"

// queuesTemplate is one queue for each side, the same settings; @Q@ is its
// name and @D@ the first digit of its agents' extensions. retry=1: the
// default 5 would make app_queue wait 5 s after a round with every agent busy.
const queuesTemplate = `[@Q@]
strategy = rrmemory
timeout = 15
retry = 1
wrapuptime = 0
ringinuse = no
autofill = yes
announce-frequency = 0
announce-holdtime = no
announce-position = no
`

// QueuesConf is a side's queue, with its Agents members: app_queue's is
// "aq" with agents 2001-2020 (asterisk-conf/queues-bench.conf), stasisq's
// "sq" with 1001-1020 (imported into the bench's own database).
func QueuesConf(q, digit string) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(queuesTemplate, "@Q@", q))
	for i := 1; i <= Agents; i++ {
		fmt.Fprintf(&b, "member => Local/%s0%02d@%s,0,agent%s%02d\n", digit, i, AgentContext, digit, i)
	}
	return b.String()
}

// Dialplan is the bench's dialplan (asterisk-conf/extensions-bench.conf):
// the callers' extensions of both sides and the agents, who answer, talk
// ${SBS_TALK} seconds (a global the bench sets) and hang up. Answer(,i):
// a plain Answer() waits up to 500 ms for the first voice frame, which
// these silent calls never send, and every call would last half a second
// longer than the talk time the ideal figures are worked out from.
const Dialplan = `[globals]
SBS_TALK=3

[` + CallerContext + `]
exten => aq,1,Queue(aq,,,,900)
 same => n,Hangup()
exten => sq,1,Stasis(` + App + `,sq)
 same => n,Hangup()

[` + AgentContext + `]
exten => _X.,1,Answer(,i)
 same => n,Wait(${SBS_TALK})
 same => n,Hangup()
`

// AsteriskFiles are extensions.conf and queues.conf for a private Asterisk
// (asteriskt) made of the bench files as confDir (asterisk-conf) ships them.
func AsteriskFiles(confDir string) (map[string]string, error) {
	files := map[string]string{}
	for name, file := range map[string]string{"extensions.conf": "extensions-bench.conf", "queues.conf": "queues-bench.conf"} {
		raw, err := os.ReadFile(filepath.Join(confDir, file))
		if err != nil {
			return nil, err
		}
		files[name] = "[general]\n" + string(raw)
	}
	return files, nil
}

// AgentContext is the bench agents' dialplan context.
const AgentContext = "sbs-agents"

// Target is the Asterisk to measure on and how to run stasisq there.
type Target struct {
	ARIURL, ARIUser, ARIPassword string
	// AsteriskPid is Asterisk's process, whose CPU is measured; 0 when
	// Asterisk is not on this machine (its CPU is then not measured).
	AsteriskPid int
	// Stasisq is the stasisq binary the bench runs as its own process,
	// serving stasisq's side from a database of its own in Dir.
	Stasisq string
	Dir     string
	// LogLevel of that stasisq; "" is warn.
	LogLevel string
}

// Bench is one Asterisk with both sides set up: app_queue's queue in
// its queues.conf (the site's part), stasisq's imported and served by the
// binary as its own process.
type Bench struct {
	Obs        *Observer
	Systems    []System // app_queue, then stasisq
	SetTalk    func(time.Duration) error
	MetricsURL string // stasisq's /metrics
	LogPath    string // stasisq's log
	// Rounds runs each scenario so many times, the two systems one after
	// the other each round (0 or 1: once). On a machine whose speed drifts
	// from one minute to the next, the rounds' median ratio says more than
	// one pair of runs.
	Rounds int
	serve  *exec.Cmd
	log    *os.File
}

// Start imports stasisq's queue into a new database in t.Dir, starts
// stasisq serving it against t's Asterisk, and connects the observer.
func Start(ctx context.Context, t Target) (*Bench, error) {
	if t.AsteriskPid != 0 {
		if name, err := processName(t.AsteriskPid); err != nil || name != "asterisk" {
			return nil, fmt.Errorf("process %d is %q (%v), not asterisk: its CPU would not be Asterisk's", t.AsteriskPid, name, err)
		}
	}
	db := filepath.Join(t.Dir, "stasisq.db")
	sqConf := filepath.Join(t.Dir, "queues.conf")
	if err := os.WriteFile(sqConf, []byte(QueuesConf("sq", "1")), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, t.Stasisq, "import", sqConf, "--db", db).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("stasisq import: %w\n%s", err, out)
	}
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	level := t.LogLevel
	if level == "" {
		level = "warn"
	}
	b := &Bench{MetricsURL: "http://" + listen + "/metrics", LogPath: filepath.Join(t.Dir, "stasisq.log")}
	if b.log, err = os.Create(b.LogPath); err != nil {
		return nil, err
	}
	b.serve = exec.Command(t.Stasisq, "serve", "--ari-url", t.ARIURL, "--ari-user", t.ARIUser, "--app", App,
		"--db", db, "--listen", listen, "--log-level", level)
	// The password in the environment, never on the command line.
	b.serve.Env = append(os.Environ(), "STASISQ_ARI_PASSWORD="+t.ARIPassword)
	b.serve.Stdout, b.serve.Stderr = b.log, b.log
	if err := b.serve.Start(); err != nil {
		b.log.Close()
		return nil, fmt.Errorf("start stasisq: %w", err)
	}
	if err := waitReady(ctx, "http://"+listen+"/readyz"); err != nil {
		b.Close()
		return nil, fmt.Errorf("stasisq never ready (its log: %s): %w", b.LogPath, err)
	}
	if b.Obs, err = Observe(ctx, t.ARIURL, t.ARIUser, t.ARIPassword); err != nil {
		b.Close()
		return nil, err
	}
	procs := map[string]int{"stasisq": b.serve.Process.Pid}
	if t.AsteriskPid != 0 {
		procs["asterisk"] = t.AsteriskPid
	}
	b.Systems = []System{
		{Name: "app_queue", Exten: "aq", AgentPrefix: "Local/20", Agents: Agents, AgentContext: AgentContext, Processes: procs},
		{Name: "stasisq", Exten: "sq", AgentPrefix: "Local/10", Agents: Agents, AgentContext: AgentContext, Processes: procs},
	}
	b.SetTalk = func(d time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Obs.Client().SetGlobalVariable(ctx, "SBS_TALK", fmt.Sprintf("%.3f", d.Seconds())); err != nil {
			return fmt.Errorf("set the agents' talk time (SBS_TALK): %w", err)
		}
		return nil
	}
	return b, nil
}

// Close stops stasisq and the observer.
func (b *Bench) Close() error {
	if b.Obs != nil {
		b.Obs.Close()
	}
	var err error
	if b.serve != nil && b.serve.Process != nil {
		if serr := b.serve.Process.Signal(os.Interrupt); serr != nil && !errors.Is(serr, os.ErrProcessDone) {
			err = serr
		}
		_ = b.serve.Wait() // interrupted: its exit status says so
	}
	if b.log != nil {
		err = errors.Join(err, b.log.Close())
	}
	return err
}

// Scenarios are the bench's: light, saturation, burst.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "light", Callers: 50, OneAtATime: true, Talk: time.Second},
		{Name: "saturation", Callers: 600, Interval: 100 * time.Millisecond, Talk: 3 * time.Second},
		{Name: "burst", Callers: 200, Talk: time.Second},
	}
}

// RunAll runs each scenario through app_queue and then stasisq (Rounds
// times), prints the table to w and, when the saturation scenario ran
// through both, its summary line last. progress, when set, hears of each
// run as it ends.
func (b *Bench) RunAll(ctx context.Context, scenarios []Scenario, w io.Writer, progress func(string)) ([]Result, error) {
	var results []Result
	var sat [][2]Result
	rounds := max(b.Rounds, 1)
	for _, sc := range scenarios {
		for round := 1; round <= rounds; round++ {
			pair, err := b.runRound(ctx, sc, round, rounds, progress)
			results = append(results, pair...)
			if err != nil {
				return results, err
			}
			if sc.Name == "saturation" && len(pair) == 2 {
				sat = append(sat, [2]Result{pair[0], pair[1]})
			}
		}
	}
	if err := WriteTable(w, results); err != nil {
		return results, err
	}
	WriteParts(w, results)
	if len(sat) > 0 {
		fmt.Fprintln(w, SummaryOfRounds(sat))
	}
	return results, nil
}

// runRound runs sc through each system once; round is numbered in the
// results only when there are several.
func (b *Bench) runRound(ctx context.Context, sc Scenario, round, rounds int, progress func(string)) ([]Result, error) {
	if rounds > 1 {
		sc.Round = round
	}
	var results []Result
	for _, sys := range b.Systems {
		var before *partsScrape
		if sys.Name == "stasisq" && b.MetricsURL != "" {
			s, err := scrapeParts(b.MetricsURL)
			if err != nil {
				return results, err
			}
			before = &s
		}
		r, err := Run(ctx, b.Obs, sys, sc, b.SetTalk)
		if err != nil {
			return results, err
		}
		if before != nil {
			after, err := scrapeParts(b.MetricsURL)
			if err != nil {
				return results, err
			}
			parts := ringParts(*before, after)
			r.Parts = &parts
		}
		results = append(results, r)
		if progress != nil {
			progress(fmt.Sprintf("%s through %s: %d/%d served", r.Label(), sys.Name, r.Served, r.Callers))
		}
		time.Sleep(2 * time.Second) // Asterisk settles between runs
	}
	return results, nil
}

// processName is a process's command name (/proc/<pid>/comm).
func processName(pid int) (string, error) {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(comm)), err
}

// LocalAsterisk is the one process on this machine named asterisk, or 0
// (none, or several: which one is ambiguous).
func LocalAsterisk() int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	found := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if name, err := processName(pid); err == nil && name == "asterisk" {
			if found != 0 {
				return 0
			}
			found = pid
		}
	}
	return found
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return errors.Join(errors.New("not ready within 20s"), last, ctx.Err())
}
