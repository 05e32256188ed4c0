package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// keyPhoneSecret holds the secret the browser phones' SIP passwords are
// derived from (webphone.Password): no password is stored, and a new
// secret changes them all.
var keyPhoneSecret = []byte("phone_secret")

// PhoneSecret returns the browser phones' secret, made (32 random bytes)
// and kept in the same transaction the first time it is asked for.
func (db *DB) PhoneSecret(ctx context.Context) ([]byte, error) {
	var out []byte
	err := db.view(ctx, func(tx *bolt.Tx) error {
		out = slices.Clone(tx.Bucket(bucketMeta).Get(keyPhoneSecret))
		return nil
	})
	if err != nil || len(out) > 0 {
		return out, err
	}
	err = db.update(ctx, func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyPhoneSecret); len(v) > 0 {
			out = slices.Clone(v) // another caller made it first
			return nil
		}
		out = make([]byte, 32)
		if _, err := rand.Read(out); err != nil {
			return err
		}
		return meta.Put(keyPhoneSecret, out)
	})
	if err != nil {
		return nil, fmt.Errorf("browser phone secret: %w", err)
	}
	return out, nil
}
