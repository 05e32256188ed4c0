package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
)

// The bounds every stasisq listener has. A websocket is not held to them:
// net/http clears the deadlines when it is hijacked.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 16 << 10
)

// Config says where and how to listen.
type Config struct {
	Addr string // host:port; port 0 picks a free one
	// TLSCert and TLSKey are PEM files; both or neither.
	TLSCert, TLSKey string
	// MaxConnsPerAddr caps the open connections of one client address (0:
	// 512, negative: no cap). A call centre behind one NAT address needs
	// a few per browser: a websocket and a keep-alive pool.
	MaxConnsPerAddr int
	// Uncapped peers (trusted reverse proxies) carry many clients' connections.
	Uncapped []netip.Prefix
	// AllowedHosts are the names (host or host:port) clients may use in
	// the Host header; empty: any name on a public address, only IP
	// literals and localhost on a loopback one.
	AllowedHosts []string
	Logger       *slog.Logger
}

// Server is one listening HTTP server.
type Server struct {
	srv       *http.Server
	ln        net.Listener
	tls       bool
	certs     *certFiles
	hostCheck *hostCheck
}

// Listen opens the address (and the certificate, when configured) so that
// errors come before serving starts.
func Listen(cfg Config) (*Server, error) {
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("TLS needs both a certificate and a key file")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxConnsPerAddr == 0 {
		cfg.MaxConnsPerAddr = 512
	}
	var tlsConfig *tls.Config
	var certs *certFiles
	if cfg.TLSCert != "" {
		var err error
		if certs, err = newCertFiles(cfg.TLSCert, cfg.TLSKey, cfg.Logger); err != nil {
			return nil, err
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get, NextProtos: []string{"h2", "http/1.1"}}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	if cfg.MaxConnsPerAddr > 0 {
		ln = &cappedListener{Listener: ln, max: cfg.MaxConnsPerAddr, uncapped: cfg.Uncapped, open: map[netip.Addr]int{}, log: cfg.Logger}
	}
	s := &Server{ln: ln, tls: tlsConfig != nil, certs: certs}
	s.srv = &http.Server{
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		TLSConfig:         tlsConfig,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	hosts, err := newHostCheck(cfg.AllowedHosts, ln.Addr())
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.hostCheck = hosts
	return s, nil
}

// Serve serves h until Shutdown, in the background.
func (s *Server) Serve(h http.Handler, log *slog.Logger) {
	s.srv.Handler = s.hostCheck.wrap(h)
	go func() {
		var err error
		if s.tls {
			err = s.srv.ServeTLS(s.ln, "", "")
		} else {
			err = s.srv.Serve(s.ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "addr", s.ln.Addr().String(), "err", err)
		}
	}()
}

// URL is the base URL clients reach the server at (a wildcard address is
// given as 127.0.0.1).
func (s *Server) URL() string {
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// TLS says whether the server speaks HTTPS.
func (s *Server) TLS() bool { return s.tls }

// Shutdown stops accepting and waits for requests in flight (not hijacked
// connections: their owners close them).
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv.Handler == nil { // never served
		return s.ln.Close()
	}
	return s.srv.Shutdown(ctx)
}

// certFiles serves the certificate in two files, re-reading them when they
// change (checked at most every 10 s), so that a renewed certificate is
// used without a restart; a renewal that does not load keeps the old one.
type certFiles struct {
	certPath, keyPath string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	mtimes  [2]time.Time
	checked time.Time
}

func newCertFiles(certPath, keyPath string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certPath: certPath, keyPath: keyPath, log: log}
	if err := c.load(time.Now()); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certFiles) load(now time.Time) error {
	var mt [2]time.Time
	for i, p := range []string{c.certPath, c.keyPath} {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		mt[i] = fi.ModTime()
	}
	c.checked = now
	if c.cert != nil && mt == c.mtimes {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(c.certPath, c.keyPath)
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", c.certPath, c.keyPath, err)
	}
	c.cert, c.mtimes = &cert, mt
	return nil
}

func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) > 10*time.Second {
		if err := c.load(now); err != nil {
			c.log.Error("reload TLS certificate; keeping the one loaded", "err", err)
		}
	}
	return c.cert, nil
}

// cappedListener refuses (closes at once) a connection from an address
// that already holds max.
type cappedListener struct {
	net.Listener
	max      int
	uncapped []netip.Prefix
	log      *slog.Logger

	mu      sync.Mutex
	open    map[netip.Addr]int
	lastLog time.Time
}

func (l *cappedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ap, perr := netip.ParseAddrPort(c.RemoteAddr().String())
		if perr != nil {
			return c, nil
		}
		addr := ap.Addr().Unmap()
		if l.isUncapped(addr) {
			return c, nil
		}
		l.mu.Lock()
		if l.open[addr] >= l.max {
			now := time.Now()
			logIt := now.Sub(l.lastLog) > 10*time.Second
			if logIt {
				l.lastLog = now
			}
			l.mu.Unlock()
			if logIt {
				l.log.Warn("too many connections from one address; refusing more", "from", addr.String(), "max", l.max)
			}
			c.Close()
			continue
		}
		l.open[addr]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(addr) }}, nil
	}
}

func (l *cappedListener) isUncapped(a netip.Addr) bool {
	for _, p := range l.uncapped {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (l *cappedListener) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a]--; l.open[a] <= 0 {
		delete(l.open, a)
	}
}

type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// hostCheck refuses a request whose Host header is not one of ours.
type hostCheck struct {
	allowed      map[string]bool // lower-case host or host:port
	loopbackOnly bool            // no list, loopback listener: IP literals and localhost
}

func newHostCheck(hosts []string, addr net.Addr) (*hostCheck, error) {
	h := &hostCheck{allowed: map[string]bool{}}
	for _, name := range hosts {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if strings.ContainsAny(name, "/ @") {
			return nil, fmt.Errorf("allowed host %q: want a name or name:port", name)
		}
		h.allowed[name] = true
	}
	if len(h.allowed) == 0 {
		if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsLoopback() {
			h.loopbackOnly = true
		}
	}
	return h, nil
}

func (h *hostCheck) ok(host string) bool {
	host = strings.ToLower(host)
	name := host
	if n, _, err := net.SplitHostPort(host); err == nil {
		name = n
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if len(h.allowed) > 0 {
		return h.allowed[host] || h.allowed[name]
	}
	if !h.loopbackOnly {
		return true
	}
	_, err := netip.ParseAddr(name)
	return err == nil || name == "localhost"
}

func (h *hostCheck) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.ok(r.Host) {
			http.Error(w, "unknown host name: add it to --allowed-hosts", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}
