package store

import "sync"

// recordCache remembers decoded records by their exact stored bytes.
// Decoding is a pure function of those bytes, so a hit is always right
// whatever changed since; it only saves work. A send resolves two names,
// and without it each costs two JSON decodes inside the write
// transaction, where every microsecond holds up the whole batch.
type recordCache[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// maxCached bounds a cache; when full it starts over.
const maxCached = 4096

// decode decodes raw (the value at k) into v, from the cache if it can.
// T must hold no slices or maps that a caller could change.
func (c *recordCache[T]) decode(k, raw []byte, v *T) error {
	c.mu.Lock()
	x, ok := c.m[string(raw)]
	c.mu.Unlock()
	if ok {
		*v = x
		return nil
	}
	if err := decode(k, raw, v); err != nil {
		return err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]T)
	}
	c.m[string(raw)] = *v
	c.mu.Unlock()
	return nil
}

var (
	nameCache     recordCache[nameRecord]
	identityCache recordCache[identityRecord]
)
