package metrics

import "sync"

// childCache remembers the child collector a Vec returned for one set of
// label values, so a hot path pays one map lookup under a read lock instead
// of WithLabelValues (hashing every label value, then a lookup under the
// Vec's own lock) and, for numeric labels, formatting the number. Its keys
// must come from a bounded set (route patterns, method labels, status
// codes, channel names): entries are never evicted, exactly as the Vec
// never forgets a series.
type childCache[K comparable, V any] struct {
	mu       sync.RWMutex
	children map[K]V
}

// get returns the child of key k, creating it with newChild (which calls
// WithLabelValues) on the first use of k.
func (c *childCache[K, V]) get(k K, newChild func() V) V {
	c.mu.RLock()
	v, ok := c.children[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.children[k]; ok {
		return v
	}
	if c.children == nil {
		c.children = make(map[K]V)
	}
	v = newChild()
	c.children[k] = v
	return v
}
