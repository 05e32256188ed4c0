package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	bolt "go.etcd.io/bbolt"

	"stasisq/queue"
)

// An import of a big queues.conf (a million member lines) must not need
// memory in proportion: its agents gather in a scratch file (AgentScratch),
// the database's agents are looked up one at a time (ConfigView), and the
// writes go in many transactions into a copy that replaces the file at the
// end (Rewrite), because one bbolt transaction holds every page it dirties
// in memory until it commits.

// scratchBatch is how many agents, logins or devices AgentScratch holds in
// memory before it writes them, sorted, in one transaction: sorted keys
// append to bbolt's pages instead of copying a node for each insert.
const scratchBatch = 20000

var (
	scratchAgents  = []byte("agents")  // lower-cased interface -> seq + JSON
	scratchOrder   = []byte("order")   // seq -> lower-cased interface
	scratchLogins  = []byte("logins")  // login -> interface
	scratchDevices = []byte("devices") // the database's devices, lower-cased -> login
)

// AgentScratch is a queuesconf.AgentBook in a temporary bbolt file: the
// agents an import's member => lines make, by interface, in the order of
// their first line, with the logins they hold. Close removes the file.
type AgentScratch struct {
	bolt   *bolt.DB
	path   string
	n      int
	seq    uint64
	agents map[string]scratchAgent // not yet written
	logins map[string]string       // not yet written; "" deletes
	// missed is the last key Agent found nowhere: the Add that follows
	// need not look in the file again (a million agents, a million looks).
	missed string
}

type scratchAgent struct {
	seq uint64
	a   queue.AgentConfig
}

// NewAgentScratch makes the scratch file at path (which must not exist).
func NewAgentScratch(path string) (*AgentScratch, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("scratch file %s: it exists already", path)
	}
	// No fsync: nothing in it outlives the import.
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("scratch file %s: %w", path, err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{scratchAgents, scratchOrder, scratchLogins, scratchDevices} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = bdb.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("scratch file %s: %w", path, err)
	}
	return &AgentScratch{bolt: bdb, path: path, agents: map[string]scratchAgent{}, logins: map[string]string{}}, nil
}

// Close closes and removes the scratch file.
func (s *AgentScratch) Close() error {
	err := s.bolt.Close()
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return fmt.Errorf("scratch file %s: %w", s.path, err)
	}
	return nil
}

func (s *AgentScratch) Len() int { return s.n }

func (s *AgentScratch) Agent(key string) (queue.AgentConfig, bool, error) {
	if e, ok := s.agents[key]; ok {
		return e.a, true, nil
	}
	e, ok, err := s.stored(key)
	if err == nil && !ok {
		s.missed = key
	}
	return e.a, ok, err
}

func (s *AgentScratch) stored(key string) (scratchAgent, bool, error) {
	var raw []byte
	err := s.bolt.View(func(tx *bolt.Tx) error {
		raw = slices.Clone(tx.Bucket(scratchAgents).Get([]byte(key)))
		return nil
	})
	if err != nil || raw == nil {
		return scratchAgent{}, false, err
	}
	return decodeScratchAgent(key, raw)
}

func decodeScratchAgent(key string, raw []byte) (scratchAgent, bool, error) {
	if len(raw) < 8 {
		return scratchAgent{}, false, fmt.Errorf("scratch agent %s: %d bytes", key, len(raw))
	}
	e := scratchAgent{seq: binary.BigEndian.Uint64(raw)}
	if err := json.Unmarshal(raw[8:], &e.a); err != nil {
		return scratchAgent{}, false, fmt.Errorf("scratch agent %s: %w", key, err)
	}
	return e, true, nil
}

func (s *AgentScratch) Add(key string, a queue.AgentConfig) error {
	if key != s.missed {
		if _, ok, err := s.Agent(key); err != nil || ok {
			return errors.Join(err, fmt.Errorf("agent of %s added twice", key))
		}
	}
	s.missed = ""
	s.seq++
	s.n++
	s.agents[key] = scratchAgent{seq: s.seq, a: a}
	return s.flushIfFull()
}

func (s *AgentScratch) Update(key string, a queue.AgentConfig) error {
	e, ok := s.agents[key]
	if !ok {
		var err error
		if e, ok, err = s.stored(key); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("agent of %s updated before it was added", key)
		}
	}
	e.a = a
	s.agents[key] = e
	return s.flushIfFull()
}

