package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"stasisq/demo"
	"stasisq/internal/cli"
	"stasisq/queue"
	"time"
)

func parseDemoFlags(args []string, stderr io.Writer) (demo.Config, error) {
	c := demo.Config{Listen: "127.0.0.1:8080", Agents: 12, InitialCallers: 6, LogLevel: "info", Patience: 2 * time.Minute, HistoryDays: 30, CallbackShare: 0.1}
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
	fs.IntVar(&c.InitialCallbacks, "initial-callbacks", 0, "of the initial callers, how many ask at once to be called back (keep-my-place callback)")
	fs.Float64Var(&c.CallbackShare, "callback-share", c.CallbackShare, "share of the other callers (0 to 1) who ask to be called back after waiting 8 s")
	fs.IntVar(&c.HistoryDays, "history-days", c.HistoryDays, "days before today a new database is filled with (simulated calls through the same engine and store), for Reports; 0 none")
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
	case c.InitialCallbacks < 0 || c.InitialCallbacks > c.InitialCallers:
		return c, fmt.Errorf("--initial-callbacks %d: from 0 to --initial-callers (%d)", c.InitialCallbacks, c.InitialCallers)
	case c.CallbackShare < 0 || c.CallbackShare > 1:
		return c, fmt.Errorf("--callback-share %v: from 0 to 1", c.CallbackShare)
	case c.HistoryDays < 0 || c.HistoryDays > 400:
		return c, fmt.Errorf("--history-days %d: from 0 to 400", c.HistoryDays)
	case c.Patience < 0 || c.HumanTalk < 0:
		return c, errors.New("--patience and --human-talk must not be negative")
	}
	return c, cli.CheckLogging(c.LogLevel, "text")
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseDemoFlags(args, stderr)
	if err != nil {
		return err
	}
	d, err := startDemo(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	d.PrintWelcome(stdout)
	<-ctx.Done()
	fmt.Fprintln(stderr, "stasisq demo: stopping")
	return d.Close()
}

// startDemo runs the demo with this program's stasisq ("serve" in process)
// and its logging.
func startDemo(ctx context.Context, cfg demo.Config, stderr io.Writer) (*demo.Demo, error) {
	log := cli.Logger(stderr, cfg.LogLevel, "text")
	return demo.Start(ctx, cfg, log, func(ctx context.Context, s demo.Settings) (demo.Stasisq, error) {
		m := NewMain()
		m.Stderr, m.Logger = stderr, log
		m.Config.ARIURL, m.Config.ARIUser, m.Config.ARIPassword, m.Config.App = s.ARIURL, s.ARIUser, s.ARIPassword, s.App
		m.Config.Listen, m.Config.DB, m.Config.LookupURL = s.Listen, s.DB, s.LookupURL
		m.NoPhoneReason = "the demo has no SIP server: its agents' calls ring simulated phones"
		if err := m.Run(ctx); err != nil {
			return nil, errors.Join(err, m.Close())
		}
		select {
		case <-m.App.Ready():
			return demoStasisq{m}, nil
		case <-ctx.Done():
			return nil, errors.Join(ctx.Err(), m.Close())
		}
	})
}

// demoStasisq is Main as the demo sees it.
type demoStasisq struct{ *Main }

func (s demoStasisq) Snapshot(ctx context.Context) (queue.Snapshot, error) {
	return s.App.Snapshot(ctx)
}
