package envref

// Snapshot expands references as Expand does, but reads each file at most once: every value
// expanded through one Snapshot sees the same content of a file, even while that file is
// being replaced (two credentials that refer to one secret file never get two generations of
// it). A Snapshot is for one resolution of a set of values; it is not safe for concurrent use.
type Snapshot struct {
	lookup func(string) (string, bool)
	files  map[string]fileRead
}

type fileRead struct {
	val string
	err error
}

// NewSnapshot expands with lookup (os.LookupEnv when nil).
func NewSnapshot(lookup func(string) (string, bool)) *Snapshot {
	return &Snapshot{lookup: lookup, files: map[string]fileRead{}}
}

// Expand is Expand(v, lookup), each file read once per Snapshot.
func (s *Snapshot) Expand(v string) (string, error) {
	return expand(v, s.lookup, func(path string) (string, error) {
		if r, ok := s.files[path]; ok {
			return r.val, r.err
		}
		val, err := readFile(path)
		s.files[path] = fileRead{val, err}
		return val, err
	})
}
