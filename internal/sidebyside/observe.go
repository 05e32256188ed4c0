package sidebyside

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"stasisq/ari"
)

// ObserverApp is the observer's ARI application; callers' other halves
// wait in it.
const ObserverApp = "sbs-observer"

// chanLife is what the observer saw of one channel.
type chanLife struct {
	name             string
	created, gone    time.Time
	joined           time.Time // it began Queue() or Stasis()
	bridged          time.Time // first ChannelEnteredBridge
	createdSeen, bye bool
}

// Observer records channel lifetimes from Asterisk's events.
type Observer struct {
	c      *ari.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	chans map[string]*chanLife
}

// Observe connects the observer to Asterisk and subscribes it to every
// event source, filtered to the event types it reads.
func Observe(ctx context.Context, url, user, password string) (*Observer, error) {
	c, err := ari.NewClient(ari.Config{URL: url, User: user, Password: password, App: ObserverApp,
		SubscribeAll: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	o := &Observer{c: c, cancel: cancel, done: make(chan struct{}), chans: map[string]*chanLife{}}
	go func() { _ = c.Run(rctx) }() // ends with rctx
	go o.loop(rctx)
	deadline := time.Now().Add(10 * time.Second)
	for !c.Connected() {
		if time.Now().After(deadline) {
			o.Close()
			return nil, fmt.Errorf("observer: no ARI events websocket to %s", url)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := c.SetEventFilter(ctx, ObserverApp, "ChannelCreated", "ChannelDestroyed", "ChannelEnteredBridge", "ChannelDialplan"); err != nil {
		o.Close()
		return nil, fmt.Errorf("observer: %w", err)
	}
	return o, nil
}

// Client is the observer's ARI client (it originates the callers).
func (o *Observer) Client() *ari.Client { return o.c }

// Close stops the observer.
func (o *Observer) Close() {
	o.cancel()
	<-o.done
}

func (o *Observer) loop(ctx context.Context) {
	defer close(o.done)
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-o.c.Events():
			o.record(ev)
		}
	}
}

func (o *Observer) life(id, name string) *chanLife {
	l := o.chans[id]
	if l == nil {
		l = &chanLife{name: name}
		o.chans[id] = l
	}
	if l.name == "" {
		l.name = name
	}
	return l
}

func (o *Observer) record(ev ari.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch e := ev.(type) {
	case *ari.ChannelCreated:
		l := o.life(e.Channel.ID, e.Channel.Name)
		l.created, l.createdSeen = e.Timestamp(), true
	case *ari.ChannelDestroyed:
		l := o.life(e.Channel.ID, e.Channel.Name)
		l.gone, l.bye = e.Timestamp(), true
	case *ari.ChannelDialplan:
		if e.DialplanApp == "Queue" || e.DialplanApp == "Stasis" {
			l := o.life(e.Channel.ID, e.Channel.Name)
			if l.joined.IsZero() {
				l.joined = e.Timestamp()
			}
		}
	case *ari.ChannelEnteredBridge:
		if e.Bridge.BridgeType == "holding" {
			// Waiting in a holding bridge (one stream of music shared by
			// callers), not put through.
			return
		}
		l := o.life(e.Channel.ID, e.Channel.Name)
		if l.bridged.IsZero() {
			l.bridged = e.Timestamp()
		}
	}
}

// gone reports whether every channel id named has been destroyed.
func (o *Observer) gone(ids []string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, id := range ids {
		if l := o.chans[id]; l == nil || !l.bye {
			return false
		}
	}
	return true
}

// connected is how many of ids have entered a bridge.
func (o *Observer) connected(ids []string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, id := range ids {
		if l := o.chans[id]; l != nil && !l.bridged.IsZero() {
			n++
		}
	}
	return n
}

// agentLegs returns, per agent device (Local/<exten>@<context>), the
// observer's record of its legs, by creation time.
func (o *Observer) agentLegs(context string, from time.Time) map[string][]chanLife {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string][]chanLife{}
	for _, l := range o.chans {
		// Asterisk names the dialled half Local/2001@agents-0000002a;1.
		if !strings.HasPrefix(l.name, "Local/") || !strings.HasSuffix(l.name, ";1") || !l.createdSeen || l.created.Before(from) {
			continue
		}
		at := strings.Index(l.name, "@")
		dash := strings.LastIndex(l.name, "-")
		if at < 0 || dash < at || l.name[at+1:dash] != context {
			continue
		}
		dev := l.name[:dash]
		out[dev] = append(out[dev], *l)
	}
	for _, legs := range out {
		sort.Slice(legs, func(i, j int) bool { return legs[i].created.Before(legs[j].created) })
	}
	return out
}

// callers returns the records of the callers' queue-side halves.
func (o *Observer) callers(ids []string) []chanLife {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]chanLife, 0, len(ids))
	for _, id := range ids {
		if l := o.chans[id]; l != nil {
			out = append(out, *l)
		}
	}
	return out
}

