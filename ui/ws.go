package ui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"stasisq/queue"
)

// websocket upgrades a logged-in user's request and serves the hub's
// protocol until either side goes away.
func (s *Server) websocket(c echo.Context) error {
	r := c.Request()
	// A page from another site could otherwise open a socket with the
	// user's cookie (cross-site websocket hijacking).
	if !s.originAllowed(r) {
		return newError(http.StatusForbidden, "websocket from another origin refused")
	}
	ss, _ := currentSession(c)
	conn, err := websocket.Accept(c.Response(), r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.log.Debug("websocket accept", "err", err)
		return nil // Accept has answered
	}
	s.hub.serve(conn, ss.user, ss.id)
	return nil
}

func (h *Hub) serve(conn *websocket.Conn, u User, sessionID string) {
	conn.SetReadLimit(4096)
	ctx, cancel := context.WithCancel(h.baseCtx)
	cl := &client{
		hub:     h,
		conn:    conn,
		user:    u,
		session: sessionID,
		send:    make(chan outMsg, h.cfg.buffer),
		kick:    make(chan struct{}, 1),
		ctx:     ctx,
		cancel:  cancel,
	}
	if u.Role.Rank() < queue.RoleSupervisor.Rank() {
		cl.agent = queue.AgentID(u.ID)
	}
	defer conn.CloseNow()
	defer cancel()
	select {
	case h.register <- cl:
	case <-h.done:
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	h.nclients.Add(1)
	defer h.nclients.Add(-1)
	defer func() {
		select {
		case h.unregister <- cl:
		case <-h.done:
		}
	}()
	go cl.writeLoop()
	cl.readLoop()
}

type clientMessage struct {
	Type string `json:"type"`
}

func (cl *client) readLoop() {
	defer cl.cancel()
	for {
		_, data, err := cl.conn.Read(cl.ctx)
		if err != nil {
			return
		}
		var m clientMessage
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		if m.Type == "resync" && !cl.askResync(time.Now()) {
			return
		}
	}
}

// minResyncGap spaces out the snapshots one client can ask for: a client
// (buggy or hostile) sending resync in a loop gets a few a second, not one
// per message.
const minResyncGap = 250 * time.Millisecond

// askResync passes a client's resync on to the hub, coalesced: none while
// a snapshot is already on its way (it will bring the client up to date),
// and at most one per minResyncGap, the ones in between folded into one
// sent when the gap is over. It returns false once the client is gone.
func (cl *client) askResync(now time.Time) bool {
	if cl.snapPending.Load() > 0 {
		return true
	}
	if cl.resyncLater && now.Before(cl.lastResync) {
		return true // one is on its way at lastResync
	}
	if wait := cl.lastResync.Add(minResyncGap).Sub(now); wait > 0 {
		cl.resyncLater = true
		cl.lastResync = now.Add(wait)
		time.AfterFunc(wait, func() {
			select {
			case cl.hub.resync <- cl:
			case <-cl.ctx.Done():
			}
		})
		return true
	}
	cl.resyncLater = false
	cl.lastResync = now
	select {
	case cl.hub.resync <- cl:
		return true
	case <-cl.ctx.Done():
		return false
	}
}

func (cl *client) writeLoop() {
	defer cl.cancel()
	ping := time.NewTicker(cl.hub.cfg.pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-cl.ctx.Done():
			return
		case m := <-cl.send:
			if m.snapshot {
				// Not pending once it is being written: the client may
				// read it and ask again (it saw a gap after it) before
				// write returns, and that resync must not be dropped.
				cl.snapPending.Add(-1)
			}
			err := cl.write(m)
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					cl.hub.cfg.log.Debug("websocket write", "user", cl.user.ID, "err", err)
				}
				return
			}
			cl.askSnapshotIfDrained()
		case <-cl.kick:
			cl.askSnapshotIfDrained()
		case <-ping.C:
			ctx, cancel := context.WithTimeout(cl.ctx, cl.hub.cfg.writeTimeout)
			err := cl.conn.Ping(ctx)
			cancel()
			if err != nil {
				return
			}
		}
	}
}

// askSnapshotIfDrained: a client that overflowed has had its backlog
// written; now a snapshot brings it up to date.
func (cl *client) askSnapshotIfDrained() {
	if len(cl.send) > 0 || !cl.wantSnap.CompareAndSwap(true, false) {
		return
	}
	select {
	case cl.hub.resync <- cl:
	case <-cl.ctx.Done():
	}
}

func (cl *client) write(m outMsg) error {
	cl.writingSince.Store(time.Now().UnixNano())
	defer cl.writingSince.Store(0)
	ctx := cl.ctx
	n := len(m.head) + len(m.body) + 1
	if n <= 16<<10 {
		buf := make([]byte, 0, n)
		buf = append(append(append(buf, m.head...), m.body...), '}')
		return cl.conn.Write(ctx, websocket.MessageText, buf)
	}
	w, err := cl.conn.Writer(ctx, websocket.MessageText)
	if err != nil {
		return err
	}
	for _, part := range [][]byte{m.head, m.body, []byte("}")} {
		if _, err := w.Write(part); err != nil {
			_ = w.Close()
			return err
		}
	}
	return w.Close()
}
