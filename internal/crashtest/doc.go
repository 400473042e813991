// Package crashtest is the crash-safety harness: it runs a real ipcd
// binary as a child process, drives it with several concurrent clients,
// kills it with SIGKILL at random moments and restarts it, and then checks
// the promise ipcd makes: every send a client saw acknowledged reaches its
// recipient, in the order each sender sent it, and the database opens
// cleanly after every kill. Sends that were never acknowledged may arrive
// or not, and mail a reader had not acknowledged may arrive twice; both
// are allowed by at-least-once delivery. SIGKILL ends the process, not the
// machine, so this proves nothing is acknowledged before it is committed;
// the fsync behind each acknowledgement (against power loss) it cannot test.
//
// The test suite runs a short form (a few kills); "go test
// ./internal/crashtest -crash.long" (or IPC_CRASH_LONG=1) runs a long one.
package crashtest