// hangUp hangs up the callers of ids still in Asterisk (their observer
// half, "o-" for "c-", takes the Local pair down) and waits until they are
// gone.
func (o *Observer) hangUp(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if o.gone([]string{id}) {
			continue
		}
		other := "o-" + strings.TrimPrefix(id, "c-")
		// An Asterisk past its limit drops or times out requests: try
		// again, a little later each time.
		var err error
		for try := range 5 {
			if err = o.c.Hangup(ctx, other, "normal"); err == nil || errors.Is(err, ari.ErrNotFound) {
				err = nil
				break
			}
			time.Sleep(time.Duration(try+1) * 500 * time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("hang up %s: %w", other, err)
		}
	}
	// A caller whose originate failed never existed: nothing to wait for.
	var seen []string
	o.mu.Lock()
	for _, id := range ids {
		if o.chans[id] != nil {
			seen = append(seen, id)
		}
	}
	o.mu.Unlock()
	return waitFor(ctx, 2*time.Minute, func() bool { return o.gone(seen) })
}

// originate sends a caller to sys: a Local pair whose "o-<tag>" half is
// the observer's and whose "c-<tag>" half, returned, runs the side's
// extension; number is its caller number, timeout its ring time in seconds.
func (o *Observer) originate(ctx context.Context, sys System, tag string, number, timeout int) (string, error) {
	o.mu.Lock()
	_, seen := o.chans["c-"+tag]
	o.mu.Unlock()
	if seen {
		// Its record from the earlier run would pass for this one's.
		return "c-" + tag, fmt.Errorf("caller c-%s: this id was used before in this bench", tag)
	}
	_, err := o.c.Originate(ctx, ari.OriginateRequest{
		ChannelID: "o-" + tag, OtherChannelID: "c-" + tag, Endpoint: "Local/" + sys.Exten + "@" + CallerContext,
		App: ObserverApp, CallerID: fmt.Sprintf("Bench <%d>", number), Timeout: timeout, Formats: "ulaw",
	})
	return "c-" + tag, err
}

// Probe sends one caller to sys and waits until an agent has it: the
// check that a dialplan, queue and agents are in place before a run. The
// caller is hung up after.
func (o *Observer) Probe(ctx context.Context, sys System) error {
	id, err := o.originate(ctx, sys, sys.Exten+"-probe", 5550000, 30)
	if err != nil {
		return fmt.Errorf("a caller to Local/%s@%s: %w", sys.Exten, CallerContext, err)
	}
	bridged := waitFor(ctx, 20*time.Second, func() bool { return o.connected([]string{id}) == 1 || o.gone([]string{id}) })
	ok := o.connected([]string{id}) == 1
	if err := o.hangUp(ctx, []string{id}); err != nil {
		return err
	}
	switch {
	case bridged != nil:
		return fmt.Errorf("a caller to Local/%s@%s was not put through to an agent in 20 s", sys.Exten, CallerContext)
	case !ok:
		return fmt.Errorf("a caller to Local/%s@%s was gone before an agent had it (no such queue?)", sys.Exten, CallerContext)
	}
	return nil
}
