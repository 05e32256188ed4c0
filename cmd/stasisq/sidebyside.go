package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"stasisq/internal/cli"
	"stasisq/internal/sidebyside"
)

// sideBySideConfig is what "stasisq sidebyside" was asked to do.
type sideBySideConfig struct {
	target    sidebyside.Target
	pwFile    string
	scenarios string
	callers   int
	rounds    int
}

func parseSideBySideFlags(args []string, stderr io.Writer) (sideBySideConfig, error) {
	c := sideBySideConfig{target: sidebyside.Target{
		ARIURL:      cli.Env("STASISQ_ARI_URL", "http://127.0.0.1:8088"),
		ARIUser:     cli.Env("STASISQ_ARI_USER", "stasisq"),
		ARIPassword: os.Getenv("STASISQ_ARI_PASSWORD"),
	}}
	fs := flag.NewFlagSet("stasisq sidebyside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: stasisq sidebyside [flags]

Runs the benchmark of "make bench-asterisk" on your Asterisk: the same callers
through Queue() and through stasisq, to 20 Local agents each, and prints the
table and the saturation summary line. Asterisk needs asterisk-conf/
extensions-bench.conf and queues-bench.conf included (and reloaded); stasisq's
side is served by this binary from a database of its own, as app stasisq-bench,
so a running stasisq is not touched. The password comes from
$STASISQ_ARI_PASSWORD or --ari-password-file. Asterisk's CPU is measured when
it runs on this machine. The callers are Local channels: run it off-peak.`)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.target.ARIURL, "ari-url", c.target.ARIURL, "Asterisk HTTP base URL ($STASISQ_ARI_URL)")
	fs.StringVar(&c.target.ARIUser, "ari-user", c.target.ARIUser, "ARI user ($STASISQ_ARI_USER)")
	fs.StringVar(&c.pwFile, "ari-password-file", "", "file holding the ARI password")
	fs.IntVar(&c.target.AsteriskPid, "asterisk-pid", -1, "Asterisk's process, for its CPU (default: the one process named asterisk here; 0: do not measure)")
	fs.StringVar(&c.scenarios, "scenarios", "light,saturation,burst", "scenarios to run, comma-separated")
	fs.IntVar(&c.callers, "callers", 0, "callers in each scenario instead of its own number (50, 600, 200), for a quick try")
	fs.IntVar(&c.rounds, "rounds", 1, "run each scenario so many times, app_queue and stasisq one after the other; the summary line takes the median")
	fs.StringVar(&c.target.Stasisq, "stasisq", "", "stasisq binary serving stasisq's side (default: this one)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return c, fmt.Errorf("sidebyside: unexpected %q", fs.Arg(0))
	}
	if c.pwFile != "" {
		pw, err := cli.ReadSecretFile(c.pwFile)
		if err != nil {
			return c, fmt.Errorf("--ari-password-file: %w", err)
		}
		c.target.ARIPassword = pw
	}
	if c.target.ARIPassword == "" {
		return c, errors.New("sidebyside: no ARI password: set $STASISQ_ARI_PASSWORD or give --ari-password-file")
	}
	if c.callers < 0 {
		return c, fmt.Errorf("--callers %d: want 1 or more", c.callers)
	}
	if c.rounds < 1 {
		return c, fmt.Errorf("--rounds %d: want 1 or more", c.rounds)
	}
	for _, name := range cli.SplitList(c.scenarios) {
		if _, ok := scenarioNamed(name); !ok {
			return c, fmt.Errorf("--scenarios: unknown scenario %q (light, saturation, burst)", name)
		}
	}
	return c, nil
}

func scenarioNamed(name string) (sidebyside.Scenario, bool) {
	for _, sc := range sidebyside.Scenarios() {
		if sc.Name == name {
			return sc, true
		}
	}
	return sidebyside.Scenario{}, false
}

func runSideBySide(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseSideBySideFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.target.Stasisq == "" {
		if c.target.Stasisq, err = os.Executable(); err != nil {
			return fmt.Errorf("sidebyside: this binary's path: %w", err)
		}
	}
	if c.target.AsteriskPid < 0 {
		c.target.AsteriskPid = sidebyside.LocalAsterisk()
		if c.target.AsteriskPid == 0 {
			fmt.Fprintln(stderr, "sidebyside: no single asterisk process on this machine: Asterisk's CPU is not measured (--asterisk-pid names one)")
		}
	}
	var scenarios []sidebyside.Scenario
	for _, name := range cli.SplitList(c.scenarios) {
		sc, _ := scenarioNamed(name)
		if c.callers > 0 {
			sc.Callers = c.callers
		}
		scenarios = append(scenarios, sc)
	}
	dir, err := os.MkdirTemp("", "stasisq-sidebyside-")
	if err != nil {
		return fmt.Errorf("sidebyside: %w", err)
	}
	defer os.RemoveAll(dir)
	c.target.Dir = dir
	bench, err := sidebyside.Start(ctx, c.target)
	if err != nil {
		return fmt.Errorf("sidebyside: %w", err)
	}
	if err := preflight(ctx, bench); err != nil {
		return errors.Join(fmt.Errorf("sidebyside: %w", err), bench.Close())
	}
	bench.Rounds = c.rounds
	_, err = bench.RunAll(ctx, scenarios, stdout, func(s string) { fmt.Fprintln(stderr, s) })
	if cerr := bench.Close(); err == nil && cerr != nil {
		fmt.Fprintf(stderr, "sidebyside: stop stasisq: %v\n", cerr)
	}
	if err != nil {
		return fmt.Errorf("sidebyside: %w (stasisq's log was %s)", err, bench.LogPath)
	}
	return nil
}

// preflight sends one caller to each side and checks each reaches its
// queue: a dialplan without extensions-bench.conf, or a stasisq that
// cannot serve, is said before minutes of callers are sent.
func preflight(ctx context.Context, b *sidebyside.Bench) error {
	for _, sys := range b.Systems {
		if err := b.Obs.Probe(ctx, sys); err != nil {
			return fmt.Errorf("%s: %w: are asterisk-conf/extensions-bench.conf and queues-bench.conf included and reloaded?", sys.Name, err)
		}
	}
	return nil
}
