package webphone

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"stasisq/ari"
	"stasisq/queue"
)

// Password is agent's SIP password under secret: 128 bits, URL-safe.
func Password(secret []byte, agent string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("stasisq browser phone\x00" + agent))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Object is one sorcery object of res_pjsip to put over ARI.
type Object struct {
	Type   string // endpoint, aor, auth
	ID     string
	Fields []ari.ConfigTuple
}

// Options shape the endpoints.
type Options struct {
	// Codecs is the endpoint's allow list; "" means G711Codecs (the call
	// flow puts OpusCodecs where Asterisk has codec_opus).
	Codecs string
	// Context is where a call the browser itself makes lands; stasisq's
	// phones only take calls, so by default a context no dialplan has.
	Context string
}

// The endpoints' codecs: G.711 everywhere, opus first where Asterisk can
// translate it (codec_opus).
const (
	G711Codecs = "ulaw,alaw"
	OpusCodecs = "opus,ulaw,alaw"
)

// DefaultContext is a context no dialplan has: a call a browser phone
// places itself goes nowhere.
const DefaultContext = "stasisq-phones"

// Objects are the auth, aor and endpoint of agent's browser phone, in the
// order to put them (an endpoint names its aor and auth); remove them in
// reverse.
func Objects(secret []byte, agent queue.AgentConfig, o Options) []Object {
	id := queue.BrowserEndpoint(agent.ID)
	codecs, context := o.Codecs, o.Context
	if codecs == "" {
		codecs = G711Codecs
	}
	if context == "" {
		context = DefaultContext
	}
	t := func(pairs ...string) []ari.ConfigTuple {
		out := make([]ari.ConfigTuple, 0, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, ari.ConfigTuple{Attribute: pairs[i], Value: pairs[i+1]})
		}
		return out
	}
	return []Object{
		{Type: "auth", ID: id, Fields: t("auth_type", "userpass", "username", id, "password", Password(secret, agent.ID))},
		// One browser at a time; an OPTIONS ping every 10 s finds a tab
		// gone without unregistering (closed laptop, lost network) and
		// makes the device unavailable, so routing skips the agent.
		{Type: "aor", ID: id, Fields: t("max_contacts", "1", "remove_existing", "yes",
			"qualify_frequency", "10", "qualify_timeout", "3", "remove_unavailable", "yes",
			"minimum_expiration", "30", "default_expiration", "60")},
		{Type: "endpoint", ID: id, Fields: t("webrtc", "yes", "dtls_auto_generate_cert", "yes",
			"disallow", "all", "allow", codecs, "direct_media", "no", "auth", id, "aors", id, "context", context,
			"callerid", agent.MemberName()+" <"+id+">")},
	}
}
