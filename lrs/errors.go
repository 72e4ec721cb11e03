package lrs

import (
	"errors"
	"fmt"

	"github.com/yrkesresan/lrs/lrs/validate"
)

// Errors of the core that are not store outcomes; the HTTP API maps each to one status.
var (
	ErrBadRequest   = errors.New("bad request")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	// ErrPrecondition: an If-Match or If-None-Match condition does not hold.
	ErrPrecondition = errors.New("precondition failed")
)

// InvalidStatementError is a statement that failed validation; Index is its position in the request
// (0 for a single statement).
type InvalidStatementError struct {
	Index    int
	Problems []validate.Problem
}

func (e *InvalidStatementError) Error() string {
	return fmt.Sprintf("statement %d is invalid: %s", e.Index, (&validate.Error{Problems: e.Problems}).Error())
}

// Unwrap makes an invalid statement a bad request for errors.Is.
func (e *InvalidStatementError) Unwrap() error { return ErrBadRequest }
