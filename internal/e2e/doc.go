// Package e2e holds the end-to-end tests: they build ipcd and ipc-mcp,
// start ipc-mcp processes over stdio with no daemon running, and carry a
// conversation through them as AI clients would. It has no code of its own.
package e2e
