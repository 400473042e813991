package ipcdcli

import (
	"os/exec"
	"runtime"
	"testing"
	"time"
)

// terminate stops a process and processGone sees it go: what "ipcd stop"
// does to a daemon older than the shutdown request, and how it waits for
// any daemon's process to end.
func TestTerminateAndProcessGone(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sleep")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait() // reap it, as init reaps a detached daemon
	pid := cmd.Process.Pid
	if processGone(pid) {
		t.Fatal("a running process counts as gone")
	}
	if err := terminate(pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatal("the process did not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
