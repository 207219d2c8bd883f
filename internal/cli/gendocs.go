package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/mockloop/mockloop/internal/iostreams"
)

func writeCompletion(root *cobra.Command, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		return root.GenBashCompletionV2(w, true)
	case "zsh":
		return root.GenZshCompletion(w)
	case "fish":
		return root.GenFishCompletion(w, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(w)
	}
	return usageErrorf("unknown shell %q: want bash, zsh, fish or powershell", shell)
}

// completionFiles maps each shell to the file name its script is written to.
var completionFiles = map[string]string{
	"bash":       "mockloop.bash",
	"zsh":        "_mockloop",
	"fish":       "mockloop.fish",
	"powershell": "mockloop.ps1",
}

// manDate is the date the man pages carry: fixed, so that they are generated the same on every
// machine and the staleness test holds (the pages change when the commands do, not the
// calendar).
var manDate = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

// GenerateDocs writes the CLI reference (Markdown, one page per command) to docsDir, the man
// pages (section 1) to manDir and the four shell completion scripts to completionsDir, from
// the real command tree.
func GenerateDocs(docsDir, manDir, completionsDir string) error {
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IOStreams: ios, LookupEnv: func(string) (string, bool) { return "", false }, Version: "dev"}
	root := NewRootCmd(f)
	root.DisableAutoGenTag = true
	if err := os.MkdirAll(docsDir, 0o755); err != nil {
		return err
	}
	if err := doc.GenMarkdownTree(root, docsDir); err != nil {
		return fmt.Errorf("generate docs: %w", err)
	}
	for _, c := range root.Commands() {
		if !c.IsAdditionalHelpTopicCommand() {
			continue
		}
		page := fmt.Sprintf("## mockloop help %s\n\n%s\n\n%s\n", c.Name(), c.Short, c.Long)
		if err := os.WriteFile(filepath.Join(docsDir, "mockloop_help_"+c.Name()+".md"), []byte(page), 0o644); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(manDir, 0o755); err != nil {
		return err
	}
	header := &doc.GenManHeader{Title: "MOCKLOOP", Section: "1", Source: "mockloop", Manual: "mockloop manual", Date: &manDate}
	if err := doc.GenManTree(root, header, manDir); err != nil {
		return fmt.Errorf("generate man pages: %w", err)
	}
	if err := os.MkdirAll(completionsDir, 0o755); err != nil {
		return err
	}
	for shell, name := range completionFiles {
		out, err := os.Create(filepath.Join(completionsDir, name))
		if err != nil {
			return err
		}
		err = writeCompletion(root, shell, out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("generate %s completion: %w", shell, err)
		}
	}
	return nil
}