func (s *AgentScratch) Login(id string) (string, bool, error) {
	if iface, ok := s.logins[id]; ok {
		return iface, iface != "", nil
	}
	var iface string
	err := s.bolt.View(func(tx *bolt.Tx) error {
		iface = string(tx.Bucket(scratchLogins).Get([]byte(id)))
		return nil
	})
	return iface, iface != "", err
}

func (s *AgentScratch) SetLogin(id, iface string) error {
	s.logins[id] = iface
	return s.flushIfFull()
}

func (s *AgentScratch) flushIfFull() error {
	if len(s.agents)+len(s.logins) < scratchBatch {
		return nil
	}
	return s.flush()
}

// flush writes what is held in memory, in key order.
func (s *AgentScratch) flush() error {
	if len(s.agents)+len(s.logins) == 0 {
		return nil
	}
	err := s.bolt.Update(func(tx *bolt.Tx) error {
		agents, order, logins := tx.Bucket(scratchAgents), tx.Bucket(scratchOrder), tx.Bucket(scratchLogins)
		var seqs []uint64
		bySeq := map[uint64]string{}
		for _, key := range slices.Sorted(maps.Keys(s.agents)) {
			e := s.agents[key]
			raw, err := json.Marshal(e.a)
			if err != nil {
				return fmt.Errorf("agent of %s: %w", key, err)
			}
			val := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(raw)), e.seq)
			if err := agents.Put([]byte(key), append(val, raw...)); err != nil {
				return err
			}
			seqs = append(seqs, e.seq)
			bySeq[e.seq] = key
		}
		slices.Sort(seqs)
		for _, seq := range seqs {
			if order.Get(binary.BigEndian.AppendUint64(nil, seq)) != nil {
				continue // an update of an agent written before
			}
			if err := order.Put(binary.BigEndian.AppendUint64(nil, seq), []byte(bySeq[seq])); err != nil {
				return err
			}
		}
		for _, id := range slices.Sorted(maps.Keys(s.logins)) {
			var err error
			if iface := s.logins[id]; iface == "" {
				err = logins.Delete([]byte(id))
			} else {
				err = logins.Put([]byte(id), []byte(iface))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("scratch file %s: %w", s.path, err)
	}
	clear(s.agents)
	clear(s.logins)
	return nil
}

// Each calls fn with every agent in the order they were added.
func (s *AgentScratch) Each(fn func(queue.AgentConfig) error) error {
	if err := s.flush(); err != nil {
		return err
	}
	return s.bolt.View(func(tx *bolt.Tx) error {
		agents := tx.Bucket(scratchAgents)
		c := tx.Bucket(scratchOrder).Cursor()
		for _, key := c.First(); key != nil; _, key = c.Next() {
			e, ok, err := decodeScratchAgent(string(key), agents.Get(key))
			if err == nil && !ok {
				err = fmt.Errorf("scratch agent %s: missing", key)
			}
			if err != nil {
				return err
			}
			if err := fn(e.a); err != nil {
				return err
			}
		}
		return nil
	})
}

// ConfigView is the database's configuration as an import's plan compares
// with it (queuesconf.Existing): queues and agents read one at a time,
// agents found by device through an index it writes in the scratch file.
type ConfigView struct {
	db      *DB
	scratch *AgentScratch
	ctx     context.Context
}

// ConfigView indexes the database's agents by device into scratch. A nil
// db is an empty database.
func (db *DB) ConfigView(ctx context.Context, scratch *AgentScratch) (*ConfigView, error) {
	v := &ConfigView{db: db, scratch: scratch, ctx: ctx}
	if db == nil {
		return v, nil
	}
	pending := map[string]string{}
	write := func() error {
		err := scratch.bolt.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(scratchDevices)
			for _, dev := range slices.Sorted(maps.Keys(pending)) {
				if b.Get([]byte(dev)) != nil {
					continue // the first by login holds it
				}
				if err := b.Put([]byte(dev), []byte(pending[dev])); err != nil {
					return err
				}
			}
			return nil
		})
		clear(pending)
		return err
	}
	// Agents come in login order, so the first of a device is the first
	// by login.
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAgents).ForEach(func(k, raw []byte) error {
			var a Agent
			if err := json.Unmarshal(raw, &a); err != nil {
				return fmt.Errorf("decode agent %s: %w", k, err)
			}
			dev := strings.ToLower(a.Config.Device)
			if _, seen := pending[dev]; dev == "" || seen {
				return nil
			}
			pending[dev] = string(k)
			if len(pending) >= scratchBatch {
				return write()
			}
			return nil
		})
	})
	if err == nil {
		err = write()
	}
	if err != nil {
		return nil, fmt.Errorf("index the agents of %s by device: %w", db.path, err)
	}
	return v, nil
}

