// Package carrier tells the carrier (operator) of a mainland mobile
// number: China Mobile "cmcc", China Unicom "cucc", China Telecom "ctcc",
// China Broadnet "cbn", or "" (unknown). Routing (internal/routing) picks
// channels by it.
//
// A Resolver (New, Carriers) answers in this order:
//
//  1. portability (携号转网), when carriers.portability is on: a moved
//     number's current carrier, kept in Redis (store/portability.go, one
//     round trip per call, sharded over 256 hashes) and managed through
//     /admin/portability (CSV import);
//  2. the lookup hook, when carriers.lookup_url is set: GET
//     <lookup_url>?number=<11 digits> answered 200 {"carrier":"cmcc"}
//     ("" = the hook does not know). Anything else (other status, bad
//     JSON, unknown code, no answer within lookup_timeout) is a failed
//     lookup: the range decides, the metric smsbridge_carrier_lookups_total
//     counts it, and a warning is logged at most every 10 s (numbers only
//     at debug). Answers are cached per replica (lookup_cache_ttl; no
//     carrier and failures lookup_negative_ttl; at most lookup_cache_size
//     numbers) and at most LookupConcurrency requests are in flight;
//  3. the number range (号段): the table shipped as data (data/ranges.tsv,
//     its header gives source, date and how to update it) with the
//     carriers.ranges overrides; the longest prefix wins.
//
// The package's Config is the carriers section of config.yaml (defaults
// and checks here, once). Its durations are time.Duration rather than
// registry.Duration so that package registry may import this package (to
// check channels[].carriers with Valid) without an import cycle.
//
// ParseCSVLine reads one line of a portability import ("number,carrier").
package carrier
