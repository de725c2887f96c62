package cmppserver

// front is the server's state for accepting and running links (owner:
// the connection layer: server.go, conn*.go, login.go).
type front struct{}
