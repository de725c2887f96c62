// Package webhook delivers smsbridge events (sms.status, sms.mo) to the
// tenants' callback URLs: signed POSTs, exponential back-off with jitter for
// a configurable period, then a dead letter. Events come from the Redis
// outbox in package store, so delivery survives restarts and never blocks
// the CMPP side.
package webhook
