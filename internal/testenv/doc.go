// Package testenv gives tests a Redis to run against, with a per-test key
// prefix and cleanup.
//
// Redis(t) picks, in this order:
//
//  1. the Redis at $REDIS_ADDR (host:port; a real server, never mocked);
//  2. a private redis-server started from $PATH on a free loopback port in a
//     temporary directory, shared by every test of the test binary (started
//     once, lazily);
//  3. miniredis (an in-process fake), with a visible t.Log notice.
//
// When $CI is "true" a real Redis is required: step 3 is a t.Fatal.
//
// Cluster(t) gives a 3-master Redis Cluster: the nodes in
// $REDIS_CLUSTER_ADDRS (comma separated) when set, otherwise one started from
// redis-server binaries on free ports (again shared per test binary). Without
// redis-server it calls t.Skip with a notice, except when $CI is "true".
//
// Every environment carries a random Prefix (e.g. "t9c1f04a2b7"). Tests must
// build every key they write from it (store.Options.Prefix = env.Prefix);
// t.Cleanup deletes every key containing "<Prefix>:" (SCAN + UNLINK, on each
// master of a cluster) and closes the client.
//
// # Private servers
//
// Packages whose tests may start a private server must stop it when the
// test binary ends. Call Main from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// Main runs the tests, kills every server this package started, removes
// their temporary directories and exits with the tests' status. As a safety
// net for binaries without Main, servers are started with
// Pdeathsig = SIGKILL (Linux) from an OS thread that never exits, so the
// kernel kills them when the test process dies; their temporary directories
// are then left behind in $TMPDIR.
package testenv
