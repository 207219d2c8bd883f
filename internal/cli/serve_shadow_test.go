package cli

import (
	"context"
	"strings"
	"testing"
)

func TestServeShadowNeedsLive(t *testing.T) {
	env := newTestRunEnv(t)
	specPath := env.write(t, "shop.yaml", shopSpec)
	code := Run(context.Background(), env.f, []string{"serve", "--spec", specPath, "--shadow", "--addr", "127.0.0.1:0"})
	if code != 2 || !strings.Contains(env.errOut.String(), "--shadow compares live answers with the mock's: serve in proxy or hybrid mode with a target") {
		t.Errorf("exit %d: %s", code, env.errOut)
	}
}
