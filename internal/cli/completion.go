package cli

import (
	"github.com/spf13/cobra"
)

func newCompletionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a completion script for your shell. Load it in the current shell, or install it where
your shell looks for completions.`,
		Example: `  $ source <(mockloop completion bash)
  $ mockloop completion zsh > "${fpath[1]}/_mockloop"
  $ mockloop completion fish > ~/.config/fish/completions/mockloop.fish
  PS> mockloop completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeCompletion(cmd.Root(), args[0], f.IOStreams.Out)
		},
	}
}
