package schema

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"unicode"
)

// KeySuffixes returns the key suffix constants of store/keys.go (src), the
// one place key names are spelled: every constant whose name starts with
// "sfx", as Lua constants SFX_<NAME> (sfxEvQueue -> SFX_EV_QUEUE), in
// source order. The scripts build the keys that depend on data (a
// request, a Msg_Id, an event...) from the channel tag and these.
func KeySuffixes(src []byte) (Group, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", src, 0)
	if err != nil {
		return Group{}, fmt.Errorf("schema: parse keys.go: %w", err)
	}
	g := Group{Doc: "Key suffixes (store/keys.go sfx*): a key is TAG .. suffix [.. id]."}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
			return true
		}
		name := vs.Names[0].Name
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING || !strings.HasPrefix(name, "sfx") {
			return true
		}
		v, err := strconv.Unquote(lit.Value)
		if err == nil {
			g.Consts = append(g.Consts, Const{Lua: "SFX_" + upperSnake(name[len("sfx"):]), Value: v})
		}
		return true
	})
	if len(g.Consts) == 0 {
		return Group{}, fmt.Errorf("schema: keys.go has no sfx constants")
	}
	return g, nil
}

// upperSnake turns CamelCase into CAMEL_CASE (EvQueue -> EV_QUEUE, CMPPQ
// -> CMPPQ).
func upperSnake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && unicode.IsLower(rs[i-1]) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
