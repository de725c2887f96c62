package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"testing"
)

// TestTablesComplete checks that Tables holds, under unique valid Lua
// names, every string constant of schema.go and, per group of positions,
// every position once with the group's count: a constant added in Go but
// not to Tables would be missing in Lua.
func TestTablesComplete(t *testing.T) {
	names := map[string]bool{}
	strs := map[string]bool{}
	ident := regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	plain := regexp.MustCompile(`^[^'\\\n]+$`)
	counts := map[int]bool{}
	for _, g := range Tables {
		pos := map[int]string{}
		count := -1
		for _, c := range g.Consts {
			if !ident.MatchString(c.Lua) || names[c.Lua] {
				t.Errorf("Lua name %q invalid or used twice", c.Lua)
			}
			names[c.Lua] = true
			switch v := c.Value.(type) {
			case int:
				if prev, ok := pos[v]; ok {
					t.Errorf("position %d: %s and %s", v, prev, c.Lua)
				}
				pos[v] = c.Lua
			case Count:
				count = int(v)
			case string:
				if !plain.MatchString(v) {
					t.Errorf("%s: value %q cannot be a plain Lua string", c.Lua, v)
				}
				strs[v] = true
			default:
				t.Errorf("%s: value of type %T", c.Lua, c.Value)
			}
		}
		if len(pos) == 0 {
			continue
		}
		if count != len(pos) {
			t.Errorf("group %q: %d positions, count %d", g.Doc, len(pos), count)
		}
		for i := range len(pos) {
			if pos[i] == "" {
				t.Errorf("group %q: position %d missing", g.Doc, i)
			}
		}
		counts[count] = true
	}
	if !counts[JobFields] || !counts[CMPPReportFields] {
		t.Errorf("Tables lack the job fields (%d) or the CMPP report fields (%d): counts %v",
			JobFields, CMPPReportFields, counts)
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
		// Two Go names may share a value (the usage fields are state
		// letters); Lua needs each value once.
		if v, _ := strconv.Unquote(lit.Value); !strs[v] {
			t.Errorf("constant %s = %q missing from Tables", vs.Names[0].Name, v)
		}
		return true
	})
}

// TestKeySuffixes checks the parsing of keys.go's sfx constants.
func TestKeySuffixes(t *testing.T) {
	g, err := KeySuffixes([]byte("package store\nconst (\n\tsfxRequest = \":req:\"\n\tsfxEvQueue = \":ev:q\"\n\tsfxCMPPQ = \":cq:\"\n\tother = \"x\"\n)\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Const{{Lua: "SFX_REQUEST", Value: ":req:"}, {Lua: "SFX_EV_QUEUE", Value: ":ev:q"}, {Lua: "SFX_CMPPQ", Value: ":cq:"}}
	if len(g.Consts) != len(want) {
		t.Fatalf("got %+v", g.Consts)
	}
	for i := range want {
		if g.Consts[i] != want[i] {
			t.Errorf("const %d: %+v, want %+v", i, g.Consts[i], want[i])
		}
	}
	if _, err := KeySuffixes([]byte("package store\n")); err == nil {
		t.Error("no sfx constants: no error")
	}
}
