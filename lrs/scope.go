package lrs

import "fmt"

// Scope is an xAPI authorization scope (xAPI 1.0.3 part 4, OAuth scope table).
type Scope string

// The scopes this LRS knows.
const (
	ScopeStatementsWrite    Scope = "statements/write"
	ScopeStatementsRead     Scope = "statements/read"
	ScopeStatementsReadMine Scope = "statements/read/mine"
	ScopeState              Scope = "state"
	ScopeDefine             Scope = "define"
	ScopeProfile            Scope = "profile"
	ScopeAllRead            Scope = "all/read"
	ScopeAll                Scope = "all"
	// ScopeProgressRead is not xAPI's: it reads Yrkesresan's progress reports (package progress)
	// for the client's organisation, and nothing of the xAPI resources.
	ScopeProgressRead Scope = "progress/read"
)

var knownScopes = map[Scope]bool{
	ScopeStatementsWrite: true, ScopeStatementsRead: true, ScopeStatementsReadMine: true,
	ScopeState: true, ScopeDefine: true, ScopeProfile: true, ScopeAllRead: true, ScopeAll: true,
	ScopeProgressRead: true,
}

// ParseScope checks that s names a known scope.
func ParseScope(s string) (Scope, error) {
	if !knownScopes[Scope(s)] {
		return "", fmt.Errorf("unknown scope %q", s)
	}
	return Scope(s), nil
}
