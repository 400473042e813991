package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// Size is a byte count flag that takes plain numbers or binary units:
// 1048576, 1MiB, 512KiB, 4GiB (KB, MB and GB are read as the binary units too).
type Size int64

func (s *Size) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *Size) Type() string { return "size" }

func (s *Size) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

// ParseSize reads a size such as "1MiB".
func ParseSize(v string) (int64, error) {
	t := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (examples: 1048576, 1MiB, 512KiB)", v)
	}
	return n * mult, nil
}
