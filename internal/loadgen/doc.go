// Package loadgen is the end-to-end load tool behind `smsbridge bench`: it
// drives a running smsbridge through its public HTTP API at a target rate
// (open loop: requests start on schedule whatever the answers do, up to a
// cap of requests in flight), receives the sms.status webhooks on its own
// HTTP receiver, and reports throughput (requests accepted, segments
// submitted, reports, webhooks per second), latency percentiles (HTTP
// accept; accept → webhook per recipient), errors, lost recipients and the
// service's CPU and RSS read from its /metrics.
//
// Spawn starts a local service and ISMG simulator as child processes of the
// current binary against a real Redis, for reproducible figures.
package loadgen
