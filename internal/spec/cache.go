package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/mockloop/mockloop/internal/atomicfile"
)

// The load cache keeps, for each document loaded, a snapshot of the loaded document (the
// resolved openapi3.T and the load warnings, see snapshot.go) in the user cache directory
// (os.UserCacheDir()/mockloop/specs), keyed by a hash of the document's bytes, its location and
// the snapshot types' layout. Loading GitHub's 13 MB spec from its snapshot takes a small
// fraction of parsing and resolving it. The cache changes nothing else: a cached load returns
// the document a fresh one would.
//
//   - An entry is written only after a successful load of a document of at least cacheMinBytes
//     that did not read external $refs (their files may change without the document changing).
//   - A changed document has another hash: it misses, is loaded the slow way, and its new
//     snapshot is written. Entries unused for cacheMaxAge are deleted when another is written,
//     as are the oldest beyond cacheMaxEntries.
//   - Writers write a temporary file and rename it into place, so concurrent loads of the same
//     document (several `mockloop serve` starting at once) never see a partial entry: a reader
//     gets a whole old or a whole new one. A corrupt or unreadable entry is a miss.
//   - Every cache failure is silent: the load goes on without the cache.
//
// Options.NoCache or MOCKLOOP_NO_CACHE (any value but "", "0" or "false") turns it off.
// MOCKLOOP_CACHE_ALL=1 caches documents of every size, so that a test suite exercises the cache
// with small fixtures.

const (
	cacheMinBytes   = 256 << 10
	cacheMaxAge     = 30 * 24 * time.Hour
	cacheMaxEntries = 64
	cacheTouchAfter = 24 * time.Hour // a hit refreshes the entry's time when older than this
)

// cacheMagic starts every cache entry; the header then holds the layout fingerprint, the
// payload's CRC-32C and its length.
const cacheMagic = "mockloop-spec-cache\x00"

const cacheHeaderLen = len(cacheMagic) + 32 + 4 + 8

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// loadCache is the cache directory for one load.
type loadCache struct {
	dir string
}

// cacheFor returns the cache to use for a document of size bytes, nil when it is not cached.
func cacheFor(opts Options, size int) *loadCache {
	if opts.NoCache || opts.offline || envTrue("MOCKLOOP_NO_CACHE") {
		return nil
	}
	if size < cacheMinBytes && !opts.cacheAll && !envTrue("MOCKLOOP_CACHE_ALL") {
		return nil
	}
	dir := opts.cacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(base, "mockloop", "specs")
	}
	return &loadCache{dir: dir}
}

func envTrue(name string) bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(name))) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// key names the entry for data loaded from base.
func (c *loadCache) key(data []byte, base *url.URL) string {
	h := sha256.New()
	fp := layoutFingerprint()
	h.Write(fp[:])
	if base != nil {
		h.Write([]byte(base.String()))
	}
	h.Write([]byte{0})
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func (c *loadCache) path(key string) string { return filepath.Join(c.dir, key) }

// get returns the snapshot stored under key, if there is a sound one.
func (c *loadCache) get(key string) (*snapshot, bool) {
	p := c.path(key)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	payload, ok := checkEntry(data)
	if !ok {
		return nil, false
	}
	// The snapshot's strings point into data, which nothing else holds or changes.
	s, err := decodeSnapshot(unsafe.String(unsafe.SliceData(payload), len(payload)))
	if err != nil {
		return nil, false
	}
	if fi, err := os.Stat(p); err == nil && time.Since(fi.ModTime()) > cacheTouchAfter {
		now := time.Now()
		_ = os.Chtimes(p, now, now)
	}
	return s, true
}

// checkEntry returns the payload of a cache entry whose header matches this binary's layout and
// whose checksum is right.
func checkEntry(data []byte) ([]byte, bool) {
	if len(data) < cacheHeaderLen || !bytes.HasPrefix(data, []byte(cacheMagic)) {
		return nil, false
	}
	h := data[len(cacheMagic):]
	fp := layoutFingerprint()
	if !bytes.Equal(h[:32], fp[:]) {
		return nil, false
	}
	sum := binary.LittleEndian.Uint32(h[32:])
	n := binary.LittleEndian.Uint64(h[36:])
	payload := data[cacheHeaderLen:]
	if uint64(len(payload)) != n || crc32.Checksum(payload, crcTable) != sum {
		return nil, false
	}
	return payload, true
}

// entry is the bytes of a cache entry holding payload.
func entry(payload []byte) []byte {
	return seal(append(make([]byte, cacheHeaderLen, cacheHeaderLen+len(payload)), payload...))
}

// seal fills in the header of an entry whose payload follows cacheHeaderLen reserved bytes.
func seal(e []byte) []byte {
	fp := layoutFingerprint()
	payload := e[cacheHeaderLen:]
	h := append(e[:0], cacheMagic...)
	h = append(h, fp[:]...)
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(payload, crcTable))
	binary.LittleEndian.AppendUint64(h, uint64(len(payload)))
	return e
}

// put stores s, loaded from size bytes of source, under key, then prunes old entries.
// Failures are ignored: the cache is an optimization.
func (c *loadCache) put(key string, s *snapshot, size int) {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return
	}
	// 0600: a spec may be private. A snapshot is about the size of its JSON source: reserve
	// that much, and the header.
	_ = atomicfile.Write(c.path(key), 0o600, func(w io.Writer) error {
		e, err := appendSnapshot(make([]byte, cacheHeaderLen, cacheHeaderLen+size+size/8), s)
		if err != nil {
			return err
		}
		_, err = w.Write(seal(e))
		return err
	}, atomicfile.NoSync())
	c.prune(key)
}

// prune deletes entries unused for cacheMaxAge, the oldest beyond cacheMaxEntries, and
// temporary files a crashed writer left (older than an hour). keep is never deleted.
func (c *loadCache) prune(keep string) {
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type ent struct {
		name string
		mod  time.Time
	}
	var entries []ent
	now := time.Now()
	for _, de := range des {
		fi, err := de.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		age := now.Sub(fi.ModTime())
		switch {
		case strings.HasPrefix(de.Name(), ".") && strings.HasSuffix(de.Name(), ".tmp"): // atomicfile's, left by a crash
			if age > time.Hour {
				_ = os.Remove(filepath.Join(c.dir, de.Name()))
			}
		case de.Name() == keep:
		case age > cacheMaxAge:
			_ = os.Remove(filepath.Join(c.dir, de.Name()))
		default:
			entries = append(entries, ent{de.Name(), fi.ModTime()})
		}
	}
	if len(entries) < cacheMaxEntries {
		return
	}
	slices.SortFunc(entries, func(a, b ent) int { return b.mod.Compare(a.mod) })
	for _, e := range entries[cacheMaxEntries-1:] {
		_ = os.Remove(filepath.Join(c.dir, e.name))
	}
}
