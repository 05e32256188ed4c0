package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"stasisq/ari/aritest"
	"stasisq/loadtest"
	"stasisq/queue"
)

// startForLoad is loadtest.Start: a whole stasisq (engine, store, call flow,
// UI) in process against the load's fake Asterisk, its database in a
// temporary directory.
func startForLoad(logger *slog.Logger) loadtest.Start {
	return func(ctx context.Context, fakes []*aritest.Server, rec *loadtest.Recorder) (loadtest.Floor, func() error, error) {
		dir, err := os.MkdirTemp("", "stasisq-load-")
		if err != nil {
			return nil, nil, err
		}
		m := NewMain()
		m.Config.ARIURL, m.Config.ARIUser, m.Config.ARIPassword = fakes[0].URL(), loadtest.User, loadtest.Password
		if len(fakes) > 1 {
			for i, f := range fakes {
				m.Config.Servers = append(m.Config.Servers, AsteriskServer{Name: loadtest.ServerName(i), URL: f.URL(),
					User: loadtest.User, Password: loadtest.Password, Dial: loadtest.DialTemplate})
			}
		}
		m.Config.App = loadtest.App
		m.Config.Listen = "127.0.0.1:0"
		m.Config.DB = filepath.Join(dir, "load.db")
		m.Logger = logger
		if m.Logger == nil {
			m.Logger = slog.New(slog.DiscardHandler)
		}
		m.Observer = rec
		m.Publish = append(m.Publish, rec.Events)
		stop := func() error {
			err := m.Close()
			if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
				err = rmErr
			}
			return err
		}
		if err := m.Run(ctx); err != nil {
			return nil, nil, errors.Join(err, stop())
		}
		select {
		case <-m.App.Ready():
		case <-ctx.Done():
			return nil, nil, errors.Join(fmt.Errorf("never connected to the fake Asterisk: %w", ctx.Err()), stop())
		}
		return loadFloor{m}, stop, nil
	}
}

// loadFloor drives Main as the load test's loadtest.Floor.
type loadFloor struct{ m *Main }

func (f loadFloor) ConfigureQueue(ctx context.Context, q queue.QueueConfig) error {
	return f.m.configureQueue(ctx, q)
}

func (f loadFloor) AddAgent(ctx context.Context, id string, cfg queue.AgentConfig) error {
	u := queue.User{ID: id, Name: id, Role: queue.RoleAgent, Agent: cfg}
	if err := f.m.configureUser(ctx, u, ""); err != nil {
		return err
	}
	return f.m.App.Do(ctx, queue.AgentLogin{Agent: queue.AgentID(id)})
}

func (f loadFloor) Snapshot(ctx context.Context) (queue.Snapshot, error) {
	return f.m.App.Snapshot(ctx)
}
func (f loadFloor) Idle() bool { return f.m.App.Idle() }

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stasisq load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts loadtest.Options
	var strategy string
	fs.IntVar(&opts.Callers, "callers", 1000, "simulated callers")
	fs.IntVar(&opts.Agents, "agents", 100, "simulated agents")
	fs.DurationVar(&opts.Talk, "talk", 100*time.Millisecond, "talk time of each call")
	fs.DurationVar(&opts.WrapUp, "wrapup", 0, "the queue's wrap-up time")
	fs.DurationVar(&opts.Arrivals, "arrivals", 0, "time between two callers (0: all at once)")
	fs.StringVar(&strategy, "strategy", string(queue.LongestIdle), "queue strategy")
	fs.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "give up after this")
	fs.IntVar(&opts.Servers, "servers", 1, "fake Asterisk servers stasisq drives at once (callers and agents spread over them)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts.Strategy = queue.Strategy(strategy)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := loadtest.Run(ctx, opts, startForLoad(nil))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res)
	return res.Err()
}
