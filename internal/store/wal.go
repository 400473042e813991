package store

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
)

// The write-ahead log makes the hot writes (sends, broadcasts and
// acknowledgements) durable with one append and one fdatasync, where a
// bbolt commit costs a page write per touched page and two fdatasyncs.
//
// The writer keeps one bbolt write transaction open across batches. A
// batch of logged writes is applied to it, its redo entries are appended
// to the log as one record and synced, and only then are its callers
// answered. Every so often (see checkpointDue) the open transaction is
// committed the normal, synced way, with the last log sequence number (LSN)
// it holds stored in the meta bucket; that commit is a checkpoint, and the
// log starts again at its beginning. Any other write (register, rename,
// sweep, ...) is made durable by such a commit, never by the log, so after
// the last checkpoint the log holds only redo entries, which replay
// reproduces exactly.
//
// Readers see the open transaction: while it holds logged writes, reads run
// in the writer goroutine inside it (see Store.view); otherwise they use
// their own read transactions. bbolt itself never skips a fsync, so the
// file is as crash-safe as before; what the log adds is replayed by Open.
//
// A record is: CRC-32C of the rest (4 bytes), payload length (4), the
// database's log id (8), the LSN (8), then the payload: redo entries. The
// file is grown in zeroed chunks and reused from its start after every
// checkpoint, so an append overwrites allocated blocks and its fdatasync
// writes no file metadata. Replay starts at offset 0 and applies records
// whose LSNs follow the checkpoint's one by one; it stops at the first
// record that is short, fails its CRC, belongs to another database (a
// restored backup, a copied file) or is out of sequence (an older cycle's
// record beyond the newest one's end).

const (
	walHeader = 24
	// walChunk is how much the log file grows at a time, as zeros.
	walChunk = 1 << 20
	// walCheckpointBytes: a cycle whose records pass this checkpoints.
	walCheckpointBytes = 8 << 20
)

var (
	kWALID  = []byte("wal_id")  // meta: random id tying the log to this database
	kWALLSN = []byte("wal_lsn") // meta: the LSN the database holds everything up to

	crcTable = crc32.MakeTable(crc32.Castagnoli)
)

// WALPath is where the write-ahead log of the database at dbPath lives.
func WALPath(dbPath string) string { return dbPath + "-wal" }

// Redo entry kinds.
const (
	entryDeliver byte = 1 // inbox u64, seq u64, message id u64, len u32, record
	entryCursor  byte = 2 // inbox u64, seq acknowledged u64
)

// redo collects the writes of logged ops in the log's encoding. A nil
// *redo records nothing: the op runs in a transaction committed the normal
// way.
type redo struct {
	buf []byte
	// bound is how much the entries may grow the file when checkpointed:
	// their bytes plus a few pages each for the leaves and branches they
	// dirty.
	bound int64
	// unlogged is set by an op that wrote something no entry expresses.
	unlogged bool
	pageSize int64
}

// deliver records a message put in inbox to at seq with message id id;
// v is the stored record.
func (r *redo) deliver(to, seq, id uint64, v []byte) {
	if r == nil {
		return
	}
	r.buf = append(r.buf, entryDeliver)
	r.buf = binary.BigEndian.AppendUint64(r.buf, to)
	r.buf = binary.BigEndian.AppendUint64(r.buf, seq)
	r.buf = binary.BigEndian.AppendUint64(r.buf, id)
	r.buf = binary.BigEndian.AppendUint32(r.buf, uint32(len(v)))
	r.buf = append(r.buf, v...)
	r.bound += int64(len(v)) + 4*r.pageSize
}

// cursor records inbox id acknowledged through seq.
func (r *redo) cursor(id, through uint64) {
	if r == nil {
		return
	}
	r.buf = append(r.buf, entryCursor)
	r.buf = binary.BigEndian.AppendUint64(r.buf, id)
	r.buf = binary.BigEndian.AppendUint64(r.buf, through)
	r.bound += 2 * r.pageSize
}

// markUnlogged says the op is about to write what no entry expresses; its
// batch is then made durable by a bbolt commit instead of the log.
func (r *redo) markUnlogged() {
	if r != nil {
		r.unlogged = true
	}
}

// errCorruptEntry means a record passed its CRC but its entries do not
// parse: written by a different encoding, never by this one.
var errCorruptEntry = errors.New("write-ahead log: malformed redo entry")

// applyEntries replays one record's entries.
func applyEntries(tx *bolt.Tx, p []byte) error {
	meta, mail, idx, cursors := tx.Bucket(bMeta), tx.Bucket(bMail), tx.Bucket(bIndex), tx.Bucket(bCursors)
	for len(p) > 0 {
		switch p[0] {
		case entryDeliver:
			if len(p) < 29 {
				return errCorruptEntry
			}
			to, seq, id := p[1:9], binary.BigEndian.Uint64(p[9:17]), binary.BigEndian.Uint64(p[17:25])
			n := int(binary.BigEndian.Uint32(p[25:29]))
			if len(p) < 29+n {
				return errCorruptEntry
			}
			v := p[29 : 29+n]
			p = p[29+n:]
			mb := mail.Bucket(to)
			if mb == nil {
				return fmt.Errorf("write-ahead log: message %d for inbox %d, which does not exist", id, u64(to))
			}
			mb.FillPercent, idx.FillPercent = appendFill, appendFill
			if err := mb.SetSequence(seq); err != nil {
				return err
			}
			if err := mb.Put(key(seq), v); err != nil {
				return err
			}
			if err := idx.Put(key(id), append(key(u64(to)), key(seq)...)); err != nil {
				return err
			}
			if id > meta.Sequence() {
				if err := meta.SetSequence(id); err != nil {
					return err
				}
			}
		case entryCursor:
			if len(p) < 17 {
				return errCorruptEntry
			}
			if err := cursors.Put(p[1:9], p[9:17]); err != nil {
				return err
			}
			p = p[17:]
		default:
			return errCorruptEntry
		}
	}
	return nil
}

