// Package protocol is the public contract of the ipcd daemon: the JSON wire
// types of API version 1, the stable error codes, name rules and the HMAC
// proof that registration uses. A client in any language can be written from
// it and docs/protocol.md alone.
package protocol

// APIVersion is the version in the path prefix of every endpoint.
const APIVersion = 1

// Version is the release of this module; both binaries report it and the
// daemon answers it on /v1/health. Set at build time with
// -ldflags "-X github.com/ipcd/ipcd/pkg/protocol.Version=v1.2.3".
var Version = "0.1.0-dev"

// HTTP headers of the API.
const (
	// HeaderAuthorization carries "Bearer <token>".
	HeaderAuthorization = "Authorization"
	// HeaderName optionally states the name a request acts as; a token
	// that belongs to another name is refused with identity_mismatch.
	HeaderName = "Ipc-Name"
)
