//go:build !unix

package store

import bolt "go.etcd.io/bbolt"

// dropMapped does nothing where madvise is not offered.
func dropMapped(*bolt.DB, int64) {}
