package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
	xapihttp "github.com/yrkesresan/lrs/lrs/httpapi"
	"github.com/yrkesresan/lrs/scorm"
)

var (
	errNoRoute     = xapihttp.ErrNoRoute
	errNoMethod    = xapihttp.ErrNoMethod
	errCredentials = fmt.Errorf("%w: HTTP Basic credentials are required", lrs.ErrUnauthorized)
	errScope       = fmt.Errorf("%w: the SCORM admin API needs credentials with the all scope", lrs.ErrForbidden)
	errMediaType   = errors.New("unsupported media type")
	errTooLarge    = xapihttp.ErrTooLarge
)

func errPanic(p any) error { return fmt.Errorf("panic: %v", p) }

// errorBody is every error response: a status, a message, and the problems found in a package
// or in runtime data.
type errorBody struct {
	Status   int                `json:"status"`
	Error    string             `json:"error"`
	Problems []scorm.Problem    `json:"problems,omitempty"`
	Invalid  []scorm.CMIProblem `json:"invalid,omitempty"`
}

// status is the xAPI interface's mapping (xapihttp.Status), plus the SCORM errors it does not know.
func status(err error) int {
	switch {
	case errors.Is(err, scorm.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errMediaType):
		return http.StatusUnsupportedMediaType
	}
	return xapihttp.Status(err)
}

// fail replies with the error as JSON. Server errors are logged with their detail and answered
// with a generic message.
func (h *Handler) fail(c *gin.Context, err error) {
	code := status(err)
	body := errorBody{Status: code, Error: err.Error()}
	var pe *scorm.ProblemsError
	if errors.As(err, &pe) {
		body.Problems = pe.Problems
	}
	var ce *scorm.InvalidCMIError
	if errors.As(err, &ce) {
		body.Invalid = ce.Problems
	}
	switch {
	case code == http.StatusServiceUnavailable:
		c.Header("Retry-After", "5")
		h.log.WarnContext(c.Request.Context(), "unavailable", "request_id", c.GetString(keyRequestID), "err", err)
		body.Error = "the store is unavailable; retry later"
	case code >= 500:
		h.log.ErrorContext(c.Request.Context(), "request failed", "request_id", c.GetString(keyRequestID), "err", err)
		body.Error = "internal error (request id " + c.GetString(keyRequestID) + ")"
	}
	// No WWW-Authenticate challenge on 401: a browser that is never challenged never prompts for
	// and caches credentials, and so can never attach them to requests that package content
	// (scripts on the same origin as these paths) makes.
	c.AbortWithStatusJSON(code, body)
}
