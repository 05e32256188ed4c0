package httpserver

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stasisq/internal/httpserver/tlstest"
)

func hello(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		return
	}
	io.WriteString(w, "hello")
}

func MustServe(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := Listen(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	s.Serve(http.HandlerFunc(hello), slog.New(slog.DiscardHandler))
	tb.Cleanup(func() { s.Shutdown(tb.Context()) })
	return s
}

func dialFrom(tb testing.TB, s *Server, source string) net.Conn {
	tb.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// closedWithin says how long the server took to close c (reading, with
// nothing more sent), failing after limit.
func closedWithin(tb testing.TB, c net.Conn, limit time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		tb.Fatalf("connection still open after %v", limit)
	}
	return time.Since(start)
}

// Issue 14's measure: half-sent requests are closed within 45 s, the
// headers within ReadHeaderTimeout, a body within ReadTimeout.
func TestHalfSentRequestsAreClosed(t *testing.T) {
	s := MustServe(t, Config{})
	tests := []struct {
		name, sent string
		want       time.Duration
	}{
		{"headers_never_finished", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", ReadHeaderTimeout},
		{"body_never_finished", "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nonly a little", ReadTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := dialFrom(t, s, "127.0.0.1")
			if _, err := io.WriteString(c, tt.sent); err != nil {
				t.Fatal(err)
			}
			took := closedWithin(t, c, 45*time.Second)
			t.Logf("closed after %v", took.Round(100*time.Millisecond))
			if took < tt.want-time.Second || took > tt.want+5*time.Second {
				t.Fatalf("closed after %v, want about %v", took, tt.want)
			}
		})
	}
}

func TestHeaderSizeLimit(t *testing.T) {
	s := MustServe(t, Config{})
	req, _ := http.NewRequest("GET", s.URL()+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("x", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KB of headers: got=%d, want 431", resp.StatusCode)
	}
}

func TestConnectionsPerAddressCapped(t *testing.T) {
	s := MustServe(t, Config{MaxConnsPerAddr: 3, Uncapped: []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}})
	get := func(c net.Conn) error {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	var held []net.Conn
	for i := range 3 {
		c := dialFrom(t, s, "127.0.0.7")
		if err := get(c); err != nil {
			t.Fatalf("connection %d of 3: %v", i+1, err)
		}
		held = append(held, c)
	}
	if err := get(dialFrom(t, s, "127.0.0.7")); err == nil {
		t.Fatalf("a 4th connection from the same address was served")
	}
	if err := get(dialFrom(t, s, "127.0.0.8")); err != nil {
		t.Fatalf("another address refused: %v", err)
	}
	for i := range 5 {
		if err := get(dialFrom(t, s, "127.0.0.9")); err != nil {
			t.Fatalf("a trusted proxy's connection %d refused: %v", i+1, err)
		}
	}
	held[0].Close()
	var err error
	for range 50 { // the server notices the close a moment later
		if err = get(dialFrom(t, s, "127.0.0.7")); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after one of the 3 closed, a new one refused: %v", err)
	}
}

func TestHostHeaderChecked(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		host    string
		want    int
	}{
		{"loopback_ip", nil, "127.0.0.1:8080", 200},
		{"loopback_localhost", nil, "localhost:8080", 200},
		{"loopback_ipv6", nil, "[::1]:8080", 200},
		{"loopback_rebound_name", nil, "attacker.example:8080", http.StatusMisdirectedRequest},
		{"listed_name", []string{"Console.Example.com"}, "console.example.com", 200},
		{"listed_name_with_port", []string{"console.example.com"}, "console.example.com:8443", 200},
		{"listed_host_port_only", []string{"console.example.com:443"}, "console.example.com:8443", http.StatusMisdirectedRequest},
		{"unlisted_name", []string{"console.example.com"}, "evil.example.com", http.StatusMisdirectedRequest},
		{"list_excludes_ip", []string{"console.example.com"}, "127.0.0.1", http.StatusMisdirectedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := MustServe(t, Config{AllowedHosts: tt.allowed})
			req, _ := http.NewRequest("GET", s.URL()+"/", nil)
			req.Host = tt.host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("Host %q: got=%d, want %d", tt.host, resp.StatusCode, tt.want)
			}
		})
	}
	if _, err := Listen(Config{Addr: "127.0.0.1:0", AllowedHosts: []string{"http://x"}}); err == nil {
		t.Errorf("an allowed host with a scheme: no error")
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, pool := tlstest.WriteSelfSigned(t, dir, "first")
	s := MustServe(t, Config{TLSCert: certPath, TLSKey: keyPath})
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL got=%s, want https", s.URL())
	}
	peer := func(pool *x509.CertPool) (string, error) {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := hc.Get(s.URL() + "/")
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].Subject.CommonName, nil
	}
	if cn, err := peer(pool); err != nil || cn != "first" {
		t.Fatalf("HTTPS GET: cn=%q err=%v, want the first certificate", cn, err)
	}
	if resp, err := http.Get(strings.Replace(s.URL(), "https", "http", 1) + "/"); err == nil && resp.StatusCode == 200 {
		t.Fatalf("plain HTTP to the TLS port was served")
	}

	// Renewed in place: used without a restart once the check comes round.
	time.Sleep(10 * time.Millisecond) // a later modification time
	_, _, pool2 := tlstest.WriteSelfSigned(t, dir, "renewed")
	s.certs.mu.Lock()
	s.certs.checked = time.Time{}
	s.certs.mu.Unlock()
	if cn, err := peer(pool2); err != nil || cn != "renewed" {
		t.Fatalf("after renewal: cn=%q err=%v, want the renewed certificate", cn, err)
	}

	// A broken renewal keeps the certificate that works.
	if err := os.WriteFile(certPath, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.certs.mu.Lock()
	s.certs.checked = time.Time{}
	s.certs.mu.Unlock()
	if cn, err := peer(pool2); err != nil || cn != "renewed" {
		t.Fatalf("after a broken renewal: cn=%q err=%v, want the renewed one still", cn, err)
	}

	for _, cfg := range []Config{
		{Addr: "127.0.0.1:0", TLSCert: certPath},
		{Addr: "127.0.0.1:0", TLSCert: filepath.Join(dir, "missing.pem"), TLSKey: keyPath},
		{Addr: "127.0.0.1:0", TLSCert: certPath, TLSKey: keyPath}, // certPath is broken now
	} {
		if _, err := Listen(cfg); err == nil {
			t.Errorf("Listen(%+v): no error", cfg)
		} else {
			t.Logf("%v", fmt.Sprint(err))
		}
	}
}