// wal is the log file. Only the writer goroutine (and Open before it
// starts) touches it.
type wal struct {
	f      *os.File
	id     uint64
	lsn    uint64 // the last LSN written and synced
	off    int64  // where the next record goes
	size   int64  // the file's size
	buf    []byte
	noSync bool
}

// openWAL opens (creating) the log of a database whose log id is id.
func openWAL(path string, id uint64, noSync bool) (*wal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open write-ahead log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open write-ahead log: %w", err)
	}
	return &wal{f: f, id: id, size: fi.Size(), noSync: noSync}, nil
}

func (w *wal) close() error { return w.f.Close() }

// append writes one record holding entries and syncs it. On error nothing
// counts as written: the next record goes to the same place.
func (w *wal) append(entries []byte) error {
	n := int64(walHeader + len(entries))
	var hdr [walHeader]byte
	rec := append(w.buf[:0], hdr[:]...)
	binary.BigEndian.PutUint32(rec[4:], uint32(len(entries)))
	binary.BigEndian.PutUint64(rec[8:], w.id)
	binary.BigEndian.PutUint64(rec[16:], w.lsn+1)
	rec = append(rec, entries...)
	binary.BigEndian.PutUint32(rec[0:], crc32.Checksum(rec[4:], crcTable))
	w.buf = rec
	if end := w.off + n; end > w.size {
		if err := w.grow(end); err != nil {
			return err
		}
	}
	if _, err := w.f.WriteAt(rec, w.off); err != nil {
		return fmt.Errorf("write-ahead log: %w", err)
	}
	if !w.noSync {
		if err := datasync(w.f); err != nil {
			return fmt.Errorf("write-ahead log: sync: %w", err)
		}
	}
	w.off += n
	w.lsn++
	return nil
}

// grow extends the file with zeros to hold end bytes (rounded up to a
// chunk). The zeros reach the disk with the next sync.
func (w *wal) grow(end int64) error {
	target := (end + walChunk - 1) / walChunk * walChunk
	zeros := make([]byte, walChunk)
	for w.size < target {
		n := min(int64(len(zeros)), target-w.size)
		if _, err := w.f.WriteAt(zeros[:n], w.size); err != nil {
			return fmt.Errorf("write-ahead log: grow: %w", err)
		}
		w.size += n
	}
	return nil
}

// restart begins a new cycle after a checkpoint: the next record goes to
// the start of the file.
func (w *wal) restart() { w.off = 0 }

// clear zeroes the first record's header, so that the log replays nothing
// whatever database it is later paired with; Close calls it after the last
// checkpoint.
func (w *wal) clear() error {
	if w.size == 0 {
		return nil
	}
	if _, err := w.f.WriteAt(make([]byte, walHeader), 0); err != nil {
		return err
	}
	if w.noSync {
		return nil
	}
	return datasync(w.f)
}

// replay applies the records that follow the database's checkpoint, up to
// LSN upTo, in one synced commit that moves the checkpoint past them, and
// starts a new cycle. It returns how many records it applied.
func (w *wal) replay(db *bolt.DB, upTo uint64) (int, error) {
	var ckpt uint64
	if err := db.View(func(tx *bolt.Tx) error {
		ckpt = u64(tx.Bucket(bMeta).Get(kWALLSN))
		return nil
	}); err != nil {
		return 0, err
	}
	var payloads [][]byte
	r := io.NewSectionReader(w.f, 0, w.size)
	hdr := make([]byte, walHeader)
	for off, next := int64(0), ckpt+1; next <= upTo; next++ {
		if _, err := r.ReadAt(hdr, off); err != nil {
			break
		}
		n := int64(binary.BigEndian.Uint32(hdr[4:]))
		if binary.BigEndian.Uint64(hdr[8:]) != w.id || binary.BigEndian.Uint64(hdr[16:]) != next ||
			off+walHeader+n > w.size {
			break
		}
		rec := make([]byte, walHeader+n)
		if _, err := r.ReadAt(rec, off); err != nil {
			break
		}
		if crc32.Checksum(rec[4:], crcTable) != binary.BigEndian.Uint32(rec) {
			break
		}
		payloads = append(payloads, rec[walHeader:])
		off += walHeader + n
	}
	w.lsn, w.off = ckpt, 0
	if len(payloads) == 0 {
		return 0, nil
	}
	last := ckpt + uint64(len(payloads))
	// What was acknowledged must land whatever the size cap says.
	maxSize := db.MaxSize
	db.MaxSize = 0
	err := db.Update(func(tx *bolt.Tx) error {
		for _, p := range payloads {
			if err := applyEntries(tx, p); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(kWALLSN, key(last))
	})
	db.MaxSize = maxSize
	if err != nil {
		return 0, fmt.Errorf("replay write-ahead log: %w", err)
	}
	w.lsn = last
	return len(payloads), nil
}

// ensureWALID gives a database its log id on first open.
func ensureWALID(tx *bolt.Tx) (uint64, error) {
	meta := tx.Bucket(bMeta)
	if id := u64(meta.Get(kWALID)); id != 0 {
		return id, nil
	}
	var b [8]byte
	for binary.BigEndian.Uint64(b[:]) == 0 {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
	}
	return binary.BigEndian.Uint64(b[:]), meta.Put(kWALID, b[:])
}
