package sidebyside

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stasisq/internal/asteriskt"
)

const agents = 20

// queuesConf is one queue for each side, the same settings; @Q@ is its
// name and @D@ the first digit of its agents' extensions. retry=1: the
// default 5 would make app_queue wait 5 s after a round with every agent busy.
const queuesConf = `[general]
[@Q@]
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

func conf(q, digit string) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(queuesConf, "@Q@", q))
	for i := 1; i <= agents; i++ {
		fmt.Fprintf(&b, "member => Local/%s0%02d@sbs-agents,0,agent%s%02d\n", digit, i, digit, i)
	}
	return b.String()
}

const dialplan = `[general]
[globals]
SBS_TALK=3
[sbs-callers]
exten => aq,1,Queue(aq,,,,900)
 same => n,Hangup()
exten => sq,1,Stasis(stasisq,sq)
 same => n,Hangup()
[sbs-agents]
exten => _X.,1,Answer()
 same => n,Wait(${SBS_TALK})
 same => n,Hangup()
`

// bench is one Asterisk with both sides set up: app_queue's queue in its
// queues.conf, stasisq's imported and served by the binary as its own
// process.
type bench struct {
	obs        *Observer
	systems    []System // app_queue, then stasisq
	setTalk    func(time.Duration) error
	metricsURL string // stasisq's /metrics
}

func setUp(b *testing.B) *bench {
	ast := asteriskt.Start(b, map[string]string{"extensions.conf": dialplan, "queues.conf": conf("aq", "2")})
	if ast.Pid == 0 {
		b.Fatal("no asterisk.pid in Asterisk's run directory")
	}
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ast.Pid)); err != nil || strings.TrimSpace(string(comm)) != "asterisk" {
		b.Fatalf("ASTERISK_PID %d is %q (%v), not asterisk: its CPU would not be Asterisk's", ast.Pid, comm, err)
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "stasisq")
	build := exec.Command("go", "build", "-o", bin, "stasisq/cmd/stasisq")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build stasisq: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "stasisq.db")
	sqConf := filepath.Join(dir, "queues.conf")
	if err := os.WriteFile(sqConf, []byte(conf("sq", "1")), 0o644); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command(bin, "import", sqConf, "--db", db).CombinedOutput(); err != nil {
		b.Fatalf("stasisq import: %v\n%s", err, out)
	}
	listen := freeAddr(b)
	serve := exec.Command(bin, "serve", "--ari-url", ast.ARIURL, "--ari-user", ast.ARIUser, "--app", "stasisq",
		"--db", db, "--listen", listen, "--log-level", "warn")
	serve.Env = append(os.Environ(), "STASISQ_ARI_PASSWORD="+ast.ARIPassword)
	logFile, err := os.Create(filepath.Join(dir, "stasisq.log"))
	if err != nil {
		b.Fatal(err)
	}
	serve.Stdout, serve.Stderr = logFile, logFile
	if err := serve.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = serve.Process.Signal(os.Interrupt)
		_ = serve.Wait()
		logFile.Close()
		if keep := os.Getenv("SBS_STASISQ_LOG"); keep != "" {
			// For a person looking into a run: stasisq's log kept.
			if out, err := os.ReadFile(logFile.Name()); err == nil {
				if err := os.WriteFile(keep, out, 0o600); err != nil {
					b.Logf("keep stasisq's log in %s: %v", keep, err)
				}
			}
		}
		if b.Failed() {
			if out, err := os.ReadFile(logFile.Name()); err == nil {
				b.Logf("stasisq's log:\n%s", out)
			}
		}
	})
	if err := waitReady("http://" + listen + "/readyz"); err != nil {
		b.Fatal(err)
	}
	obs, err := Observe(context.Background(), ast.ARIURL, ast.ARIUser, ast.ARIPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(obs.Close)
	procs := map[string]int{"asterisk": ast.Pid, "stasisq": serve.Process.Pid}
	return &bench{
		obs: obs,
		systems: []System{
			{Name: "app_queue", Exten: "aq", AgentPrefix: "Local/20", Agents: agents, AgentContext: "sbs-agents", Processes: procs},
			{Name: "stasisq", Exten: "sq", AgentPrefix: "Local/10", Agents: agents, AgentContext: "sbs-agents", Processes: procs},
		},
		setTalk: func(d time.Duration) error {
			out := ast.CLI(b, fmt.Sprintf("dialplan set global SBS_TALK %.3f", d.Seconds()))
			if strings.Contains(strings.ToLower(out), "error") {
				return fmt.Errorf("set talk time: %s", out)
			}
			return nil
		},
		metricsURL: "http://" + listen + "/metrics",
	}
}

// BenchmarkSideBySide (make bench-asterisk) runs every scenario through
// app_queue and then through stasisq on one Asterisk, prints the table and,
// last, the saturation summary line. It runs once whatever b.N is.
func BenchmarkSideBySide(b *testing.B) {
	be := setUp(b)
	ctx := context.Background()
	obs, systems, setTalk := be.obs, be.systems, be.setTalk
	scenarios := []Scenario{
		{Name: "light", Callers: 50, OneAtATime: true, Talk: time.Second},
		{Name: "saturation", Callers: 600, Interval: 100 * time.Millisecond, Talk: 3 * time.Second},
		{Name: "burst", Callers: 200, Talk: time.Second},
	}
	if s := os.Getenv("SBS_SCENARIOS"); s != "" {
		var keep []Scenario
		for _, sc := range scenarios {
			if listed(s, sc.Name) {
				keep = append(keep, sc)
			}
		}
		scenarios = keep
	}
	var results []Result
	var sat [2]Result
	for _, sc := range scenarios {
		for i, sys := range systems {
			r, err := Run(ctx, obs, sys, sc, setTalk)
			if err != nil {
				b.Fatal(err)
			}
			results = append(results, r)
			if sc.Name == "saturation" {
				sat[i] = r
			}
			b.Logf("%s through %s: %d/%d served", sc.Name, sys.Name, r.Served, r.Callers)
			time.Sleep(2 * time.Second) // Asterisk settles between runs
		}
	}
	if err := WriteTable(os.Stdout, results); err != nil {
		b.Fatal(err)
	}
	if sat[1].System != "" {
		fmt.Println(Summary(sat[1], sat[0]))
	}
}

// listed reports whether name is one of the comma-separated list (an
// SBS_* variable).
func listed(list, name string) bool {
	return strings.Contains(","+list+",", ","+name+",")
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(url string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("stasisq not ready at %s", url)
}
