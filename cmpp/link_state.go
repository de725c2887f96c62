package cmpp

// LinkState is the life-cycle state of a Link.
type LinkState int32

// Link states, in the order a link goes through them.
const (
	// StateConnecting: TCP dial and CONNECT in progress (inside Dial).
	StateConnecting LinkState = iota
	// StateReady: logged in, accepting requests.
	StateReady
	// StateClosing: Close has begun; in-flight requests finish, new ones
	// are refused.
	StateClosing
	// StateClosed: the link is down; Done is closed and Err says why.
	StateClosed
)

var linkStateNames = [...]string{
	StateConnecting: "connecting",
	StateReady:      "ready",
	StateClosing:    "closing",
	StateClosed:     "closed",
}

// String returns "connecting", "ready", "closing" or "closed".
func (s LinkState) String() string {
	if s >= 0 && int(s) < len(linkStateNames) {
		return linkStateNames[s]
	}
	return "unknown"
}
