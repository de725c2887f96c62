package schema

import (
	"bytes"
	"fmt"
)

// Lua renders store/lua/schema.lua from Tables and the key suffixes of
// store/keys.go (keysGo, see KeySuffixes): one "local NAME = value" line
// per constant (valid Lua; the store inlines the values into the scripts
// when it loads them). Field positions become 1-based.
func Lua(keysGo []byte) ([]byte, error) {
	keys, err := KeySuffixes(keysGo)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("-- schema.lua: GENERATED from store/internal/schema by `go generate ./store/`;\n")
	b.WriteString("-- DO NOT EDIT. loadLua (store/luainline.go) inlines these values into\n")
	b.WriteString("-- the scripts. Meanings: store/internal/schema/schema.go, store/keys.go.\n")
	for _, g := range append(Tables[:len(Tables):len(Tables)], keys) {
		fmt.Fprintf(&b, "-- %s\n", g.Doc)
		for _, c := range g.Consts {
			var v string
			switch x := c.Value.(type) {
			case int:
				v = fmt.Sprint(x + 1)
			case Count:
				v = fmt.Sprint(int(x))
			case string:
				v = "'" + x + "'"
			default:
				panic(fmt.Sprintf("schema: %s: value of type %T", c.Lua, c.Value))
			}
			line := "local " + c.Lua + " = " + v
			if c.Doc != "" {
				line += " -- " + c.Doc
			}
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes(), nil
}
