// Package lrs is the core of the learning record store: the xAPI statement rules (what the LRS
// sets, equivalence, voiding, query semantics, output formats), API clients and scopes, and the
// Store interface that backends implement. Backends only persist records and match the keys the
// core derives; the HTTP API in lrs/httpapi is a thin layer over Service.
package lrs
