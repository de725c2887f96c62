package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"testing"
)

// TestTablesComplete checks that Tables holds every job field position
// once and every string constant of schema.go, under unique valid Lua
// names: a constant added in Go but not to Tables would be missing in Lua.
func TestTablesComplete(t *testing.T) {
	names := map[string]bool{"J_N": true}
	strs := map[string]string{}
	pos := map[int]string{}
	ident := regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	for _, g := range Tables {
		for _, c := range g.Consts {
			if !ident.MatchString(c.Lua) || names[c.Lua] {
				t.Errorf("Lua name %q invalid or used twice", c.Lua)
			}
			names[c.Lua] = true
			switch v := c.Value.(type) {
			case int:
				if prev, ok := pos[v]; ok {
					t.Errorf("job field %d: %s and %s", v, prev, c.Lua)
				}
				pos[v] = c.Lua
			case string:
				if v == "" || regexp.MustCompile(`['\\\n]`).MatchString(v) {
					t.Errorf("%s: value %q cannot be a plain Lua string", c.Lua, v)
				}
				strs[v] = c.Lua
			default:
				t.Errorf("%s: value of type %T", c.Lua, c.Value)
			}
		}
	}
	for i := range JobFields {
		if pos[i] == "" {
			t.Errorf("job field %d missing from Tables", i)
		}
	}
	if len(pos) != JobFields {
		t.Errorf("Tables has %d job fields, want %d", len(pos), JobFields)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "schema.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		v, _ := strconv.Unquote(lit.Value)
		// Two Go names may share a value (the usage fields are state
		// letters); Lua needs each value once.
		if _, ok := strs[v]; !ok {
			t.Errorf("constant %s = %q missing from Tables", vs.Names[0].Name, v)
		}
		return true
	})
}
