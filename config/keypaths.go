package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// keyPaths knows where every key of a YAML document is: the key path
// (e.g. channels[0].window) of each key present and the keys and values
// on each line. It turns yaml.v3's "line 18: cannot unmarshal …" into
// errors naming the key, and tells a key set to 0 from a key left out.
type keyPaths struct {
	present map[string]bool
	byLine  map[int][]keyAt
}

// keyAt is a key or scalar value found on a line.
type keyAt struct {
	path  string // key path
	key   string // the key's own name ("" for a list item)
	value string // the scalar value ("" for the key itself)
	isKey bool
	tag   string // the value's tag (!!str, !!map, …)
}

// readKeyPaths parses data into a node tree and records its key paths.
func readKeyPaths(data []byte) (*keyPaths, error) {
	kp := &keyPaths{present: map[string]bool{}, byLine: map[int][]keyAt{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) > 0 {
		kp.walk(doc.Content[0], "", 0)
	}
	return kp, nil
}

// maxAliasDepth bounds the walk through aliases (a YAML "billion laughs"
// document must not make it explode).
const maxAliasDepth = 4

func (kp *keyPaths) walk(n *yaml.Node, path string, aliases int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			kp.present[p] = true
			kp.byLine[k.Line] = append(kp.byLine[k.Line], keyAt{path: p, key: k.Value, isKey: true})
			kp.value(v, p)
			kp.walk(v, p, aliases)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			kp.present[p] = true
			kp.value(c, p)
			kp.walk(c, p, aliases)
		}
	case yaml.AliasNode:
		if n.Alias != nil && aliases < maxAliasDepth {
			kp.walk(n.Alias, path, aliases+1)
		}
	}
}

func (kp *keyPaths) value(v *yaml.Node, path string) {
	kp.byLine[v.Line] = append(kp.byLine[v.Line], keyAt{path: path, value: v.Value, tag: v.ShortTag()})
}

// has reports whether the document sets the key at path.
func (kp *keyPaths) has(path string) bool { return kp.present[path] }

var (
	lineMsg     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownKey  = regexp.MustCompile(`^field (.*) not found in type `)
	quotedValue = regexp.MustCompile("`([^`]*)`")
)

// explain rewrites a decoding error so that every problem names its key
// path: "channels[0].window: cannot unmarshal !!str `lots` into int
// (line 18)".
func (kp *keyPaths) explain(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("config: %w", err)
	}
	errs := make([]error, 0, len(te.Errors))
	for _, msg := range te.Errors {
		errs = append(errs, errors.New("config: "+kp.explainOne(msg)))
	}
	return errors.Join(errs...)
}

func (kp *keyPaths) explainOne(msg string) string {
	m := lineMsg.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	line, _ := strconv.Atoi(m[1])
	rest := m[2]
	at := kp.byLine[line]
	if u := unknownKey.FindStringSubmatch(rest); u != nil {
		if p := kp.pick(at, func(k keyAt) bool { return k.isKey && k.key == u[1] }); p != "" {
			return fmt.Sprintf("%s: unknown key (line %d)", p, line)
		}
		return msg
	}
	if q := quotedValue.FindStringSubmatch(rest); q != nil {
		short, cut := strings.CutSuffix(q[1], "...")
		match := func(k keyAt) bool {
			return !k.isKey && (k.value == q[1] || cut && len(k.value) > 10 && strings.HasPrefix(k.value, short))
		}
		if p := kp.pick(at, match); p != "" {
			return fmt.Sprintf("%s: %s (line %d)", p, rest, line)
		}
	}
	// A list or map where a scalar belongs.
	for _, tag := range []string{"!!map", "!!seq"} {
		if !strings.HasPrefix(rest, "cannot unmarshal "+tag+" ") {
			continue
		}
		if p := kp.pickDeepest(at, func(k keyAt) bool { return !k.isKey && k.tag == tag }); p != "" {
			return fmt.Sprintf("%s: %s (line %d)", p, rest, line)
		}
	}
	// Else the only key of the line.
	if p := kp.pick(at, func(k keyAt) bool { return k.isKey }); p != "" {
		return fmt.Sprintf("%s: %s (line %d)", p, rest, line)
	}
	return msg
}

// pick returns the one key path among at that match accepts, or "" when
// none or several do.
func (kp *keyPaths) pick(at []keyAt, match func(keyAt) bool) string {
	found := ""
	for _, k := range at {
		if !match(k) || k.path == found {
			continue
		}
		if found != "" {
			return ""
		}
		found = k.path
	}
	return found
}

// pickDeepest is pick where the matches may nest (a block map starts on
// the line of its first key): the innermost one, if the others enclose it.
func (kp *keyPaths) pickDeepest(at []keyAt, match func(keyAt) bool) string {
	deepest := ""
	for _, k := range at {
		if match(k) && len(k.path) > len(deepest) {
			deepest = k.path
		}
	}
	for _, k := range at {
		if match(k) && k.path != deepest && !strings.HasPrefix(deepest, k.path+".") && !strings.HasPrefix(deepest, k.path+"[") {
			return ""
		}
	}
	return deepest
}
