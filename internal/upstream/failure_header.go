package upstream

import (
	"net/http"
	"strings"
)

// HeaderError is set on the answers the forwarder writes itself because the upstream gave
// none it could pass on (unreachable, a timeout, a connection cut, a TLS failure): its value
// is the cause, one line and secret-free. An answer with it is not the live API's, so a test
// run reports it as an error of the run, not as a difference.
const HeaderError = "X-Mockloop-Upstream-Error"

// markFailure sets HeaderError on w's header to cause (already redacted).
func markFailure(w http.ResponseWriter, cause string) {
	w.Header().Set(HeaderError, strings.Join(strings.Fields(cause), " "))
}
