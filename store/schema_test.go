package store

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// TestSchemaLuaCurrent fails when lua/schema.lua is not what the generator
// makes from store/internal/schema.
func TestSchemaLuaCurrent(t *testing.T) {
	got, err := luaFiles.ReadFile("lua/schema.lua")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile("keys.go")
	if err != nil {
		t.Fatal(err)
	}
	want, err := schema.Lua(keys)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("store/lua/schema.lua is stale: run `go generate ./store/`")
	}
}

// TestScriptsCompile loads every script, so that a script that does not
// compile (say, over Lua's 200 locals or 60 upvalues per function once
// schema.lua and lib.lua are prepended) fails here, on Redis and on
// miniredis (gopher-lua), even if no other test runs it.
func TestScriptsCompile(t *testing.T) {
	backends(t, func(f *fixture) {
		for name, s := range allScripts {
			sc := s.plain
			if f.st.strictSlots {
				sc = s.strict
			}
			if err := sc.Load(f.ctx, f.st.Client()).Err(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

// TestJobFieldPositions checks the Go decoder against a job state written
// in the Lua order of lua/schema.lua.
func TestJobFieldPositions(t *testing.T) {
	st := decodeJob("s|3|MID|0|DELIVRD|1700000000000|1700000001000|E1|owner|2601021504")
	want := SegmentState{State: JobSubmitted, Attempts: 3, MsgID: "MID", SubmitResult: 0, HasSubmitResult: true,
		Stat: "DELIVRD", SubmittedAt: fromMS("1700000000000"), ReportedAt: fromMS("1700000001000"),
		ErrorCode: "E1", LeaseOwner: "owner", DoneTime: "2601021504"}
	if st != want {
		t.Fatalf("decodeJob = %+v, want %+v", st, want)
	}
}

// TestInlineSchema checks that constant names become their values in code
// only: not in strings, comments, field names or other names.
func TestInlineSchema(t *testing.T) {
	src := "if t[J_STATE] == JS_QUEUED then -- J_STATE\n" +
		"  x = F_TO .. 'J_STATE' .. \"F_TO\" .. [[JS_QUEUED]] .. m.J_STATE .. J_STATEX .. 0xJ_N\nend --[[ F_TO ]]"
	want := "if t[1] == 'q' then -- J_STATE\n" +
		"  x = 'to:' .. 'J_STATE' .. \"F_TO\" .. [[JS_QUEUED]] .. m.J_STATE .. J_STATEX .. 0xJ_N\nend --[[ F_TO ]]"
	if got := inlineSchema(src); got != want {
		t.Errorf("inlineSchema:\n got %s\nwant %s", got, want)
	}
	// Every script is left without a schema name in its code.
	names := []string{"lib"}
	for name := range allScripts {
		names = append(names, name)
	}
	for _, name := range names {
		body := inlineSchema(luaFile(name))
		for c := range schemaConsts {
			if strings.Contains(stripLuaComments(body), c+" ") || strings.Contains(stripLuaComments(body), c+")") {
				t.Errorf("%s: %s left after inlining", name, c)
			}
		}
	}
}

// stripLuaComments drops "--" line comments (good enough for the check
// above: the scripts' strings hold no "--").
func stripLuaComments(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i] + "\n"
		}
		b.WriteString(line)
	}
	return b.String()
}

// TestLuaBuildsKeysInLibOnly checks that no script concatenates a key from
// the channel tag except lib.lua's key functions (reqkey, midkey, ...):
// fixed keys come in KEYS, the others from those functions (see Keys).
func TestLuaBuildsKeysInLibOnly(t *testing.T) {
	entries, err := luaFiles.ReadDir("lua")
	if err != nil {
		t.Fatal(err)
	}
	keyFunc := regexp.MustCompile(`^local function \w+key\(`)
	for _, e := range entries {
		b, err := luaFiles.ReadFile("lua/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, "TAG ..") || strings.HasPrefix(strings.TrimSpace(line), "--") {
				continue
			}
			if e.Name() == "lib.lua" && keyFunc.MatchString(line) {
				continue
			}
			t.Errorf("lua/%s:%d builds a key outside lib.lua's key functions: %s", e.Name(), i+1, line)
		}
	}
}
