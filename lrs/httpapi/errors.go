package httpapi

import (
	"context"
	"errors"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/validate"
)

// Errors of request handling, shared with the other HTTP interfaces of the binary (SCORM,
// progress) so that every interface maps errors to statuses by the one rule in Status.
var (
	ErrNoRoute  = errors.New("no such resource")
	ErrNoMethod = errors.New("method not allowed on this resource")
	ErrTooLarge = errors.New("request body too large")
	errTimeout  = errors.New("request body not received in time")
)

// errorBody is every error response: a status, a message, and for invalid statements the
// problems found, each with the path of the field and the rule it breaks.
type errorBody struct {
	Status    int                `json:"status"`
	Error     string             `json:"error"`
	Statement *int               `json:"statement,omitempty"`
	Problems  []validate.Problem `json:"problems,omitempty"`
}

// Status maps an error of the core or of request handling to its HTTP status, in one place.
func Status(err error) int {
	var maxBytes *http.MaxBytesError
	switch {
	case errors.Is(err, ErrTooLarge), errors.As(err, &maxBytes):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errTimeout):
		return http.StatusRequestTimeout
	case errors.Is(err, ErrNoRoute), errors.Is(err, lrs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrNoMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, lrs.ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, lrs.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, lrs.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, lrs.ErrPrecondition):
		return http.StatusPreconditionFailed
	case errors.Is(err, lrs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, lrs.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail replies with the error. Server errors are logged with their detail and answered with a
// generic message: internals are not the client's business.
func (a *API) fail(c *gin.Context, err error) {
	_ = c.Error(err) // for the middleware (metrics)
	code := Status(err)
	body := errorBody{Status: code, Error: err.Error()}
	var inv *lrs.InvalidStatementError
	if errors.As(err, &inv) {
		idx := inv.Index
		body.Statement, body.Problems = &idx, inv.Problems
	}
	switch {
	case code == http.StatusServiceUnavailable:
		c.Header("Retry-After", "5")
		a.log.WarnContext(c.Request.Context(), "unavailable", "request_id", requestID(c), "err", err)
		body.Error = "the store is unavailable; retry later"
	case code >= 500:
		a.log.ErrorContext(c.Request.Context(), "request failed", "request_id", requestID(c), "err", err)
		body.Error = "internal error (request id " + requestID(c) + ")"
	}
	if code == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Basic realm="xAPI"`)
	}
	c.AbortWithStatusJSON(code, body)
}
