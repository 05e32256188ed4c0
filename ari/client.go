package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says where Asterisk is and how to talk to it.
type Config struct {
	URL            string // base, e.g. "http://127.0.0.1:8088" (routes live under /ari)
	User, Password string
	App            string // Stasis application name; the events websocket is /ari/events?app=App
	SubscribeAll   bool
	HTTPClient     *http.Client  // optional
	Logger         *slog.Logger  // optional; never logs the password
	MinBackoff     time.Duration // reconnect backoff, default 100ms
	MaxBackoff     time.Duration // reconnect backoff cap, default 5s
	// PingInterval, if set, pings Asterisk that often and reconnects when a
	// pong does not come back within the interval: without it a silently
	// dead TCP connection (no FIN) blocks the reader forever.
	PingInterval time.Duration
	// OnRequest, if set, is called after every REST call; route is the
	// template, e.g. "POST /channels/{channelId}/answer", so it can label
	// metrics without one series per channel.
	OnRequest func(method, route string, status int, d time.Duration, err error)
	// OnEvent, if set, sees every event Run delivers, as it is delivered,
	// from Run's goroutine (the real-Asterisk tests record them to hold
	// the fake to what Asterisk sends).
	OnEvent func(Event)
}

// Client is an ARI client: REST calls, safe for concurrent use, and one
// events websocket driven by Run.
type Client struct {
	base         *url.URL
	user, pass   string
	app          string
	subscribeAll bool
	http         *http.Client
	log          *slog.Logger
	minBackoff   time.Duration
	maxBackoff   time.Duration
	pingEvery    time.Duration
	onRequest    func(method, route string, status int, d time.Duration, err error)
	onEvent      func(Event)

	events     chan Event
	running    atomic.Bool
	connected  atomic.Bool
	malformed  atomic.Uint64
	reconnects atomic.Uint64

	subsMu sync.Mutex
	subs   map[subKey]map[*Subscription]struct{}
}

// RedactURL is raw with any password in it replaced by "xxxxx", for logs
// and errors; a string that is no URL is replaced whole.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return "(unparsable URL, not shown: it may hold a password)"
		}
		return raw
	}
	return u.Redacted()
}

// NewClient checks cfg and returns a client; it does not contact Asterisk.
func NewClient(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		return nil, errors.New("ari config: URL is empty")
	}
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil {
		// url.Error repeats the URL, password and all: keep only its reason.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("ari config: URL %q: %w", RedactURL(cfg.URL), err)
	}
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("ari config: URL %q: scheme must be http or https", RedactURL(cfg.URL))
	}
	// Credentials in the URL (http://user:secret@host:8088) are taken as
	// User and Password unless those are given, and never kept in the URL
	// the client logs and dials.
	if base.User != nil {
		if cfg.User == "" {
			cfg.User = base.User.Username()
		}
		if p, ok := base.User.Password(); ok && cfg.Password == "" {
			cfg.Password = p
		}
		base.User = nil
	}
	if cfg.App == "" {
		return nil, errors.New("ari config: App is empty")
	}
	c := &Client{
		base:         base,
		user:         cfg.User,
		pass:         cfg.Password,
		app:          cfg.App,
		subscribeAll: cfg.SubscribeAll,
		http:         cfg.HTTPClient,
		log:          cfg.Logger,
		minBackoff:   cfg.MinBackoff,
		maxBackoff:   cfg.MaxBackoff,
		pingEvery:    cfg.PingInterval,
		onRequest:    cfg.OnRequest,
		onEvent:      cfg.OnEvent,
		events:       make(chan Event, 64),
		subs:         map[subKey]map[*Subscription]struct{}{},
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second, Transport: newTransport()}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.minBackoff <= 0 {
		c.minBackoff = 100 * time.Millisecond
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = 5 * time.Second
	}
	if c.maxBackoff < c.minBackoff {
		c.maxBackoff = c.minBackoff
	}
	return c, nil
}

// call is one REST request: route is the api-docs template (for errors and
// metrics), path the same with the ids filled in and escaped.
type call struct {
	method string
	route  string
	path   string
	query  url.Values
	body   any // JSON-encoded when not nil
}

// do performs the call and decodes a 2xx body into out (when out != nil).
func (c *Client) do(ctx context.Context, rc call, out any) error {
	resp, err := c.open(ctx, rc, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("ari %s %s: read reply: %w", rc.method, rc.path, err)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("ari %s %s: decode reply: %w", rc.method, rc.path, err)
	}
	return nil
}

// open performs the call and returns a 2xx response with its body unread
// (the caller closes it); any other status is an *Error.
func (c *Client) open(ctx context.Context, rc call, accept string) (resp *http.Response, err error) {
	start := time.Now()
	status := 0
	defer func() {
		if c.onRequest != nil {
			c.onRequest(rc.method, rc.method+" "+rc.route, status, time.Since(start), err)
		}
	}()
	u := *c.base
	u.Path = c.base.Path + "/ari" + unescape(rc.path)
	u.RawPath = c.base.EscapedPath() + "/ari" + rc.path
	if len(rc.query) > 0 {
		u.RawQuery = rc.query.Encode()
	}
	var body io.Reader
	if rc.body != nil {
		data, err := json.Marshal(rc.body)
		if err != nil {
			return nil, fmt.Errorf("ari %s %s: encode body: %w", rc.method, rc.route, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, rc.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("ari %s %s: %w", rc.method, rc.route, err)
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("Accept", accept)
	if rc.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err = c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ari %s %s: %w", rc.method, rc.path, err)
	}
	status = resp.StatusCode
	if status < 200 || status > 299 {
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil {
			return nil, fmt.Errorf("ari %s %s: read reply: %w", rc.method, rc.path, err)
		}
		return nil, &Error{Method: rc.method, Path: rc.path, Status: status, Message: errorMessage(data)}
	}
	return resp, nil
}

// errorMessage pulls Asterisk's {"message": "..."} out of an error body,
// falling back to the body text.
func errorMessage(data []byte) string {
	var body struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil {
		if body.Message != "" {
			return body.Message
		}
		if body.Error != "" {
			return body.Error
		}
	}
	msg := strings.TrimSpace(string(data))
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

func unescape(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

// seg escapes one path segment: ids and device names may hold '/' or '@'.
func seg(s string) string { return url.PathEscape(s) }

// query builds url.Values from name/value pairs, leaving out empty values so
// that zero values mean "Asterisk's default".
func query(pairs ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	return q
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// maxConns bounds the connections to Asterisk, idle or not. Asterisk's
// HTTP server takes 100 sessions in all (http.conf sessionlimit) and refuses
// the rest, which a burst of 200 callers showed reaching: the calls beyond
// it failed with EOF. 64 leaves room for other HTTP clients of the same
// Asterisk; calls beyond it wait for a connection (stasisq's executor has up
// to 96 in flight) instead of failing.
const maxConns = 64

// Every connection may stay open for the next call: the default keeps 2 per
// host, so with tens of REST calls in flight nearly every call opened a new
// TCP connection and closed it after: a handshake per call, a thread started
// per connection in Asterisk, sockets piling up in TIME_WAIT (the load test
// spent a fifth of its CPU there).
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxConns
	t.MaxIdleConnsPerHost = maxConns
	t.MaxConnsPerHost = maxConns
	return t
}