func (v *ConfigView) Queue(name string) (queue.QueueConfig, bool, error) {
	if v.db == nil {
		return queue.QueueConfig{}, false, nil
	}
	q, err := v.db.Queue(v.ctx, name)
	if errors.Is(err, queue.ErrNotFound) {
		return q, false, nil
	}
	return q, err == nil, err
}

func (v *ConfigView) Agent(id string) (queue.AgentConfig, bool, error) {
	if v.db == nil {
		return queue.AgentConfig{}, false, nil
	}
	a, err := v.db.GetAgent(v.ctx, id)
	if errors.Is(err, queue.ErrNotFound) {
		return queue.AgentConfig{}, false, nil
	}
	return a.Config, err == nil, err
}

func (v *ConfigView) AgentByDevice(device string) (queue.AgentConfig, bool, error) {
	if v.db == nil {
		return queue.AgentConfig{}, false, nil
	}
	var id string
	err := v.scratch.bolt.View(func(tx *bolt.Tx) error {
		id = string(tx.Bucket(scratchDevices).Get([]byte(strings.ToLower(device))))
		return nil
	})
	if err != nil || id == "" {
		return queue.AgentConfig{}, false, err
	}
	return v.Agent(id)
}

// Rewrite runs fn on a copy of the database and, when fn succeeds, puts
// the copy in the file's place (fsynced, then renamed: a crash leaves the
// old file or the new one): a change too big for one transaction is still
// all or nothing. When fn fails the copy is removed and the file is as it
// was. db goes on reading the file it opened, the old one: close it after.
func (db *DB) Rewrite(ctx context.Context, fn func(cp *DB) error) error {
	tmp := db.path + ".rewrite"
	// One left by a crash in an earlier Rewrite is a copy never renamed.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("rewrite %s: %w", db.path, err)
	}
	fi, err := os.Stat(db.path)
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", db.path, err)
	}
	err = db.view(ctx, func(tx *bolt.Tx) error { return tx.CopyFile(tmp, fi.Mode().Perm()) })
	if err != nil {
		_ = os.Remove(tmp) // a partial copy is nobody's
		return fmt.Errorf("rewrite %s: copy it: %w", db.path, err)
	}
	cp, err := Open(tmp, Options{NoSync: true, Logger: db.log, Location: db.opts.Location, BcryptCost: db.opts.BcryptCost})
	if err == nil {
		err = fn(cp)
		if err == nil {
			err = cp.bolt.Sync()
		}
		if cerr := cp.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = sameOwnerAndMode(tmp, fi)
	}
	if err == nil {
		err = os.Rename(tmp, db.path)
	}
	if err != nil {
		_ = os.Remove(tmp) // the file itself was not touched
		return fmt.Errorf("rewrite %s: %w", db.path, err)
	}
	// The rename itself is durable once the directory is.
	if d, err := os.Open(filepath.Dir(db.path)); err == nil {
		if err := d.Sync(); err != nil {
			db.log.Warn("fsync the database's directory after the rewrite", "dir", filepath.Dir(db.path), "err", err)
		}
		_ = d.Close()
	}
	return nil
}

// sameOwnerAndMode gives the copy the file's mode (whatever the umask)
// and owner: an import run as root into the service's database must leave
// it the service's.
func sameOwnerAndMode(path string, fi os.FileInfo) error {
	if err := os.Chmod(path, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("give the copy the file's mode: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Getuid() && int(st.Gid) == os.Getgid() {
		return nil
	}
	if err := os.Chown(path, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("give the copy the file's owner %d:%d: %w", st.Uid, st.Gid, err)
	}
	return nil
}
