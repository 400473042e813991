package importer

import (
	"context"
	"fmt"
)

// Run sends src to t: first the names, then the messages in batches, in
// order. It returns the report of what happened; on an error the report
// counts what was done before it, and running the import again is safe:
// messages already imported are skipped by their keys.
func Run(ctx context.Context, src *Source, t Target) (*Report, error) {
	r := src.report.clone()
	if len(src.Names) > 0 {
		created, err := t.ImportNames(ctx, src.Names)
		if err != nil {
			return r, fmt.Errorf("import names: %w", err)
		}
		if created < 0 || created > len(src.Names) {
			return r, fmt.Errorf("import names: %w: %d new of %d", ErrTarget, created, len(src.Names))
		}
		r.Names.Created = created
		r.Names.AlreadyKnown = len(src.Names) - created
	}
	size := src.batchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	for start := 0; start < len(src.Messages); start += size {
		if err := ctx.Err(); err != nil {
			return r, fmt.Errorf("import messages: %w", err)
		}
		batch := src.Messages[start:min(start+size, len(src.Messages))]
		imported, err := t.ImportMessages(ctx, batch)
		if err != nil {
			// What went in before the failure is reported too.
			r.Messages.Imported += max(imported, 0)
			return r, fmt.Errorf("import messages %d-%d of %d: %w", start+1, start+len(batch), len(src.Messages), err)
		}
		if imported < 0 || imported > len(batch) {
			return r, fmt.Errorf("import messages: %w: %d new of %d", ErrTarget, imported, len(batch))
		}
		r.Messages.Imported += imported
		r.Messages.AlreadyImported += len(batch) - imported
	}
	return r, nil
}
