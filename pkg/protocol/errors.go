package protocol

import (
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code. Codes are never renamed or
// reused; clients switch on them.
type Code string

// The error codes of API version 1. docs/protocol.md and docs/troubleshooting.md
// describe each; TestCodesDocumented keeps the lists in step.
const (
	// Request shape.
	CodeMalformedJSON    Code = "malformed_json"   // the body is not valid JSON
	CodeUnknownField     Code = "unknown_field"    // the body names a field this endpoint does not take
	CodeInvalidArgument  Code = "invalid_argument" // a field has a value out of range or of the wrong form
	CodeBodyTooLarge     Code = "body_too_large"   // the request body is over the daemon's limit
	CodeNotFound         Code = "not_found"        // no such endpoint or object
	CodeMethodNotAllowed Code = "method_not_allowed"
	CodeOriginForbidden  Code = "origin_forbidden" // the request carried an Origin header (a browser)
	CodePeerForbidden    Code = "peer_forbidden"   // the socket peer is another OS user

	// Names.
	CodeInvalidName  Code = "invalid_name"  // not ^[A-Za-z0-9_-]{1,32}$
	CodeReservedName Code = "reserved_name" // system, all, *
	CodeNameTaken    Code = "name_taken"    // held by a live session (register) or by another identity (rename)

	// Authentication.
	CodeUnauthorized     Code = "unauthorized"      // no session token where one is needed, or no nonce and proof in secure mode
	CodeSessionExpired   Code = "session_expired"   // the token is unknown, revoked or idle too long; register again
	CodeBadProof         Code = "bad_proof"         // the HMAC proof does not match: wrong secret
	CodeNonceInvalid     Code = "nonce_invalid"     // the nonce is unknown or was already used
	CodeNonceExpired     Code = "nonce_expired"     // the nonce is older than its lifetime
	CodeIdentityMismatch Code = "identity_mismatch" // the token belongs to another name than the one asked for
	CodeAdminRequired    Code = "admin_required"    // the endpoint needs an admin session

	// Limits.
	CodeMessageTooLarge   Code = "message_too_large"   // content over the message size limit
	CodeEmptyMessage      Code = "empty_message"       // content is empty
	CodeInboxFull         Code = "inbox_full"          // the recipient has as many unread messages as allowed
	CodeRateLimited       Code = "rate_limited"        // the sender is over its send rate (also: too many wrong proofs)
	CodeTooManyPending    Code = "too_many_pending"    // the sender has too many names waiting for registration
	CodeRenameCooldown    Code = "rename_cooldown"     // renamed less than an hour ago
	CodeStorageFull       Code = "storage_full"        // the database reached its size cap, or the disk is full
	CodeTooManyChallenges Code = "too_many_challenges" // too many outstanding nonces
	CodeUnavailable       Code = "unavailable"         // the daemon is shutting down (reserved: today it closes its listeners instead)
	CodeInternal          Code = "internal"            // a bug or an I/O failure; the daemon log says more
)

// Status is the HTTP status that goes with a code.
func (c Code) Status() int {
	switch c {
	case CodeMalformedJSON, CodeUnknownField, CodeInvalidArgument, CodeInvalidName,
		CodeReservedName, CodeEmptyMessage:
		return http.StatusBadRequest
	case CodeUnauthorized, CodeSessionExpired, CodeBadProof, CodeNonceInvalid, CodeNonceExpired:
		return http.StatusUnauthorized
	case CodeOriginForbidden, CodePeerForbidden, CodeIdentityMismatch, CodeAdminRequired:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeNameTaken:
		return http.StatusConflict
	case CodeBodyTooLarge, CodeMessageTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeInboxFull, CodeStorageFull:
		return http.StatusInsufficientStorage
	case CodeRateLimited, CodeTooManyPending, CodeRenameCooldown, CodeTooManyChallenges:
		return http.StatusTooManyRequests
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// AllCodes lists every code, for documentation checks and clients that want
// to enumerate them.
func AllCodes() []Code {
	return []Code{
		CodeMalformedJSON, CodeUnknownField, CodeInvalidArgument, CodeBodyTooLarge,
		CodeNotFound, CodeMethodNotAllowed, CodeOriginForbidden, CodePeerForbidden,
		CodeInvalidName, CodeReservedName, CodeNameTaken,
		CodeUnauthorized, CodeSessionExpired, CodeBadProof, CodeNonceInvalid,
		CodeNonceExpired, CodeIdentityMismatch, CodeAdminRequired,
		CodeMessageTooLarge, CodeEmptyMessage, CodeInboxFull, CodeRateLimited,
		CodeTooManyPending, CodeRenameCooldown, CodeStorageFull, CodeTooManyChallenges,
		CodeUnavailable, CodeInternal,
	}
}

// Error is the one error shape of the API. On the wire it is the value of
// the "error" member of ErrorResponse.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Details carries facts a client can act on, such as "last_seen" for
	// name_taken or "retry_after_ms" for rate_limited.
	Details map[string]any `json:"details,omitempty"`
}

// ErrorResponse is the body of every non-2xx response.
type ErrorResponse struct {
	Error *Error `json:"error"`
}

func (e *Error) Error() string { return e.Message }

// Is lets errors.Is match on the code alone: errors.Is(err, &Error{Code: CodeNameTaken}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf builds an Error with a formatted sentence.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetail returns e with one more detail set.
func (e *Error) WithDetail(key string, value any) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[key] = value
	return e
}
