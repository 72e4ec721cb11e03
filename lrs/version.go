package lrs

import (
	"fmt"
	"strings"
)

// The xAPI versions this LRS speaks. Responses carry the latest patch of the version negotiated.
const (
	Version103 = "1.0.3"
	Version200 = "2.0.0"
)

// NegotiateVersion maps the X-Experience-API-Version request header to the version the request is
// served under: any 1.0.x (and "1.0") is served as 1.0.3, 2.0.x (and "2.0") as 2.0.0.
func NegotiateVersion(header string) (string, error) {
	h := strings.TrimSpace(header)
	switch {
	case h == "":
		return "", fmt.Errorf("%w: the X-Experience-API-Version header is required", ErrBadRequest)
	case h == "1.0" || isPatchOf(h, "1.0."):
		return Version103, nil
	case h == "2.0" || isPatchOf(h, "2.0."):
		return Version200, nil
	}
	return "", fmt.Errorf("%w: X-Experience-API-Version %q is not supported (use 1.0.3 or 2.0.0)", ErrBadRequest, h)
}

// isPatchOf reports whether v is prefix followed by a decimal patch number.
func isPatchOf(v, prefix string) bool {
	patch, ok := strings.CutPrefix(v, prefix)
	if !ok || patch == "" {
		return false
	}
	for _, r := range patch {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
