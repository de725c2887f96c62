package cmppserver

// back is the server's state for storing SUBMITs and delivering reports
// (owner: submit.go, batch.go, msgid.go, pump.go, control.go).
type back struct{}
