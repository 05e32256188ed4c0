package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"stasisq/queue"
	"stasisq/webphone"
)

// PhoneConfig is what the console's browser phone needs from the server.
type PhoneConfig struct {
	// WebsocketURL is Asterisk's SIP-over-websocket address as the browser
	// reaches it, e.g. wss://pbx.example.com:8089/ws; "" when there is no
	// SIP server (the demo), and NoPhoneReason says why.
	WebsocketURL  string
	NoPhoneReason string
	// Secret derives each agent's SIP password (webphone.Password).
	Secret []byte
}

// PhoneInfo is GET /api/me/phone: the SIP account of the logged-in user's
// browser phone, given to that user's session alone and never cached.
type PhoneInfo struct {
	Enabled      bool   `json:"enabled"`
	Reason       string `json:"reason,omitempty"` // why not, when not enabled
	WebsocketURL string `json:"websocket_url,omitempty"`
	URI          string `json:"uri,omitempty"` // the address of record, sip:stasisq-alice@host
	Username     string `json:"username,omitempty"`
	Password     string `json:"password,omitempty"`
	DisplayName  string `json:"display_name,omitempty"`
	// AutoAnswer: the phone answers a ring by itself after this long.
	AutoAnswer time.Duration `json:"auto_answer,omitempty"`
}

func (s *Server) mePhone(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	ctx, cancel := requestContext(c)
	defer cancel()
	u, err := s.findUser(ctx, string(me(c)))
	if err != nil {
		return err
	}
	p := s.opts.Phone
	switch {
	case p.WebsocketURL == "":
		reason := p.NoPhoneReason
		if reason == "" {
			reason = "stasisq knows no SIP websocket address for browser phones (--phone-ws-url)"
		}
		return c.JSON(http.StatusOK, PhoneInfo{Reason: reason})
	case u.Agent.Phone != queue.PhoneBrowser:
		return c.JSON(http.StatusOK, PhoneInfo{Reason: "your calls ring a phone of your own (" + u.Agent.Device + "); an administrator can make this console your phone"})
	case len(p.Secret) == 0:
		return fmt.Errorf("browser phone of %s: no phone secret", u.ID)
	}
	ws, err := url.Parse(p.WebsocketURL)
	if err != nil {
		return fmt.Errorf("phone websocket URL: %w", err)
	}
	user := queue.BrowserEndpoint(u.ID)
	return c.JSON(http.StatusOK, PhoneInfo{
		Enabled:      true,
		WebsocketURL: p.WebsocketURL,
		URI:          "sip:" + user + "@" + ws.Hostname(),
		Username:     user,
		Password:     webphone.Password(p.Secret, u.ID),
		DisplayName:  u.Agent.MemberName(),
		AutoAnswer:   u.Agent.AutoAnswer,
	})
}

// phoneOrigin is the browser phone's websocket origin for the page's
// Content-Security-Policy (connect-src); "" when there is none.
func phoneOrigin(wsURL string) string {
	u, err := url.Parse(wsURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
