// Package failover decides when a channel (one operator account) counts
// as failed, for the whole cluster, and moves its never-submitted segments
// elsewhere while it is.
//
// # Rules
//
// A channel is up or down; the state lives in Redis (store.HealthTick),
// shared by every replica. Once a second (Tick) each replica flushes its
// counts of the channel and evaluates the rules in one script, which also
// performs the transition: exactly one replica performs each switch, logs
// it (one warn line: channel, rule, direction, figures) and counts it
// (smsbridge_failover_switches_total{channel,rule,direction}); every
// replica shows the state (smsbridge_channel_down, GET /readyz detail).
// The channel goes down on the first rule that holds:
//
//   - no_link: no replica has had a logged-in link for no_link_for (each
//     replica with a logged-in link refreshes "a link is up" every tick);
//   - problem_result: over the last ProblemSpan (10s), at least ProblemMin
//     (5) SUBMITs were answered with one of problem_results, and they
//     outnumber the accepted ones. Such a Result means the SUBMIT was
//     refused as a channel problem, not as a bad number: the segment is
//     retried (the sender schedules it again), never failed, so it can
//     move;
//   - failure_share: over the sliding window W, with at least
//     min_segments segments, (failed + no report) / segments exceeds
//     failure_share. Segments are those whose SUBMIT was answered in
//     [now−W, now−W/4] (accepted, or refused for good, or unanswered);
//     failed are the refused ones plus the failing status reports (Stat
//     not DELIVRD) received in [now−3W/4, now]; no report is the accepted
//     ones minus the reports received in [now−3W/4, now] (never below 0).
//     A report thus has W/4 of grace, and reports are compared with the
//     SUBMITs of a window of the same length W/4 earlier: in a steady
//     flow the two match, and a gateway that stops reporting shows as a
//     share near 1.
//
// Counting is in memory, per replica; per channel and second the
// counters go to Redis in the tick's HINCRBYs (one script call per
// channel per replica per second): nothing is added per message in Redis.
//
// # Failing back
//
// A down channel comes back up once links are up on some replica (they
// stay logged in while it is down) continuously for healthy_for and at
// least healthy_for has passed since it went down. The counters are
// cleared on the way back: traffic resumes in full, and a rule that still
// holds trips the channel again on the new traffic (for problem_result
// within seconds).
//
// # While down
//
// The sender of every replica leases no new job of the channel (jobs
// already leased are sent). A mover — one per channel in the cluster,
// under a lock with a lease in Redis — calls store.MoveUnsent with the
// router's choice (Config.Reroute) until nothing is left to move, and again
// at each tick while the channel stays down, so jobs queued meanwhile move
// too. Only segments never submitted move: a segment that was sent, or
// whose outcome is unknown (its SUBMIT_RESP lost), is never sent again on
// another channel.
package failover
