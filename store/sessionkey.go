package store

import (
	"context"
	"crypto/rand"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// keySessionKey holds, in the meta bucket, the key that signs the web
// console's session cookies.
var keySessionKey = []byte("session_key")

// SessionKeySize is the length of the key SessionKey creates.
const SessionKeySize = 32

// SessionKey returns the key that signs web session cookies, creating 32
// random bytes the first time. Keeping it in the database is what lets
// browsers stay logged in across a restart; whoever can read the file can
// forge sessions, as they could already read every password hash.
func (db *DB) SessionKey(ctx context.Context) ([]byte, error) {
	var key []byte
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keySessionKey); len(v) >= SessionKeySize {
			key = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read session key: %w", err)
	}
	if key != nil {
		return key, nil
	}
	created := false
	err = db.update(ctx, func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySessionKey); len(v) >= SessionKeySize {
			// Another caller created it between our two transactions.
			key = append([]byte(nil), v...)
			return nil
		}
		// None yet, or one too short to trust (edited by hand): a new key
		// only logs the browsers out.
		key = make([]byte, SessionKeySize)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("random: %w", err)
		}
		created = true
		return meta.Put(keySessionKey, key)
	})
	if err != nil {
		return nil, fmt.Errorf("create session key: %w", err)
	}
	if created {
		db.log.Info("created web session key", "path", db.path)
	}
	return key, nil
}
