// Package loadgen is the end-to-end load tool behind `smsbridge bench`: it
// drives a running smsbridge through its public HTTP API at a target rate
// (open loop: requests start on schedule whatever the answers do, up to a
// cap of requests in flight), receives the sms.status webhooks on its own
// HTTP receiver, and reports throughput (requests accepted, segments
// submitted, reports, webhooks per second), latency percentiles (HTTP
// accept; accept → webhook per recipient), errors, lost recipients and the
// service's CPU and RSS read from its /metrics, and, given a Redis address,
// that Redis server's own accounting per message (INFO cpu, memory and
// commandstats: the only command the tool sends it).
//
// Spawn starts a local service and ISMG simulator as child processes of the
// current binary against a real Redis, for reproducible figures (with Hold
// the channel's upstream is unreachable, so segments stay queued). Presets
// name the workloads of `smsbridge bench -preset`.
package loadgen
