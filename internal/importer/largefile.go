package importer

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// The earlier tool stored content over 10 KB in a Markdown file and kept
// "SUMMARY Full content saved to: PATH" as the message. The file starts with
// fileHeader and has the content after contentMarker, then one newline.
const (
	savedMarker   = "Full content saved to:"
	fileHeader    = "# IPC Message\n"
	contentMarker = "\n## Content\n"
	// headerSlack bounds the file's header lines (From, To, Time, Size).
	headerSlack = 4096
)

// looksLikeSummary reports whether content is the earlier tool's stand-in
// for a large message rather than the message itself.
func looksLikeSummary(content, summary string) bool {
	if strings.Contains(content, savedMarker) {
		return true
	}
	s := strings.TrimSpace(summary)
	return s != "" && strings.TrimSpace(content) == s
}

// fileOutcome says what readLargeFile found.
type fileOutcome int

const (
	fileUsed       fileOutcome = iota
	fileMissing                // no such file
	fileNotRegular             // a directory, symlink or device
	fileUnknown                // not in the earlier tool's format
	fileTooLarge               // over the size limit
	fileUnreadable             // an I/O error
)

// readLargeFile returns the full content saved in the earlier tool's file at
// path (relative paths are taken from dir). Only a regular file in the
// earlier tool's format is read, so a hand-edited row cannot pull an
// arbitrary file of the user's into someone's inbox.
func readLargeFile(path, dir string, maxBytes int) (content string, outcome fileOutcome, detail string) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	info, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return "", fileMissing, ""
	}
	if err != nil {
		return "", fileUnreadable, err.Error()
	}
	if !info.Mode().IsRegular() {
		return "", fileNotRegular, ""
	}
	if info.Size() > int64(maxBytes)+headerSlack {
		return "", fileTooLarge, sizeText(info.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fileUnreadable, err.Error()
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(maxBytes)+headerSlack+1))
	if err != nil {
		return "", fileUnreadable, err.Error()
	}
	text := string(b)
	if !strings.HasPrefix(text, fileHeader) {
		return "", fileUnknown, ""
	}
	i := strings.Index(text, contentMarker)
	if i < 0 {
		return "", fileUnknown, ""
	}
	full := strings.TrimSuffix(text[i+len(contentMarker):], "\n")
	if len(full) > maxBytes {
		return "", fileTooLarge, sizeText(int64(len(full)))
	}
	return full, fileUsed, ""
}

// sizeText writes n bytes for people: "512 B", "10.5 KiB", "2.0 MiB".
func sizeText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}
