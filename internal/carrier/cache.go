package carrier

import (
	"sync"
	"time"
)

// cache keeps the hook's answers per number, each until its own expiry,
// holding at most size numbers: when full, the entry stored first leaves
// (a ring of keys in insertion order). Safe for concurrent use.
type cache struct {
	mu      sync.Mutex
	size    int
	entries map[string]cacheEntry
	ring    []string // insertion order; ring[next] is the oldest once full
	next    int
}

type cacheEntry struct {
	carrier string
	expires time.Time
}

func newCache(size int) *cache {
	return &cache{size: size, entries: make(map[string]cacheEntry, min(size, 1024))}
}

// get returns the cached carrier of number ("" is a cached "use the
// range") and whether a live entry exists.
func (c *cache) get(number string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[number]
	if !ok || !now.Before(e.expires) {
		return "", false
	}
	return e.carrier, true
}

// put stores carrier for number until now+ttl.
func (c *cache) put(number, carrier string, now time.Time, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[number]; ok {
		e.carrier, e.expires = carrier, now.Add(ttl)
		c.entries[number] = e
		return
	}
	if len(c.ring) < c.size {
		c.ring = append(c.ring, number)
	} else {
		delete(c.entries, c.ring[c.next])
		c.ring[c.next] = number
		c.next = (c.next + 1) % c.size
	}
	c.entries[number] = cacheEntry{carrier: carrier, expires: now.Add(ttl)}
}

// len is the number of entries held (live or expired).
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
