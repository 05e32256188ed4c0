package callflow

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"stasisq/ari"
	"stasisq/queue"
	"stasisq/webphone"
)

// Browser phones: the PJSIP endpoint, aor and auth of every agent whose
// phone is the console's are pushed to Asterisk over ARI's dynamic
// configuration on every connection (a memory wizard forgets them when
// Asterisk restarts) and when an agent is configured; they are removed when
// the agent is removed or gets a phone of its own. The loop keeps which
// agents have one (phones); the executor does the REST, one lane per agent
// so a put and a later delete keep their order.

// phoneServer is where browser phones are: the first server, whose
// websocket the console's phone registers with.
func (a *App) phoneServer() *serverARI { return a.ari.on(a.ari.first()) }

// browserPhones lists the configured browser-phone agents, by id.
func browserPhones(agents []queue.AgentView) map[queue.AgentID]queue.AgentConfig {
	out := map[queue.AgentID]queue.AgentConfig{}
	for _, ag := range agents {
		if ag.Config.Phone == queue.PhoneBrowser {
			out[queue.AgentID(ag.Config.ID)] = ag.Config
		}
	}
	return out
}

// phoneConfigured follows an agent's configuration (loop).
func (a *App) phoneConfigured(cfg queue.AgentConfig) {
	id := queue.AgentID(cfg.ID)
	old, had := a.phones[id]
	switch {
	case cfg.Phone == queue.PhoneBrowser:
		a.phones[id] = cfg
		if a.up[a.ari.first()] && (!had || old.Name != cfg.Name) {
			a.exec.Submit("phone:"+cfg.ID, func(ctx context.Context) { a.putPhone(ctx, cfg) })
		}
	case had:
		a.phoneRemoved(id)
	}
}

// phoneRemoved takes an agent's browser phone off Asterisk (loop).
func (a *App) phoneRemoved(id queue.AgentID) {
	cfg, had := a.phones[id]
	if !had {
		return
	}
	delete(a.phones, id)
	if a.up[a.ari.first()] {
		a.exec.Submit("phone:"+cfg.ID, func(ctx context.Context) { a.deletePhone(ctx, cfg) })
	}
}

// phoneList is the browser-phone agents for a reconcile (loop).
func (a *App) phoneList() []queue.AgentConfig {
	out := slices.Collect(maps.Values(a.phones))
	slices.SortFunc(out, func(x, y queue.AgentConfig) int {
		if x.ID < y.ID {
			return -1
		}
		if x.ID > y.ID {
			return 1
		}
		return 0
	})
	return out
}

// putPhones provisions every browser phone (executor, reconcile), with
// the codecs this Asterisk has.
func (a *App) putPhones(ctx context.Context, agents []queue.AgentConfig) {
	a.findPhoneCodecs(ctx)
	for _, cfg := range agents {
		a.putPhone(ctx, cfg)
	}
}

func (a *App) putPhone(ctx context.Context, cfg queue.AgentConfig) {
	if len(a.cfg.PhoneSecret) == 0 {
		a.log.Error("browser phone not provisioned: stasisq has no phone secret", "agent", cfg.ID)
		return
	}
	for _, o := range webphone.Objects(a.cfg.PhoneSecret, cfg, a.phoneOptions()) {
		if _, err := a.phoneServer().PutConfigObject(ctx, "res_pjsip", o.Type, o.ID, o.Fields); err != nil {
			// Most often sorcery.conf has no writable wizard for it.
			a.log.Error("browser phone not provisioned on Asterisk: its sorcery.conf needs a memory wizard for res_pjsip endpoint, aor and auth (asterisk-conf/sorcery.conf)",
				"agent", cfg.ID, "object", o.Type, "err", err)
			return
		}
	}
	a.log.Info("browser phone provisioned", "agent", cfg.ID, "endpoint", queue.BrowserEndpoint(cfg.ID))
}

func (a *App) deletePhone(ctx context.Context, cfg queue.AgentConfig) {
	objs := webphone.Objects(a.cfg.PhoneSecret, cfg, a.phoneOptions())
	for _, o := range slices.Backward(objs) {
		if err := a.phoneServer().DeleteConfigObject(ctx, "res_pjsip", o.Type, o.ID); err != nil && !errors.Is(err, ari.ErrNotFound) {
			a.log.Warn("remove browser phone from Asterisk", "agent", cfg.ID, "object", o.Type, "err", err)
		}
	}
}

// findPhoneCodecs asks Asterisk whether it has codec_opus, unless the
// configuration names the codecs: a browser's opus beats G.711 on a poor
// network, but an endpoint that allows a codec Asterisk cannot translate
// fails its calls. Asked on every connection: the Asterisk behind it may
// have been rebuilt or be another one.
func (a *App) findPhoneCodecs(ctx context.Context) {
	if a.cfg.PhoneOptions.Codecs != "" {
		return
	}
	codecs := webphone.G711Codecs
	m, err := a.phoneServer().GetModule(ctx, "codec_opus.so") // without .so, a loaded module is a 409
	switch {
	case err == nil && strings.EqualFold(m.Status, "running"):
		codecs = webphone.OpusCodecs
	case err != nil && !errors.Is(err, ari.ErrNotFound):
		a.log.Warn("cannot tell whether Asterisk has codec_opus; browser phones get ulaw and alaw", "err", err)
	}
	if old := a.phoneCodecs.Swap(&codecs); old == nil || *old != codecs {
		a.log.Info("browser phones' codecs", "allow", codecs)
	}
}

// phoneOptions shape the browser phones' endpoints: the configured ones,
// with the codecs found on Asterisk when none are configured.
func (a *App) phoneOptions() webphone.Options {
	o := a.cfg.PhoneOptions
	if c := a.phoneCodecs.Load(); o.Codecs == "" && c != nil {
		o.Codecs = *c
	}
	return o
}
