// Package netguard owns the policy of where smsbridge may send webhooks:
// which callback URLs are accepted (CheckURL, used by the API, the
// configuration and the dispatcher) and which addresses a webhook
// connection may reach (CheckAddr, applied to every resolved address at
// connect time by DialControl, so that neither a name nor a DNS rebinding
// leads to loopback, private, link-local or metadata addresses).
package netguard
