package cli

import "github.com/spf13/cobra"

// newExitCodesTopic is a help topic: `mockloop help exit-codes`.
func newExitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What mockloop's exit codes mean",
		Long: `mockloop exits with:

  0  the command did what was asked and found nothing wrong
     (diff: no differences; test run: every case passed).
  1  the command ran and found something: differences (diff), failing cases (test run),
     errors in a spec (plugin validate).
  2  the command could not do what was asked: a bad flag or argument, an unreadable or broken
     spec, plan or document, a bad expression or pattern, an unreachable server, a declined
     prompt. A one-line message on stderr says what and where.

Scripts and CI steps can tell "the API differs" (1) from "the check could not run" (2).`,
	}
}
