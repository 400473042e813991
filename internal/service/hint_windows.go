package service

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
)

// withHint says what to do about the one error users hit most on Windows.
func withHint(err error) error {
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return fmt.Errorf("%w: run this from an elevated (Administrator) prompt", err)
	}
	return err
}
