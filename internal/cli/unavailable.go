package cli

import "fmt"

// errNotAvailable is what a command whose engine has not landed yet returns: exit 2.
func errNotAvailable(command string) error {
	return usageErrorf("%s is not available yet in this build", command)
}

var _ = fmt.Sprint
