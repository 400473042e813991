//go:build !windows

package service

// withHint adds advice to a service manager error; only Windows has some.
func withHint(err error) error { return err }
