package store

import (
	"strings"
)

// schemaConsts maps the name of every constant of lua/schema.lua to its
// Lua value (a number or a quoted string), for inlineSchema.
var schemaConsts = parseSchemaLua(luaFile("schema"))

// parseSchemaLua reads the "local NAME = VALUE -- comment" lines of
// lua/schema.lua.
func parseSchemaLua(src string) map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(src) {
		rest, ok := strings.CutPrefix(line, "local ")
		if !ok {
			continue
		}
		name, v, ok := strings.Cut(rest, " = ")
		if !ok {
			panic("store: lua/schema.lua: bad line " + line)
		}
		v, _, _ = strings.Cut(v, " --")
		m[name] = strings.TrimSpace(v)
	}
	return m
}

// inlineSchema returns src with every name of a schema constant (outside
// strings and comments, and not after '.' or ':') replaced by its value.
//
// Why not prepend lua/schema.lua as locals: a script is one Lua function
// (200 locals at most, and the lib and the largest scripts use most of
// them), and every lib function that reads a constant then captures it as
// an upvalue, which Lua 5.1 finds by walking the list of open upvalues
// each time it creates the function: on every call, for every lib
// function. Measured (BenchmarkScriptPrefix, schema+lib): 6 µs of Redis
// CPU per call became 12 µs with the constants as locals; inlined, the
// constants cost nothing at run time.
func inlineSchema(src string) string {
	var b strings.Builder
	b.Grow(len(src) + len(src)/8)
	i, n := 0, len(src)
	for i < n {
		c := src[i]
		switch {
		case c == '-' && i+1 < n && src[i+1] == '-': // comment
			j := i + 2
			if lvl, ok := longBracket(src, j); ok {
				j = closeLongBracket(src, j, lvl)
			} else {
				for j < n && src[j] != '\n' {
					j++
				}
			}
			b.WriteString(src[i:j])
			i = j
		case c == '\'' || c == '"': // short string
			j := i + 1
			for j < n && src[j] != c && src[j] != '\n' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, n)
			b.WriteString(src[i:j])
			i = j
		case c == '[':
			if lvl, ok := longBracket(src, i); ok { // long string
				j := closeLongBracket(src, i, lvl)
				b.WriteString(src[i:j])
				i = j
				break
			}
			b.WriteByte(c)
			i++
		case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			j := i + 1
			for j < n && (src[j] == '_' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= 'a' && src[j] <= 'z' ||
				src[j] >= '0' && src[j] <= '9') {
				j++
			}
			name := src[i:j]
			v, ok := schemaConsts[name]
			if ok && !afterField(src, i) {
				b.WriteString(v)
			} else {
				b.WriteString(name)
			}
			i = j
		case c >= '0' && c <= '9': // a number: its letters are not names
			j := i + 1
			for j < n && (src[j] == '.' || src[j] == '_' || src[j] >= '0' && src[j] <= '9' ||
				src[j] >= 'A' && src[j] <= 'Z' || src[j] >= 'a' && src[j] <= 'z') {
				j++
			}
			b.WriteString(src[i:j])
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// afterField reports whether the name at i follows '.' or ':' (a field or
// method name, not a variable), white space skipped.
func afterField(src string, i int) bool {
	for i--; i >= 0 && (src[i] == ' ' || src[i] == '\t'); i-- {
	}
	return i >= 0 && (src[i] == ':' || src[i] == '.') && (i == 0 || src[i-1] != '.')
}

// longBracket reports whether a Lua long bracket "[", "="*lvl, "[" starts
// at i.
func longBracket(src string, i int) (lvl int, ok bool) {
	if i >= len(src) || src[i] != '[' {
		return 0, false
	}
	j := i + 1
	for j < len(src) && src[j] == '=' {
		j++
	}
	if j < len(src) && src[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// closeLongBracket returns the index after the "]", "="*lvl, "]" that
// closes the long bracket at i (len(src) when unclosed).
func closeLongBracket(src string, i, lvl int) int {
	end := "]" + strings.Repeat("=", lvl) + "]"
	k := strings.Index(src[i+lvl+2:], end)
	if k < 0 {
		return len(src)
	}
	return i + lvl + 2 + k + len(end)
}
