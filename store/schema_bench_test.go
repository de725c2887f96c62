package store

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// BenchmarkScriptPrefix measures what the prepended files cost per script
// call: a script that does nothing ("return 1") alone, after all of
// lua/schema.lua as locals, after lib.lua with the constants as locals
// (the rejected design: see inlineSchema) and after lib.lua with them
// inlined (what loadLua does), each run 100 times per pipeline (so that
// the round trip hardly counts). redis-µs/seg is Redis CPU per call.
func BenchmarkScriptPrefix(b *testing.B) {
	for _, c := range []struct {
		name   string
		script *script
	}{
		{"bare", newScript("return 1")},
		{"schema", newScript(luaFile("schema"), "return 1")},
		{"schema+lib", newScript(luaFile("schema"), luaFile("lib"), "return 1")},
		{"lib-inlined", newScript(inlineSchema(luaFile("lib")), "return 1")},
	} {
		b.Run(c.name, func(b *testing.B) {
			st, _ := benchStore(b)
			ctx := context.Background()
			const depth = 100
			if err := c.script.plain.Load(ctx, st.Client()).Err(); err != nil {
				b.Fatal(err)
			}
			timed(b, st, b.N*depth, func() {
				for range b.N {
					_, err := st.Client().Pipelined(ctx, func(p redis.Pipeliner) error {
						for range depth {
							c.script.plain.EvalSha(ctx, p, []string{"{x}"}, "{x}")
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
