package auth

import (
	"net"

	"github.com/ipcd/ipcd/pkg/protocol"
)

// Peer is what the OS tells about the other end of a connection.
type Peer struct {
	// UID is the peer's user id; Known is false where the OS does not say
	// (TCP, Windows).
	UID   int
	Known bool
	TCP   bool
}

// PeerOf asks the OS who is on the other end of c.
func PeerOf(c net.Conn) Peer {
	if _, ok := c.(*net.TCPConn); ok {
		return Peer{TCP: true}
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}
	}
	uid, ok := peerUID(uc)
	return Peer{UID: uid, Known: ok}
}

// CheckPeer refuses a peer that the OS says is another user than ours.
func CheckPeer(p Peer, ourUID int) error {
	if p.Known && p.UID != ourUID {
		return protocol.Errorf(protocol.CodePeerForbidden,
			"this daemon serves only its own OS user (uid %d); you are uid %d", ourUID, p.UID)
	}
	return nil
}
