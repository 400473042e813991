package store

import (
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ipcd/ipcd/pkg/protocol"
)

func (a autoCheck) interval() int {
	if a.Interval == 0 {
		return protocol.AutoCheckDefaultMinutes
	}
	return a.Interval
}

// view is the setting as the API shows it.
func (a autoCheck) view() protocol.AutoCheck {
	v := protocol.AutoCheck{Enabled: a.Enabled, IntervalMinutes: a.interval()}
	if !a.LastRun.IsZero() {
		last := a.LastRun
		v.LastRun = &last
	}
	if a.Enabled && !a.LastRun.IsZero() {
		next := a.LastRun.Add(time.Duration(a.interval()) * time.Minute)
		v.NextDue = &next
	}
	return v
}

// SetAutoCheck turns auto checking on or off for name. A zero interval
// keeps the current one.
func (s *Store) SetAutoCheck(name string, enabled bool, interval int) (protocol.AutoCheck, error) {
	if interval != 0 && (interval < protocol.AutoCheckMinMinutes || interval > protocol.AutoCheckMaxMinutes) {
		return protocol.AutoCheck{}, protocol.Errorf(protocol.CodeInvalidArgument,
			"the auto-check interval is %d minutes; it must be from %d to %d",
			interval, protocol.AutoCheckMinMinutes, protocol.AutoCheckMaxMinutes)
	}
	now := s.clock.Now()
	var out protocol.AutoCheck
	err := s.update(func(tx *bolt.Tx) error {
		rec, err := mustResolve(tx, name, now)
		if err != nil {
			return err
		}
		rec.AutoCheck.Enabled = enabled
		if interval != 0 {
			rec.AutoCheck.Interval = interval
		}
		if enabled {
			// Turning it on counts as a check now: the first is due one
			// interval later, not at once.
			rec.AutoCheck.LastRun = now
		}
		out = rec.AutoCheck.view()
		return saveIdentity(tx, rec)
	})
	return out, err
}

// AutoCheck returns name's auto-check setting.
func (s *Store) AutoCheck(name string) (protocol.AutoCheck, error) {
	now := s.clock.Now()
	var out protocol.AutoCheck
	err := s.view(func(tx *bolt.Tx) error {
		rec, err := mustResolve(tx, name, now)
		out = rec.AutoCheck.view()
		return err
	})
	return out, err
}

// AutoCheckDue reports whether an auto check is due for name now and, if
// it is (or force is set), records this moment as the last run. Calls that
// find nothing due write nothing, so hooks may call it on every turn.
func (s *Store) AutoCheckDue(name string, force bool) (due bool, setting protocol.AutoCheck, err error) {
	now := s.clock.Now()
	isDue := func(a autoCheck) bool {
		return a.Enabled && !now.Before(a.LastRun.Add(time.Duration(a.interval())*time.Minute))
	}
	err = s.view(func(tx *bolt.Tx) error {
		rec, err := mustResolve(tx, name, now)
		due, setting = isDue(rec.AutoCheck), rec.AutoCheck.view()
		return err
	})
	if err != nil || !(due || force) {
		return due, setting, err
	}
	err = s.update(func(tx *bolt.Tx) error {
		rec, err := mustResolve(tx, name, now)
		if err != nil {
			return err
		}
		due = isDue(rec.AutoCheck)
		if !due && !force {
			setting = rec.AutoCheck.view()
			return nil
		}
		if rec.AutoCheck.Enabled {
			rec.AutoCheck.LastRun = now
		}
		setting = rec.AutoCheck.view()
		return saveIdentity(tx, rec)
	})
	return due, setting, err
}

func sortInfos(infos []IdentityInfo) {
	slices.SortFunc(infos, func(a, b IdentityInfo) int { return strings.Compare(a.Name, b.Name) })
	for i := range infos {
		slices.Sort(infos[i].ForwardedFrom)
	}
}
