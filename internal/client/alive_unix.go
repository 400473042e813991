//go:build unix

package client

import (
	"errors"
	"net"
	"syscall"
)

// alive reports whether a kept connection is still open: the daemon sends
// nothing unasked, so a connection with something to read has been closed
// (end of file) or broken. It peeks without blocking and reads nothing.
func alive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := true
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK):
			// Nothing to read: open. Returning true ends the call
			// instead of waiting for the socket to become readable.
		case err != nil, n == 0:
			open = false // closed or broken
		default:
			open = false // unasked bytes: not a state to reuse
		}
		return true
	})
	return err == nil && open
}
