// Package tests holds smsbridge's end-to-end tests: the real HTTP API, a
// real Redis (see internal/testenv), the real ISMG simulator over TCP and a
// real webhook receiver, with the gateway in-process or as the built
// binary (crash and multi-replica tests).
package tests
