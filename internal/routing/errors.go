package routing

import "fmt"

// NoRouteError is a recipient no allowed channel reaches (or, for a named
// channel, that the channel does not reach).
type NoRouteError struct {
	// Index is the recipient's 0-based index in the numbers given to Route.
	Index int
	// Carrier is its carrier code ("" when unknown).
	Carrier string
	// Channel is the named channel, when the request named one.
	Channel string
}

// Error names the index and the carrier, never the number.
func (e *NoRouteError) Error() string {
	c := e.Carrier
	if c == "" {
		c = "unknown"
	}
	if e.Channel != "" {
		return fmt.Sprintf("recipient %d: channel %q does not reach carrier %s", e.Index, e.Channel, c)
	}
	return fmt.Sprintf("recipient %d: no allowed channel reaches carrier %s", e.Index, c)
}
