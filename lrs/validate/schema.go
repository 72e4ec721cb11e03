package validate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/xeipuuv/gojsonschema"

	"github.com/yrkesresan/lrs/schemas"
)

// compiled holds the schemas, built once on first use and read-only afterwards, so concurrent
// validations can share them.
type compiled struct {
	statement *gojsonschema.Schema
	actor     *gojsonschema.Schema // an Agent or Group, for query parameters
}

var compiledSchemas = sync.OnceValue(func() compiled {
	statement, err := compileSchema("")
	if err != nil {
		panic("validate: embedded statement schema: " + err.Error())
	}
	actor, err := compileSchema("#/definitions/actor")
	if err != nil {
		panic("validate: embedded statement schema: " + err.Error())
	}
	return compiled{statement: statement, actor: actor}
})

// schemaID is the $id of schemas/statement.json, by which a definition within it is referred to.
const schemaID = "https://github.com/yrkesresan/lrs/schemas/statement.json"

// compileSchema compiles the statement schema, or the definition at fragment within it.
func compileSchema(fragment string) (*gojsonschema.Schema, error) {
	doc := schemas.Statement()
	sl := gojsonschema.NewSchemaLoader()
	sl.Draft = gojsonschema.Draft7
	sl.AutoDetect = false
	if fragment == "" {
		return sl.Compile(gojsonschema.NewBytesLoader(doc))
	}
	if err := sl.AddSchemas(gojsonschema.NewBytesLoader(doc)); err != nil {
		return nil, err
	}
	return sl.Compile(gojsonschema.NewStringLoader(`{"$ref": "` + schemaID + fragment + `"}`))
}

// valueLoader hands an already decoded document to gojsonschema as it is. The loader from
// gojsonschema.NewGoLoader would marshal the value to JSON and decode it again, which costs
// more than validating it; a document decoded with UseNumber already has the types gojsonschema
// works on.
type valueLoader struct{ gojsonschema.JSONLoader }

func (l valueLoader) LoadJSON() (any, error) { return l.JsonSource(), nil }

// checkSchema validates doc against s and adds a Problem for each schema error that says
// something the others do not. A document with numbers out of range is not given to the schema.
func checkSchema(s *gojsonschema.Schema, doc any, at *loc, c *checker) {
	if !c.numbers(at, doc) {
		return
	}
	res, err := s.Validate(valueLoader{gojsonschema.NewGoLoader(doc)})
	if err != nil {
		// valueLoader cannot fail; keep the error visible rather than pass the document.
		c.report(at, "cannot be validated: "+err.Error())
		return
	}
	for _, e := range res.Errors() {
		rule, property, ok := describe(e)
		if !ok {
			continue
		}
		c.problems = append(c.problems, Problem{Path: schemaPath(doc, at, e.Context(), property), Rule: rule})
	}
}

// numbers reports the numbers in node that are out of range and tells whether there were none.
// gojsonschema parses every number it meets into a big.Rat, even where a number is the wrong
// type, and that takes time growing with the exponent: a few bytes like 1e1000000 would cost
// tens of milliseconds each.
func (c *checker) numbers(at *loc, node any) bool {
	if modestNumbers(node) {
		return true
	}
	c.immodestNumbers(at, node)
	return false
}

// modestNumbers reports whether all numbers in node are modest. It skips the values of extension
// maps, which the schema does not enter and the LRS must not refuse (Data 4.1.s3.b2). It builds
// no paths, so that the common case allocates nothing.
func modestNumbers(node any) bool {
	switch v := node.(type) {
	case json.Number:
		return isModestNumber(v)
	case []any:
		for _, e := range v {
			if !modestNumbers(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range v {
			if !isExtensionMap(k, e) && !modestNumbers(e) {
				return false
			}
		}
	}
	return true
}

// immodestNumbers reports each number modestNumbers refuses, with its path.
func (c *checker) immodestNumbers(at *loc, node any) {
	switch v := node.(type) {
	case json.Number:
		if !isModestNumber(v) {
			c.report(at, ruleNumber)
		}
	case []any:
		for i, e := range v {
			it := at.item(i)
			c.immodestNumbers(&it, e)
		}
	case map[string]any:
		for k, e := range v {
			if !isExtensionMap(k, e) {
				f := at.field(k)
				c.immodestNumbers(&f, e)
			}
		}
	}
}

func isExtensionMap(key string, v any) bool {
	_, isMap := v.(map[string]any)
	return isMap && key == "extensions"
}

// isModestNumber reports whether n fits a float64, has at most 100 characters and an exponent
// within ±400: bounds no xAPI value needs to exceed and that keep big.Rat cheap.
func isModestNumber(n json.Number) bool {
	s := string(n)
	if len(s) > 100 {
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(s[i+1:])
		return err == nil && exp >= -400 && exp <= 400
	}
	return true
}

// describe turns a schema error into a rule sentence, and names the property it is about when
// the error is reported on the enclosing object. It drops the summary errors of if/then/else and
// combinators: the errors of the branch that applied are merged in beside them.
func describe(e gojsonschema.ResultError) (rule, property string, ok bool) {
	d := e.Details()
	switch e.Type() {
	case "condition_then", "condition_else", "number_any_of", "number_one_of", "number_all_of":
		return "", "", false
	case "required":
		return "is required", fmt.Sprint(d["property"]), true
	case "additional_property_not_allowed":
		return "unknown property", fmt.Sprint(d["property"]), true
	case "false":
		return "is not allowed in a SubStatement", "", true
	}
	if e.Value() == nil {
		return "must not be null", "", true
	}
	switch e.Type() {
	case "invalid_type":
		return "must be " + typeNoun(fmt.Sprint(d["expected"])), "", true
	case "const":
		return fmt.Sprint("must be ", d["allowed"]), "", true
	case "enum":
		return fmt.Sprint("must be one of ", d["allowed"]), "", true
	case "number_gte":
		return fmt.Sprint("must be at least ", d["min"]), "", true
	case "number_lte":
		return fmt.Sprint("must be at most ", d["max"]), "", true
	case "array_min_items":
		return fmt.Sprint("must have at least ", d["min"], " item(s)"), "", true
	case "string_gte":
		return "must not be empty", "", true
	}
	return e.Description(), "", true
}

func typeNoun(t string) string {
	switch t {
	case "object", "array", "integer":
		return "an " + t
	}
	return "a " + t
}

// schemaPath renders the location of a schema error. gojsonschema names array elements by their
// index as if they were properties, so the path is replayed against the document to tell them
// apart. A NUL delimiter keeps keys containing dots (a malformed language tag, say) in one piece.
func schemaPath(doc any, at *loc, ctx *gojsonschema.JsonContext, property string) string {
	segments := strings.Split(ctx.String("\x00"), "\x00")[1:] // [0] is "(root)"
	return walkPath(doc, at, segments, property)
}

// walkPath descends node along segments, building the location as it goes.
func walkPath(node any, at *loc, segments []string, property string) string {
	if len(segments) == 0 {
		if property == "" {
			return at.String()
		}
		next := at.field(property)
		return next.String()
	}
	if arr, ok := node.([]any); ok {
		if i, err := strconv.Atoi(segments[0]); err == nil && i >= 0 && i < len(arr) {
			next := at.item(i)
			return walkPath(arr[i], &next, segments[1:], property)
		}
	}
	obj, _ := node.(map[string]any)
	next := at.field(segments[0])
	return walkPath(obj[segments[0]], &next, segments[1:], property)
}
