// Package cmppserver is smsbridge's CMPP front door: customers' own CMPP
// 2.0/3.0 clients log in with their tenant's CMPP account, SUBMIT
// segments that are stored in the same durable queues as POST /sms, and
// get status reports and MO messages back as DELIVERs, from any replica.
//
// Files: config.go (the cmpp_server section, its defaults and checks),
// server.go (listener, TLS, accept, Run and its shutdown order),
// server_watch.go (link-slot renewal, registry watch), front.go /
// front_metrics.go (the link registry by account, links and logins
// metrics), account.go (account lookup and the checks a logged-in link
// must keep passing), link_api.go (what the backend sees of a link),
// conn.go / conn_read.go / conn_write.go / conn_window.go (one customer
// link: lifecycle, read loop, batched writer with the ACTIVE_TEST timer,
// DELIVER window with resend, TERMINATE), login.go (CONNECT:
// authentication, versions, address rules, link slots, failed-login
// throttle),
// submit.go / batch.go (SUBMIT validation and group commit to the store),
// route.go (each SUBMIT's channel by carrier, in the commit),
// msgid.go (Msg_Id assignment), pump.go (report and MO delivery per
// account), control.go (QUERY, CANCEL), metrics.go. The Stat of an outcome
// (store.CMPPStat) is the store's: it builds the report entries.
package cmppserver
