package examples

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v4"

	"github.com/mockloop/mockloop/internal/atomicfile"
	"github.com/mockloop/mockloop/internal/overlay"
)

// Merge is the overlay to write when prev (an overlay file that exists) is replaced by next:
// prev's actions that next makes again (the same target and remove, or an update of the same
// target setting only the same examples) are dropped, the others kept ahead of next's; info
// and extends are next's.
func Merge(prev, next *overlay.Overlay) *overlay.Overlay {
	out := *next
	out.Actions = nil
	for _, a := range prev.Actions {
		if !redone(a, next.Actions) {
			out.Actions = append(out.Actions, a)
		}
	}
	out.Actions = append(out.Actions, next.Actions...)
	return &out
}

func redone(a overlay.Action, next []overlay.Action) bool {
	for _, b := range next {
		if a.Target != b.Target || a.Remove != b.Remove {
			continue
		}
		if a.Remove {
			return true
		}
		if names, ok := exampleNames(a.Update); ok {
			bn, _ := exampleNames(b.Update)
			covered := true
			for n := range names {
				if !bn[n] {
					covered = false
				}
			}
			if covered {
				return true
			}
		}
	}
	return false
}

// exampleNames are the example names an update of the form {examples: {NAME: ...}} sets; ok
// is false for any other update.
func exampleNames(u *yaml.Node) (map[string]bool, bool) {
	if u == nil || u.Kind != yaml.MappingNode || len(u.Content) != 2 || u.Content[0].Value != "examples" || u.Content[1].Kind != yaml.MappingNode {
		return nil, false
	}
	names := map[string]bool{}
	ex := u.Content[1]
	for i := 0; i+1 < len(ex.Content); i += 2 {
		names[ex.Content[i].Value] = true
	}
	return names, true
}

// WriteSpec applies o to the spec file at path and writes it back in place, as JSON or YAML as
// it was, with its key order, indentation and (YAML) comments, atomically and with its mode.
func WriteSpec(path string, o *overlay.Overlay) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := overlay.ParseDocument(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := o.Apply(doc.Root, "examples"); err != nil {
		return err
	}
	out, err := doc.Bytes()
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, out, info.Mode().Perm())
}
