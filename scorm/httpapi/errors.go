package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/scorm"
)

var (
	errNoRoute     = errors.New("no such resource")
	errNoMethod    = errors.New("method not allowed on this resource")
	errCredentials = fmt.Errorf("%w: HTTP Basic credentials are required", lrs.ErrUnauthorized)
	errScope       = fmt.Errorf("%w: the SCORM admin API needs credentials with the all scope", lrs.ErrForbidden)
	errMediaType   = errors.New("unsupported media type")
	errTooLarge    = errors.New("request body too large")
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

// status maps an error to its HTTP status, in one place.
func status(err error) int {
	var maxBytes *http.MaxBytesError
	switch {
	case errors.Is(err, scorm.ErrTooLarge), errors.Is(err, errTooLarge), errors.As(err, &maxBytes):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errMediaType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, errNoRoute), errors.Is(err, lrs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errNoMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, lrs.ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, lrs.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, lrs.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, lrs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, lrs.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
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
